/**
 * The wait for Argo CD after a landed promotion: ask each application to refresh, then poll until
 * every one is synced and healthy at a revision that contains the promotion commit, one fails, or
 * argocd-timeout passes. One progress line per change of an application's state. A failure that may
 * pass (Argo CD restarting) is asked again until the deadline; any other refusal ends the wait at once.
 */
import * as core from '@actions/core'
import { DeploymentError, HostFailure } from '../errors.js'
import { ArgoCdClient, ArgoCdUnavailable } from './client.js'
import type { CommitHistory } from './history.js'
import { describeState, judge, observe, short, shortRevisions, stuckAdvice, unhealthyResources, type Observation, type Verdict } from './judge.js'
import { appLabel, type ArgoCdApp, type ArgoCdSettings } from './settings.js'

export interface AppOutcome {
  readonly app: ArgoCdApp
  /** The last state read; undefined when none could be. */
  readonly observation: Observation | undefined
  readonly verdict: Verdict
  /** The unhealthy resources of an application that is not deployed. */
  readonly unhealthy: readonly string[]
  /** The last request that failed, when the last poll of the application did. */
  readonly lastFailure: string | undefined
}

export interface Deployment {
  /** The commit waited for. */
  readonly commit: string
  readonly outcomes: readonly AppOutcome[]
  readonly seconds: number
  /** Set when not every application was deployed. */
  readonly error?: DeploymentError
}

/** Polls this often, or faster for a short timeout, so that a wait never overshoots by much. */
const MAX_POLL_MS = 3000
const MIN_POLL_MS = 250
/** An application that still reports a revision without the commit is asked to refresh again this often. */
const REFRESH_EVERY_MS = 30_000

class WaitOver extends Error {}

interface Tracked {
  readonly app: ArgoCdApp
  observation?: Observation
  verdict: Verdict
  lastFailure?: string
  line?: string
  refreshedAt?: number
}

export async function awaitDeployment(
  settings: ArgoCdSettings,
  commit: string,
  history: CommitHistory,
  client = new ArgoCdClient(settings),
): Promise<Deployment> {
  const started = performance.now()
  const timeoutMs = settings.timeoutSeconds * 1000
  const pollMs = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, timeoutMs / 20))
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(new WaitOver()), timeoutMs)
  const tracked: Tracked[] = settings.apps.map((app) => ({ app, verdict: { kind: 'waiting' } }))
  core.info(
    `Waiting up to ${settings.timeoutSeconds} s for ${tracked.map((t) => appLabel(t.app)).join(', ')} to be synced and healthy at ${short(commit)} or later.`,
  )
  try {
    while (!tracked.some((t) => t.verdict.kind === 'failed') && !tracked.every((t) => t.verdict.kind === 'deployed')) {
      for (const t of tracked.filter((t) => t.verdict.kind === 'waiting')) await poll(t, client, history, commit, deadline.signal)
      if (tracked.every((t) => t.verdict.kind !== 'waiting')) break
      await sleep(pollMs, deadline.signal)
    }
  } catch (error) {
    if (!(error instanceof WaitOver)) throw error
  } finally {
    clearTimeout(timer)
  }
  const outcomes = await Promise.all(tracked.map((t) => outcome(t, client)))
  const seconds = (performance.now() - started) / 1000
  const error = deploymentError(outcomes, commit, settings.timeoutSeconds)
  return { commit, outcomes, seconds, ...(error ? { error } : {}) }
}

/** Reads the application once (asking for a refresh when due), judges it, and says when its state changed. */
async function poll(t: Tracked, client: ArgoCdClient, history: CommitHistory, commit: string, signal: AbortSignal): Promise<void> {
  let line: string
  try {
    const refresh = !t.observation?.atCommit && (t.refreshedAt === undefined || performance.now() - t.refreshedAt >= REFRESH_EVERY_MS)
    const app = await client.application(t.app, signal, refresh)
    if (refresh) t.refreshedAt = performance.now()
    t.observation = await observe(app, (revision) => history.contains(revision, commit))
    t.verdict = judge(t.observation)
    t.lastFailure = undefined
    line = describeState(t.observation)
  } catch (error) {
    // Argo CD or the infra host in trouble: asked again at the next poll, until the deadline.
    if (!(error instanceof ArgoCdUnavailable || error instanceof HostFailure)) throw error
    t.lastFailure = error.message
    line = `${error.message} Asking again.`
  }
  if (line !== t.line) core.info(`${appLabel(t.app)}: ${line}`)
  t.line = line
}

async function outcome(t: Tracked, client: ArgoCdClient): Promise<AppOutcome> {
  let unhealthy: string[] = []
  if (t.verdict.kind !== 'deployed') {
    // The deadline may have passed: the tree is read under the network bounds alone.
    unhealthy = await client
      .resourceTree(t.app, new AbortController().signal)
      .then(unhealthyResources, (error: unknown) => [`(the resource tree could not be read: ${error instanceof Error ? error.message : String(error)})`])
  }
  return { app: t.app, observation: t.observation, verdict: t.verdict, unhealthy, lastFailure: t.lastFailure }
}

/** The one error for the applications not deployed: each named with its state, conditions and unhealthy resources. */
export function deploymentError(outcomes: readonly AppOutcome[], commit: string, timeoutSeconds: number): DeploymentError | undefined {
  const failed = outcomes.filter((o) => o.verdict.kind === 'failed')
  const stuck = outcomes.filter((o) => o.verdict.kind === 'waiting')
  if (failed.length > 0) {
    return new DeploymentError(
      failed.map((o) => `Argo CD application ${appLabel(o.app)} ${(o.verdict as { problem: string }).problem}${at(o.observation)}${details(o)}`).join(' '),
      `The promotion commit ${short(commit)} is in the infra repository: fix forward, or roll back by promoting the previous image again (allow-downgrade: true).`,
    )
  }
  if (stuck.length === 0) return undefined
  const states = stuck.map((o) => {
    const advice = stuckAdvice(o.observation)
    const state = o.observation ? describeState(o.observation) : 'never read'
    return `${appLabel(o.app)} is ${state}${advice ? `: ${advice}` : ''}${o.lastFailure ? `; the last request failed: ${o.lastFailure}` : ''}${details(o)}`
  })
  return new DeploymentError(
    `Argo CD did not report ${stuck.map((o) => appLabel(o.app)).join(', ')} synced and healthy at a revision containing the promotion commit ${short(commit)} within ${timeoutSeconds} s: ${states.join(' ')}`,
    'Raise argocd-timeout if the rollout takes longer; otherwise look at what the application reports. The promotion commit is in the infra repository either way.',
  )
}

function at(o: Observation | undefined): string {
  return o?.revision ? ` at ${shortRevisions(o)}` : ''
}

/** `.` then the conditions and the unhealthy resources, when there are any. */
function details(o: AppOutcome): string {
  const conditions = o.observation?.conditions ?? []
  return `.${conditions.length > 0 ? ` Conditions: ${conditions.join('; ')}.` : ''}${o.unhealthy.length > 0 ? ` Unhealthy resources: ${o.unhealthy.join('; ')}.` : ''}`
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop)
      resolve()
    }, ms)
    const stop = () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', stop, { once: true })
  })
}
