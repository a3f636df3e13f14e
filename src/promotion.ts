/**
 * One promotion as a deterministic function of the files at a branch tip: edit the targets (with
 * several images, each target to the images it references), keep only the files whose current image
 * is not newer than the promoted one (the ordering guard, per image), remove the old records beside
 * them, and check the result renders. Publishers call it again on every
 * fresh tip. Nothing is written to the infra repository but the targets themselves.
 */
import { InputError, TargetError } from './errors.js'
import { planEdits, planTargetEdits, targetFile, type EditPlan, type FileChange, type RepoFiles } from './edit/plan.js'
import { kindOf } from './edit/kinds.js'
import { referencedImage } from './edit/references.js'
import { describeTarget } from './edit/targets.js'
import type { DesiredImage, Target } from './edit/types.js'
import { replacedImage } from './image/identity.js'
import { formatReference } from './image/reference.js'
import type { OrderGuard } from './order/guard.js'
import { LEGACY_RECORD_DIR, legacyIdentity, legacyRecordPath } from './order/legacy-records.js'

/** A file the promotion left alone because it already references a newer image. */
export interface StaleFile {
  readonly path: string
  /** The newer reference it holds. */
  readonly currentRef: string
}

/** Why a stale file was left alone, in the words every report uses. */
export function staleReason(file: StaleFile, code: (text: string) => string = (text) => text): string {
  return `${code(file.path)} already references the newer image ${code(file.currentRef)}`
}

/** A file promoted although the order of its current image and the promoted one is unknown. */
export interface UnorderedFile {
  readonly path: string
  readonly currentRef: string
  readonly why: string
}

/** Why a file was promoted without the ordering check. */
export function unorderedReason(file: UnorderedFile): string {
  return `${file.path}: whether the promoted image is newer than ${file.currentRef}, which it replaces, is unknown (${file.why}); promoted anyway`
}

/** An edit plan after the ordering guard: `files` holds only what is to be committed. */
export interface PromotionPlan extends EditPlan {
  readonly stale: readonly StaleFile[]
  readonly unordered: readonly UnorderedFile[]
}

/** One image of a promotion: what its targets should reference, and what orders it. */
export interface ImagePromotion {
  readonly desired: DesiredImage
  /** Absent with allow-downgrade: any image may replace any other. */
  readonly guard?: OrderGuard
}

/** The targets that reference one image of the promotion. */
export interface ImageTargets {
  readonly image: ImagePromotion
  readonly targets: readonly Target[]
}

export interface PromotionSpec {
  readonly targets: readonly Target[]
  /** One image, promoted into every target; or several, each into the targets that reference it. */
  readonly images: readonly ImagePromotion[]
  /** Checks the edited files (e.g. that overlays still render with each image); throws to stop. */
  readonly verify?: (files: RepoFiles, plan: PromotionPlan, edited: readonly ImageTargets[]) => Promise<void>
}

/** What a promotion reads first: each target, and the old record beside it if there is one. */
export function promotionPaths(targets: readonly Target[]): string[] {
  return targets.flatMap((target) => {
    const kind = kindOf(target)
    const path = kind.path(target)
    // A kind that finds its file below its path (an overlay directory) is read with the records beside it.
    return kind.file ? [path, `${LEGACY_RECORD_DIR}/${path}`] : [path, legacyRecordPath(path)]
  })
}

export async function planPromotion(files: RepoFiles, spec: PromotionSpec): Promise<PromotionPlan> {
  await files.prefetch?.(promotionPaths(spec.targets))
  const kept: ImageTargets[] = []
  const keptFiles = new Set<string>()
  const removedRecords = new Map<string, FileChange>()
  const stale: StaleFile[] = []
  const unordered: UnorderedFile[] = []
  for (const { image, targets } of await assignTargets(files, spec)) {
    const edits = await planEdits(files, targets, image.desired)
    const keptHere = new Set<string>()
    for (const file of edits.files) {
      const recordPath = legacyRecordPath(file.path)
      const record = await files.read(recordPath)
      const verdict = await judgeFile(file.path, edits, image, record)
      if (verdict?.order === 'older') {
        stale.push({ path: file.path, currentRef: verdict.currentRef })
        continue
      }
      if (verdict?.order === 'unknown') unordered.push({ path: file.path, currentRef: verdict.currentRef, why: verdict.why ?? '' })
      keptHere.add(file.path)
      if (record !== undefined) removedRecords.set(recordPath, { path: recordPath, before: record, after: null })
    }
    const keptTargets: Target[] = []
    for (const target of targets) if (keptHere.has(await targetFile(files, target))) keptTargets.push(target)
    if (keptTargets.length > 0) kept.push({ image, targets: keptTargets })
    keptHere.forEach((path) => keptFiles.add(path))
  }
  const edits = await planTargetEdits(
    files,
    kept.flatMap(({ image, targets }) => targets.map((target) => ({ target, desired: image.desired }))),
  )
  if (kept.length > 1) await refuseOverwrites(files, edits, kept)
  const plan: PromotionPlan = {
    // The manifests first: they lead a pull request's diff.
    files: edits.files.length > 0 ? [...edits.files, ...removedRecords.values()] : [],
    changes: edits.changes,
    stale,
    unordered: unordered.filter((u) => keptFiles.has(u.path)),
  }
  if (spec.verify && edits.files.length > 0) await spec.verify(files, plan, kept)
  return plan
}

/** The targets where `files` (another branch's) already reference a newer image than the promoted one. */
export async function newerImagesAt(files: RepoFiles, spec: PromotionSpec): Promise<StaleFile[]> {
  const newer: StaleFile[] = []
  for (const { image, targets } of await assignTargets(files, spec)) {
    if (!image.guard) continue
    const edits = await planEdits(files, targets, image.desired)
    for (const file of edits.files) {
      const verdict = await judgeFile(file.path, edits, image, await files.read(legacyRecordPath(file.path)))
      if (verdict?.order === 'older') newer.push({ path: file.path, currentRef: verdict.currentRef })
    }
  }
  return newer
}

/**
 * Which targets each image goes into. One image goes into every target (an overlay without its
 * entry gets one); of several, each goes into the targets that reference it now, and a target that
 * references none of them, or an image no target references, is a mistake in the inputs.
 */
async function assignTargets(files: RepoFiles, spec: PromotionSpec): Promise<ImageTargets[]> {
  if (spec.images.length === 1) return [{ image: spec.images[0], targets: spec.targets }]
  const assigned = spec.images.map((image) => ({ image, targets: [] as Target[] }))
  for (const target of spec.targets) {
    const why: string[] = []
    let firstError: TargetError | undefined
    for (const entry of assigned) {
      const found = await referencedImage(files, target, entry.image.desired.name)
      if ('image' in found) entry.targets.push(target)
      else {
        why.push(found.none)
        firstError ??= found.error
      }
    }
    if (why.length < assigned.length) continue
    // The same refusal for every image (a missing file, a broken one) is about the target itself.
    if (firstError && why.every((text) => text === firstError.message)) throw firstError
    throw new TargetError(
      await targetFile(files, target).catch(() => kindOf(target).path(target)),
      undefined,
      `references none of the images promoted (${spec.images.map((i) => i.desired.name).join(', ')}): ${describeTarget(target)}`,
      'Remove the target, or add the image it holds to images.',
    )
  }
  const unused = assigned.find((entry) => entry.targets.length === 0)
  if (unused) {
    throw new InputError(
      'images',
      `no target references ${unused.image.desired.name} (the targets: ${spec.targets.map(describeTarget).join('; ')})`,
      'Remove the line, or add a target that holds the image.',
    )
  }
  return assigned
}

/**
 * Several images edited in one plan must each still be there afterwards: two that match the same
 * value (a tag with no repository beside it) would leave only the last one.
 */
async function refuseOverwrites(files: RepoFiles, edits: EditPlan, kept: readonly ImageTargets[]): Promise<void> {
  const edited = new Map(edits.files.map((f) => [f.path, f.after]))
  const after: RepoFiles = { read: async (path) => (edited.has(path) ? (edited.get(path) ?? undefined) : files.read(path)) }
  for (const { image, targets } of kept) {
    const left = (await planEdits(after, targets, image.desired)).changes[0]
    if (!left) continue
    const others = kept.filter((k) => k.image !== image).map((k) => k.image.desired.name)
    throw new TargetError(
      left.file,
      left.line,
      `holds one value that several images match: ${image.desired.name} and ${others.join(', ')} would overwrite each other there`,
      'Give each image its own field (a repository beside its tag, or as=reference), or promote these images in separate steps.',
    )
  }
}

/** How the promoted image relates to the one `path` references before the edit; undefined when unguarded. */
async function judgeFile(path: string, edits: EditPlan, image: ImagePromotion, record: string | undefined) {
  if (!image.guard) return undefined
  const current = replacedImage(
    image.desired,
    edits.changes.filter((c) => c.file === path),
  )
  if (!current) return undefined
  const verdict = await image.guard.judge(current, legacyIdentity(record, image.desired.name, current))
  return { ...verdict, currentRef: formatReference(current) }
}
