/**
 * `mode: pull-request`: the promotion is committed on the base branch's head and placed on the
 * action's own branch for this image and target set (force-updated under a lease, never the base),
 * then the pull request from that branch is opened, or the open one updated: title, body, labels,
 * reviewers and auto-merge. A newer promotion of the same targets supersedes the branch's content;
 * an older one leaves it alone, as the ordering guard does on the base branch.
 */
import * as core from '@actions/core'
import { planDiff } from '../edit/diff.js'
import { landingLoop, requireHead, type PublishOptions } from '../publish/publisher.js'
import { retryWhileMoving, type Moved } from '../publish/retry.js'
import type { InfraStore } from '../publish/store.js'
import type { Promotion, PromotionPlan, PublishResult } from '../publish/types.js'
import { repoId, type RepoId } from './api-store.js'
import { apiError, httpFailure, type GitHubClient, type Permission } from './client.js'
import type { PullRequestSettings } from './settings.js'

export interface PullRequestSpec {
  /** The branch the pull request is made from (the action's own). */
  readonly branch: string
  readonly settings: PullRequestSettings
  title(plan: PromotionPlan): string
  body(plan: PromotionPlan): string
}

export type PullRequestOperation = 'created' | 'updated' | 'unchanged' | 'closed'

export interface PullRequestOutcome {
  readonly number: number
  readonly url: string
  readonly operation: PullRequestOperation
}

export type PullRequestResult = PublishResult & { diff?: string; pullRequest?: PullRequestOutcome }

/** `branchHead`: a pull request should show it; `obsolete`: the base holds the promotion, and the branch (at that commit) nothing newer. */
type Landing = PublishResult & { diff?: string; branchHead?: string; obsolete?: string }

export async function publishPullRequest(
  store: InfraStore,
  client: GitHubClient,
  slug: string,
  promotion: Promotion,
  spec: PullRequestSpec,
  options: PublishOptions = {},
): Promise<PullRequestResult> {
  const landed = await landOnBranch(store, promotion, spec, options)
  const { branchHead, obsolete, ...result } = landed
  if (obsolete !== undefined && !promotion.dryRun) {
    const closed = await closeObsolete(new PullRequests(client, slug), store, promotion.branch, spec.branch, obsolete)
    return closed ? { ...result, pullRequest: closed } : result
  }
  if (branchHead === undefined) return result
  const pullRequest = await upsertPullRequest(new PullRequests(client, slug), promotion.branch, spec, landed.plan, landed.changed)
  core.info(`Pull request #${pullRequest.number} ${pullRequest.operation}: ${pullRequest.url}`)
  return { ...result, pullRequest }
}

/** Puts the promotion on the action's branch; `branchHead` is set when a pull request should show it. */
function landOnBranch(store: InfraStore, promotion: Promotion, spec: PullRequestSpec, options: PublishOptions): Promise<Landing> {
  /** The last update of the branch that did not say it landed (see publisher.ts). */
  let unconfirmed: { commit: string; plan: PromotionPlan } | undefined
  return retryWhileMoving(landingLoop(store, promotion, spec.branch, options), async (attempt): Promise<Landing | Moved> => {
    const started = performance.now()
    const base = await requireHead(store, promotion.branch)
    const current = await store.head(spec.branch)
    if (unconfirmed && current?.commit === unconfirmed.commit) {
      return { changed: true, commitSha: current.commit, attempts: attempt - 1, plan: unconfirmed.plan, branchHead: current.commit }
    }
    unconfirmed = undefined
    const plan = await promotion.plan(store.files(base.commit))
    if (plan.files.length === 0) {
      if (plan.stale.length > 0) return { changed: false, attempts: attempt, plan, skippedReason: 'stale' }
      // The base holds the promotion: the branch has nothing left to show, unless a newer image.
      const obsolete = current && (await promotion.newerAt(store.files(current.commit))).length === 0 ? current.commit : undefined
      return { changed: false, attempts: attempt, plan, skippedReason: 'up-to-date', ...(obsolete ? { obsolete } : {}) }
    }
    if (current) {
      const newer = await promotion.newerAt(store.files(current.commit))
      if (newer.length > 0) return { changed: false, attempts: attempt, plan: { files: [], changes: [], stale: newer, unordered: [] }, skippedReason: 'stale' }
    }
    if (promotion.dryRun) return { changed: true, attempts: attempt, plan, diff: planDiff(plan.files) }
    const built = await store.commit(base.commit, plan.files, promotion.message(plan), promotion.author)
    if (current && current.tree === built.tree && current.parents.length === 1 && current.parents[0] === base.commit) {
      return { changed: false, attempts: attempt, plan, skippedReason: 'up-to-date', branchHead: current.commit }
    }
    unconfirmed = { commit: built.commit, plan }
    if ((await store.update(spec.branch, built.commit, current?.commit, 'force')).kind === 'moved')
      return { moved: true, windowMs: performance.now() - started }
    core.info(
      `${current ? 'Updated' : 'Created'} ${spec.branch} at ${built.commit.slice(0, 12)} on ${promotion.branch}'s head ${base.commit.slice(0, 12)} (attempt ${attempt}).`,
    )
    return { changed: true, commitSha: built.commit, attempts: attempt, plan, branchHead: built.commit }
  })
}

/**
 * Closes the open pull request from `branch` whose promotion `base` already holds (another pull
 * request merged, or a push landed it), and deletes the branch unless it moved since it was read.
 */
async function closeObsolete(pulls: PullRequests, store: InfraStore, base: string, branch: string, head: string): Promise<PullRequestOutcome | undefined> {
  const open = await pulls.findOpen(branch, base)
  if (!open) return undefined
  await pulls.close(open.number)
  // A run that promotes a newer image may have just moved the branch: it keeps it.
  const deleted = (await store.deleteBranch(branch, head)) === 'deleted'
  core.info(`Pull request #${open.number} closed: ${base} already holds its promotion; ${branch} ${deleted ? 'deleted' : 'kept (it moved meanwhile)'}.`)
  return { number: open.number, url: open.html_url, operation: 'closed' }
}

async function upsertPullRequest(
  pulls: PullRequests,
  base: string,
  spec: PullRequestSpec,
  plan: PromotionPlan,
  branchChanged: boolean,
): Promise<PullRequestOutcome> {
  const title = spec.title(plan)
  const body = spec.body(plan)
  const { settings } = spec
  const open = await pulls.findOpen(spec.branch, base)
  const retitled = open !== undefined && (open.title !== title || (open.body ?? '') !== body)
  const pr = !open
    ? await pulls.create({ title, body, head: spec.branch, base, draft: settings.draft })
    : retitled
      ? await pulls.update(open.number, { title, body })
      : open
  let operation: PullRequestOperation = !open ? 'created' : branchChanged || retitled ? 'updated' : 'unchanged'
  const labels = settings.labels.filter((label) => !pr.labels.some((l) => l.name === label))
  const users = settings.reviewers.filter((r) => !r.includes('/') && !(pr.requested_reviewers ?? []).some((u) => u.login.toLowerCase() === r.toLowerCase()))
  const teams = settings.reviewers
    .filter((r) => r.includes('/'))
    .map((r) => r.slice(r.indexOf('/') + 1))
    .filter((team) => !(pr.requested_teams ?? []).some((t) => t.slug === team))
  const assignees = settings.assignees.filter((a) => !(pr.assignees ?? []).some((u) => u.login.toLowerCase() === a.toLowerCase()))
  const autoMerge = settings.autoMerge && pr.auto_merge?.merge_method !== settings.autoMerge ? settings.autoMerge : undefined
  if (labels.length > 0) await pulls.addLabels(pr.number, labels)
  if (users.length > 0 || teams.length > 0) await pulls.requestReviewers(pr.number, users, teams)
  if (assignees.length > 0) await pulls.addAssignees(pr.number, assignees)
  if (autoMerge) await pulls.enableAutoMerge(pr.node_id, pr.number, autoMerge)
  if (operation === 'unchanged' && (labels.length > 0 || users.length > 0 || teams.length > 0 || assignees.length > 0 || autoMerge)) operation = 'updated'
  return { number: pr.number, url: pr.html_url, operation }
}

const PULLS = 'Pull requests: read and write' as const

/** What the action reads of a pull request (both the list's and the full form have it). */
interface PullRequestView {
  readonly number: number
  readonly node_id: string
  readonly html_url: string
  readonly title: string
  readonly body: string | null
  readonly labels: readonly { readonly name?: string }[]
  readonly requested_reviewers?: readonly { readonly login: string }[] | null
  readonly requested_teams?: readonly { readonly slug: string }[] | null
  readonly assignees?: readonly { readonly login: string }[] | null
  readonly auto_merge: { readonly merge_method: string } | null
}

/** The pull-request calls, each failing with the typed error that names the permission needed. */
class PullRequests {
  private readonly client: GitHubClient
  private readonly id: RepoId
  private readonly slug: string

  constructor(client: GitHubClient, slug: string) {
    this.client = client
    this.id = repoId(slug)
    this.slug = slug
  }

  private async call<T>(what: string, request: () => Promise<{ data: T }>, permission: Permission = PULLS): Promise<T> {
    try {
      return (await request()).data
    } catch (error) {
      throw apiError(error, `${what} in ${this.slug}`, permission)
    }
  }

  async findOpen(branch: string, base: string): Promise<PullRequestView | undefined> {
    const open = await this.call(`list the pull requests from ${branch}`, () =>
      this.client.rest.pulls.list({ ...this.id, state: 'open', head: `${this.id.owner}:${branch}`, base, per_page: 10 }),
    )
    return open.find((pr) => pr.head.ref === branch && pr.base.ref === base)
  }

  async create(fields: { title: string; body: string; head: string; base: string; draft: boolean }): Promise<PullRequestView> {
    try {
      return (await this.client.rest.pulls.create({ ...this.id, ...fields })).data
    } catch (error) {
      // A concurrent run opened it first: update that one instead.
      const failure = httpFailure(error)
      const raced = failure?.status === 422 && /already exists/i.test(failure.message) ? await this.findOpen(fields.head, fields.base) : undefined
      if (raced) return this.update(raced.number, { title: fields.title, body: fields.body })
      throw apiError(error, `open a pull request from ${fields.head} into ${fields.base} in ${this.slug}`, PULLS)
    }
  }

  update(number: number, fields: { title: string; body: string }): Promise<PullRequestView> {
    return this.call(`update pull request #${number}`, () => this.client.rest.pulls.update({ ...this.id, pull_number: number, ...fields }))
  }

  close(number: number) {
    return this.call(`close pull request #${number}`, () => this.client.rest.pulls.update({ ...this.id, pull_number: number, state: 'closed' }))
  }

  addAssignees(number: number, assignees: readonly string[]) {
    return this.call(`assign pull request #${number}`, () =>
      this.client.rest.issues.addAssignees({ ...this.id, issue_number: number, assignees: [...assignees] }),
    )
  }

  addLabels(number: number, labels: readonly string[]) {
    return this.call(`label pull request #${number}`, () => this.client.rest.issues.addLabels({ ...this.id, issue_number: number, labels: [...labels] }))
  }

  requestReviewers(number: number, reviewers: readonly string[], teams: readonly string[]) {
    return this.call(`request reviews on pull request #${number}`, () =>
      this.client.rest.pulls.requestReviewers({ ...this.id, pull_number: number, reviewers: [...reviewers], team_reviewers: [...teams] }),
    )
  }

  async enableAutoMerge(nodeId: string, number: number, method: 'merge' | 'squash' | 'rebase'): Promise<void> {
    try {
      await this.client.graphql(
        `mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
          enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
            pullRequest { autoMergeRequest { mergeMethod } }
          }
        }`,
        { pullRequestId: nodeId, mergeMethod: method.toUpperCase() },
      )
    } catch (error) {
      throw apiError(error, `enable auto-merge (${method}) on pull request #${number} in ${this.slug}`, PULLS)
    }
  }
}
