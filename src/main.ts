/**
 * run(): settings → image stage → edit + publish → outputs. Any error ends in exactly one failure
 * report that says what to do next (with a file annotation when it points into the infra repo).
 */
import * as core from '@actions/core'
import { planRenderCheck, type RenderReport } from './edit/render.js'
import { ActionError, errorMessage, TargetError } from './errors.js'
import type { PullRequestResult } from './github/pull-request.js'
import { desiredImage, desiredReference } from './image/desired.js'
import { renderCommitMessage, type MessageFacts } from './publish/commit-message.js'
import { GitStore } from './publish/git-store.js'
import { publish } from './publish/publisher.js'
import type { Promotion, PromotionPlan } from './publish/types.js'
import { runImageStage, registryIdentities } from './docker/stage.js'
import { OrderGuard } from './order/guard.js'
import { newerImagesAt, planPromotion, promotionPaths, type PromotionSpec } from './promotion.js'
import { reportDeployment, reportPromotion } from './report/report.js'
import { parseSettings, runnerInputs, type Settings } from './settings.js'
import { readSourceCommitTime } from './source.js'

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await promote(parseSettings(runnerInputs(), env), env)
  } catch (error) {
    reportFailure(error)
  }
}

async function promote(settings: Settings, env: NodeJS.ProcessEnv): Promise<void> {
  const committed = await readSourceCommitTime(env)
  const image = await core.group('Image', () => runImageStage(settings.image, { tempDir: settings.tempDir, source: settings.source, committed }))
  const desired = desiredImage(settings.image.image.name, image.tag, image.digest, settings.pin)
  const imageRef = desiredReference(desired)
  const { infra } = settings.publish
  const { source } = settings
  const guard = settings.publish.allowDowngrade ? undefined : new OrderGuard(image.identity, registryIdentities(settings.image, env))

  const { delivery } = settings
  const github =
    delivery.mode === 'pull-request' || delivery.commitVia === 'api' ? (await import('./github/delivery.js')).connectGitHub(infra, delivery, env) : undefined
  const gitStore = github?.store ? undefined : new GitStore(infra, settings.publish.network)
  const store = github?.store ?? gitStore!
  try {
    // The render check runs on every attempt whose overlays changed; say each warning once.
    const renderWarnings = new Set<string>()
    let lastRender: RenderReport | undefined
    const renderCheck = planRenderCheck(settings.edit.targets, desired, settings.edit.validate, settings.tempDir, env.PATH)
    const branch = await core.group('Infra repository', () => store.resolveBranch())
    const facts = (plan: PromotionPlan): MessageFacts => ({
      image: settings.image.image.name,
      tag: image.tag,
      digest: image.digest ?? '',
      imageRef,
      targets: plan.changes.map((c) => c.file).filter((file, i, all) => all.indexOf(file) === i),
      branch,
      source: settings.source,
    })
    const spec: PromotionSpec = {
      targets: settings.edit.targets,
      desired,
      ...(guard ? { guard } : {}),
      verify: async (tipFiles, plan) => {
        const report = await renderCheck(tipFiles, plan.files)
        lastRender = report
        report.warnings.forEach((warning) => renderWarnings.add(warning))
        for (const { target, images } of report.rendered) core.info(`${target} renders; its containers run ${images.join(', ')}`)
      },
    }
    const promotion: Promotion = {
      plan: (files) => planPromotion(files, spec),
      newerAt: (files) => newerImagesAt(files, spec),
      paths: promotionPaths(settings.edit.targets),
      message: (plan) => renderCommitMessage(settings.publish.commitMessage, facts(plan)),
      author: settings.publish.author,
      branch,
      maxAttempts: settings.publish.maxAttempts,
      timeoutSeconds: settings.publish.timeoutSeconds,
      dryRun: settings.publish.dryRun,
    }
    const land = (): Promise<PullRequestResult> =>
      github
        ? github.publish(store, promotion, {
            imageName: desired.name,
            targets: settings.edit.targets,
            title: (plan) =>
              (delivery.pullRequest.title ? renderCommitMessage(delivery.pullRequest.title, facts(plan)) : promotion.message(plan)).split('\n')[0],
            body: { image: settings.image.image.name, tag: image.tag, digest: image.digest ?? '', imageRef, source },
          })
        : publish(store, promotion)
    const result = await core.group(`Promote ${imageRef} into ${infra.slug ?? infra.url}@${branch}`, land)
    await reportPromotion({
      imageRef,
      tag: image.tag,
      digest: image.digest ?? '',
      destination: `${infra.slug ?? infra.url}@${branch}`,
      webUrl: infra.webUrl,
      dryRun: settings.publish.dryRun,
      result,
      rendered: lastRender?.rendered,
      renderWarnings: [...renderWarnings],
    })
    if (settings.argocd) {
      const { runArgoCdStage } = await import('./argocd/stage.js')
      const landing = { mode: delivery.mode, dryRun: settings.publish.dryRun, result }
      const deployment = await core.group('Argo CD', () => runArgoCdStage(settings.argocd!, landing, infra, async () => (await store.head(branch))?.commit))
      if (deployment) await reportDeployment(deployment)
      if (deployment?.error) throw deployment.error
    }
  } finally {
    gitStore?.close()
  }
}

function reportFailure(error: unknown): void {
  // What core.setFailed does, but with the annotation's file and line (1 is core.ExitCode.Failure,
  // spelled out because local-action's stand-in for @actions/core does not export the enum).
  process.exitCode = 1
  if (error instanceof TargetError) {
    core.error(error.report, { title: 'Promotion failed', file: error.file, ...(error.line ? { startLine: error.line } : {}) })
  } else {
    core.error(errorMessage(error), { title: 'Promotion failed' })
  }
  if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack)
}
