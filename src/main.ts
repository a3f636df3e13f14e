/**
 * run(): settings → image stage → edit + publish → outputs. Any error ends in exactly one failure
 * report that says what to do next (with a file annotation when it points into the infra repo), and
 * a job summary saying what was attempted.
 */
import * as core from '@actions/core'
import { planRenderCheck, type PlanRenderCheck, type RenderReport } from './edit/render.js'
import { describeTarget } from './edit/targets.js'
import { ActionError, DeploymentError, errorMessage, TargetError } from './errors.js'
import type { PullRequestResult } from './github/pull-request.js'
import { givenImages, imagesFrom, type ImagePolicy, type PromotedImage } from './images.js'
import { renderCommitMessage, type MessageFacts } from './publish/commit-message.js'
import { GitStore } from './publish/git-store.js'
import { publish } from './publish/publisher.js'
import type { Promotion, PromotionPlan } from './publish/types.js'
import type { RepoFiles } from './edit/plan.js'
import { newerImagesAt, planPromotion, promotionPaths, type PromotionSpec } from './promotion.js'
import { reportDeployment, reportPromotion } from './report/report.js'
import { writeFailureSummary, type FailedAttempt } from './report/summary.js'
import { parseSettings, runnerInputs, type Settings } from './settings.js'
import { readSourceCommitTime } from './source.js'

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // What the failure summary says was attempted: filled in as the run learns it.
  const attempt: FailedAttempt = {}
  try {
    await promote(parseSettings(runnerInputs(), env), env, attempt)
  } catch (error) {
    await reportFailure(error, attempt)
  }
}

async function promote(settings: Settings, env: NodeJS.ProcessEnv, attempt: FailedAttempt): Promise<void> {
  const { infra } = settings.publish
  const { source, delivery } = settings
  const { from } = settings.edit
  attempt.images = settings.images.map((image) => (from ? image.image.name : `${image.image.name}:${image.tag}`))
  attempt.destination = `${infra.slug ?? infra.url}${infra.branch ? `@${infra.branch}` : ''}`
  if (from) attempt.from = describeTarget(from)
  const committed = await readSourceCommitTime(env)
  const policy: ImagePolicy = {
    pin: settings.pin,
    allowDowngrade: settings.publish.allowDowngrade,
    stage: { tempDir: settings.tempDir, source, committed },
    env,
  }
  const readImages = from ? imagesFrom(from, settings.images, policy) : undefined
  const given = readImages ? undefined : await givenImages(settings.images, policy)
  /** The images of the latest plan: from reads them at each tip it plans on. */
  let images: readonly PromotedImage[] = given ?? []
  const imagesAt = async (files: RepoFiles) => (images = readImages ? await readImages(files) : images)

  const github =
    delivery.mode === 'pull-request' || delivery.commitVia === 'api' ? (await import('./github/delivery.js')).connectGitHub(infra, delivery, env) : undefined
  const gitStore = github?.store ? undefined : new GitStore(infra, settings.publish.network)
  const store = github?.store ?? gitStore!
  try {
    // The render check runs on every attempt whose overlays changed; say each warning once.
    const renderWarnings = new Set<string>()
    let lastRender: RenderReport | undefined
    const renderChecks = new Map<string, PlanRenderCheck>()
    const branch = await core.group('Infra repository', () => store.resolveBranch())
    attempt.destination = `${infra.slug ?? infra.url}@${branch}`
    const joined = (part: (image: PromotedImage) => string) =>
      images
        .map(part)
        .filter((value) => value !== '')
        .join(', ')
    const facts = (plan: PromotionPlan): MessageFacts => ({
      image: joined((i) => i.name),
      tag: joined((i) => i.tag),
      digest: joined((i) => i.digest ?? ''),
      imageRef: joined((i) => i.imageRef),
      targets: plan.changes.map((c) => c.file).filter((file, i, all) => all.indexOf(file) === i),
      branch,
      source: settings.source,
    })
    const spec = (): PromotionSpec => ({
      targets: settings.edit.targets,
      images,
      verify: async (tipFiles, plan, edited) => {
        const rendered = new Map<string, string[]>()
        for (const { image, targets } of edited) {
          const key = `${JSON.stringify(image.desired)}\n${targets.map(describeTarget).join('\n')}`
          let check = renderChecks.get(key)
          if (!check) renderChecks.set(key, (check = planRenderCheck(targets, image.desired, settings.edit.validate, settings.tempDir, env.PATH)))
          const report = await check(tipFiles, plan.files)
          report.warnings.forEach((warning) => renderWarnings.add(warning))
          for (const { target, images: running } of report.rendered) if (!rendered.has(target)) rendered.set(target, running)
        }
        lastRender = { warnings: [...renderWarnings], rendered: [...rendered].map(([target, running]) => ({ target, images: running })) }
        for (const [target, running] of rendered) core.info(`${target} renders; its containers run ${running.join(', ')}`)
      },
    })
    const promotion: Promotion = {
      plan: async (files) => {
        await imagesAt(files)
        return planPromotion(files, spec())
      },
      // Another branch's files are judged against the images of the plan, not read again.
      newerAt: (files) => newerImagesAt(files, spec()),
      paths: promotionPaths(from ? [...settings.edit.targets, from] : settings.edit.targets),
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
            imageNames: settings.images.map((image) => image.image.name),
            targets: settings.edit.targets,
            facts,
          })
        : publish(store, promotion)
    const what = given ? given.map((image) => image.imageRef).join(', ') : `${attempt.images.join(', ')} from ${attempt.from}`
    const result = await core.group(`Promote ${what} into ${infra.slug ?? infra.url}@${branch}`, land)
    await reportPromotion({
      images,
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

async function reportFailure(error: unknown, attempt: FailedAttempt): Promise<void> {
  // What core.setFailed does, but with the annotation's file and line (1 is core.ExitCode.Failure,
  // spelled out because local-action's stand-in for @actions/core does not export the enum).
  process.exitCode = 1
  if (error instanceof TargetError) {
    core.error(error.report, { title: 'Promotion failed', file: error.file, ...(error.line ? { startLine: error.line } : {}) })
  } else if (error instanceof DeploymentError) {
    // The promotion landed and the summary already tells it, with Argo CD's own section.
    core.error(error.report, { title: 'Not deployed' })
    return
  } else {
    core.error(errorMessage(error), { title: 'Promotion failed' })
  }
  if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack)
  await writeFailureSummary(attempt, error).catch((summaryError: unknown) =>
    core.warning(`The job summary could not be written: ${errorMessage(summaryError)}`),
  )
}
