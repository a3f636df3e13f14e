/**
 * The GitHub API client: Octokit from @actions/github, aimed at the runner's API (GitHub Enterprise
 * Server included), with transient failures and rate limits retried, and every failure turned into
 * one typed error that names the permission the token lacks. The token is only ever in the
 * Authorization header.
 */
import { getOctokit } from '@actions/github'
import { ApiError, InputError } from '../errors.js'
import { serverUrlOf } from '../source.js'

export type GitHubClient = ReturnType<typeof getOctokit>

/** The REST base URL: GITHUB_API_URL, else derived from GITHUB_SERVER_URL as Actions does. */
export function apiBaseUrl(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_API_URL) return env.GITHUB_API_URL.replace(/\/+$/, '')
  const server = serverUrlOf(env)
  return server === 'https://github.com' ? 'https://api.github.com' : `${server}/api/v3`
}

export interface ClientOptions {
  /** Waits before retrying a transient failure; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Retries of a transient failure (5xx, rate limit) before giving up. */
  readonly retries?: number
}

const TRANSIENT = new Set([500, 502, 503, 504])
const MAX_RATE_LIMIT_WAIT_MS = 60_000

/** How long to wait before retrying a failed request; undefined when it is not worth retrying. */
export function retryDelay(status: number, headers: Readonly<Record<string, string | number | undefined>>, attempt: number, now: number): number | undefined {
  const retryAfter = Number(headers['retry-after'])
  const rateLimited = (status === 403 || status === 429) && (Number.isFinite(retryAfter) || String(headers['x-ratelimit-remaining']) === '0')
  if (rateLimited) {
    const wait = Number.isFinite(retryAfter) ? retryAfter * 1000 : Number(headers['x-ratelimit-reset']) * 1000 - now
    return wait <= MAX_RATE_LIMIT_WAIT_MS ? Math.max(wait, 1000) : undefined
  }
  return TRANSIENT.has(status) ? 1000 * 2 ** (attempt - 1) : undefined
}

export function createGitHubClient(token: string, env: NodeJS.ProcessEnv, options: ClientOptions = {}): GitHubClient {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const retries = options.retries ?? 3
  const client = getOctokit(token, { baseUrl: apiBaseUrl(env) })
  client.hook.wrap('request', async (request, requestOptions) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(requestOptions)
      } catch (error) {
        const failure = httpFailure(error)
        const delay = failure && attempt <= retries ? retryDelay(failure.status, failure.headers, attempt, Date.now()) : undefined
        if (delay === undefined) throw error
        await sleep(delay)
      }
    }
  })
  return client
}

interface HttpFailure {
  readonly status: number
  readonly message: string
  readonly headers: Readonly<Record<string, string | number | undefined>>
}

/** The status, GitHub's message and headers of an Octokit RequestError; undefined for anything else. */
export function httpFailure(error: unknown): HttpFailure | undefined {
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
