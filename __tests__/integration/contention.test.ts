/**
 * Publishing under contention, on the real smart-HTTP server with each run a separate action
 * process: concurrent runs all land without reverting each other, and a server that keeps refusing
 * is retried only when the branch moved. (Builds arriving out of order: ordering.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appFiles, appImage, overlayPath } from '../../bench/infra-monorepo.js'
import { GitStore } from '../../src/publish/git-store.js'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { startPusher } from '../support/pusher.js'
import { requireService } from '../support/services.js'
import { startGitServer, type GitServer } from '../support/git-server.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

/** Each test starts several action processes; on a busy runner that takes a while. */
const SLOW = 300_000

/** An infra repo holding `apps` apps in the seed-000 layout. */
function infraFiles(apps: number): Record<string, string> {
  return Object.assign({ 'README.md': '# infra\n' }, ...Array.from({ length: apps }, (_, app) => appFiles(app)))
}

/** A pre-receive hook answering the first `times` pushes (all of them when undefined) with `message`. */
function refusingHook(message: string, times?: number): string {
  const count =
    times === undefined
      ? ''
      : `n=$(cat "$GIT_DIR/refused" 2>/dev/null || echo 0)
[ "$n" -ge ${times} ] && exit 0
echo $((n + 1)) > "$GIT_DIR/refused"
`
  return `#!/bin/sh\n${count}echo "${message}" >&2\nexit 1\n`
}

describeGit('publishing under contention', () => {
  let server: GitServer
  let scratch: string
  let repo = 0

  beforeAll(async () => {
    server = await startGitServer()
    scratch = await mkdtemp(join(tmpdir(), 'contention-'))
  })
  afterAll(async () => {
    await server?.close()
    if (scratch) await rm(scratch, { recursive: true, force: true })
  })

  async function infraRepo(apps: number): Promise<string> {
    const name = `infra-${++repo}`
    await server.createRepo(name, infraFiles(apps))
    return name
  }

  interface Build {
    readonly tag: string
    readonly runNumber: number
    /** Committer time of the source commit, as the push event carries it. */
    readonly committed: string
  }

  /** One workflow run of app `app` promoting `build`, as its own process. */
  async function promote(name: string, app: number, build: Build, inputs: Record<string, string> = {}): Promise<ActionRun> {
    const event = join(scratch, `event-${name}-${app}-${build.runNumber}.json`)
    await writeFile(event, JSON.stringify({ head_commit: { id: build.tag, timestamp: build.committed } }))
    return runAction(
      {
        image: appImage(app),
        tag: build.tag,
        build: 'false',
        'verify-image': 'false',
        validate: 'false',
        'infra-repo': server.repoUrl(name),
        'infra-token': server.token,
        'overlay-path': overlayPath(app),
        ...inputs,
      },
      {
        entry: 'src',
        env: {
          GITHUB_REPOSITORY: `example/app-${app}`,
          GITHUB_SHA: build.tag,
          GITHUB_RUN_NUMBER: String(build.runNumber),
          GITHUB_WORKFLOW_REF: `example/app-${app}/.github/workflows/ci.yml@refs/heads/main`,
          GITHUB_EVENT_PATH: event,
        },
      },
    )
  }

  const build = (runNumber: number): Build => ({
    tag: `${runNumber}`.padStart(7, '0') + 'abcdef0123456789abcdef0123456789a',
    runNumber,
    committed: new Date(Date.UTC(2025, 0, 1, 12, runNumber)).toISOString(),
  })

  const errorsOf = (run: ActionRun) => run.log.split('\n').filter((line) => line.startsWith('::error'))

  it(
    '16 concurrent runs promoting 16 apps into one branch all land, on a linear history',
    async () => {
      const apps = 16
      const name = await infraRepo(apps)
      const before = await server.log(name, 'main')
      const runs = await Promise.all(Array.from({ length: apps }, (_, app) => promote(name, app, build(100 + app))))

      for (const run of runs)
        expect({ exitCode: run.exitCode, errors: errorsOf(run), changed: run.outputs.changed }).toEqual({ exitCode: 0, errors: [], changed: 'true' })
      for (let app = 0; app < apps; app++) {
        expect(await server.readFile(name, 'main', `${overlayPath(app)}/kustomization.yaml`)).toContain(`newTag: ${build(100 + app).tag}`)
      }
      const log = await server.log(name, 'main')
      expect(log).toHaveLength(before.length + apps)
      for (const [i, commit] of log.entries()) expect(commit.parents).toEqual(i + 1 < log.length ? [log[i + 1].sha] : [])
      const attempts = runs.map((run) => Number(run.outputs.attempts))
      expect(attempts.some((n) => n > 1)).toBe(true)
      expect(new Set(log.slice(0, apps).map((c) => c.sha))).toEqual(new Set(runs.map((run) => run.outputs['commit-sha'])))
    },
    SLOW,
  )

  it(
    '16 concurrent promotions land while another pusher moves the branch every 150 ms, and each says truly what landed',
    async () => {
      const apps = 16
      const name = await infraRepo(apps)
      const before = await server.log(name, 'main')
      const pusher = startPusher(server, name, { everyMs: 150, maxMs: SLOW })
      let runs: ActionRun[]
      try {
        runs = await Promise.all(Array.from({ length: apps }, (_, app) => promote(name, app, build(200 + app))))
      } finally {
        await pusher.stop()
      }
      for (const run of runs)
        expect({ exitCode: run.exitCode, errors: errorsOf(run), changed: run.outputs.changed }).toEqual({ exitCode: 0, errors: [], changed: 'true' })
      const log = await server.log(name, 'main')
      for (const [i, commit] of log.entries()) expect(commit.parents).toEqual(i + 1 < log.length ? [log[i + 1].sha] : [])
      const onBranch = new Set(log.map((c) => c.sha))
      for (const run of runs) expect(onBranch.has(run.outputs['commit-sha'])).toBe(true)
      for (let app = 0; app < apps; app++) {
        expect(await server.readFile(name, 'main', `${overlayPath(app)}/kustomization.yaml`)).toContain(`newTag: ${build(200 + app).tag}`)
      }
      expect(log.length).toBeGreaterThan(before.length + apps)
    },
    SLOW,
  )

  it(
    'a push endpoint that answers 502 fails within a bounded time, naming the host failure, not a moving branch',
    async () => {
      const name = await infraRepo(1)
      const tip = await server.revParse(name, 'main')
      server.failNext(10, { service: 'git-receive-pack', method: 'POST' })
      const started = performance.now()
      const run = await promote(name, 0, build(3))
      const seconds = (performance.now() - started) / 1000
      server.clearFaults()
      expect(run.exitCode).not.toBe(0)
      const errors = errorsOf(run)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain('HTTP 502')
      expect(errors[0]).toContain('problem on the host')
      expect(errors[0]).not.toMatch(/kept (moving|landing)|max-attempts/)
      expect(seconds).toBeLessThan(60)
      expect(await server.revParse(name, 'main')).toBe(tip)
    },
    SLOW,
  )

  it(
    'a push refused because the branch already holds our commit (a resent push) counts as landed',
    async () => {
      const name = await infraRepo(1)
      const store = new GitStore({ url: server.repoUrl(name), token: server.token, branch: 'main' })
      try {
        const head = (await store.head('main'))!
        const file = `${overlayPath(0)}/kustomization.yaml`
        const before = (await store.files(head.commit).read(file))!
        const built = await store.commit(head.commit, [{ path: file, before, after: before.replace('newTag: v0', 'newTag: v7') }], 'promote v7', {
          name: 'test',
          email: 'test@example.invalid',
        })
        // The first push lands and its answer is lost; the same push sent again finds the branch at our commit.
        server.failNext(1, { service: 'git-receive-pack', method: 'POST', after: true })
        await expect(store.update('main', built.commit, head.commit, 'fast-forward')).rejects.toThrow(/HTTP 502/)
        expect(await store.update('main', built.commit, head.commit, 'fast-forward')).toEqual({ kind: 'updated' })
        expect(await server.revParse(name, 'main')).toBe(built.commit)
      } finally {
        store.close()
      }
    },
    SLOW,
  )

  const LOCKED = "error: cannot lock ref 'refs/heads/main': is at 1111 but expected 2222"

  it(
    'survives a server that refuses the first pushes because the ref is locked',
    async () => {
      const name = await infraRepo(1)
      await server.setHook(name, 'pre-receive', refusingHook(LOCKED, 2))
      const run = await promote(name, 0, build(1), { 'max-attempts': '4' })
      expect(run.exitCode).toBe(0)
      expect(run.outputs).toMatchObject({ changed: 'true', attempts: '3' })
      expect(await server.revParse(name, 'main')).toBe(run.outputs['commit-sha'])
    },
    SLOW,
  )

  it.each<[string, string, string, string[]]>([
    ['gives up with one clear error after max-attempts when the ref stays locked', LOCKED, '3', ['lost 3 races', 'max-attempts']],
    ['stops at once when a hook declines for a policy reason', 'policy: changes to main need a review', '5', ['declined the push']],
  ])(
    '%s, leaving the branch alone',
    async (_what, refusal, maxAttempts, fragments) => {
      const name = await infraRepo(1)
      const tip = await server.revParse(name, 'main')
      await server.setHook(name, 'pre-receive', refusingHook(refusal))
      const run = await promote(name, 0, build(1), { 'max-attempts': maxAttempts })
      expect(run.exitCode).not.toBe(0)
      const errors = errorsOf(run)
      expect(errors).toHaveLength(1)
      for (const fragment of fragments) expect(errors[0]).toContain(fragment)
      expect(run.log.match(/moved while pushing/g) ?? []).toHaveLength(fragments.includes('declined the push') ? 0 : Number(maxAttempts) - 1)
      expect(await server.revParse(name, 'main')).toBe(tip)
    },
    SLOW,
  )

  it(
    'falls back to a full fetch of the tip when the server does not filter',
    async () => {
      const name = await infraRepo(2)
      await server.git(name, ['config', 'uploadpack.allowFilter', 'false'])
      const run = await promote(name, 1, build(5))
      expect(run.exitCode).toBe(0)
      expect(run.outputs.changed).toBe('true')
      expect(await server.readFile(name, 'main', `${overlayPath(1)}/kustomization.yaml`)).toContain(`newTag: ${build(5).tag}`)
    },
    SLOW,
  )
})
