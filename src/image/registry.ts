/**
 * Asks an image's registry, through the Distribution v2 HTTP API, whether `name:tag` exists and
 * what its manifest digest is. Handles the two auth schemes registries use: Bearer token auth
 * (Docker Hub, GHCR, ECR public, Harbor) and Basic auth (a plain htpasswd registry).
 */
import { createHash } from 'node:crypto'
import { ImageError } from '../errors.js'
import { DOCKER_HUB, type ImageName } from './reference.js'

export interface RegistryCredentials {
  readonly username: string
  readonly password: string
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
  return credentials
    ? 'Check registry-username and registry-password (a token with read access to the repository).'
    : 'Set registry-username and registry-password, or log in to the registry before this step (docker/login-action).'
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string> }) => Promise<Response>

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
  const base = registryBaseUrl(image.registry)
  const url = `${base}/v2/${image.path}/manifests/${reference}`
  const where = `${image.name}:${reference}`
  const request = async (method: string, authorization?: string): Promise<Response> => {
    try {
      return await fetchImpl(url, { method, headers: { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) } })
    } catch (error) {
      throw new ImageError(
        `Could not reach the registry ${base} to check ${where}: ${networkProblem(error)}.`,
        'Check the image name and that the runner can reach the registry, or set verify-image: false for a registry the runner cannot reach.',
      )
    }
  }

  let authorization: string | undefined
  let response = await request('HEAD')
  if (response.status === 401) {
    authorization = await authorize(response.headers.get('www-authenticate') ?? '', image, credentials, where, fetchImpl)
    response = await request('HEAD', authorization)
  }
  if (response.status === 404) return undefined
  if (response.status === 401 || response.status === 403) {
    throw new ImageError(`The registry ${image.registry} refused access to ${where} (HTTP ${response.status}).`, credentialsFix(credentials))
  }
  if (!response.ok)
    throw new ImageError(
      `The registry ${image.registry} answered HTTP ${response.status} for ${where}.`,
      'Check the image name; retry if the registry is having trouble.',
    )
  const digest = response.headers.get('docker-content-digest')
  if (digest) return digest
  // Some registries leave the header off a HEAD: hash the manifest itself.
  const body = await request('GET', authorization)
  if (!body.ok)
    throw new ImageError(
      `The registry ${image.registry} answered HTTP ${body.status} to GET ${where}.`,
      'Retry; if it persists, set verify-image: false and give the digest input.',
    )
  return `sha256:${createHash('sha256')
    .update(Buffer.from(await body.arrayBuffer()))
    .digest('hex')}`
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
  const response = await fetchImpl(tokenUrl.toString(), { method: 'GET', headers: credentials ? { Authorization: basic(credentials) } : {} })
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
