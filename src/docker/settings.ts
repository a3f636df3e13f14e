/**
 * The image stage's inputs as one typed object: what to build, how to tag it, where to push it, and
 * whether to check the registry before promoting. Pure: reads an InputReader and the environment.
 */
import { InputError } from '../errors.js'
import { canonicalName, imageNameProblem, isValidDigest, isValidTag, parseImageName, splitReference, type ImageName } from '../image/reference.js'
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
  /** Build secrets given by value (`secrets`); the values reach docker only through temporary files. */
  readonly secrets: readonly BuildSecret[]
  /** Build secrets read from files (`secret-files`), paths relative to the workspace unless absolute. */
  readonly secretFiles: readonly BuildSecret[]
  /** `--network` for RUN steps ('' for the builder's default). */
  readonly network: string
  /** build-push-action's cache-from / cache-to entries, as written (`type=…,…` or a plain reference). */
  readonly cacheFrom: readonly string[]
  readonly cacheTo: readonly string[]
  /** `default` or `id=path[,path]` SSH agent sockets/keys to forward. */
  readonly ssh: readonly string[]
  /** '' when not given (the builder's default), else the value as build-push-action takes it. */
  readonly provenance: string
  readonly sbom: string
  /** OCI annotations (docker/metadata-action's `annotations` output fits). */
  readonly annotations: readonly string[]
}

/** One build secret: `value` is the secret itself for `secrets`, a path for `secret-files`. */
export interface BuildSecret {
  readonly id: string
  readonly value: string
}

export interface RegistryLogin {
  readonly username: string
  readonly password: string
}

export interface ImageSettings {
  readonly image: ImageName
  /** The immutable tag that is promoted; '' when `from` is to give it (read at the infra tip). */
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

/**
 * The images to promote: `image` with `tag` and `digest`, or one `images` line each
 * (`<image>[:<tag>][@sha256:<digest>]`; a line without a tag takes `tag`). `readsTag`: `from` gives
 * the tags and digests, so none may be given. registry-username logs in to the first image's registry.
 */
export function parsePromotedImages(inputs: InputReader, env: NodeJS.ProcessEnv, readsTag = false): ImageSettings[] {
  const lines = listInput(inputs, 'images')
  if (lines.length === 0) return [parseImageSettings(inputs, env, readsTag)]
  if (inputs.get('image') !== '')
    throw new InputError('image', 'is set together with images', 'Set image for one image, or images for several (one a line), not both.')
  if (inputs.get('digest') !== '')
    throw new InputError('digest', 'is set together with images', 'Give each digest on its images line, as <image>:<tag>@sha256:<digest>.')
  if (lines.length > 1 && booleanInput(inputs, 'build', true)) {
    throw new InputError(
      'build',
      `is true (the default) with ${lines.length} images`,
      'Set build: false: build the images first (a matrix job, or one build step each), then promote them together.',
    )
  }
  const seen = new Map<string, number>()
  const images = lines.map((line, index) => {
    const fail = (problem: string, fix = 'Write one image a line: <image>, <image>:<tag> or <image>[:<tag>]@sha256:<digest>.') =>
      new InputError('images', `line ${index + 1} (${line}): ${problem}`, fix)
    const ref = splitReference(line)
    const problem = imageNameProblem(ref.name)
    if (problem) throw fail(`'${ref.name}' is not an image repository: ${problem}`)
    if (ref.tag !== undefined && !isValidTag(ref.tag)) throw fail(`'${ref.tag}' is not a valid Docker tag`)
    if (ref.digest !== undefined && !isValidDigest(ref.digest)) throw fail(`'${ref.digest}' is not a sha256 digest`)
    if (readsTag && (ref.tag !== undefined || ref.digest !== undefined))
      throw fail('gives a tag or a digest, and from reads them', 'Write the image alone: from reads its tag and digest from that target.')
    const repository = canonicalName(parseImageName(ref.name))
    if (seen.has(repository)) throw fail(`names the same image as line ${seen.get(repository)! + 1}`, 'List each image once.')
    seen.set(repository, index)
    const lineInputs: InputReader = {
      get: (name) =>
        name === 'image' ? ref.name : name === 'tag' ? (ref.tag ?? inputs.get('tag')) : name === 'digest' ? (ref.digest ?? '') : inputs.get(name),
    }
    return parseImageSettings(lineInputs, env, readsTag)
  })
  // Credentials go to the registry they are for, and no other.
  return images.map((image) => (image.image.registry === images[0].image.registry ? image : { ...image, login: undefined }))
}

/** `image`, `tag` and `digest` (`readsTag`: `from` gives the tag and digest), and the build. */
export function parseImageSettings(inputs: InputReader, env: NodeJS.ProcessEnv, readsTag = false): ImageSettings {
  const imageInput = required(inputs, 'image', 'Set image to the repository without tag, e.g. ghcr.io/org/app (or images, one a line, for several).')
  const problem = imageNameProblem(imageInput)
  if (problem)
    throw new InputError(
      'image',
      `'${imageInput}' is not an image repository: ${problem}`,
      'Set image to the repository without tag, e.g. ghcr.io/org/app or team/app.',
    )
  const image = parseImageName(imageInput)

  const build = booleanInput(inputs, 'build', true)
  if (readsTag) {
    for (const name of ['tag', 'digest'])
      if (inputs.get(name) !== '') throw new InputError(name, 'is set together with from', 'Leave tag and digest empty: from reads them from that target.')
    if (build)
      throw new InputError('build', 'is true (the default) with from', 'Set build: false: from promotes an image that another environment already runs.')
  }
  // An empty tag is "not given": the commit's SHA, unless from reads it.
  const tag = readsTag ? '' : inputs.get('tag') || env.GITHUB_SHA || ''
  if (tag === '' && !readsTag)
    throw new InputError('tag', 'is empty and GITHUB_SHA is not set', 'Set tag to the immutable tag to promote, e.g. ${{ github.sha }}.')
  if (!readsTag && !isValidTag(tag)) {
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
    ...parseBuildKitSettings(inputs),
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

/** The inputs docker/build-push-action has for BuildKit: secrets, cache, network, SSH, attestations. */
function parseBuildKitSettings(inputs: InputReader) {
  const secrets = (name: string, what: string): BuildSecret[] => {
    const seen = new Set<string>()
    return listInput(inputs, name).map((quoted, index) => {
      // build-push-action's examples quote each line as a CSV field: "id=value".
      const line = /^".*"$/.test(quoted) ? quoted.slice(1, -1).replace(/""/g, '"') : quoted
      const equals = line.indexOf('=')
      const id = equals > 0 ? line.slice(0, equals).trim() : ''
      const value = line.slice(equals + 1)
      // The line itself may be the secret: never quote it in the error.
      const fail = (problem: string) =>
        new InputError(name, `line ${index + 1} ${problem}`, `Write one id=${what} a line, the id in letters, digits, _ . and -.`)
      if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw fail('is not id=' + what)
      if (value === '') throw fail(`gives secret ${id} an empty ${what}`)
      if (seen.has(id)) throw fail(`gives secret ${id} a second time`)
      seen.add(id)
      return { id, value }
    })
  }
  const given = { secrets: secrets('secrets', 'value'), secretFiles: secrets('secret-files', 'path') }
  const both = given.secrets.find((secret) => given.secretFiles.some((file) => file.id === secret.id))
  if (both) throw new InputError('secret-files', `names secret ${both.id}, which secrets gives too`, 'Give each secret id once, in secrets or in secret-files.')
  const network = inputs.get('network')
  if (/[\s,]/.test(network)) throw new InputError('network', `'${network}' is not a network name`, 'Set network to none, host or the name of a network.')
  return {
    ...given,
    network,
    cacheFrom: listInput(inputs, 'cache-from'),
    cacheTo: listInput(inputs, 'cache-to'),
    ssh: listInput(inputs, 'ssh'),
    provenance: inputs.get('provenance'),
    sbom: inputs.get('sbom'),
    annotations: listInput(inputs, 'annotations'),
  }
}

function isFullReference(ref: string): boolean {
  const colon = ref.lastIndexOf(':')
  if (colon <= 0 || ref.slice(colon).includes('/')) return false
  return imageNameProblem(ref.slice(0, colon)) === undefined && isValidTag(ref.slice(colon + 1))
}
