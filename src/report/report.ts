/**
 * What a finished promotion tells its workflow: the log lines a person reads first (warnings, the
 * values changed, the targets left alone), the outputs and the job summary, all from one result.
 */
import * as core from '@actions/core'
import { appLabel } from '../argocd/settings.js'
import type { Deployment } from '../argocd/wait.js'
import type { RenderReport } from '../edit/render.js'
import type { PullRequestResult } from '../github/pull-request.js'
import { staleReason, unorderedReason } from '../promotion.js'
import { setDeploymentOutputs, setOutputs, type PromotionOutputs } from './outputs.js'
import { writeDeploymentSummary, writeSummary } from './summary.js'

/** An image the run promoted (or found already promoted). */
export interface ReportedImage {
  readonly name: string
  readonly imageRef: string
  readonly tag: string
  readonly digest: string | undefined
}

export interface PromotionReport {
  /** One or more, in the order given. */
  readonly images: readonly ReportedImage[]
  /** `owner/name@branch` or the URL and branch of the infra repository. */
  readonly destination: string
  /** Web base of the infra repository, for commit links; undefined when not on this host. */
  readonly webUrl: string | undefined
  readonly dryRun: boolean
  readonly result: PullRequestResult
  /** The last render check's report; undefined when none ran. */
  readonly rendered: RenderReport['rendered'] | undefined
  /** Each distinct render warning, once. */
  readonly renderWarnings: readonly string[]
}

export async function reportPromotion(report: PromotionReport): Promise<void> {
  const { result } = report
  report.renderWarnings.forEach((warning) => core.warning(warning))
  if (result.diff !== undefined) core.info(`Dry run: nothing was pushed. The commit would be:\n${result.diff}`)
  for (const stale of result.plan.stale) core.notice(`${staleReason(stale)}: left alone (set allow-downgrade: true to roll back on purpose).`)
  for (const file of result.plan.unordered) core.notice(unorderedReason(file))
  for (const change of result.plan.changes) core.info(`${change.file}:${change.line}: ${change.before || '(added)'} → ${change.after}`)
  const images = report.images.map((i) => ({ image: i.name, imageRef: i.imageRef, tag: i.tag, digest: i.digest ?? '' }))
  const outputs: PromotionOutputs = {
    imageRef: images[0].imageRef,
    tag: images[0].tag,
    digest: images[0].digest,
    changed: result.changed,
    commitSha: result.commitSha ?? '',
    commitUrl: result.commitSha && report.webUrl && !report.dryRun ? `${report.webUrl}/commit/${result.commitSha}` : '',
    attempts: result.attempts,
    skippedReason: result.skippedReason ?? '',
    ...(result.pullRequest ? { pullRequest: result.pullRequest } : {}),
    images,
  }
  setOutputs(outputs)
  await writeSummary({
    ...outputs,
    destination: report.destination,
    changes: result.plan.changes,
    stale: result.plan.stale,
    commit: outputs.commitSha ? { sha: outputs.commitSha, url: outputs.commitUrl } : undefined,
    rendered: report.rendered,
    renderWarnings: report.renderWarnings,
    dryRun: report.dryRun,
    diff: result.diff,
  })
}

/** What the wait for Argo CD tells the workflow: the outputs and the job summary (its error is the caller's to raise). */
export async function reportDeployment(deployment: Deployment): Promise<void> {
  const { outcomes } = deployment
  setDeploymentOutputs({
    syncStatus: outcomes.map((o) => o.observation?.sync ?? ''),
    healthStatus: outcomes.map((o) => o.observation?.health ?? ''),
    revision: outcomes.map((o) => o.observation?.revision ?? ''),
  })
  await writeDeploymentSummary({
    commit: deployment.commit,
    deployed: !deployment.error,
    seconds: deployment.seconds,
    apps: outcomes.map((o) => ({
      app: appLabel(o.app),
      sync: o.observation?.sync ?? 'not read',
      health: o.observation?.health ?? 'not read',
      revision: o.observation?.revision ?? '',
      result: o.verdict.kind === 'deployed' ? 'deployed' : o.verdict.kind === 'failed' ? `failed: ${o.verdict.problem}` : (o.lastFailure ?? 'timed out'),
      conditions: o.observation?.conditions ?? [],
      unhealthy: o.unhealthy,
    })),
  })
}
