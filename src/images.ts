/**
 * The images a run promotes, resolved to what the targets should reference and what orders each:
 * the given ones through the image stage once, before anything is read of the infra repository; or,
 * with `from`, the tags (and digests) that target holds at the tip the edit is planned on, each
 * checked once per reference however many tips the landing loop plans on.
 */
import * as core from '@actions/core'
import type { ImageSettings } from './docker/settings.js'
import { registryIdentities, runImageStage, type ImageResult, type ImageStageContext } from './docker/stage.js'
import { targetFile, type RepoFiles } from './edit/plan.js'
import { kindOf } from './edit/kinds.js'
import { referencedImage } from './edit/references.js'
import { describeTarget } from './edit/targets.js'
import type { Target } from './edit/types.js'
import { TargetError } from './errors.js'
import { desiredImage, desiredReference, type PinMode } from './image/desired.js'
import { formatReference } from './image/reference.js'
import { OrderGuard } from './order/guard.js'
import type { ImagePromotion } from './promotion.js'

export interface PromotedImage extends ImagePromotion {
  /** The repository as given. */
  readonly name: string
  readonly tag: string
  /** The registry manifest digest, when known. */
  readonly digest: string | undefined
  /** The reference the targets get. */
  readonly imageRef: string
}

export interface ImagePolicy {
  readonly pin: PinMode
  readonly allowDowngrade: boolean
  readonly stage: ImageStageContext
  readonly env: NodeJS.ProcessEnv
}

/** The images given with their tags: the image stage (build, registry check) runs once for each. */
export async function givenImages(images: readonly ImageSettings[], policy: ImagePolicy): Promise<PromotedImage[]> {
  const promoted: PromotedImage[] = []
  for (const settings of images) {
    const title = images.length > 1 ? `Image ${settings.image.name}` : 'Image'
    promoted.push(promotedImage(settings, await core.group(title, () => runImageStage(settings, policy.stage)), policy))
  }
  return promoted
}

/** Reads the images at `from` on a tip; a reference already checked is not checked again. */
export function imagesFrom(from: Target, images: readonly ImageSettings[], policy: ImagePolicy): (files: RepoFiles) => Promise<PromotedImage[]> {
  const checked = new Map<string, Promise<PromotedImage>>()
  return async (files) => {
    const promoted: Promise<PromotedImage>[] = []
    for (const settings of images) {
      const { name } = settings.image
      const found = await referencedImage(files, from, name)
      const file = async () => targetFile(files, from).catch(() => kindOf(from).path(from))
      if ('none' in found) {
        throw new TargetError(
          await file(),
          undefined,
          `from (${describeTarget(from)}) does not reference ${name}: ${found.none}`,
          'Point from at the environment that runs this image, or promote it there first.',
        )
      }
      const { tag, digest } = found.image
      if (tag === undefined) {
        throw new TargetError(
          await file(),
          undefined,
          `from (${describeTarget(from)}) references ${formatReference(found.image)}, with no tag to promote`,
          'Promote from a target that holds the tag as well (pin: tag or tag-and-digest there).',
        )
      }
      const reference = formatReference({ name, tag, ...(digest ? { digest } : {}) })
      let image = checked.get(reference)
      if (!image) {
        core.info(`from ${describeTarget(from)}: ${reference}`)
        image = runImageStage({ ...settings, tag, digest }, policy.stage).then((result) => promotedImage(settings, result, policy))
        checked.set(reference, image)
      }
      promoted.push(image)
    }
    return Promise.all(promoted)
  }
}

function promotedImage(settings: ImageSettings, result: ImageResult, policy: ImagePolicy): PromotedImage {
  const desired = desiredImage(settings.image.name, result.tag, result.digest, policy.pin)
  return {
    name: settings.image.name,
    tag: result.tag,
    digest: result.digest,
    imageRef: desiredReference(desired),
    desired,
    ...(policy.allowDowngrade ? {} : { guard: new OrderGuard(result.identity, registryIdentities(settings, policy.env)) }),
  }
}
