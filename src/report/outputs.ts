/** The action's outputs: a public contract, set in one place. */
import * as core from '@actions/core'

export interface PromotionOutputs {
  readonly imageRef: string
  readonly tag: string
  readonly digest: string
  readonly changed: boolean
  readonly commitSha: string
  readonly commitUrl: string
  readonly attempts: number
  readonly skippedReason: string
  /** Set in pull-request mode when a pull request shows the promotion. */
  readonly pullRequest?: { readonly number: number; readonly url: string; readonly operation: string }
}

export function setOutputs(outputs: PromotionOutputs): void {
  core.setOutput('image-ref', outputs.imageRef)
  core.setOutput('tag', outputs.tag)
  core.setOutput('digest', outputs.digest)
  core.setOutput('changed', String(outputs.changed))
  core.setOutput('commit-sha', outputs.commitSha)
  core.setOutput('commit-url', outputs.commitUrl)
  core.setOutput('attempts', String(outputs.attempts))
  core.setOutput('skipped-reason', outputs.skippedReason)
  core.setOutput('pull-request-number', outputs.pullRequest ? String(outputs.pullRequest.number) : '')
  core.setOutput('pull-request-url', outputs.pullRequest?.url ?? '')
  core.setOutput('pull-request-operation', outputs.pullRequest?.operation ?? '')
}

/** The last state Argo CD reported of each application, one a line in the order of argocd-app. */
export interface DeploymentOutputs {
  readonly syncStatus: readonly string[]
  readonly healthStatus: readonly string[]
  readonly revision: readonly string[]
}

export function setDeploymentOutputs(outputs: DeploymentOutputs): void {
  core.setOutput('argocd-sync-status', outputs.syncStatus.join('\n'))
  core.setOutput('argocd-health-status', outputs.healthStatus.join('\n'))
  core.setOutput('argocd-revision', outputs.revision.join('\n'))
}
