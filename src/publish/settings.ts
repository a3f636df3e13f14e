/** Settings of the infra repository and the commit: pure, from inputs and the runner's env. */
import { InputError } from '../errors.js'
import { booleanInput, integerInput, required, type InputReader } from '../inputs.js'
import { parseNetworkBounds, type NetworkBounds } from '../network.js'
import { serverUrlOf } from '../source.js'
import type { CommitIdentity } from './types.js'

export interface InfraRepo {
  /** Clone URL without credentials. */
  readonly url: string
  /** `owner/name` when the repo is on the runner's GitHub host; undefined for another host. */
  readonly slug?: string
  /** Web base of the repository (`https://github.com/owner/name`), when known. */
  readonly webUrl?: string
  readonly token: string
  /** The Basic-auth user name sent with the token; absent: GitHub's (git-http.ts). */
  readonly username?: string
  /** Empty: the remote's default branch. */
  readonly branch: string
}

export interface PublishSettings {
  readonly infra: InfraRepo
  /** Empty: the default template. */
  readonly commitMessage: string
  readonly author: CommitIdentity
  readonly dryRun: boolean
  readonly maxAttempts: number
  /** How long the landing may take, lost races and host failures included. */
  readonly timeoutSeconds: number
  /** Let an older image replace a newer one (the explicit rollback path). */
  readonly allowDowngrade: boolean
  /** How long a request to the infra host may stall, and take. */
  readonly network: NetworkBounds
}

/**
 * Lost races tolerated, and the time budget of a landing, when the inputs do not say. Against a
 * pusher that never backs off a try can lose many times in a row, each loss costing well under a
 * second: the time budget, not the count, is what should end a run that is still making progress.
 */
export const DEFAULT_MAX_ATTEMPTS = 100
export const DEFAULT_TIMEOUT_SECONDS = 300

const SLUG = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/
/** A valid branch name (git check-ref-format, without the refs/heads/ prefix). */
export const BRANCH_NAME = /^(?!\/|.*(?:\/\/|\/\.|\.\.|@\{|\\|\.lock(?:\/|$)))[^\x00-\x20~^:?*[\x7f]+(?<![/.])$/

export function parseInfraRepo(inputs: InputReader, env: NodeJS.ProcessEnv): InfraRepo {
  const raw = required(inputs, 'infra-repo', 'Set infra-repo to the GitOps repository, as owner/name or a full https:// git URL.')
  const token = inputs.get('infra-token')
  const branch = inputs.get('infra-branch').replace(/^refs\/heads\//, '')
  if (branch !== '' && !BRANCH_NAME.test(branch)) {
    throw new InputError('infra-branch', `'${branch}' is not a valid branch name`, 'Give a branch name such as main, or leave it empty for the default branch.')
  }
  const username = inputs.get('infra-username')
  if (!/^[^\s:\x00-\x1f\x7f]*$/.test(username)) {
    throw new InputError(
      'infra-username',
      `'${username}' cannot be a user name in Basic authentication (it holds a colon, a space or a control character)`,
      "Give the user name the host expects with a token: oauth2 for GitLab, x-token-auth for Bitbucket, the token owner's for Gitea.",
    )
  }
  const credentials = { token, ...(username ? { username } : {}) }
  const serverUrl = serverUrlOf(env)
  if (SLUG.test(raw)) {
    const slug = raw.replace(/\.git$/, '')
    return { url: `${serverUrl}/${slug}.git`, slug, webUrl: `${serverUrl}/${slug}`, ...credentials, branch }
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new InputError('infra-repo', `'${raw}' is neither owner/name nor a URL`, 'Use owner/name (e.g. my-org/infra) or a full https:// git URL.')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('infra-repo', `the ${url.protocol} scheme is not supported`, 'Use an https:// (or http://) git URL; SSH remotes are not supported.')
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError('infra-repo', 'the URL carries credentials', 'Remove them from the URL and pass the token in infra-token (from a secret).')
  }
  const path = url.pathname
    .replace(/^\/+/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
  const onServer = url.origin === new URL(serverUrl).origin && SLUG.test(path)
  return {
    url: url.toString(),
    ...(onServer ? { slug: path, webUrl: `${serverUrl}/${path}` } : {}),
    ...credentials,
    branch,
  }
}

export function parsePublishSettings(inputs: InputReader, env: NodeJS.ProcessEnv): PublishSettings {
  return {
    infra: parseInfraRepo(inputs, env),
    commitMessage: inputs.get('commit-message'),
    author: {
      name: inputs.get('git-user-name') || 'github-actions[bot]',
      email: inputs.get('git-user-email') || '41898282+github-actions[bot]@users.noreply.github.com',
    },
    dryRun: booleanInput(inputs, 'dry-run', false),
    maxAttempts: integerInput(inputs, 'max-attempts', DEFAULT_MAX_ATTEMPTS, 1, 1000),
    timeoutSeconds: integerInput(inputs, 'timeout-seconds', DEFAULT_TIMEOUT_SECONDS, 10, 21_600),
    allowDowngrade: booleanInput(inputs, 'allow-downgrade', false),
    network: parseNetworkBounds(inputs),
  }
}
