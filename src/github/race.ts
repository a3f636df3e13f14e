/** The contention loop shared by the API publishers: re-read and re-apply while the branch keeps moving. */
import * as core from '@actions/core'
import { ApiError } from '../errors.js'
import { backoffDelay } from '../publish/retry.js'

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Runs `attempt` (numbered from 1) until it returns something other than 'moved', backing off with
 * jitter in between, at most `maxAttempts` times.
 */
export async function retryWhileMoving<T>(
  branch: string,
  maxAttempts: number,
  sleep: (ms: number) => Promise<void>,
  attempt: (n: number) => Promise<T | 'moved'>,
): Promise<T> {
  for (let n = 1; ; n++) {
    const outcome = await attempt(n)
    if (outcome !== 'moved') return outcome
    if (n >= maxAttempts) {
      throw new ApiError(
        `the update of ${branch} was refused ${n} times because the branch kept moving.`,
        'Nothing was published. Raise max-attempts if many pipelines promote into this branch at once, or re-run the job.',
      )
    }
    const delay = backoffDelay(n, Math.random())
    core.info(`${branch} moved while updating it (attempt ${n} of ${maxAttempts}); re-applying on the new head in ${delay} ms.`)
    await sleep(delay)
  }
}
