/**
 * Asks an image's registry, through the Distribution v2 HTTP API, whether `name:tag` exists and
 * what its manifest digest is. Handles the two auth schemes registries use: Bearer token auth
 * (Docker Hub, GHCR, ECR public, Harbor) and Basic auth (a plain htpasswd registry).
 */
import { createHash } from 'node:crypto'
import { ImageError } from '../errors.js'
import { identityFromConfig, type ImageIdentity } from './identity.js'
import { DOCKER_HUB, type ImageName } from './reference.js'

export interface RegistryCredentials {
  readonly username: string
  readonly password: string
  /** The credential helper program they came from, when docker's config named one. */
  readonly helper?: string
}

/** Every manifest type a tag may point at: a multi-platform index or a single-platform manifest. */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

/** The registry's API root. Loopback registries speak plain HTTP, as Docker itself allows. */
export function registryBaseUrl(registry: string): string {
  if (registry === DOCKER_HUB) return 'https://registry-1.docker.io'
  const host = registry.replace(/:\d+$/, '')
  const loopback = host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]'
  return `${loopback ? 'http' : 'https'}://${registry}`
}

export interface AuthChallenge {
  readonly scheme: string
  readonly params: Readonly<Record<string, string>>
}

/** Parses `Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params, quoted or token). */
export function parseChallenge(header: string): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header)
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const m of (match[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g)) {
    params[(m[1] ?? '').toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params }
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`
}

/** What to do when the registry refuses: fix the given credentials, or give some. */
function credentialsFix(credentials: RegistryCredentials | undefined): string {
  if (credentials?.helper)
    return `The credentials came from the Docker credential helper ${credentials.helper}: check that it is logged in to this registry with an account that can read the repository.`
  return credentials
    ? 'Check registry-username and registry-password (a token with read access to the repository).'
    : 'Set registry-username and registry-password, or log in to the registry before this step (docker/login-action).'
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; redirect: 'manual'; signal: AbortSignal }) => Promise<Response>

/** One registry request may take this long; a stalled registry fails instead of hanging the job. */
export const REGISTRY_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 5

/**
 * Requests to one repository of a registry: authorizes on the first 401 and keeps the authorization,
 * and follows redirects itself so that credentials never go to another origin (blob storage).
 */
class RegistryRepository {
  readonly base: string
  private authorization: string | undefined

  constructor(
    readonly image: ImageName,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly fetchImpl: FetchLike,
  ) {
    this.base = registryBaseUrl(image.registry)
  }

  /** `method` on `/v2/<path>/<resource>`, authorized as the registry asks. */
  async request(method: string, resource: string, accept: string, where: string): Promise<Response> {
    const url = `${this.base}/v2/${this.image.path}/${resource}`
    let response = await this.send(method, url, accept, where)
    if (response.status === 401 && this.authorization === undefined) {
      this.authorization = await authorize(response.headers.get('www-authenticate') ?? '', this.image, this.credentials, where, this.fetchImpl)
      response = await this.send(method, url, accept, where)
    }
    if (response.status === 401 || response.status === 403) {
      throw new ImageError(`The registry ${this.image.registry} refused access to ${where} (HTTP ${response.status}).`, credentialsFix(this.credentials))
    }
    return response
  }

  private async send(method: string, url: string, accept: string, where: string): Promise<Response> {
    let target = new URL(url)
    for (let redirects = 0; ; redirects++) {
      const sameOrigin = target.origin === new URL(this.base).origin
      const headers: Record<string, string> = { Accept: accept, ...(sameOrigin && this.authorization ? { Authorization: this.authorization } : {}) }
      let response: Response
      try {
        response = await this.fetchImpl(target.toString(), { method, headers, redirect: 'manual', signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) })
      } catch (error) {
        throw new ImageError(
          `Could not reach the registry ${this.base} to read ${where}: ${networkProblem(error)}.`,
          'Check the image name and that the runner can reach the registry, or set verify-image: false for a registry the runner cannot reach.',
        )
      }
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location || redirects >= MAX_REDIRECTS) return response
      // Blobs are often served from storage on another origin, which gets the request without credentials.
      target = new URL(location, target)
    }
  }
}

/**
 * The manifest digest of `image:reference`, or undefined when the registry says it does not exist.
 * Throws ImageError when the registry cannot be reached or refuses the credentials.
 */
export async function manifestDigest(
  image: ImageName,
  reference: string,
  credentials: RegistryCredentials | undefined,
  fetchImpl: FetchLike = fetch,
): Promise<string | undefined> {
  const repository = new RegistryRepository(image, credentials, fetchImpl)
  const where = `${image.name}:${reference}`
  const response = await repository.request('HEAD', `manifests/${reference}`, MANIFEST_TYPES, where)
  if (response.status === 404) return undefined
  if (!response.ok) throw unexpected(image, response.status, where)
  const digest = response.headers.get('docker-content-digest')
  if (digest) return digest
  // Some registries leave the header off a HEAD: hash the manifest itself.
  const body = await repository.request('GET', `manifests/${reference}`, MANIFEST_TYPES, where)
  if (!body.ok) throw unexpected(image, body.status, where)
  return `sha256:${createHash('sha256')
    .update(Buffer.from(await body.arrayBuffer()))
    .digest('hex')}`
}

/**
 * What orders the image `image:reference` (a tag or a digest): its labels and creation time, read
 * from its config (for a multi-platform index, the linux/amd64 image's, else the first image's).
 */
export async function imageIdentity(
  image: ImageName,
  reference: string,
  credentials: RegistryCredentials | undefined,
  fetchImpl: FetchLike = fetch,
): Promise<ImageIdentity> {
  const repository = new RegistryRepository(image, credentials, fetchImpl)
  const where = `${image.name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`
  const read = async (resource: string, accept: string): Promise<unknown> => {
    const response = await repository.request('GET', resource, accept, where)
    if (response.status === 404) throw new ImageError(`The registry ${image.registry} has no ${where}.`, 'Check the image reference.')
    if (!response.ok) throw unexpected(image, response.status, where)
    return response.json()
  }
  let manifest = (await read(`manifests/${reference}`, MANIFEST_TYPES)) as Manifest
  if (manifest.manifests) {
    const images = manifest.manifests.filter((m) => m.platform?.os !== 'unknown')
    const chosen = images.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? images[0]
    if (!chosen) throw new ImageError(`${where} is an index without images.`, 'Check the image reference.')
    manifest = (await read(`manifests/${chosen.digest}`, MANIFEST_TYPES)) as Manifest
  }
  if (!manifest.config?.digest) throw new ImageError(`${where} has no image config.`, 'Check the image reference.')
  return identityFromConfig(JSON.stringify(await read(`blobs/${manifest.config.digest}`, '*/*')))
}

interface Manifest {
  readonly manifests?: readonly { readonly digest: string; readonly platform?: { readonly os?: string; readonly architecture?: string } }[]
  readonly config?: { readonly digest?: string }
}

function unexpected(image: ImageName, status: number, where: string): ImageError {
  return new ImageError(
    `The registry ${image.registry} answered HTTP ${status} for ${where}.`,
    'Check the image name; retry if the registry is having trouble.',
  )
}

async function authorize(header: string, image: ImageName, credentials: RegistryCredentials | undefined, where: string, fetchImpl: FetchLike): Promise<string> {
  const challenge = parseChallenge(header)
  const refused = new ImageError(`The registry ${image.registry} needs credentials to read ${where}.`, credentialsFix(undefined))
  if (challenge?.scheme === 'basic') {
    if (!credentials) throw refused
    return basic(credentials)
  }
  const realm = challenge?.params.realm
  if (challenge?.scheme !== 'bearer' || !realm) throw refused
  const tokenUrl = new URL(realm)
  if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service)
  tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${image.path}:pull`)
  // The token service is the one the registry names (auth.docker.io for Docker Hub): as docker does.
  const response = await fetchImpl(tokenUrl.toString(), {
    method: 'GET',
    headers: credentials ? { Authorization: basic(credentials) } : {},
    redirect: 'manual',
    signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new ImageError(
      `Could not reach the token service of ${image.registry} (${tokenUrl.origin}): ${networkProblem(error)}.`,
      'Retry; check that the runner can reach it.',
    )
  })
  if (!response.ok) {
    throw new ImageError(`The registry ${image.registry} refused a token for ${where} (HTTP ${response.status}).`, credentialsFix(credentials))
  }
  const body = (await response.json()) as { token?: string; access_token?: string }
  const token = body.token ?? body.access_token
  if (!token) throw refused
  return `Bearer ${token}`
}

/** What went wrong on the network: fetch's own message is only "fetch failed", the cause says why. */
function networkProblem(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined
  if (cause instanceof Error) return cause.message
  return error instanceof Error ? error.message : String(error)
}
