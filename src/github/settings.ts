/** Settings of pull-request mode and API commits: pure, from inputs. */
import { InputError } from '../errors.js'
import { booleanInput, choiceInput, listInput, type InputReader } from '../inputs.js'
import { parseNetworkBounds, type NetworkBounds } from '../network.js'
import { BRANCH_NAME, type InfraRepo } from '../publish/settings.js'

export type PublishMode = 'push' | 'pull-request'
export type CommitVia = 'git' | 'api'
export type AutoMergeMethod = 'merge' | 'squash' | 'rebase'

export interface PullRequestSettings {
  /** Empty: `promote/<image path>/<hash of the target files>`. */
  readonly branch: string
  /** Empty: the commit message's subject. Same placeholders as commit-message. */
  readonly title: string
  readonly labels: readonly string[]
  /** Users (`octocat`) and teams (`org/team`). */
  readonly reviewers: readonly string[]
  /** Users to assign. */
  readonly assignees: readonly string[]
  /** Empty: the promotion record (image, source, each target's diff). Same placeholders as commit-message. */
  readonly body: string
  readonly draft: boolean
  /** Undefined: auto-merge is left alone. */
  readonly autoMerge?: AutoMergeMethod
}

export interface GitHubPublishSettings {
  readonly mode: PublishMode
  readonly commitVia: CommitVia
  readonly pullRequest: PullRequestSettings
  /** How long a request to the GitHub API may stall, and take. */
  readonly network: NetworkBounds
}

const REVIEWER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9_.-]+)?$/

export function parseGitHubPublishSettings(inputs: InputReader): GitHubPublishSettings {
  const branch = inputs.get('pr-branch').replace(/^refs\/heads\//, '')
  if (branch !== '' && !BRANCH_NAME.test(branch)) {
    throw new InputError('pr-branch', `'${branch}' is not a valid branch name`, 'Give a branch name such as promote/my-app, or leave it empty for the default.')
  }
  const reviewers = entries(inputs, 'pr-reviewers').map((r) => r.replace(/^@/, ''))
  const bad = reviewers.find((r) => !REVIEWER.test(r))
  if (bad !== undefined) {
    throw new InputError(
      'pr-reviewers',
      `'${bad}' is neither a user name nor an org/team`,
      'List GitHub user names (octocat) or teams (my-org/platform), one a line or comma-separated.',
    )
  }
  const assignees = entries(inputs, 'pr-assignees').map((a) => a.replace(/^@/, ''))
  const badAssignee = assignees.find((a) => !REVIEWER.test(a) || a.includes('/'))
  if (badAssignee !== undefined) {
    throw new InputError('pr-assignees', `'${badAssignee}' is not a GitHub user name`, 'List GitHub user names (octocat), one a line or comma-separated.')
  }
  const autoMerge = inputs.get('pr-auto-merge') === '' ? undefined : choiceInput(inputs, 'pr-auto-merge', ['merge', 'squash', 'rebase'] as const, 'merge')
  return {
    mode: choiceInput(inputs, 'mode', ['push', 'pull-request'] as const, 'push'),
    commitVia: choiceInput(inputs, 'commit-via', ['git', 'api'] as const, 'git'),
    pullRequest: {
      branch,
      title: inputs.get('pr-title'),
      labels: entries(inputs, 'pr-labels'),
      reviewers,
      assignees,
      body: inputs.get('pr-body'),
      draft: booleanInput(inputs, 'pr-draft', false),
      ...(autoMerge ? { autoMerge } : {}),
    },
    network: parseNetworkBounds(inputs),
  }
}

/** One entry a line or comma-separated. */
function entries(inputs: InputReader, name: string): string[] {
  return listInput(inputs, name)
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean)
}

/**
 * What the GitHub API needs, checked with the other inputs before anything is built or pushed: a
 * repository on this host, and a token.
 */
export function checkGitHubReach(delivery: GitHubPublishSettings, infra: InfraRepo, serverUrl: string): void {
  if (delivery.mode !== 'pull-request' && delivery.commitVia !== 'api') return
  if (!infra.slug) {
    throw new InputError(
      'infra-repo',
      `${infra.url} is not a repository on ${serverUrl}, so the GitHub API cannot reach it`,
      'Give infra-repo as owner/name on this GitHub host for mode: pull-request or commit-via: api, or use mode: push with commit-via: git.',
    )
  }
  if (infra.token === '') {
    throw new InputError(
      'infra-token',
      'is required with mode: pull-request or commit-via: api',
      'Set infra-token from a secret holding a token with Contents (and, for pull requests, Pull requests) read and write on the infra repository.',
    )
  }
}
