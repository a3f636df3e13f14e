/**
 * Lands a promotion by git push, under contention: build the commit on the fetched tip, push without
 * force, and when the branch moved, fetch the new tip and re-apply the edit to its files. The edit is a
 * function of the files, so a retry never needs a textual rebase and never reverts a neighbour.
 */
import * as core from '@actions/core'
import { GitError } from '../errors.js'
import { commitDiff } from './git-commit.js'
import { gitErrorLines } from './git-command.js'
import { InfraRemote, remoteError } from './git-remote.js'
import { backoffDelay, isBranchMoved } from './retry.js'
import type { Promotion, PublishResult } from './types.js'

export interface GitPublishOptions {
  /** Waits between attempts; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function publishViaGit(remote: InfraRemote, promotion: Promotion, options: GitPublishOptions = {}): Promise<PublishResult & { diff?: string }> {
  const sleep = options.sleep ?? defaultSleep
  for (let attempt = 1; ; attempt++) {
    const tip = await remote.fetchTip(promotion.branch)
    const plan = await promotion.plan(remote.files(tip))
    if (plan.files.length === 0) {
      return { changed: false, attempts: attempt, plan, skippedReason: plan.stale.length > 0 ? 'stale' : 'up-to-date' }
    }
    const commit = await remote.commit(tip, plan.files, promotion.message(plan), promotion.author)
    if (promotion.dryRun) {
      return { changed: true, commitSha: commit, attempts: attempt, plan, diff: await commitDiff(remote.git, commit) }
    }
    const pushed = await remote.push(commit, tip, promotion.branch)
    if (pushed.exitCode === 0) {
      core.info(`Pushed ${commit.slice(0, 12)} onto ${promotion.branch} (attempt ${attempt}).`)
      return { changed: true, commitSha: commit, attempts: attempt, plan }
    }
    const output = `${pushed.stdout}\n${pushed.stderr}`
    if (!isBranchMoved(output)) {
      if (/hook declined|protected branch|GH00\d|declined/i.test(output)) {
        throw new GitError(
          `the infra repository declined the push to ${promotion.branch}: ${gitErrorLines({ ...pushed, stderr: output })}.`,
          'The branch is protected or a server hook refused the commit: use mode: pull-request, or allow the token to push to this branch.',
        )
      }
      throw remoteError(remote.infra, `push to ${promotion.branch} of`, pushed)
    }
    if (attempt >= promotion.maxAttempts) {
      throw new GitError(
        `the push to ${promotion.branch} was rejected ${attempt} times because the branch kept moving (${gitErrorLines({ ...pushed, stderr: output }, 2)}).`,
        'Nothing was pushed. Raise max-attempts if many pipelines promote into this branch at once, or re-run the job.',
      )
    }
    const delay = backoffDelay(attempt, Math.random())
    core.info(`${promotion.branch} moved while pushing (attempt ${attempt} of ${promotion.maxAttempts}); re-applying on the new tip in ${delay} ms.`)
    await sleep(delay)
  }
}
