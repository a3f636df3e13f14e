/**
 * The registry v2 client against a tiny local HTTP registry that speaks both auth schemes real
 * registries use: Bearer token auth as Docker Hub and GHCR do it (401 + WWW-Authenticate → token
 * endpoint → retry with the token) and Basic auth as a plain htpasswd registry does it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ImageError } from '../../src/errors.js'
import { configForLogin, credentialHelper, credentialsFromConfig, HELPER_LIMITS, runnerCredentials } from '../../src/image/docker-config.js'
import { parseImageName } from '../../src/image/reference.js'
import { manifestDigest, parseChallenge, registryBaseUrl } from '../../src/image/registry.js'

const USER = 'ci'
const PASSWORD = 'registry-secret'
const TOKEN = 'token-for-ci'
const ANONYMOUS_TOKEN = 'anonymous-token'
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`
const HEADER_DIGEST = `sha256:${'1a'.repeat(32)}`

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

interface Seen {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly accept: string | undefined
}

/**
 * Repositories: `public/app` (anonymous pull token), `private/app` (token only with credentials),
 * `basic/app` (Basic auth), `open/app` (no auth, no Docker-Content-Digest on HEAD), `broken/app`
 * (500). Tags `v1` exist; anything else is 404.
 */
function registryHandler(seen: Seen[], port: () => number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://registry')
    const authorization = req.headers.authorization
    seen.push({ method: req.method ?? '', path: url.pathname + url.search, authorization, accept: req.headers.accept })
    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? ''
      if (url.searchParams.get('service') !== 'test-registry') return end(res, 400, {})
      if (authorization === basic(USER, PASSWORD)) return json(res, 200, { token: TOKEN })
      if (authorization !== undefined) return json(res, 401, { errors: [{ code: 'UNAUTHORIZED' }] })
      // GHCR answers `token`, some registries (ACR, Harbor) `access_token`.
      if (scope.startsWith('repository:public/')) return json(res, 200, { access_token: ANONYMOUS_TOKEN })
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED' }] })
    }
    const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname)
    if (!match) return end(res, 404, {})
    const [, repository, reference] = match as unknown as [string, string, string]
    const owner = repository.split('/')[0]
    if (owner === 'broken') return end(res, 500, {})
    if (owner === 'basic' && authorization !== basic(USER, PASSWORD)) {
      return end(res, 401, { 'WWW-Authenticate': 'Basic realm="htpasswd registry"' })
    }
    if (owner === 'public' || owner === 'private') {
      const allowed = authorization === `Bearer ${TOKEN}` || (owner === 'public' && authorization === `Bearer ${ANONYMOUS_TOKEN}`)
      if (!allowed) {
        return end(res, 401, {
          'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port()}/token",service="test-registry",scope="repository:${repository}:pull"`,
        })
      }
    }
    if (reference !== 'v1') return json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] })
    const headers: Record<string, string> = { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }
    if (owner !== 'open') headers['Docker-Content-Digest'] = HEADER_DIGEST
    res.writeHead(200, headers)
    res.end(req.method === 'GET' ? MANIFEST : undefined)
  }
}

function end(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.writeHead(status, headers)
  res.end()
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

describe('WWW-Authenticate challenges', () => {
  it('parses a Docker Hub Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    })
  })

  it('parses unquoted values, spaces, escapes and upper-case names', () => {
    expect(parseChallenge('BEARER Realm = "https://ghcr.io/token" , service=ghcr.io,scope="a\\"b"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'a"b' },
    })
  })

  it('parses a Basic challenge, and nothing from an empty header', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } })
    expect(parseChallenge('')).toBeUndefined()
  })
})

describe('registry base URLs', () => {
  it.each([
    ['docker.io', 'https://registry-1.docker.io'],
    ['ghcr.io', 'https://ghcr.io'],
    ['registry.example.com:5443', 'https://registry.example.com:5443'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000'],
    ['localhost', 'http://localhost'],
    ['[::1]:5000', 'http://[::1]:5000'],
  ])('%s → %s', (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url)
  })
})

describe("the runner's Docker credentials", () => {
  const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64')

  it('reads inline auth for a registry host, with or without scheme', () => {
    const config = JSON.stringify({ auths: { 'ghcr.io': { auth: auth('octo', 'ghp_x:y') }, 'https://registry.example.com': { auth: auth('a', 'b') } } })
    expect(credentialsFromConfig(config, 'ghcr.io')).toEqual({ username: 'octo', password: 'ghp_x:y' })
    expect(credentialsFromConfig(config, 'registry.example.com')).toEqual({ username: 'a', password: 'b' })
    expect(credentialsFromConfig(config, 'quay.io')).toBeUndefined()
  })

  it("finds Docker Hub under docker login's legacy key", () => {
    const config = JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: auth('ani2fun', 'dckr_pat') } } })
    expect(credentialsFromConfig(config, 'docker.io')).toEqual({ username: 'ani2fun', password: 'dckr_pat' })
  })

  it('reads username/password entries; ignores credential helpers, bad auth and bad JSON', () => {
    expect(credentialsFromConfig(JSON.stringify({ auths: { 'ghcr.io': { username: 'u', password: 'p' } } }), 'ghcr.io')).toEqual({
      username: 'u',
      password: 'p',
    })
    expect(credentialsFromConfig(JSON.stringify({ credsStore: 'desktop', auths: { 'ghcr.io': {} } }), 'ghcr.io')).toBeUndefined()
    expect(credentialsFromConfig(JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('no-colon').toString('base64') } } }), 'ghcr.io')).toBeUndefined()
    expect(credentialsFromConfig('{not json', 'ghcr.io')).toBeUndefined()
  })

  it('reads config.json from DOCKER_CONFIG, and nothing when there is none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docker-config-test-'))
    try {
      expect(await runnerCredentials('ghcr.io', { DOCKER_CONFIG: dir })).toBeUndefined()
      await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: auth('octo', 'tok') } } }))
      expect(await runnerCredentials('ghcr.io', { DOCKER_CONFIG: dir })).toEqual({ username: 'octo', password: 'tok' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
  it('names the credential helper docker asks: credHelpers for the host, else credsStore', () => {
    const config = JSON.stringify({ credsStore: 'desktop', credHelpers: { '123.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login', 'gcr.io': 'gcloud' } })
    expect(credentialHelper(config, '123.dkr.ecr.eu-west-1.amazonaws.com')).toBe('ecr-login')
    expect(credentialHelper(config, 'gcr.io')).toBe('gcloud')
    expect(credentialHelper(config, 'ghcr.io')).toBe('desktop')
    expect(credentialHelper(JSON.stringify({ auths: {} }), 'ghcr.io')).toBeUndefined()
    expect(credentialHelper('{not json', 'ghcr.io')).toBeUndefined()
  })

  it('an empty credHelpers entry means the config file itself, as in docker', () => {
    expect(credentialHelper(JSON.stringify({ credsStore: 'desktop', credHelpers: { 'ghcr.io': '' } }), 'ghcr.io')).toBeUndefined()
  })

  it("a temporary login's config keeps the other helpers, and this registry's login in the file", () => {
    const runner = { auths: { 'quay.io': { auth: 'x' } }, credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud', 'ghcr.io': 'desktop' } }
    const config = configForLogin(JSON.stringify(runner), 'ghcr.io')
    expect(credentialHelper(config, 'ghcr.io')).toBeUndefined()
    expect(credentialHelper(config, 'gcr.io')).toBe('gcloud')
    expect(credentialHelper(config, 'docker.io')).toBe('desktop')
    expect(JSON.parse(config)).toMatchObject({ auths: runner.auths, credsStore: 'desktop' })
  })

  describe('through a credential helper on PATH', () => {
    let dir: string
    const path = process.env.PATH
    const env = () => ({ DOCKER_CONFIG: dir })
    /** A `docker-credential-unit` that logs the server it was asked for and answers with `body` (exit `code`). */
    async function helper(body: string, code = 0, before = ''): Promise<void> {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ credHelpers: { 'registry.example.com': 'unit' }, auths: { 'ghcr.io': { auth: auth('inline', 'x') } } }),
      )
      await writeFile(
        join(dir, 'docker-credential-unit'),
        `#!/bin/sh\n[ "$1" = get ] || exit 9\ncat > "${dir}/asked"\n${before}\nprintf '%s' '${body}'\nexit ${code}\n`,
      )
      await chmod(join(dir, 'docker-credential-unit'), 0o755)
    }
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'docker-helper-test-'))
      // Programs are found on the process's own PATH, as docker finds its helpers.
      process.env.PATH = `${dir}:${path}`
    })
    afterEach(async () => {
      process.env.PATH = path
      await rm(dir, { recursive: true, force: true })
    })

    it('runs `get` with the registry host on stdin and reads Username and Secret', async () => {
      await helper('{"ServerURL":"registry.example.com","Username":"AWS","Secret":"eyJ-token"}')
      expect(await runnerCredentials('registry.example.com', env())).toEqual({ username: 'AWS', password: 'eyJ-token', helper: 'docker-credential-unit' })
      expect(await readFile(join(dir, 'asked'), 'utf8')).toBe('registry.example.com')
      // Other registries still read their inline auth.
      expect(await runnerCredentials('ghcr.io', env())).toEqual({ username: 'inline', password: 'x' })
    })

    it('a helper with nothing for the registry means anonymous access, as with docker', async () => {
      await helper('credentials not found in native keychain', 1)
      expect(await runnerCredentials('registry.example.com', env())).toBeUndefined()
    })

    it.each([
      ['fails', 'error getting credentials - err: exit status 255, out: `no session`', 1, 'docker-credential-unit (named in'],
      ['answers nonsense', 'not json', 0, 'answered for registry.example.com without a Username and Secret'],
    ])('a helper that %s: one error naming it', async (_, body, code, text) => {
      await helper(body, code)
      const error = await runnerCredentials('registry.example.com', env()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ImageError)
      expect((error as ImageError).message).toContain(text)
      expect((error as ImageError).message).toContain('docker-credential-unit')
    })

    it('a helper that hangs (a stalled cloud API, a prompt): stopped at the time limit with what it said, and one error naming it', async () => {
      await helper('{}', 0, 'echo "waiting for the token service" >&2; sleep 30 & wait')
      const started = performance.now()
      const error = (await runnerCredentials('registry.example.com', env(), { ...HELPER_LIMITS, timeoutMs: 500 }).catch((e: unknown) => e)) as ImageError
      expect(performance.now() - started).toBeLessThan(5000)
      expect(error).toBeInstanceOf(ImageError)
      expect(error.message).toContain('docker-credential-unit (named in')
      expect(error.message).toContain('did not answer within 0.5 s for registry.example.com, and was stopped: waiting for the token service')
      expect(error.fix).toContain('does not prompt')
    })

    it('a helper that answers without end: stopped at the output limit', async () => {
      await helper('{}', 0, 'yes')
      const error = (await runnerCredentials('registry.example.com', env(), { ...HELPER_LIMITS, maxOutputBytes: 64 * 1024 }).catch(
        (e: unknown) => e,
      )) as ImageError
      expect(error).toBeInstanceOf(ImageError)
      expect(error.message).toContain('answered with more than 0.0625 MiB')
    })

    it('a helper that is not installed: one error saying so', async () => {
      await helper('{}')
      await rm(join(dir, 'docker-credential-unit'))
      const error = (await runnerCredentials('registry.example.com', env()).catch((e: unknown) => e)) as ImageError
      expect(error).toBeInstanceOf(ImageError)
      expect(error.message).toContain('docker-credential-unit is not on PATH')
    })
  })
})

describe('manifest digests from a registry over HTTP', () => {
  const seen: Seen[] = []
  let server: Server
  let host: string
  const image = (path: string) => parseImageName(`${host}/${path}`)
  const credentials = { username: USER, password: PASSWORD }

  beforeAll(async () => {
    let port = 0
    server = createServer(registryHandler(seen, () => port))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
    host = `127.0.0.1:${port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  beforeEach(() => {
    seen.length = 0
  })

  async function refusal(promise: Promise<unknown>): Promise<ImageError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ImageError)
    return error as ImageError
  }

  it('Bearer: 401 with a challenge, a token from the realm with the credentials, then the retry', async () => {
    expect(await manifestDigest(image('private/app'), 'v1', credentials)).toBe(HEADER_DIGEST)
    expect(seen.map((s) => [s.method, s.path, s.authorization])).toEqual([
      ['HEAD', '/v2/private/app/manifests/v1', undefined],
      ['GET', '/token?service=test-registry&scope=repository%3Aprivate%2Fapp%3Apull', basic(USER, PASSWORD)],
      ['HEAD', '/v2/private/app/manifests/v1', `Bearer ${TOKEN}`],
    ])
    // Asks for multi-platform indexes too, so the digest is the index digest.
    expect(seen[0].accept).toContain('application/vnd.oci.image.index.v1+json')
    expect(seen[0].accept).toContain('application/vnd.docker.distribution.manifest.list.v2+json')
  })

  it('Bearer: a public repository gets an anonymous token (access_token)', async () => {
    expect(await manifestDigest(image('public/app'), 'v1', undefined)).toBe(HEADER_DIGEST)
    expect(seen[1].authorization).toBeUndefined()
    expect(seen[2].authorization).toBe(`Bearer ${ANONYMOUS_TOKEN}`)
  })

  it('Bearer: a missing tag is undefined, not an error', async () => {
    expect(await manifestDigest(image('private/app'), 'v2', credentials)).toBeUndefined()
  })

  it('Bearer: wrong credentials are refused at the token endpoint, naming the inputs to check', async () => {
    const error = await refusal(manifestDigest(image('private/app'), 'v1', { username: USER, password: 'wrong' }))
    expect(error.message).toContain('refused a token')
    expect(error.message).toContain('HTTP 401')
    expect(error.fix).toContain('registry-password')
    expect(error.report).not.toContain('wrong')
  })

  it('Bearer: no credentials for a private repository says how to log in', async () => {
    const error = await refusal(manifestDigest(image('private/app'), 'v1', undefined))
    expect(error.fix).toContain('registry-username')
    expect(error.fix).toContain('docker/login-action')
  })

  it('Basic: retries with the credentials', async () => {
    expect(await manifestDigest(image('basic/app'), 'v1', credentials)).toBe(HEADER_DIGEST)
    expect(seen.map((s) => s.authorization)).toEqual([undefined, basic(USER, PASSWORD)])
    expect(await manifestDigest(image('basic/app'), 'missing', credentials)).toBeUndefined()
  })

  it('Basic: wrong or no credentials are a clear refusal', async () => {
    const wrong = await refusal(manifestDigest(image('basic/app'), 'v1', { username: USER, password: 'wrong' }))
    expect(wrong.message).toContain('refused access')
    expect(wrong.fix).toContain('registry-password')
    const none = await refusal(manifestDigest(image('basic/app'), 'v1', undefined))
    expect(none.message).toContain('needs credentials')
  })

  it('hashes the manifest when a registry leaves Docker-Content-Digest off the HEAD', async () => {
    expect(await manifestDigest(image('open/app'), 'v1', undefined)).toBe(MANIFEST_DIGEST)
    expect(seen.map((s) => s.method)).toEqual(['HEAD', 'GET'])
  })

  it('a registry error and an unreachable registry are ImageErrors that mention verify-image', async () => {
    const broken = await refusal(manifestDigest(image('broken/app'), 'v1', undefined))
    expect(broken.message).toContain('HTTP 500')
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const unreachable = await refusal(manifestDigest(parseImageName(`127.0.0.1:${port}/org/app`), 'v1', undefined))
    expect(unreachable.message).toContain(`Could not reach the registry http://127.0.0.1:${port}`)
    expect(unreachable.fix).toContain('verify-image: false')
  })
})
