/**
 * The wait for Argo CD end to end, through the bundle (dist/): the action promotes into a real infra
 * repository (git's own HTTP backend), then polls the Argo CD stand-in, whose every request and
 * response is checked against the OpenAPI description Argo CD 3.6 publishes, until the application
 * is synced and healthy at a revision containing the promotion commit — or fails, saying why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { haveArgoCdDescription, startArgoCdApi, type AppState, type ArgoCdStandIn } from '../support/argocd-api.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { startGitServer, type GitServer } from '../support/git-server.js'
import { requireService } from '../support/services.js'

const PROD = 'deploy/note-book/overlays/prod'
const TAG = '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const haveDescription = requireService("Argo CD's OpenAPI description (__tests__/fixtures/argocd/swagger.json)", haveArgoCdDescription)
const describeArgoCd = haveGit && haveDescription ? describe : describe.skip

/** What Argo CD reports after a refresh when the new commit rolls out well. */
const ROLLS_OUT: AppState[] = [
  { sync: 'OutOfSync', health: 'Healthy', at: 'initial' },
  { sync: 'OutOfSync', health: 'Healthy', operation: { phase: 'Running', message: 'waiting for healthy state of apps/Deployment/note-book' } },
  { sync: 'Synced', health: 'Progressing', operation: { phase: 'Running' } },
  { sync: 'Synced', health: 'Healthy', operation: { phase: 'Succeeded' } },
]

describeArgoCd('waiting for Argo CD to deploy the promotion', () => {
  let git: GitServer
  let argocd: ArgoCdStandIn
  let repo = 0

  beforeAll(async () => {
    git = await startGitServer()
    argocd = await startArgoCdApi(git)
  })
  afterAll(async () => {
    await argocd?.close()
    await git?.close()
  })
  afterEach(() => {
    expect(argocd.violations.splice(0)).toEqual([])
    argocd.requests.splice(0)
  })

  async function infraRepo(): Promise<string> {
    const name = `infra-${++repo}`
    await git.createRepo(name, seed000Infra())
    return name
  }

  function promote(name: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
    return runAction(
      {
        image: NOTE_BOOK_IMAGE,
        tag: TAG,
        build: 'false',
        'verify-image': 'false',
        'infra-repo': git.repoUrl(name),
        'infra-token': git.token,
        'overlay-path': PROD,
        'argocd-server': argocd.url,
        'argocd-token': argocd.token,
        'argocd-app': 'note-book',
        'argocd-timeout': '20',
        ...inputs,
      },
      { entry: 'dist' },
    )
  }

  function expectNoSecrets(run: ActionRun): void {
    expect(run.log).not.toContain(git.token)
    expect(run.log).not.toContain(argocd.token)
    expect(run.summary).not.toContain(argocd.token)
    expect(run.leftInTemp).toEqual([])
  }

  function expectOneError(run: ActionRun, ...fragments: string[]): string {
    expectNoSecrets(run)
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    for (const fragment of fragments) expect(errors[0]).toContain(fragment)
    return errors[0]
  }

  it('succeeds once the application is synced and healthy at the promotion commit, with the outputs set; a re-run waits for the tip', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', { repo: name, states: ROLLS_OUT })
    const run = await promote(name)
    expectNoSecrets(run)
    expect([run.exitCode, run.log.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []])
    const commit = await git.revParse(name, 'main')
    expect(run.outputs).toMatchObject({
      changed: 'true',
      'commit-sha': commit,
      'argocd-sync-status': 'Synced',
      'argocd-health-status': 'Healthy',
      'argocd-revision': commit,
    })
    // One progress line per state change, the last one the deployed state.
    const progress = run.log.split('\n').filter((l) => l.startsWith('note-book: '))
    expect(progress[0]).toMatch(/^note-book: OutOfSync, Healthy, at [0-9a-f]{12} \(not yet the promotion commit\)$/)
    expect(progress.at(-1)).toBe(`note-book: Synced, Healthy, at ${commit.slice(0, 12)} (contains the promotion commit); sync operation Succeeded`)
    expect(new Set(progress).size).toBe(progress.length)
    expect(run.summary).toContain('### Argo CD: deployed')
    expect(run.summary).toContain('<tr><td><code>note-book</code></td><td>Synced</td><td>Healthy</td>')
    // The refresh is asked for first; the token goes only as a Bearer header to argocd-server.
    expect(argocd.requests[0]).toMatchObject({ route: '/api/v1/applications/{name}', query: '?refresh=normal', status: 200 })
    expect(new Set(argocd.requests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${argocd.token}`]))

    const again = await promote(name)
    expectNoSecrets(again)
    expect(again.exitCode).toBe(0)
    expect(again.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'up-to-date', 'argocd-sync-status': 'Synced', 'argocd-revision': commit })
  })

  it('counts a descendant of the promotion commit, and finds an application in another namespace', async () => {
    const name = await infraRepo()
    let onTop = ''
    await argocd.addApp('note-book', {
      repo: name,
      namespace: 'team-a',
      states: [{ sync: 'Synced', health: 'Healthy' }],
      // Another pipeline lands on top of the promotion before Argo CD looks.
      beforeRefresh: async () => {
        onTop ||= await git.commitFiles(name, { 'README.md': 'another pipeline\n' }, 'unrelated change')
      },
    })
    const run = await promote(name, { 'argocd-app': 'team-a/note-book' })
    expectNoSecrets(run)
    expect(run.exitCode).toBe(0)
    expect(onTop).not.toBe('')
    expect(run.outputs['argocd-revision']).toBe(onTop)
    expect(run.outputs['commit-sha']).not.toBe(onTop)
    expect(argocd.requests.every((r) => r.query.includes('appNamespace=team-a'))).toBe(true)
  })

  it('asks again while Argo CD fails for a while, and says so once', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', { repo: name, states: ROLLS_OUT })
    argocd.failNext(3)
    const run = await promote(name)
    expectNoSecrets(run)
    expect(run.exitCode).toBe(0)
    expect(run.log.split('\n').filter((l) => l.includes('HTTP 503'))).toEqual([
      expect.stringMatching(/^note-book: Argo CD at 127\.0\.0\.1:\d+ failed to get application note-book \(HTTP 503: connection error.*\)\. Asking again\.$/),
    ])
    expect(run.outputs['argocd-health-status']).toBe('Healthy')
  })

  it('fails on Degraded, naming the application, its condition and the unhealthy resource', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', {
      repo: name,
      states: [
        { sync: 'OutOfSync', health: 'Healthy', operation: { phase: 'Running' } },
        {
          sync: 'Synced',
          health: 'Degraded',
          healthMessage: 'Deployment "note-book" exceeded its progress deadline',
          operation: { phase: 'Succeeded' },
          conditions: [{ type: 'SyncError', message: 'one or more objects failed to apply' }],
        },
      ],
    })
    const run = await promote(name)
    const error = expectOneError(run, 'Argo CD application note-book is Degraded', 'SyncError: one or more objects failed to apply')
    expect(error).toContain('Deployment note-book/note-book: Degraded (Deployment "note-book" exceeded its progress deadline)')
    expect(run.outputs).toMatchObject({ changed: 'true', 'argocd-sync-status': 'Synced', 'argocd-health-status': 'Degraded' })
    expect(run.summary).toContain('### Argo CD: not deployed')
    expect(run.summary).toContain('- Unhealthy: Deployment note-book/note-book: Degraded')
    expect(run.summary).toContain('- Condition: SyncError: one or more objects failed to apply')
  })

  it('fails at argocd-timeout when the application never syncs, and says it has no automated sync policy', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', { repo: name, automated: false, states: [{ sync: 'OutOfSync', health: 'Healthy', at: 'initial' }] })
    const started = performance.now()
    const run = await promote(name, { 'argocd-timeout': '3' })
    const elapsed = (performance.now() - started) / 1000
    expectOneError(run, 'did not report note-book synced and healthy', 'within 3 s', 'no automated sync policy', 'Raise argocd-timeout')
    expect(elapsed).toBeLessThan(15)
    expect(run.outputs['argocd-sync-status']).toBe('OutOfSync')
  })

  it('never counts the parent of the promotion commit, however healthy', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', { repo: name, states: [{ sync: 'Synced', health: 'Healthy', at: 'initial' }] })
    const run = await promote(name, { 'argocd-timeout': '3' })
    expectOneError(run, 'did not report note-book synced and healthy', 'not yet the promotion commit')
  })

  it('fails at once when the application is pinned to an older revision', async () => {
    const name = await infraRepo()
    const before = await git.revParse(name, 'main')
    await argocd.addApp('note-book', { repo: name, pinned: before, states: [{ sync: 'Synced', health: 'Healthy' }] })
    const run = await promote(name)
    expectOneError(run, `is pinned to ${before.slice(0, 12)}`, 'does not contain the promotion commit')
  })

  it('names argocd-token when Argo CD rejects the token', async () => {
    const name = await infraRepo()
    await argocd.addApp('note-book', { repo: name, states: ROLLS_OUT })
    const run = await promote(name, { 'argocd-token': 'not-the-token' })
    expectOneError(run, "Input 'argocd-token'", 'HTTP 401: invalid session')
    expect(run.log).not.toContain('not-the-token')
  })

  it('names argocd-app when Argo CD answers permission denied for an application that does not exist', async () => {
    const name = await infraRepo()
    const run = await promote(name, { 'argocd-app': 'no-such-app' })
    expectOneError(run, "Input 'argocd-app'", 'no-such-app', 'HTTP 403: permission denied', 'namespace/name')
    // The promotion itself landed before the wait.
    expect(run.outputs.changed).toBe('true')
  })
})
