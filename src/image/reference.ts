/**
 * Image references as Docker reads them: `[host[:port]/]path[:tag][@digest]`, held to the limits of
 * the OCI distribution spec and Docker's reference grammar. Pure.
 */

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const HOST = /^(?:localhost|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
/** The whole name, host and path (Docker's NameTotalLengthMax; the distribution spec's clients' limit). */
export const MAX_NAME_LENGTH = 255

export const DOCKER_HUB = 'docker.io'

/** An image repository without tag or digest, e.g. `ghcr.io/org/app` or `ani2fun/note-book`. */
export interface ImageName {
  /** Exactly as the user wrote it (what manifests usually carry). */
  readonly name: string
  /** Registry host[:port]; `docker.io` when the name has none. */
  readonly registry: string
  /** Repository path within the registry; Docker Hub's official images get `library/`. */
  readonly path: string
}

/** Why `parseImageName` rejected a string, or undefined when it is valid. */
export function imageNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name.length > MAX_NAME_LENGTH) return `it is ${name.length} characters long; a repository name (host and path) is at most ${MAX_NAME_LENGTH}`
  if (/[@]/.test(name)) return 'it carries a digest; give the repository only and put the digest in `digest`'
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const hasHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')
  const rest = hasHost ? name.slice(slash + 1) : name
  if (hasHost && !HOST.test(first)) return `'${first}' is not a valid registry host`
  const lastColon = rest.lastIndexOf(':')
  if (lastColon !== -1) return 'it carries a tag; give the repository only and put the tag in `tag`'
  const bad = rest.split('/').find((c) => !PATH_COMPONENT.test(c))
  if (bad !== undefined) return `path component '${bad}' must be lowercase letters, digits and separators (. _ __ -)`
  return undefined
}

export function parseImageName(name: string): ImageName {
  const problem = imageNameProblem(name)
  if (problem) throw new Error(`'${name}' is not an image repository: ${problem}`)
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const registry = first === 'index.docker.io' || first === 'registry-1.docker.io' ? DOCKER_HUB : first
    const path = name.slice(slash + 1)
    return { name, registry, path: registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path }
  }
  return { name, registry: DOCKER_HUB, path: slash === -1 ? `library/${name}` : name }
}

/** The canonical form used to decide whether two spellings name the same repository. */
export function canonicalName(name: ImageName): string {
  return `${name.registry}/${name.path}`
}

/** True when `a` and `b` name the same repository (`nginx` = `docker.io/library/nginx`). */
export function sameRepository(a: string, b: string): boolean {
  if (a === b) return true
  if (imageNameProblem(a) || imageNameProblem(b)) return false
  return canonicalName(parseImageName(a)) === canonicalName(parseImageName(b))
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

export function isValidDigest(digest: string): boolean {
  return DIGEST.test(digest)
}

/** A full reference split into its parts; `tag`/`digest` are undefined when absent. */
export interface ImageReference {
  readonly name: string
  readonly tag?: string
  readonly digest?: string
}

/** Splits `name[:tag][@digest]` without validating the name (manifests may hold anything). */
export function splitReference(reference: string): ImageReference {
  const at = reference.indexOf('@')
  const digest = at === -1 ? undefined : reference.slice(at + 1)
  const nameAndTag = at === -1 ? reference : reference.slice(0, at)
  const colon = nameAndTag.lastIndexOf(':')
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon === -1 || colon < nameAndTag.lastIndexOf('/')) {
    return digest === undefined ? { name: nameAndTag } : { name: nameAndTag, digest }
  }
  const name = nameAndTag.slice(0, colon)
  const tag = nameAndTag.slice(colon + 1)
  return digest === undefined ? { name, tag } : { name, tag, digest }
}

export function formatReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`
}
