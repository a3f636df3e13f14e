/**
 * The image stage's inputs as one typed object: what to build, how to tag it, where to push it, and
 * whether to check the registry before promoting. Pure: reads an InputReader and the environment.
 */
import { InputError } from '../errors.js'
import { imageNameProblem, isValidDigest, isValidTag, parseImageName, type ImageName } from '../image/reference.js'
import { booleanInput, listInput, required, type InputReader } from '../inputs.js'

export interface BuildSettings {
  /** Build context directory (relative to the workspace unless absolute). */
  readonly context: string
  /** Dockerfile path; '' means Docker's default (`Dockerfile` in the context). */
  readonly file: string
  readonly buildArgs: readonly string[]
  readonly target: string
  /** `KEY=VALUE` labels, the user's (or docker/metadata-action's) on top of the OCI defaults. */
  readonly labels: readonly string[]
  readonly platforms: readonly string[]
  /** Every reference to tag and push besides `image:tag`, e.g. `image:latest`. */
  readonly extraReferences: readonly string[]
}

export interface RegistryLogin {
  readonly username: string
  readonly password: string
}

export interface ImageSettings {
  readonly image: ImageName
  /** The immutable tag that is promoted. */
  readonly tag: string
  /** A digest the user already knows (build: false). */
  readonly digest: string | undefined
  /** Undefined when `build: false`. */
  readonly build: BuildSettings | undefined
  readonly push: boolean
  /** Check through the registry API that image:tag exists (and matches the digest) before promoting. */
  readonly verify: boolean
  /** Undefined: use the runner's existing Docker login. */
  readonly login: RegistryLogin | undefined
  /** Directory relative build paths are resolved against. */
  readonly workspace: string
}

export function parseImageSettings(inputs: InputReader, env: NodeJS.ProcessEnv): ImageSettings {
  const imageInput = required(inputs, 'image', 'Set image to the repository without tag, e.g. ghcr.io/org/app.')
  const problem = imageNameProblem(imageInput)
  if (problem)
    throw new InputError(
      'image',
      `'${imageInput}' is not an image repository: ${problem}`,
      'Set image to the repository without tag, e.g. ghcr.io/org/app or team/app.',
    )
  const image = parseImageName(imageInput)

  const tag = inputs.get('tag') || env.GITHUB_SHA || ''
  if (tag === '') throw new InputError('tag', 'is empty and GITHUB_SHA is not set', 'Set tag to the immutable tag to promote, e.g. ${{ github.sha }}.')
  if (!isValidTag(tag)) {
    throw new InputError(
      'tag',
      `'${tag}' is not a valid Docker tag`,
      'Use letters, digits, _ . and - only, at most 128 characters, not starting with . or - (e.g. the commit SHA).',
    )
  }
  const digest = inputs.get('digest') || undefined
  if (digest !== undefined && !isValidDigest(digest)) {
    throw new InputError(
      'digest',
      `'${digest}' is not a sha256 digest`,
      'Give the manifest digest as sha256: followed by 64 hex digits, or leave digest empty.',
    )
  }

  const build = booleanInput(inputs, 'build', true)
  const username = inputs.get('registry-username')
  const password = inputs.get('registry-password')
  if ((username === '') !== (password === '')) {
    const missing = username === '' ? 'registry-username' : 'registry-password'
    throw new InputError(
      missing,
      'is empty while the other registry credential is set',
      "Set both registry-username and registry-password, or neither to use the runner's existing docker login.",
    )
  }
  return {
    image,
    tag,
    digest,
    build: build ? parseBuildSettings(inputs, image.name, tag) : undefined,
    push: booleanInput(inputs, 'push', true),
    verify: booleanInput(inputs, 'verify-image', true),
    login: username ? { username, password } : undefined,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
  }
}

function parseBuildSettings(inputs: InputReader, image: string, tag: string): BuildSettings {
  const extraTags = listInput(inputs, 'extra-tags')
  const badTag = extraTags.find((t) => !isValidTag(t))
  if (badTag !== undefined) throw new InputError('extra-tags', `'${badTag}' is not a valid Docker tag`, 'List tag names only (e.g. latest), one a line.')
  // docker/metadata-action's `tags` output: full references, any repository.
  const metadataTags = listInput(inputs, 'tags')
  const badRef = metadataTags.find((ref) => !isFullReference(ref))
  if (badRef !== undefined)
    throw new InputError(
      'tags',
      `'${badRef}' is not an image reference with a tag`,
      'List full references (repository:tag), one a line, as docker/metadata-action prints them.',
    )
  const promoted = `${image}:${tag}`
  const extraReferences = [...extraTags.map((t) => `${image}:${t}`), ...metadataTags].filter((ref, i, all) => ref !== promoted && all.indexOf(ref) === i)

  const pairs = (name: string) => {
    const values = listInput(inputs, name)
    const bad = values.find((v) => !/^[^=\s][^=]*=/.test(v))
    if (bad !== undefined) throw new InputError(name, `'${bad}' is not KEY=VALUE`, `Write ${name} one KEY=VALUE a line.`)
    return values
  }
  return {
    context: inputs.get('context') || '.',
    file: inputs.get('file'),
    buildArgs: pairs('build-args'),
    target: inputs.get('target'),
    labels: pairs('labels'),
    platforms: inputs
      .get('platforms')
      .split(/[,\n]/)
      .map((p) => p.trim())
      .filter(Boolean),
    extraReferences,
  }
}

function isFullReference(ref: string): boolean {
  const colon = ref.lastIndexOf(':')
  if (colon <= 0 || ref.slice(colon).includes('/')) return false
  return imageNameProblem(ref.slice(0, colon)) === undefined && isValidTag(ref.slice(colon + 1))
}
