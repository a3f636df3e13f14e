/**
 * Against hosts that misbehave the way real ones do, on the real git server with a fault-injecting
 * proxy in front of it: every request is bounded (a stall at any phase fails within the bound,
 * naming the host and the operation), the token goes to no other origin, a rejection is shown whole
 * with advice that fits it, a page that is not git is said to be one, the render check refuses what
 * would blow up kubectl, the Basic-auth user name is an input, and no credential is echoed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HostFailure } from '../../src/errors.js'
import type { NetworkBounds } from '../../src/network.js'
import { GitStore } from '../../src/publish/git-store.js'
import { requireHead } from '../../src/publish/publisher.js'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { startFaultProxy, startRecorder, type Fault, type FaultProxy, type Phase, type Recorder } from '../support/fault-proxy.js'
import { aliasBombConfigMap, NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { startGitServer, type GitServer } from '../support/git-server.js'
import { requireService } from '../support/services.js'

const PROD = 'deploy/note-book/overlays/prod'
const TAG = '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4'
const AUTHOR = { name: 'Test', email: 'test@example.invalid' }
/** Small bounds, so that the stalls of this file take seconds. */
const BOUNDS: NetworkBounds = { stallMs: 400, requestMs: 1600, maxAnswerBytes: 1024 ** 2 }

/** The kubectl on this machine, if any. */
const realKubectl = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
})()

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

describeGit('a hostile or misbehaving infra host', () => {
  let server: GitServer
  let proxy: FaultProxy
  let elsewhere: Recorder
  let repos = 0

  beforeAll(async () => {
    server = await startGitServer()
    proxy = await startFaultProxy(server.url)
    elsewhere = await startRecorder()
  })
  afterEach(() => {
    proxy.clear()
    elsewhere.requests.length = 0
  })
  afterAll(async () => {
    await proxy?.close()
    await elsewhere?.close()
    await server?.close()
  })

  async function infraRepo(files: Record<string, string> = seed000Infra()): Promise<string> {
    const name = `hostile-${++repos}`
    await server.createRepo(name, files)
    return name
  }

  const proxyHost = () => new URL(proxy.url).host

  /** The action through the proxy, as a runner runs it. */
  async function promote(name: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun & { seconds: number }> {
    const started = performance.now()
    const run = await runAction(
      {
        image: NOTE_BOOK_IMAGE,
        tag: TAG,
        build: 'false',
        'verify-image': 'false',
        'infra-repo': proxy.repoUrl(name),
        'infra-token': server.token,
        'infra-branch': 'main',
        'overlay-path': PROD,
        'network-timeout-seconds': '1',
        ...inputs,
      },
      { entry: 'src', env },
    )
    expect(run.log).not.toContain(server.token)
    return { ...run, seconds: (performance.now() - started) / 1000 }
  }

  /** The one error line of a failed run. */
  function failure(run: ActionRun): string {
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((line) => line.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(run.leftInTemp).toEqual([])
    return errors[0]
  }

  /** One landing through the store, phase by phase: ref advertisement, ref listing, fetch, push. */
  async function landOnce(store: GitStore): Promise<void> {
    const branch = await store.resolveBranch()
    const head = await requireHead(store, branch)
    const built = await store.commit(head.commit, [{ path: 'touched.txt', before: '', after: 'yes\n' }], 'touch', AUTHOR)
    await store.update(branch, built.commit, head.commit, 'fast-forward')
  }

  describe('every request is bounded: a stall or a flood fails within the bound, naming the host and the operation', () => {
    it.each<[Phase, Fault['kind'], string]>([
      ['info/refs', 'silent', 'did not answer within 0.4 s while the action tried to read'],
      ['info/refs', 'stall-body', 'stopped sending for 0.4 s while the action tried to read'],
      ['ls-refs', 'silent', 'did not answer within 0.4 s while the action tried to read the branches of'],
      ['fetch', 'stall-body', 'stopped sending for 0.4 s while the action tried to fetch from'],
      ['fetch', 'drip', 'did not finish answering within 1.6 s while the action tried to fetch from'],
      ['fetch', 'flood', 'sent more than 1 MiB in one answer while the action tried to fetch from'],
      ['push', 'silent', 'did not answer within 0.4 s while the action tried to push to'],
      ['push', 'stall-body', 'stopped sending for 0.4 s while the action tried to push to'],
    ])('%s, %s', async (phase, kind, said) => {
      const name = await infraRepo()
      const tip = await server.revParse(name, 'main')
      proxy.inject(phase, kind === 'drip' ? { kind, everyMs: 100 } : ({ kind } as Fault))
      const store = new GitStore({ url: proxy.repoUrl(name), token: server.token, branch: 'main' }, BOUNDS)
      const started = performance.now()
      try {
        const error = await landOnce(store).then(
          () => undefined,
          (e: unknown) => e,
        )
        const seconds = (performance.now() - started) / 1000
        expect(error).toBeInstanceOf(HostFailure)
        expect((error as HostFailure).message).toBe(`${proxyHost()} ${said} ${proxy.repoUrl(name)}.`)
        expect((error as HostFailure).fix).toContain('network-timeout-seconds')
        expect(seconds).toBeLessThan((kind === 'drip' ? BOUNDS.requestMs : BOUNDS.stallMs) / 1000 + 1.5)
      } finally {
        store.close()
      }
      // A push the host never took leaves the branch as it was (one whose answer stalled may have landed).
      if (phase === 'push' && kind === 'silent') expect(await server.revParse(name, 'main')).toBe(tip)
    })

    it('a host that drops the connection is a host failure, said as such', async () => {
      const name = await infraRepo()
      proxy.inject('info/refs', { kind: 'reset' })
      const store = new GitStore({ url: proxy.repoUrl(name), token: server.token, branch: 'main' }, BOUNDS)
      try {
        await expect(store.resolveBranch()).rejects.toThrow(new RegExp(`^the connection to ${proxy.url} failed while trying to read`))
      } finally {
        store.close()
      }
    })

    it('the action: a push the host never answers ends the run in three tries, each within the bound, and nothing lands', async () => {
      const name = await infraRepo()
      const tip = await server.revParse(name, 'main')
      proxy.inject('push', { kind: 'silent' })
      const run = await promote(name)
      expect(failure(run)).toContain(`${proxyHost()} did not answer within 1 s while the action tried to push to ${proxy.repoUrl(name)}.`)
      expect(run.log).toContain('Trying again in 1000 ms')
      expect(run.log).toContain('Trying again in 3000 ms')
      expect(proxy.requests.filter((r) => r.phase === 'push' && r.path.startsWith(`/${name}.git/`))).toHaveLength(3)
      // 3 stalls of 1 s and waits of 1 s and 3 s, plus starting node and reading the repository.
      expect(run.seconds).toBeLessThan(7 + 8)
      expect(await server.revParse(name, 'main')).toBe(tip)
    })

    it('the action: a fetch that stalls once is tried again, and the promotion lands', async () => {
      const name = await infraRepo()
      proxy.inject('fetch', { kind: 'stall-body' }, 1)
      const run = await promote(name)
      expect(run.exitCode).toBe(0)
      expect(run.log).toContain(`${proxyHost()} stopped sending for 1 s while the action tried to fetch from ${proxy.repoUrl(name)}. Trying again in 1000 ms.`)
      expect(run.outputs).toMatchObject({ changed: 'true', attempts: '1' })
    })
  })

  describe('the token goes only to the origin of infra-repo', () => {
    it('a redirect of the ref advertisement to another origin is refused, and nothing reaches it', async () => {
      const name = await infraRepo()
      proxy.inject('info/refs', { kind: 'redirect', location: (path) => `${elsewhere.url}${path}` })
      const error = failure(await promote(name))
      expect(error).toContain(`answered the request to read it with a redirect (HTTP 302) to ${elsewhere.url}/${name}.git/info/refs`)
      expect(elsewhere.requests).toEqual([])
    })

    it('a redirect of a ref listing (a POST) is refused even within the origin; nothing reaches another', async () => {
      const name = await infraRepo()
      const store = new GitStore({ url: proxy.repoUrl(name), token: server.token, branch: 'main' }, BOUNDS)
      try {
        proxy.inject('ls-refs', { kind: 'redirect', status: 307, location: (path) => `${elsewhere.url}${path}` })
        await expect(store.resolveBranch()).rejects.toThrow(`with a redirect (HTTP 307) to ${elsewhere.url}/${name}.git/git-upload-pack`)
        expect(elsewhere.requests).toEqual([])
      } finally {
        store.close()
      }
    })

    it('a moved repository on the same origin is followed, with the token', async () => {
      const name = await infraRepo()
      proxy.inject('info/refs', { kind: 'redirect', status: 301, location: (path) => `${proxy.url}${path.replace('/old-name.git/', `/${name}.git/`)}` }, 1)
      const run = await promote('old-name')
      expect(run.exitCode).toBe(0)
      expect(run.outputs.changed).toBe('true')
      const sent = proxy.requests.filter((r) => r.path.startsWith(`/${name}.git/`) || r.path.startsWith('/old-name.git/'))
      expect(sent.length).toBeGreaterThan(3)
      expect(sent.every((r) => r.authorized)).toBe(true)
    })
  })

  describe('what the host said, and what it means', () => {
    it('a login page answering the ref advertisement with 200 is said to be a web page, in its own words', async () => {
      const name = await infraRepo()
      const page =
        '<!DOCTYPE html><html><head><title>Sign in · Acme SSO</title><style>body{color:red}</style></head><body><h1>Sign in to continue</h1><script>var t=1</script></body></html>'
      proxy.inject('info/refs', { kind: 'answer', status: 200, contentType: 'text/html; charset=utf-8', body: page })
      const error = failure(await promote(name))
      expect(error).toContain(
        `${proxy.repoUrl(name)} did not answer as a git server when asked to read it: it sent a web page (text/html; charset=utf-8), saying "Sign in · Acme SSO Sign in to continue".`,
      )
      expect(error).not.toContain('no default branch')
      expect(error).not.toContain('<')
    })

    it.each<[string, Fault, string]>([
      [
        'a JSON error',
        {
          kind: 'answer',
          status: 200,
          contentType: 'application/json',
          body: '{"message":"Repository access blocked by policy","documentation_url":"https://example.invalid"}',
        },
        'it sent a JSON document (application/json), saying "Repository access blocked by policy"',
      ],
      [
        'the wrong content type',
        { kind: 'answer', status: 200, contentType: 'application/octet-stream', body: 'PK\u0003\u0004binary' },
        'it sent application/octet-stream, not git data',
      ],
      [
        'a git content type over something else',
        { kind: 'answer', status: 200, contentType: 'application/x-git-upload-pack-result', body: 'Proxy error: upstream unavailable' },
        'its answer is not git data',
      ],
    ])('%s answering a ref listing is said plainly', async (_what, fault, said) => {
      const name = await infraRepo()
      proxy.inject('ls-refs', fault)
      const store = new GitStore({ url: proxy.repoUrl(name), token: server.token, branch: 'main' }, BOUNDS)
      try {
        await expect(store.resolveBranch()).rejects.toThrow(
          `${proxy.repoUrl(name)} did not answer as a git server when asked to read the branches of it: ${said}`,
        )
      } finally {
        store.close()
      }
    })

    it("a hook's rejection is shown whole, its first line included", async () => {
      const name = await infraRepo()
      const lines = [
        'POLICY: direct pushes to main are frozen until the release is out',
        'ticket: OPS-1234',
        'owner: platform team',
        'window: 2024-05-01 to 2024-05-03',
        'contact: #platform-oncall',
        'see: https://wiki.example.invalid/freeze',
        'rejected by freeze-hook v2',
      ]
      await server.setHook(name, 'pre-receive', `#!/bin/sh\n${lines.map((l) => `echo '${l}' >&2`).join('\n')}\nexit 1\n`)
      const error = failure(await promote(name))
      expect(error).toContain('declined the push to main: a server-side hook declined the push. The host said: ')
      expect(error).toContain(lines.join(' | '))
      expect(error).toContain("The hook's words say why")
    })
  })

  describe('the Basic-auth user name', () => {
    let strict: GitServer
    beforeAll(async () => {
      strict = await startGitServer({ username: 'oauth2' })
      await strict.createRepo('infra', seed000Infra())
    })
    afterAll(async () => {
      await strict?.close()
    })

    const promoteStrict = (inputs: Record<string, string>) =>
      runAction(
        {
          image: NOTE_BOOK_IMAGE,
          tag: TAG,
          build: 'false',
          'verify-image': 'false',
          'infra-repo': strict.repoUrl('infra'),
          'infra-token': strict.token,
          'overlay-path': PROD,
          ...inputs,
        },
        { entry: 'src' },
      )

    it('a host that checks it refuses the default one, saying which input to set', async () => {
      const error = failure(await promoteStrict({}))
      expect(error).toContain("Input 'infra-token': the infra repository")
      expect(error).toContain('refused the credentials')
      expect(error).toContain('HTTP Basic: Access denied.')
      expect(error).toContain('infra-username')
    })

    it('is accepted when infra-username gives it', async () => {
      const run = await promoteStrict({ 'infra-username': 'oauth2' })
      expect(run.exitCode).toBe(0)
      expect(run.outputs.changed).toBe('true')
      expect(await strict.readFile('infra', 'main', `${PROD}/kustomization.yaml`)).toContain(TAG)
    })
  })

  it('an alias bomb in a base the overlay renders is refused in seconds, and kubectl never runs', async () => {
    const name = await infraRepo({
      ...seed000Infra(),
      'deploy/note-book/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n  - laughs.yaml\n',
      'deploy/note-book/base/laughs.yaml': aliasBombConfigMap(9),
    })
    const tip = await server.revParse(name, 'main')
    const bin = await mkdtemp(join(tmpdir(), 'kubectl-spy-'))
    try {
      // A kubectl that notes each run, on the PATH ahead of the real one (or of none).
      await writeFile(join(bin, 'kubectl'), `#!/bin/sh\necho ran >> ${join(bin, 'runs')}\n${realKubectl ? `exec ${realKubectl} "$@"` : 'exit 1'}\n`)
      await chmod(join(bin, 'kubectl'), 0o755)
      const run = await promote(name, { validate: 'true' }, { PATH: `${bin}:${process.env.PATH ?? ''}` })
      const error = failure(run)
      expect(error).toContain('file=deploy/note-book/base/laughs.yaml')
      expect(error).toContain('expands its aliases to more than 10 times its size (an alias bomb), and the overlay being promoted renders it')
      expect(run.seconds).toBeLessThan(10)
      await expect(readFile(join(bin, 'runs'))).rejects.toThrow()
      expect(await server.revParse(name, 'main')).toBe(tip)
    } finally {
      await rm(bin, { recursive: true, force: true })
    }
  })

  it('a credential in a malformed infra-repo URL is never echoed, in the error or a debug line', async () => {
    const run = await runAction(
      {
        image: NOTE_BOOK_IMAGE,
        tag: TAG,
        build: 'false',
        'infra-repo': 'https://deploy-bot:s3cret-Pa55@git.example.invalid:99999/infra.git',
        'overlay-path': PROD,
      },
      { entry: 'src', env: { RUNNER_DEBUG: '1' } },
    )
    const error = failure(run)
    expect(error).toContain("Input 'infra-repo': 'https://***@git.example.invalid:99999/infra.git' is neither owner/name nor a URL.")
    expect(run.log).toContain('::debug::input infra-repo="https://***@git.example.invalid:99999/infra.git"')
    expect(run.log).not.toContain('s3cret')
    expect(run.log).not.toContain('deploy-bot')
  })
})
