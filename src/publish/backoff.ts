/**
 * How long a run waits after losing the race for the branch (the tip moved between reading it and
 * pushing) before it reads the tip again: a jittered delay counted in retry windows (tip read to
 * push sent), growing with each lost race up to a cap of a few windows and an absolute ceiling, so
 * that runs racing each other spread out while a run losing to a pusher that never backs off is back
 * within a second or so. Pure; when to stop (max attempts, time budget) belongs to the
 * contention loop. Tuned with `npx tsx bench/contention-sim.ts`.
 */

export interface BackoffPolicy {
  /** A window counts as at least this long, so that runs with very fast windows still spread out. */
  readonly minWindowMs: number
  /** The ceiling after the first lost race, in windows of the losing attempt. */
  readonly firstCeilingWindows: number
  /** The ceiling grows by this factor with each further lost race… */
  readonly growth: number
  /** …up to this many windows… */
  readonly maxCeilingWindows: number
  /** …and up to this many milliseconds, however slow the window. */
  readonly maxDelayMs: number
}

/**
 * In the simulation every racer of 16 or 64 lands with a cap of 8 windows, against a pusher every
 * 150 ms too. A cap of 4 was quicker there, but not in real bursts at 30,000 apps, where a push costs
 * the host more; the 15 s ceiling keeps a slow (1 s) window from waiting tens of seconds.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { minWindowMs: 50, firstCeilingWindows: 2, growth: 1.5, maxCeilingWindows: 8, maxDelayMs: 15_000 }

/** Delay in ms before retry after the `lost`-th lost race (1-based), given `windowMs` (how long the losing attempt's retry window — tip read to push sent — took) and `random` in [0,1). */
export function backoffDelay(lost: number, windowMs: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const windows = Math.min(policy.maxCeilingWindows, policy.firstCeilingWindows * policy.growth ** Math.max(0, lost - 1))
  const ceiling = Math.min(policy.maxDelayMs, windows * Math.max(policy.minWindowMs, windowMs))
  // Equal jitter, [ceiling/2, ceiling]: racers that lost to the same push spread out, and none is back
  // before the winner's next competitor has had half a ceiling to land.
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}
