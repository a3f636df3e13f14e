import { describe, expect, it } from '@jest/globals'
import type { Application } from '../../src/argocd/client.js'
import { CommitHistory } from '../../src/argocd/history.js'
import { describeState, judge, observe, stuckAdvice, unhealthyResources, type Observation } from '../../src/argocd/judge.js'
import { parseArgoCdSettings } from '../../src/argocd/settings.js'
import { waitFor } from '../../src/argocd/stage.js'
import { deploymentError, type AppOutcome } from '../../src/argocd/wait.js'
import { GitError, HostFailure, InputError } from '../../src/errors.js'
import { recordInputs } from '../../src/inputs.js'
import type { PromotionPlan } from '../../src/promotion.js'

const oid = (n: number) => n.toString(16).padStart(40, '0')
const [A, B, C, D, E, F] = [1, 2, 3, 4, 5, 6].map(oid)

describe('argocd settings', () => {
  const parse = (values: Record<string, string>) => parseArgoCdSettings(recordInputs(values))
  const full = { 'argocd-server': 'https://argocd.example.com/', 'argocd-token': 't', 'argocd-app': 'note-book\nteam-a/web\n' }

  it('is absent when no Argo CD input is set', () => {
    expect(parse({})).toBeUndefined()
  })

  it('parses the server, the applications (namespace/name) and the timeout', () => {
    expect(parse({ ...full, 'argocd-app': 'note-book\n# a comment\nteam-a/web', 'argocd-timeout': '60' })).toMatchObject({
      server: 'https://argocd.example.com',
      apps: [{ name: 'note-book' }, { name: 'web', namespace: 'team-a' }],
      timeoutSeconds: 60,
    })
    expect(parse({ ...full, 'argocd-server': 'https://example.com/argocd/', 'argocd-app': 'a' })?.server).toBe('https://example.com/argocd')
  })

  it.each([
    [{ 'argocd-app': 'a' }, 'argocd-server'],
    [{ 'argocd-server': 'https://argocd.example.com', 'argocd-app': 'a' }, 'argocd-token'],
    [{ 'argocd-server': 'https://argocd.example.com', 'argocd-token': 't' }, 'argocd-app'],
    [{ ...full, 'argocd-server': 'argocd.example.com' }, 'argocd-server'],
    [{ ...full, 'argocd-server': 'ssh://argocd.example.com' }, 'argocd-server'],
    [{ ...full, 'argocd-server': 'https://admin:pw@argocd.example.com' }, 'argocd-server'],
    [{ ...full, 'argocd-app': 'Note_Book' }, 'argocd-app'],
    [{ ...full, 'argocd-app': 'a/b/c' }, 'argocd-app'],
    [{ ...full, 'argocd-timeout': '0' }, 'argocd-timeout'],
  ])('names the input at fault: %j', (values, input) => {
    expect(() => parse(values)).toThrow(InputError)
    expect(() => parse(values)).toThrow(`Input '${input}'`)
  })

  it('never shows a credential given in the URL', () => {
    expect(() => parse({ ...full, 'argocd-server': 'https://admin:secret@argocd.example.com' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    )
  })
})

/** A history from a parent map; records each batch asked for. */
function historyOf(parents: Record<string, string[]>, missing: readonly string[] = []) {
  const asked: string[][] = []
  const history = new CommitHistory(async (oids) => {
    asked.push([...oids])
    if (oids.some((o) => missing.includes(o))) throw new GitError('the host refused to send objects: upload-pack: not our ref.', '')
    return new Map(oids.filter((o) => parents[o]).map((o) => [o, parents[o]]))
  })
  return { history, asked }
}

describe('commit history', () => {
  // A ← B ← C ← D (main), and E on A (another branch); F is not in the repository.
  const parents = { [A]: [], [B]: [A], [C]: [B], [D]: [C], [E]: [A] }

  it('counts the commit and its descendants, never its parents or another branch', async () => {
    const { history } = historyOf(parents, [F])
    expect(await history.contains(B, B)).toBe(true)
    expect(await history.contains(D, B)).toBe(true)
    expect(await history.contains(A, B)).toBe(false)
    expect(await history.contains(E, B)).toBe(false)
    expect(await history.contains(F, B)).toBe(false)
    expect(await history.contains('1.2.3', B)).toBe(false)
  })

  it('keeps its answers and the commits it has read', async () => {
    const { history, asked } = historyOf(parents)
    await history.contains(D, B)
    const requests = asked.length
    await history.contains(D, B)
    await history.contains(C, B)
    expect(asked.length).toBe(requests)
  })

  it('passes on a host failure rather than answer no', async () => {
    const history = new CommitHistory(() => Promise.reject(new HostFailure('the host failed', '')))
    await expect(history.contains(D, B)).rejects.toThrow(HostFailure)
  })
})

const seen = (overrides: Partial<Observation> = {}): Observation => ({
  sync: 'Synced',
  health: 'Healthy',
  healthMessage: '',
  revision: C,
  atCommit: true,
  conditions: [],
  autoSync: true,
  pinned: [],
  pinnedAway: false,
  ...overrides,
})

describe('judging an application', () => {
  it('is deployed only when synced and healthy at a revision with the commit, no operation running', () => {
    expect(judge(seen())).toEqual({ kind: 'deployed' })
    expect(judge(seen({ atCommit: false }))).toEqual({ kind: 'waiting' })
    expect(judge(seen({ sync: 'OutOfSync' }))).toEqual({ kind: 'waiting' })
    expect(judge(seen({ health: 'Progressing' }))).toEqual({ kind: 'waiting' })
    expect(judge(seen({ operation: { phase: 'Running', message: '', atCommit: true } }))).toEqual({ kind: 'waiting' })
  })

  it('fails on Degraded at the commit, not on a Degraded state from before it', () => {
    expect(judge(seen({ health: 'Degraded', healthMessage: 'deadline exceeded' }))).toEqual({ kind: 'failed', problem: 'is Degraded (deadline exceeded)' })
    expect(judge(seen({ health: 'Degraded', atCommit: false }))).toEqual({ kind: 'waiting' })
  })

  it('fails on a failed sync operation of the commit, not on an older one', () => {
    const failed = { phase: 'Failed', message: 'one or more objects failed to apply', atCommit: true }
    expect(judge(seen({ sync: 'OutOfSync', operation: failed }))).toMatchObject({
      kind: 'failed',
      problem: expect.stringContaining('one or more objects failed to apply'),
    })
    expect(judge(seen({ sync: 'OutOfSync', atCommit: false, operation: { ...failed, atCommit: false } }))).toEqual({ kind: 'waiting' })
  })

  it('fails at once when every source is pinned to a revision without the commit', () => {
    expect(judge(seen({ atCommit: false, pinned: [A], pinnedAway: true }))).toMatchObject({ kind: 'failed', problem: expect.stringContaining('pinned') })
  })

  it('reads the state, the revisions of every source and of the operation, and the pins', async () => {
    const app: Application = {
      spec: { sources: [{ targetRevision: 'main' }, { targetRevision: A }], syncPolicy: {} },
      status: {
        sync: { status: 'OutOfSync', revisions: [C, A] },
        health: { status: 'Progressing' },
        conditions: [{ type: 'ComparisonError', message: 'rpc error' }],
        operationState: { phase: 'Running', operation: { sync: { revisions: [D, A] } } },
      },
    }
    const o = await observe(app, async (revision) => revision === C || revision === D)
    expect(o).toMatchObject({
      sync: 'OutOfSync',
      health: 'Progressing',
      revision: `${C}, ${A}`,
      atCommit: true,
      operation: { phase: 'Running', atCommit: true },
      conditions: ['ComparisonError: rpc error'],
      autoSync: false,
      pinned: [A],
      pinnedAway: false,
    })
    expect(describeState(o)).toBe(`OutOfSync, Progressing, at ${C.slice(0, 12)}, ${A.slice(0, 12)} (contains the promotion commit); sync operation Running`)
  })

  it('reads an application Argo CD has not compared yet as Unknown', async () => {
    const o = await observe({}, async () => false)
    expect(o).toMatchObject({ sync: 'Unknown', health: 'Unknown', revision: '', atCommit: false })
    expect(describeState(o)).toBe('Unknown, Unknown, no revision yet')
  })

  it('lists the resources that are not healthy', () => {
    expect(
      unhealthyResources([
        { kind: 'Service', namespace: 'p', name: 's', health: { status: 'Healthy' } },
        { kind: 'Deployment', namespace: 'p', name: 'web', health: { status: 'Degraded', message: 'deadline' } },
        { kind: 'ConfigMap', namespace: 'p', name: 'c' },
        { kind: 'Namespace', name: 'p', health: { status: 'Missing' } },
      ]),
    ).toEqual(['Deployment p/web: Degraded (deadline)', 'Namespace p: Missing'])
  })

  it('says when nobody will sync an application', () => {
    expect(stuckAdvice(seen({ sync: 'OutOfSync', atCommit: false, autoSync: false }))).toContain('no automated sync policy')
    expect(stuckAdvice(seen({ sync: 'OutOfSync', atCommit: false }))).toBe('')
  })
})

describe('the error after the wait', () => {
  const outcome = (overrides: Partial<AppOutcome>): AppOutcome => ({
    app: { name: 'note-book' },
    observation: seen(),
    verdict: { kind: 'deployed' },
    unhealthy: [],
    lastFailure: undefined,
    ...overrides,
  })

  it('is none when every application is deployed', () => {
    expect(deploymentError([outcome({})], C, 300)).toBeUndefined()
  })

  it('names a failed application, its conditions and unhealthy resources', () => {
    const error = deploymentError(
      [
        outcome({}),
        outcome({
          app: { name: 'web', namespace: 'team-a' },
          observation: seen({ health: 'Degraded', conditions: ['SyncError: boom'] }),
          verdict: { kind: 'failed', problem: 'is Degraded' },
          unhealthy: ['Deployment p/web: Degraded'],
        }),
      ],
      C,
      300,
    )
    expect(error?.message).toBe(
      `Argo CD application team-a/web is Degraded at ${C.slice(0, 12)}. Conditions: SyncError: boom. Unhealthy resources: Deployment p/web: Degraded.`,
    )
  })

  it('names each application still waiting at the timeout, with the last failed request', () => {
    const error = deploymentError(
      [
        outcome({
          observation: seen({ sync: 'OutOfSync', atCommit: false, revision: A }),
          verdict: { kind: 'waiting' },
          lastFailure: 'Argo CD at x failed (HTTP 503).',
        }),
      ],
      C,
      30,
    )
    expect(error?.message).toContain(`did not report note-book synced and healthy at a revision containing the promotion commit ${C.slice(0, 12)} within 30 s`)
    expect(error?.message).toContain('the last request failed: Argo CD at x failed (HTTP 503).')
  })
})

describe('what to wait for', () => {
  const plan: PromotionPlan = { files: [], changes: [], stale: [], unordered: [] }
  const landed = { changed: true, commitSha: C, attempts: 1, plan }

  it('waits for the commit that landed, or the tip when the branch already held the image', () => {
    expect(waitFor({ mode: 'push', dryRun: false, result: landed })).toEqual({ commit: C })
    expect(waitFor({ mode: 'push', dryRun: false, result: { changed: false, attempts: 1, plan, skippedReason: 'up-to-date' } })).toEqual({ tip: true })
  })

  it('does not wait for a pull request, a dry run or a stale promotion', () => {
    expect(waitFor({ mode: 'pull-request', dryRun: false, result: landed })).toHaveProperty('skip')
    expect(waitFor({ mode: 'push', dryRun: true, result: { ...landed, commitSha: undefined } })).toHaveProperty('skip')
    expect(waitFor({ mode: 'push', dryRun: false, result: { changed: false, attempts: 1, plan, skippedReason: 'stale' } })).toHaveProperty('skip')
  })
})
