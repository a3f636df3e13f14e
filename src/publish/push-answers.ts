/**
 * What a host's answer to a push means, in one place: the branch moved under us (and, where the host
 * says, where it is now), or a refusal with the advice that fits it. Pure.
 */
import { GitError } from '../errors.js'
import type { UpdateMode } from './store.js'

/** Every form hosts use to say the branch moved under us (git, GitHub, GitLab, Gitea, Bitbucket). */
const BRANCH_MOVED = [
  /non-fast-forward/i,
  /fetch first/i,
  /failed to update ref/i,
  /failed to lock/i,
  /cannot lock ref/i,
  /incorrect old value provided/i,
  /stale info/i,
  /\b409\b/,
  /Update is not a fast forward/i,
  /reference already exists/i,
]

export function isBranchMoved(text: string): boolean {
  return BRANCH_MOVED.some((pattern) => pattern.test(text))
}

/** Where the branch is now, from git's lock error (`cannot lock ref '…': is at <oid> but expected <oid>`). */
export function lockedAt(messages: readonly string[]): string | undefined {
  for (const line of messages) {
    const match = /is at ([0-9a-f]{40}) but expected/.exec(line)
    if (match) return match[1]
  }
  return undefined
}

/** The longest rejection shown whole; a host that says more is cut, with a mark. */
const MAX_REJECTION = 4000

/** The host's words: every message line and the refusal reason, bounded. */
export function hostWords(messages: readonly string[], reason?: string): string {
  const text = [...messages, ...(reason && !messages.some((m) => m.includes(reason)) ? [reason] : [])].join(' | ')
  return text.length > MAX_REJECTION ? `${text.slice(0, MAX_REJECTION)}…` : text
}

/**
 * Whether a refused push lost a race, or the error to stop with. Forced (the action's own branch),
 * only a failed compare-and-swap is a race: anything else is the host's policy.
 */
export function judgeRefusal(answer: { reason?: string; messages: readonly string[] }, branch: string, where: string, mode: UpdateMode): 'moved' | Error {
  const words = hostWords(answer.messages, answer.reason)
  const lostLease = lockedAt(answer.messages) !== undefined || /failed to (update ref|lock)|stale info|incorrect old value/i.test(words)
  if (mode === 'force' ? lostLease : isBranchMoved(words)) return 'moved'
  if (mode === 'force') {
    return new GitError(
      `${where} refused the forced update of ${branch}, the action's own pull-request branch (${words}).`,
      'Allow force pushes to that branch (exclude promote/** from branch protection), or name another one in pr-branch.',
    )
  }
  if (/GH006|GH013|protected branch|ruleset|hook declined|declined|pull request/i.test(words)) {
    return new GitError(
      `${where} declined the push to ${branch}: ${words}.`,
      'The branch is protected or a server hook refused the commit: use mode: pull-request, or allow the token to push to this branch.',
    )
  }
  return new GitError(`${where} refused the push to ${branch}: ${words || 'no reason given'}.`, 'Nothing was pushed; the host says why above.')
}
