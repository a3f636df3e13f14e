/**
 * The docker command lines of the image stage, built from settings. Pure, so both build paths
 * (buildx and the classic builder) are checked without a daemon.
 */
import { COMMITTED_LABEL } from '../image/identity.js'
import type { BuildSettings } from './settings.js'

export interface BuildRequest {
  readonly settings: BuildSettings
  /** The promoted reference first, then the extra ones. */
  readonly references: readonly string[]
  /** Labels in order; later keys override earlier ones. */
  readonly labels: readonly string[]
  /** Absolute build context and Dockerfile ('' for the context's Dockerfile). */
  readonly context: string
  readonly file: string
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
  ]
}

/** `docker buildx build`: pushes itself and reports the digest in the metadata file. */
export function buildxArgs(request: BuildRequest, push: boolean, metadataFile: string): string[] {
  const { platforms } = request.settings
  return [
    'buildx',
    'build',
    ...commonArgs(request),
    ...(platforms.length > 0 ? ['--platform', platforms.join(',')] : []),
    '--metadata-file',
    metadataFile,
    // Without push, load into the local image store (single-platform only) so the image is usable.
    ...(push ? ['--push'] : platforms.length > 1 ? [] : ['--load']),
    request.context,
  ]
}

/** Classic `docker build` (no buildx): one platform, pushed afterwards with `docker push`. */
export function classicBuildArgs(request: BuildRequest): string[] {
  const { platforms } = request.settings
  return ['build', ...commonArgs(request), ...(platforms.length === 1 ? ['--platform', platforms[0]] : []), request.context]
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

/** The last meaningful lines of a program's output, for one-line error messages. */
function lastLines(text: string, max: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-max)
    .join(' | ')
}
