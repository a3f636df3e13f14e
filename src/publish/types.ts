/**
 * The publish stage's contract: how a promotion is landed on the infra branch, whatever the
 * transport (git push, GitHub API commit, pull request).
 */
import type { RepoFiles } from '../edit/plan.js'
import type { PromotionPlan, StaleFile } from '../promotion.js'

export type { PromotionPlan, StaleFile } from '../promotion.js'

export interface CommitIdentity {
  readonly name: string
  readonly email: string
}

/** Everything a publisher needs; the edit is re-planned against each fresh tip after a lost race. */
export interface Promotion {
  /** Deterministic function of the files at the tip being built on. */
  plan(files: RepoFiles): Promise<PromotionPlan>
  /** The targets where `files` (another branch's) already reference a newer image; [] with allow-downgrade. */
  newerAt(files: RepoFiles): Promise<readonly StaleFile[]>
  /** What the plan reads first (the targets, and old records beside them): fetched ahead while a lost race is waited out. */
  readonly paths: readonly string[]
  /** The commit message for a plan. */
  message(plan: PromotionPlan): string
  readonly author: CommitIdentity
  /** Branch to land on (resolved; never empty). */
  readonly branch: string
  /** Lost races tolerated before giving up. */
  readonly maxAttempts: number
  /** Time budget of the landing loop: no wait starts that would end after it. */
  readonly timeoutSeconds: number
  readonly dryRun: boolean
}

export interface PublishResult {
  /** True when a commit landed (or, in a dry run, would have). */
  readonly changed: boolean
  readonly commitSha?: string
  /** How many tries it took (1 when the first push landed). */
  readonly attempts: number
  /** The plan that landed (or that showed nothing to change). */
  readonly plan: PromotionPlan
  /** Set when the promotion was deliberately not made. */
  readonly skippedReason?: 'up-to-date' | 'stale'
}
