/**
 * Lands a promotion on the infra branch through a store (git or the GitHub API), under contention:
 * read the tip, plan on its files, build the commit on it, and move the branch by compare-and-swap.
 * When the branch moved, wait, read the new tip (what changed since the last) and re-apply the edit
 * on it. The edit is a function of the files, so a retry never needs a textual rebase and never
 * reverts a neighbour. Nothing is read ahead during the wait: on a busy branch the tip moves again
 * before the next attempt, and every racer's reads take the host's and the runners' time from the
 * pushes. A push whose answer was lost is confirmed from the next tip, never made twice.
 */
import * as core from '@actions/core'
import { planDiff } from '../edit/diff.js'
import { ApiError, GitError } from '../errors.js'
import { retryWhileMoving, type LandingLoop, type Moved } from './retry.js'
import type { BranchHead, InfraStore } from './store.js'
import type { Promotion, PromotionPlan, PublishResult } from './types.js'

/** One attempt's retry window, for the bench: tip read → push sent, and the requests in between. */
export interface AttemptWindow {
  readonly attempt: number
  readonly windowMs: number
  /** Requests to the host between reading the tip and sending the push (undefined: not counted). */
  readonly requests?: number
}

export interface PublishOptions {
  /** Waits between attempts; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Called with every attempt's window just before its push is sent. */
  readonly observe?: (window: AttemptWindow) => void
}

export type Published = PublishResult & { diff?: string }

/** The branch's head, which must exist. */
export async function requireHead(store: InfraStore, branch: string): Promise<BranchHead> {
  const head = await store.head(branch)
  if (!head) {
    throw new GitError(`branch ${branch} disappeared from ${store.where} during the promotion.`, 'Check whether someone deleted it, then re-run the job.')
  }
  return head
}

/** The loop's settings for landing on `branch` of `store`. */
export function landingLoop(store: InfraStore, promotion: Promotion, branch: string, options: PublishOptions): LandingLoop {
  const viaApi = store.requests === undefined
  return {
    branch,
    maxAttempts: promotion.maxAttempts,
    budgetMs: promotion.timeoutSeconds * 1000,
    doing: viaApi ? 'updating it' : 'pushing',
    exhausted: (attempts, seconds) => {
      const problem = `${viaApi ? 'the update' : 'the push'} to ${branch} lost ${attempts} race${attempts === 1 ? '' : 's'} in ${seconds.toFixed(1)} s: other pushes kept landing first.`
      const fix = 'Nothing was pushed. Raise max-attempts or timeout-seconds if many pipelines promote into this branch at once, or re-run the job.'
      return viaApi ? new ApiError(problem, fix) : new GitError(problem, fix)
    },
    ...(options.sleep ? { sleep: options.sleep } : {}),
  }
}

export function publish(store: InfraStore, promotion: Promotion, options: PublishOptions = {}): Promise<Published> {
  const { branch } = promotion
  /**
   * The last push that did not say it landed: refused, or its answer lost. It may have landed all the
   * same (an answer lost, then a resend refused because the branch already held it).
   */
  let unconfirmed: { commit: string; plan: PromotionPlan } | undefined
  /** Pushes sent: the `attempts` output (a read that failed and was made again is not one). */
  let pushes = 0
  return retryWhileMoving(landingLoop(store, promotion, branch, options), async (attempt): Promise<Published | Moved> => {
    let started = performance.now()
    let requestsAtStart = store.requests
    let head = await requireHead(store, branch)
    if (unconfirmed && (head.commit === unconfirmed.commit || head.parents.includes(unconfirmed.commit))) {
      core.info(`The earlier push of ${unconfirmed.commit.slice(0, 12)} did land on ${branch}.`)
      return { changed: true, commitSha: unconfirmed.commit, attempts: pushes, plan: unconfirmed.plan }
    }
    unconfirmed = undefined
    const planOn = async (commit: string): Promise<PromotionPlan | Published> => {
      const plan = await promotion.plan(store.files(commit))
      if (plan.files.length === 0) return { changed: false, attempts: pushes + 1, plan, skippedReason: plan.stale.length > 0 ? 'stale' : 'up-to-date' }
      // A dry run writes nothing at all: no blob, tree or commit objects either.
      if (promotion.dryRun) return { changed: true, attempts: pushes + 1, plan, diff: planDiff(plan.files) }
      return plan
    }
    let plan = await planOn(head.commit)
    if ('changed' in plan) return plan
    if (attempt === 1) {
      // A first attempt reads everything cold and runs the checks (render, registry): far longer than
      // a retry, and on a busy branch long enough to lose for sure. Read the tip again, so that the
      // push races only what a retry would: the ref, and what changed since (checks reuse their verdicts).
      started = performance.now()
      requestsAtStart = store.requests
      const tip = await requireHead(store, branch)
      if (tip.commit !== head.commit) {
        head = tip
        plan = await planOn(head.commit)
        if ('changed' in plan) return plan
      }
    }
    const built = await store.commit(head.commit, plan.files, promotion.message(plan), promotion.author)
    // A retry races a busy branch: a push that would lose is not sent (see readsBeforeRetry).
    if (attempt > 1 && store.readsBeforeRetry && (await requireHead(store, branch)).commit !== head.commit) {
      return { moved: true, windowMs: performance.now() - started }
    }
    const windowMs = performance.now() - started
    const requests = store.requests !== undefined && requestsAtStart !== undefined ? store.requests - requestsAtStart : undefined
    options.observe?.({ attempt, windowMs, ...(requests !== undefined ? { requests } : {}) })
    core.debug(`attempt ${attempt}: tip read → push sent in ${Math.round(windowMs)} ms${requests !== undefined ? `, ${requests} requests` : ''}`)
    pushes++
    // Until the host says it landed, whether it did is learnt from the next tip: ours, or one to
    // re-apply the edit on.
    unconfirmed = { commit: built.commit, plan }
    const outcome = await store.update(branch, built.commit, head.commit, 'fast-forward')
    if (outcome.kind === 'moved') {
      return { moved: true, windowMs }
    }
    core.info(`Landed ${built.commit.slice(0, 12)} on ${branch} (attempt ${attempt}).`)
    return { changed: true, commitSha: built.commit, attempts: pushes, plan }
  })
}
