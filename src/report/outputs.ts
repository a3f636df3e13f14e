/** The action's outputs: a public contract, set in one place. */
import * as core from '@actions/core'

/** One promoted image, as the `images-json` output lists it. */
export interface ImageOutputs {
  readonly image: string
  readonly imageRef: string
  readonly tag: string
  readonly digest: string
}

export interface PromotionOutputs {
  /** The first image's: `image-ref`, `tag` and `digest` are the one image's, or the first `images` line's. */
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
  /** Every image promoted, in the order given. */
  readonly images: readonly ImageOutputs[]
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
  core.setOutput('images-json', JSON.stringify(outputs.images.map((i) => ({ image: i.image, 'image-ref': i.imageRef, tag: i.tag, digest: i.digest }))))
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
