/**
 * What an Argo CD application's state says about the promotion: deployed (synced at a revision that
 * contains the promotion commit, healthy, no sync operation running), failed (degraded there, or its
 * sync operation failed), or not yet. Pure: the revisions' ancestry is asked through `contains`.
 */
import type { Application, ResourceNode } from './client.js'

export interface Observation {
  /** `Synced`, `OutOfSync`, `Unknown`. */
  readonly sync: string
  /** `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`. */
  readonly health: string
  readonly healthMessage: string
  /** The revision(s) Argo CD compared with, one a source, comma-separated; '' before the first comparison. */
  readonly revision: string
  /** Whether a revision it reports contains the promotion commit. */
  readonly atCommit: boolean
  readonly operation?: { readonly phase: string; readonly message: string; readonly atCommit: boolean }
  /** `Type: message` of each condition (ComparisonError, SyncError, …). */
  readonly conditions: readonly string[]
  readonly autoSync: boolean
  /** A source's targetRevision when it is a commit id: Argo CD stays there, whatever is pushed. */
  readonly pinned: readonly string[]
  /** Every source is pinned, and to revisions without the promotion commit: it will never be deployed. */
  readonly pinnedAway: boolean
}

export type Verdict = { readonly kind: 'waiting' } | { readonly kind: 'deployed' } | { readonly kind: 'failed'; readonly problem: string }

const FAILED_PHASES = new Set(['Failed', 'Error'])
const RUNNING_PHASES = new Set(['Running', 'Terminating'])
const COMMIT_ID = /^[0-9a-f]{40}$/

export async function observe(app: Application, contains: (revision: string) => Promise<boolean>): Promise<Observation> {
  const status = app.status ?? {}
  const revisions = distinct([status.sync?.revision, ...(status.sync?.revisions ?? [])])
  const anyContains = async (list: readonly string[]) => (await Promise.all(list.map(contains))).some(Boolean)
  const op = status.operationState
  const opRevisions = distinct([
    op?.syncResult?.revision,
    ...(op?.syncResult?.revisions ?? []),
    op?.operation?.sync?.revision,
    ...(op?.operation?.sync?.revisions ?? []),
  ])
  const sources = [...(app.spec?.source ? [app.spec.source] : []), ...(app.spec?.sources ?? [])]
  const pinned = sources.map((s) => s.targetRevision ?? '').filter((r) => COMMIT_ID.test(r))
  return {
    sync: status.sync?.status || 'Unknown',
    health: status.health?.status || 'Unknown',
    healthMessage: status.health?.message ?? '',
    revision: revisions.join(', '),
    atCommit: await anyContains(revisions),
    ...(op?.phase ? { operation: { phase: op.phase, message: op.message ?? '', atCommit: await anyContains(opRevisions) } } : {}),
    conditions: (status.conditions ?? []).map((c) => `${c.type ?? 'Condition'}: ${c.message ?? ''}`),
    autoSync: app.spec?.syncPolicy?.automated !== undefined,
    pinned,
    pinnedAway: sources.length > 0 && pinned.length === sources.length && !(await anyContains(pinned)),
  }
}

export function judge(o: Observation): Verdict {
  const op = o.operation
  if (op && FAILED_PHASES.has(op.phase) && op.atCommit)
    return { kind: 'failed', problem: `failed to sync (operation ${op.phase}${op.message ? `: ${op.message}` : ''})` }
  if (o.pinnedAway)
    return {
      kind: 'failed',
      problem: `is pinned to ${o.pinned.map(short).join(', ')} (its targetRevision), which does not contain the promotion commit, so it will not deploy it`,
    }
  if (op && RUNNING_PHASES.has(op.phase)) return { kind: 'waiting' }
  if (!o.atCommit || o.sync !== 'Synced') return { kind: 'waiting' }
  if (o.health === 'Degraded') return { kind: 'failed', problem: `is Degraded${o.healthMessage ? ` (${o.healthMessage})` : ''}` }
  return o.health === 'Healthy' ? { kind: 'deployed' } : { kind: 'waiting' }
}

/** The state in one line: `OutOfSync, Progressing, at 1a2b3c4d5e6f (before the promotion commit); sync operation Running`. */
export function describeState(o: Observation): string {
  const at = o.revision ? `at ${shortRevisions(o)} (${o.atCommit ? 'contains' : 'not yet'} the promotion commit)` : 'no revision yet'
  return `${o.sync}, ${o.health}, ${at}${o.operation ? `; sync operation ${o.operation.phase}` : ''}`
}

/** Every resource of the tree whose health is known and not Healthy, as `Kind namespace/name: Health (message)`. */
export function unhealthyResources(nodes: readonly ResourceNode[]): string[] {
  return nodes
    .filter((n) => n.health?.status && n.health.status !== 'Healthy')
    .map((n) => {
      const where = n.namespace ? `${n.namespace}/${n.name ?? ''}` : (n.name ?? '')
      return `${n.kind ?? 'Resource'} ${where}: ${n.health!.status}${n.health!.message ? ` (${n.health!.message})` : ''}`
    })
}

/** What to do about an application that is not deployed when the wait ends. */
export function stuckAdvice(o: Observation | undefined): string {
  if (!o) return ''
  if (!o.atCommit && o.sync === 'OutOfSync' && !o.autoSync) return 'it has no automated sync policy, so Argo CD waits for someone to sync it'
  return ''
}

/** The revisions, commit ids shortened. */
export function shortRevisions(o: Observation): string {
  return o.revision.split(', ').map(short).join(', ')
}

export function short(revision: string): string {
  return COMMIT_ID.test(revision) ? revision.slice(0, 12) : revision
}

function distinct(values: readonly (string | undefined)[]): string[] {
  return values.filter((v): v is string => !!v).filter((v, i, all) => all.indexOf(v) === i)
}
