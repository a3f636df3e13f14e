/**
 * Publishing through GitHub (mode: pull-request, commit-via: api), behind one entry point that
 * main.ts loads only when one of them is asked for: Octokit is a large part of the bundle, and a plain
 * git push should not pay for loading it.
 */
import type { Target } from '../edit/types.js'
import { publish } from '../publish/publisher.js'
import type { InfraRepo } from '../publish/settings.js'
import type { InfraStore } from '../publish/store.js'
import type { Promotion, PromotionPlan } from '../publish/types.js'
import { ApiStore } from './api-store.js'
import { createGitHubClient } from './client.js'
import { renderCommitMessage, type MessageFacts } from '../publish/commit-message.js'
import { promoteBranch, pullRequestBody } from './pr-content.js'
import { publishPullRequest, type PullRequestResult } from './pull-request.js'
import type { GitHubPublishSettings } from './settings.js'

export interface PullRequestFacts {
  /** The images promoted (their branch is one per set of images and targets). */
  readonly imageNames: readonly string[]
  readonly targets: readonly Target[]
  /** What a plan promotes, as the commit message's placeholders know it. */
  facts(plan: PromotionPlan): MessageFacts
}

export interface GitHubDelivery {
  /** The API store, when commits go through the API (`commit-via: api`). */
  readonly store?: InfraStore
  /** Lands the promotion through `store` (the API store, or git's): a commit, or a pull request. */
  publish(store: InfraStore, promotion: Promotion, facts: PullRequestFacts): Promise<PullRequestResult>
}

export function connectGitHub(infra: InfraRepo, delivery: GitHubPublishSettings, env: NodeJS.ProcessEnv): GitHubDelivery {
  // Settings made sure a GitHub delivery has a repository on this host and a token.
  const slug = infra.slug!
  const client = createGitHubClient(infra.token, env, delivery.network)
  return {
    ...(delivery.commitVia === 'api' ? { store: new ApiStore(client, slug, infra.branch) } : {}),
    publish(store, promotion, facts) {
      if (delivery.mode !== 'pull-request') return publish(store, promotion)
      const { pullRequest } = delivery
      return publishPullRequest(store, client, slug, promotion, {
        branch: pullRequest.branch || promoteBranch(facts.imageNames, facts.targets),
        settings: pullRequest,
        title: (plan) => (pullRequest.title ? renderCommitMessage(pullRequest.title, facts.facts(plan)) : promotion.message(plan)).split('\n')[0],
        body: (plan) =>
          pullRequest.body
            ? renderCommitMessage(pullRequest.body, facts.facts(plan))
            : pullRequestBody({ ...facts.facts(plan), baseBranch: promotion.branch }, plan),
      })
    },
  }
}
