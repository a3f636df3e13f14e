/** The push-contention policy: which rejections mean "the branch moved", and how long to back off. Pure. */

/** Every form hosts use to say the branch moved under us (git, GitHub, GitLab, Gitea, Bitbucket). */
const BRANCH_MOVED = [
  /non-fast-forward/i,
  /\(fetch first\)/i,
  /failed to update ref/i,
  /cannot lock ref/i,
  /incorrect old value provided/i,
  /stale info/i,
  /\b409\b/,
  /Update is not a fast forward/i,
  /reference already exists/i,
]

export function isBranchMoved(stderr: string): boolean {
  return BRANCH_MOVED.some((pattern) => pattern.test(stderr))
}

export interface BackoffPolicy {
  readonly baseMs: number
  readonly capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 400, capMs: 10_000 }

/**
 * Delay before retry `attempt` (1 = after the first failure): exponential with "equal jitter", so
 * racing runners spread out but none retries at once. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}
