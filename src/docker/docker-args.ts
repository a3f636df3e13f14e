/**
 * The docker command lines of the image stage, built from settings. Pure, so both build paths
 * (buildx and the classic builder) are checked without a daemon.
 */
import { InputError, lastLines } from '../errors.js'
import { COMMITTED_LABEL } from '../image/identity.js'
import type { BuildSecret, BuildSettings } from './settings.js'

export interface BuildRequest {
  readonly settings: BuildSettings
  /** The promoted reference first, then the extra ones. */
  readonly references: readonly string[]
  /** Labels in order; later keys override earlier ones. */
  readonly labels: readonly string[]
  /** Absolute build context and Dockerfile ('' for the context's Dockerfile). */
  readonly context: string
  readonly file: string
  /** Every build secret as a file: the user's secret-files, and temporary files holding the values of secrets. */
  readonly secretFiles: readonly BuildSecret[]
}

/**
 * OCI annotations of where the image comes from, and the source commit's time that orders images
 * (a late rebuild of an old commit stays old); the user's labels win on the same key.
 */
export function ociLabels(source: { url: string; revision: string; created: string; committed?: string }): string[] {
  return [
    ...(source.url ? [`org.opencontainers.image.source=${source.url}`] : []),
    ...(source.revision ? [`org.opencontainers.image.revision=${source.revision}`] : []),
    `org.opencontainers.image.created=${source.created}`,
    ...(source.committed ? [`${COMMITTED_LABEL}=${source.committed}`] : []),
  ]
}

/** Keeps the last value of each label key, in first-seen key order. */
export function mergeLabels(...groups: readonly (readonly string[])[]): string[] {
  const byKey = new Map<string, string>()
  for (const label of groups.flat()) byKey.set(label.slice(0, label.indexOf('=')), label)
  return [...byKey.values()]
}

function commonArgs(request: BuildRequest): string[] {
  const { settings } = request
  return [
    ...request.references.flatMap((ref) => ['--tag', ref]),
    ...request.labels.flatMap((label) => ['--label', label]),
    ...settings.buildArgs.flatMap((arg) => ['--build-arg', arg]),
    ...(request.file ? ['--file', request.file] : []),
    ...(settings.target ? ['--target', settings.target] : []),
    ...request.secretFiles.flatMap((secret) => ['--secret', `id=${secret.id},${csvField(`src=${secret.value}`)}`]),
    ...settings.ssh.flatMap((ssh) => ['--ssh', ssh]),
    ...(settings.network ? ['--network', settings.network] : []),
  ]
}

/** One field of the comma-separated values docker reads in --secret: quoted when it holds a comma or quote. */
function csvField(field: string): string {
  return /[",]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field
}

/** The `key=value` attributes of a cache entry; a plain reference is build-push-action's short form of a registry cache. */
function cacheAttributes(entry: string): Map<string, string> {
  if (!entry.includes('='))
    return new Map([
      ['type', 'registry'],
      ['ref', entry],
    ])
  return new Map(entry.split(',').map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]))
}

/** The image a registry cache-from entry reads (all the classic builder can import); undefined for any other type. */
function registryCacheRef(entry: string): string | undefined {
  const attributes = cacheAttributes(entry)
  return attributes.get('type') === 'registry' ? attributes.get('ref') : undefined
}

/** True for a cache export the classic builder does itself: the inline cache in the pushed image. */
function isInlineCache(entry: string): boolean {
  return cacheAttributes(entry).get('type') === 'inline'
}

/** The input with an entry for GitHub's cache service (which buildx reaches with the runner's ACTIONS_* variables), if any. */
export function ghaCacheInput(settings: BuildSettings): 'cache-to' | 'cache-from' | undefined {
  const gha = (entries: readonly string[]) => entries.some((entry) => cacheAttributes(entry).get('type') === 'gha')
  return gha(settings.cacheTo) ? 'cache-to' : gha(settings.cacheFrom) ? 'cache-from' : undefined
}

/** Options the classic builder has only with BuildKit (DOCKER_BUILDKIT=1). */
export function needsBuildKit(settings: BuildSettings): boolean {
  return [settings.secrets, settings.secretFiles, settings.ssh, settings.cacheFrom, settings.cacheTo].some((list) => list.length > 0)
}

/** The first input that needs docker buildx, and its value; undefined when the classic builder can do it all. */
export function buildxOnlyInput(settings: BuildSettings): { input: string; value: string } | undefined {
  if (settings.platforms.length > 1) return { input: 'platforms', value: settings.platforms.join(',') }
  const cacheFrom = settings.cacheFrom.find((entry) => registryCacheRef(entry) === undefined)
  if (cacheFrom !== undefined) return { input: 'cache-from', value: cacheFrom }
  const cacheTo = settings.cacheTo.find((entry) => !isInlineCache(entry))
  if (cacheTo !== undefined) return { input: 'cache-to', value: cacheTo }
  for (const input of ['provenance', 'sbom'] as const) if (!['', 'false'].includes(settings[input])) return { input, value: settings[input] }
  if (settings.annotations.length > 0) return { input: 'annotations', value: settings.annotations[0] }
  return undefined
}

/**
 * What this runner's builder cannot do, to refuse before anything is built: buildx-only inputs on
 * the classic builder, and GitHub's cache without the runner variables buildx reaches it with.
 */
export function builderProblem(build: BuildSettings, buildx: boolean, env: NodeJS.ProcessEnv): InputError | undefined {
  const needsBuildx = buildx ? undefined : buildxOnlyInput(build)
  if (needsBuildx) {
    return new InputError(
      needsBuildx.input,
      `'${needsBuildx.value}' needs docker buildx, which this runner does not have (the classic builder does secrets, ssh, network and the inline registry cache only)`,
      'Add docker/setup-buildx-action before this step, or leave this input empty.',
    )
  }
  // buildx reads these itself, as with docker/build-push-action: they are in a JavaScript action's environment.
  const gha = ghaCacheInput(build)
  if (gha && !(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL))) {
    return new InputError(
      gha,
      "uses type=gha, but ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_URL or ACTIONS_RESULTS_URL are not set (GitHub's cache service is reachable only inside a GitHub Actions job)",
      'Use type=gha in a GitHub Actions job, or a registry cache (type=registry,ref=…) elsewhere.',
    )
  }
  return undefined
}

/** `docker buildx build`: pushes itself and reports the digest in the metadata file. */
export function buildxArgs(request: BuildRequest, push: boolean, metadataFile: string): string[] {
  const { platforms } = request.settings
  return [
    'buildx',
    'build',
    ...commonArgs(request),
    ...(platforms.length > 0 ? ['--platform', platforms.join(',')] : []),
    ...request.settings.cacheFrom.flatMap((entry) => ['--cache-from', entry]),
    ...request.settings.cacheTo.flatMap((entry) => ['--cache-to', entry]),
    ...(request.settings.provenance ? [`--provenance=${request.settings.provenance}`] : []),
    ...(request.settings.sbom ? [`--sbom=${request.settings.sbom}`] : []),
    ...request.settings.annotations.flatMap((annotation) => ['--annotation', annotation]),
    '--metadata-file',
    metadataFile,
    // Without push, load into the local image store (single-platform only) so the image is usable.
    ...(push ? ['--push'] : platforms.length > 1 ? [] : ['--load']),
    request.context,
  ]
}

/**
 * Classic `docker build` (no buildx): one platform, pushed afterwards with `docker push`. Of the
 * caches only the registry's inline cache (buildxOnlyInput refuses the rest before this).
 */
export function classicBuildArgs(request: BuildRequest): string[] {
  const { platforms, cacheFrom, cacheTo } = request.settings
  return [
    'build',
    ...commonArgs(request),
    ...(platforms.length === 1 ? ['--platform', platforms[0]] : []),
    ...cacheFrom.flatMap((entry) => ['--cache-from', registryCacheRef(entry) ?? entry]),
    ...(cacheTo.some(isInlineCache) ? ['--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : []),
    request.context,
  ]
}

/** The digest `docker push` reports for the pushed tag (`<tag>: digest: sha256:… size: N`). */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1]
}

/**
 * Docker's own last error lines from a failed command, without the legacy builder's deprecation
 * notice (a `DEPRECATED:` line and its indented continuation) that the classic CLI prints first.
 */
export function dockerErrorLines(output: string, max = 4): string {
  return lastLines(output.replace(/^DEPRECATED:.*\n(?:[ \t]+\S.*\n)*/gm, ''), max)
}
