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

/** Failures on the way to the server or from it that pass: a 5xx, a dropped connection, DNS. */
const TRANSIENT = [
  /The requested URL returned error: 5\d\d/i,
  /RPC failed; HTTP 5\d\d/i,
  /Could not resolve host/i,
  /Failed to connect to/i,
  /Connection (refused|reset|timed out)/i,
  /Operation timed out/i,
  /remote end hung up unexpectedly/i,
  /early EOF/i,
  /unexpected disconnect/i,
  /HTTP\/2 stream \d+ was not closed cleanly/i,
  /TLS connection was non-properly terminated|gnutls_handshake\(\) failed|SSL_ERROR_SYSCALL/i,
]
/** What an answer says when the request itself was refused: never worth sending again. */
const REFUSED = /\b40[134]\b|Authentication failed|Permission to .* denied|Repository not found/i

export function isTransientFailure(stderr: string): boolean {
  return !REFUSED.test(stderr) && TRANSIENT.some((pattern) => pattern.test(stderr))
}

/** Waits before sending a failed network call again (1-based `retry`): a fixed short ladder. */
export const NETWORK_RETRY_DELAYS_MS = [1000, 3000] as const

export interface BackoffPolicy {
  /** The ceiling grows by this factor with each lost race. */
  readonly growth: number
  /** An attempt is taken to last at least this long, so that very fast attempts still spread out. */
  readonly minAttemptMs: number
  /** The ceiling stops growing at this many attempt durations… */
  readonly capAttempts: number
  /** …and at this many milliseconds. */
  readonly capMs: number
}

/**
 * Tuned with a simulation of a burst of N runs racing for one branch (each attempt reads the tip,
 * works for one attempt duration, then pushes): with 10 attempts, no run gave up for N = 16 to 50,
 * and 3% of bursts of 100 lost one run.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { growth: 2.5, minAttemptMs: 250, capAttempts: 64, capMs: 60_000 }

/**
 * Delay before retry `attempt` (1 = after the first lost race), given how long the lost attempt took
 * (`attemptMs`): the window a racing run needs is about one attempt, so the ceiling starts there and
 * grows exponentially; "equal jitter" draws from [ceiling/2, ceiling] so racing runs spread out but
 * none retries at once. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, attemptMs: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const unit = Math.max(policy.minAttemptMs, attemptMs)
  const ceiling = Math.min(policy.capMs, unit * policy.capAttempts, unit * policy.growth ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}
