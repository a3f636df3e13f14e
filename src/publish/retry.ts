/**
 * The landing loop every publisher shares, and the only place the action waits: run an attempt
 * (read the tip, re-apply the edit, move the branch by compare-and-swap); while it reports that the
 * branch moved, wait a few retry windows (backoff.ts) and try again on the new tip — at most
 * `maxAttempts` times and within a time budget. A host failure (a 5xx, a dropped connection, a
 * timeout) is not a lost race: the attempt is made again a bounded number of times, then the host's
 * failure is the error.
 */
import * as core from '@actions/core'
import { HostFailure } from '../errors.js'
import { backoffDelay } from './backoff.js'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Waits before making an attempt again after a host failure: a fixed short ladder, then give up. */
export const HOST_FAILURE_DELAYS_MS = [1000, 3000] as const

/** An attempt that lost the race; `windowMs` is how long it took from reading the tip to pushing. */
export interface Moved {
  readonly moved: true
  readonly windowMs: number
}

export interface LandingLoop {
  readonly branch: string
  /** Lost races tolerated: the loop gives up when this many attempts lost. */
  readonly maxAttempts: number
  /** No wait starts that would end past this many ms after the loop started. */
  readonly budgetMs: number
  /** What the lost attempt was doing, for the log ("pushing"). */
  readonly doing: string
  /** The error once the races are lost for good (`attempts` lost, in `seconds`). */
  exhausted(attempts: number, seconds: number): Error
  /** Waits; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** Runs `attempt` (numbered from 1) until it returns something other than `Moved`. */
export async function retryWhileMoving<T extends object>(loop: LandingLoop, attempt: (n: number) => Promise<T | Moved>): Promise<T> {
  const wait = loop.sleep ?? sleep
  const started = performance.now()
  const elapsed = () => performance.now() - started
  let lost = 0
  let hostFailures = 0
  for (let n = 1; ; n++) {
    let outcome: T | Moved
    try {
      outcome = await attempt(n)
    } catch (error) {
      const delay = error instanceof HostFailure ? HOST_FAILURE_DELAYS_MS[hostFailures++] : undefined
      if (delay === undefined || elapsed() + delay > loop.budgetMs) throw error
      core.info(`${(error as HostFailure).message} Trying again in ${delay} ms.`)
      await wait(delay)
      continue
    }
    if (!('moved' in outcome)) return outcome
    lost++
    const delay = backoffDelay(lost, outcome.windowMs, Math.random())
    if (lost >= loop.maxAttempts || elapsed() + delay > loop.budgetMs) throw loop.exhausted(lost, elapsed() / 1000)
    core.info(`${loop.branch} moved while ${loop.doing} (attempt ${n}, ${lost} of ${loop.maxAttempts} lost); re-applying on the new tip in ${delay} ms.`)
    await wait(delay)
  }
}
