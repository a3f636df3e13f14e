/**
 * Lands a promotion by git push, under contention: build the commit on the fetched tip, push it as a
 * compare-and-swap on that tip, and when the branch moved, fetch the new tip and re-apply the edit to
 * its files. The edit is a function of the files, so a retry never needs a textual rebase and never
 * reverts a neighbour.
 */
import * as core from '@actions/core'
import { GitError } from '../errors.js'
import { retryWhileMoving } from './contention.js'
import { commitDiff } from './git-commit.js'
import { gitErrorLines, type GitOutput } from './git-command.js'
import { InfraRemote, remoteError } from './git-remote.js'
import { isBranchMoved, isTransientFailure } from './retry.js'
import type { Promotion, PromotionPlan, PublishResult } from './types.js'

export interface GitPublishOptions {
  /** Waits between attempts; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
}

export function publishViaGit(remote: InfraRemote, promotion: Promotion, options: GitPublishOptions = {}): Promise<PublishResult & { diff?: string }> {
  const { branch } = promotion
  let lastRefusal = ''
  /** A push whose answer was lost (a 5xx, a dropped connection): it may have landed. */
  let unconfirmed: { commit: string; plan: PromotionPlan } | undefined
  const loop = {
    branch,
    maxAttempts: promotion.maxAttempts,
    doing: 'pushing',
    exhausted: (attempts: number) =>
      new GitError(
        `the push to ${branch} was rejected ${attempts} times because the branch kept moving (${lastRefusal}).`,
        'Nothing was pushed. Raise max-attempts if many pipelines promote into this branch at once, or re-run the job.',
      ),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  }
  return retryWhileMoving(loop, async (attempt) => {
    const tip = await remote.fetchTip(branch)
    if (tip === unconfirmed?.commit) {
      core.info(`The earlier push of ${tip.slice(0, 12)} did land on ${branch}.`)
      return { changed: true, commitSha: tip, attempts: attempt - 1, plan: unconfirmed.plan }
    }
    const plan = await promotion.plan(remote.files(tip))
    if (plan.files.length === 0) {
      return { changed: false, attempts: attempt, plan, skippedReason: plan.stale.length > 0 ? ('stale' as const) : ('up-to-date' as const) }
    }
    const commit = await remote.commit(tip, plan.files, promotion.message(plan), promotion.author)
    if (promotion.dryRun) {
      return { changed: true, commitSha: commit, attempts: attempt, plan, diff: await commitDiff(remote.git, commit) }
    }
    const pushed = await remote.push(commit, `refs/heads/${branch}`, tip)
    if (pushed.exitCode === 0) {
      core.info(`Pushed ${commit.slice(0, 12)} onto ${branch} (attempt ${attempt}).`)
      return { changed: true, commitSha: commit, attempts: attempt, plan }
    }
    const refusal: GitOutput = { ...pushed, stderr: `${pushed.stdout}\n${pushed.stderr}` }
    lastRefusal = gitErrorLines(refusal, 2)
    if (isTransientFailure(refusal.stderr)) {
      // Whether it landed is learnt from the next tip: ours, or one to re-apply the edit on.
      core.info(`The push's answer was lost (${gitErrorLines(refusal, 1)}); reading ${branch} again before anything else.`)
      unconfirmed = { commit, plan }
      return 'moved'
    }
    if (!isBranchMoved(refusal.stderr)) throw pushRefused(remote, branch, refusal)
    return 'moved'
  })
}

/** A refusal that is not a lost race: stop at once. */
function pushRefused(remote: InfraRemote, branch: string, refusal: GitOutput): Error {
  if (/hook declined|protected branch|GH00\d|declined/i.test(refusal.stderr)) {
    return new GitError(
      `the infra repository declined the push to ${branch}: ${gitErrorLines(refusal)}.`,
      'The branch is protected or a server hook refused the commit: use mode: pull-request, or allow the token to push to this branch.',
    )
  }
  return remoteError(remote.infra, `push to ${branch} of`, refusal)
}
