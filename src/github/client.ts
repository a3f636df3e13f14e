/**
 * The GitHub API client: Octokit from @actions/github, aimed at the runner's API (GitHub Enterprise
 * Server included), with every request held to the network bounds, transient failures and rate
 * limits retried, and every failure turned into one typed error that names the permission the token
 * lacks. The token is only ever in the Authorization header, and only to the API's origin.
 */
import { getOctokit } from '@actions/github'
import { defaults } from '@actions/github/lib/utils'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import Bottleneck from 'bottleneck'
import { ApiError, HostFailure, InputError } from '../errors.js'
import type { NetworkBounds } from '../network.js'
import { serverUrlOf } from '../source.js'
import { boundedFetch, StoppedRequest } from './bounded-fetch.js'

export type GitHubClient = ReturnType<typeof getOctokit>

/** The REST base URL: GITHUB_API_URL, else derived from GITHUB_SERVER_URL as Actions does. */
export function apiBaseUrl(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_API_URL) return env.GITHUB_API_URL.replace(/\/+$/, '')
  const server = serverUrlOf(env)
  return server === 'https://github.com' ? 'https://api.github.com' : `${server}/api/v3`
}

/** A rate limit longer than this is not waited out: the run fails and says so. */
const MAX_RATE_LIMIT_WAIT_S = 60
/** Requests refused by a rate limit are sent again this many times. */
const RATE_LIMIT_RETRIES = 2

export function createGitHubClient(token: string, env: NodeJS.ProcessEnv, bounds: NetworkBounds): GitHubClient {
  // The fetch @actions/github would use (through HTTPS_PROXY when the runner sets one), bounded.
  const fetch = boundedFetch((defaults.request?.fetch as typeof globalThis.fetch | undefined) ?? globalThis.fetch, bounds)
  // Writes go one at a time but without the plugin's default spacing (1 s, 3 s for notifications):
  // a promotion makes a handful of writes, and spacing them would widen every retry window by seconds.
  const unspaced = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 })
  const waitOut = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
    retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_S
  return getOctokit(
    token,
    {
      baseUrl: apiBaseUrl(env),
      request: { fetch },
      // 5xx and dropped connections: sent again 3 times. 409 and 422 answer a lost race: never.
      retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
      throttle: { write: unspaced(), notifications: unspaced(), onRateLimit: waitOut, onSecondaryRateLimit: waitOut },
    },
    retry,
    throttling,
  )
}

interface HttpFailure {
  readonly status: number
  readonly message: string
  readonly headers: Readonly<Record<string, string | number | undefined>>
}

/** The status, GitHub's message and headers of an Octokit RequestError; undefined for anything else. */
export function httpFailure(error: unknown): HttpFailure | undefined {
  // Octokit gives a stopped request a status of 500; the host never said so.
  if (error instanceof StoppedRequest) return undefined
  if (typeof error !== 'object' || error === null || typeof (error as { status?: unknown }).status !== 'number') return undefined
  const { status, message, response } = error as {
    status: number
    message: string
    response?: { headers?: Record<string, string | number | undefined>; data?: unknown }
  }
  const data = response?.data as { message?: unknown } | undefined
  return { status, message: typeof data?.message === 'string' ? data.message : message, headers: response?.headers ?? {} }
}

/** What a call needs: the fine-grained permission named in the error when the token lacks it. */
export type Permission = 'Contents: read and write' | 'Contents: read' | 'Pull requests: read and write'

/**
 * The typed error for a failed call: `what` says what was being done ("create the pull request in
 * acme/infra"), `permission` what the token needs for it.
 */
export function apiError(error: unknown, what: string, permission: Permission): Error {
  if (error instanceof StoppedRequest) {
    return error.stalled
      ? new HostFailure(
          `the GitHub API at ${error.message} while the action tried to ${what}.`,
          'This is a network or host problem; re-run the job later, or raise network-timeout-seconds if the host is slow but working.',
        )
      : new ApiError(
          `the GitHub API at ${error.message}, when the action tried to ${what}.`,
          'Set GITHUB_API_URL to the API address the host redirects to; the action sends the token to no other host.',
        )
  }
  const failure = httpFailure(error)
  const graphqlErrors = (error as { errors?: { message?: string }[] } | null)?.errors
  if (!failure && Array.isArray(graphqlErrors)) {
    return new ApiError(
      `GitHub refused to ${what}: ${graphqlErrors.map((e) => e.message).join('; ')}.`,
      'Check the repository settings the message names (auto-merge must be allowed in the infra repository for pr-auto-merge).',
    )
  }
  if (!failure)
    return new ApiError(
      `could not reach the GitHub API to ${what}: ${error instanceof Error ? error.message : String(error)}.`,
      'Check GITHUB_API_URL and the network, then re-run the job.',
    )
  const detail = `HTTP ${failure.status}: ${failure.message}`
  switch (failure.status) {
    case 401:
      return new InputError(
        'infra-token',
        `GitHub rejected the token while trying to ${what} (${detail})`,
        'Set infra-token from a secret holding a valid, unexpired token (fine-grained PAT or GitHub App installation token).',
      )
    case 403:
      return new InputError(
        'infra-token',
        `the token may not ${what} (${detail})`,
        `Give infra-token ${permission} on the infra repository (fine-grained PAT or GitHub App permission).`,
      )
    case 404:
      return new InputError(
        'infra-repo',
        `GitHub found nothing while trying to ${what} (${detail})`,
        `Check the owner/name spelling, and that infra-token can see the repository with ${permission} (a token without access gets "not found").`,
      )
    default:
      return new ApiError(`GitHub failed to ${what} (${detail}).`, 'If GitHub is having problems, re-run the job later.')
  }
}
