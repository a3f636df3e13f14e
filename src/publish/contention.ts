/**
 * The contention loop every publisher shares: run an attempt (read the tip, re-apply the edit, try
 * to move the branch by compare-and-swap); while it reports that the branch moved, back off and try
 * again on the new tip, at most `maxAttempts` times.
 */
import * as core from '@actions/core'
import { backoffDelay } from './retry.js'

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface ContentionLoop {
  readonly branch: string
  readonly maxAttempts: number
  /** Waits between attempts; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
  /** What the lost attempt was doing, for the log ("pushing"). */
  readonly doing: string
  /** The error once the last attempt lost the race too. */
  exhausted(attempts: number): Error
}

/** Runs `attempt` (numbered from 1) until it returns something other than 'moved'. */
export async function retryWhileMoving<T>(loop: ContentionLoop, attempt: (n: number) => Promise<T | 'moved'>): Promise<T> {
  const sleep = loop.sleep ?? defaultSleep
  for (let n = 1; ; n++) {
    const started = performance.now()
    const outcome = await attempt(n)
    if (outcome !== 'moved') return outcome
    if (n >= loop.maxAttempts) throw loop.exhausted(n)
    const delay = backoffDelay(n, performance.now() - started, Math.random())
    core.info(`${loop.branch} moved while ${loop.doing} (attempt ${n} of ${loop.maxAttempts}); re-applying on the new tip in ${delay} ms.`)
    await sleep(delay)
  }
}
