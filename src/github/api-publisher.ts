/**
 * Lands a promotion straight on the infra branch through a store (`commit-via: api`): read the head,
 * plan on its files, build the commit on it, and move the branch only by fast-forward — GitHub's
 * compare-and-swap. A lost race re-reads and re-applies, exactly as the git push path does.
 */
import * as core from '@actions/core'
import { ApiError } from '../errors.js'
import { retryWhileMoving, type ContentionLoop } from '../publish/contention.js'
import type { Promotion, PublishResult } from '../publish/types.js'
import { planDiff } from './pr-content.js'
import type { BranchHead, InfraStore } from './store.js'

export interface StorePublishOptions {
  /** Waits between attempts; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** The branch's head, which must exist. */
export async function requireHead(store: InfraStore, branch: string): Promise<BranchHead> {
  const head = await store.head(branch)
  if (!head)
    throw new ApiError(`branch ${branch} disappeared from ${store.where} during the promotion.`, 'Check whether someone deleted it, then re-run the job.')
  return head
}

/** The contention loop of the API publishers: a lost race is a refused fast-forward of the ref. */
export function apiContention(branch: string, maxAttempts: number, options: StorePublishOptions): ContentionLoop {
  return {
    branch,
    maxAttempts,
    doing: 'updating it',
    exhausted: (attempts) =>
      new ApiError(
        `the update of ${branch} was refused ${attempts} times because the branch kept moving.`,
        'Nothing was published. Raise max-attempts if many pipelines promote into this branch at once, or re-run the job.',
      ),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  }
}

export function publishViaStore(store: InfraStore, promotion: Promotion, options: StorePublishOptions = {}): Promise<PublishResult & { diff?: string }> {
  const { branch } = promotion
  return retryWhileMoving(apiContention(branch, promotion.maxAttempts, options), async (attempt) => {
    const head = await requireHead(store, branch)
    const plan = await promotion.plan(store.files(head.commit))
    if (plan.files.length === 0) {
      return { changed: false, attempts: attempt, plan, skippedReason: plan.stale.length > 0 ? ('stale' as const) : ('up-to-date' as const) }
    }
    // A dry run writes nothing at all: no blob, tree or commit objects either.
    if (promotion.dryRun) return { changed: true, attempts: attempt, plan, diff: planDiff(plan.files) }
    const built = await store.commit(head.commit, plan.files, promotion.message(plan), promotion.author)
    if ((await store.update(branch, built.commit, head.commit, 'fast-forward')) === 'moved') return 'moved'
    core.info(`Committed ${built.commit.slice(0, 12)} onto ${branch} through the API (attempt ${attempt}).`)
    return { changed: true, commitSha: built.commit, attempts: attempt, plan }
  })
}
