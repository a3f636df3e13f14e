/**
 * The job summary: one table of what was promoted where, with links, for the people reading the
 * workflow run. Rendering is pure (tested); `writeSummary` appends it to GITHUB_STEP_SUMMARY.
 */
import * as core from '@actions/core'
import type { ValueChange } from '../edit/types.js'
import { ActionError, errorMessage } from '../errors.js'
import { staleReason } from '../promotion.js'
import type { StaleFile } from '../publish/types.js'

export interface PromotionSummary {
  readonly imageRef: string
  readonly tag: string
  readonly digest: string
  /** `owner/name@branch` or the URL of the infra repository and branch. */
  readonly destination: string
  readonly changes: readonly ValueChange[]
  readonly stale: readonly StaleFile[]
  readonly skippedReason: string
  readonly attempts: number
  /** Commit link (or bare SHA), or PR link, when there is one. */
  readonly commit: { readonly sha: string; readonly url: string } | undefined
  readonly pullRequest?: { readonly number: number; readonly url: string; readonly operation: string } | undefined
  /** Each rendered overlay and the images its containers run; undefined when not checked. */
  readonly rendered: readonly { readonly target: string; readonly images: readonly string[] }[] | undefined
  readonly renderWarnings: readonly string[]
  readonly dryRun: boolean
  /** The would-be commit of a dry run. */
  readonly diff: string | undefined
  /** Every image, when several were promoted together (then `imageRef`, `tag` and `digest` are the first's). */
  readonly images?: readonly { readonly imageRef: string; readonly digest: string }[]
}

const code = (text: string) => (text === '' ? '' : `<code>${escapeHtml(text)}</code>`)

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function link(text: string, url: string): string {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : code(text)
}

export function renderSummary(s: PromotionSummary): string {
  const lines: string[] = []
  const verb = s.dryRun ? 'Dry run: would promote' : s.skippedReason ? 'Nothing to promote for' : 'Promoted'
  const several = s.images && s.images.length > 1 ? s.images : undefined
  const what = several ? `${several.length} images` : code(s.imageRef)
  lines.push(`## ${verb} ${what} into ${code(s.destination)}`, '')
  const facts: [string, string][] = several
    ? several.map((image) => ['Image', `${code(image.imageRef)}${image.digest && !image.imageRef.includes('@') ? ` (${code(image.digest)})` : ''}`])
    : [
        ['Image', code(s.imageRef)],
        ['Tag', code(s.tag)],
        ['Digest', s.digest ? code(s.digest) : 'not known'],
      ]
  if (s.commit) facts.push([s.dryRun ? 'Local commit (not pushed)' : 'Commit', link(s.commit.sha.slice(0, 12), s.commit.url)])
  if (s.pullRequest) facts.push([`Pull request (${s.pullRequest.operation})`, link(`#${s.pullRequest.number}`, s.pullRequest.url)])
  if (s.skippedReason)
    facts.push([
      'Skipped',
      s.skippedReason === 'stale' ? 'every target already references a newer image (`stale`)' : 'every target already references this image (`up-to-date`)',
    ])
  facts.push(['Attempts', String(s.attempts)])
  lines.push('<table>', ...facts.map(([k, v]) => `<tr><th align="left">${k}</th><td>${v}</td></tr>`), '</table>', '')

  if (s.changes.length > 0) {
    lines.push('<table>', '<tr><th>Target</th><th>Before</th><th>After</th></tr>')
    for (const c of s.changes)
      lines.push(`<tr><td>${code(`${c.file}:${c.line}`)}</td><td>${c.before ? code(c.before) : '<em>(added)</em>'}</td><td>${code(c.after)}</td></tr>`)
    lines.push('</table>', '')
  }
  for (const stale of s.stale) lines.push(`- Left alone: ${staleReason(stale, code)} (set \`allow-downgrade: true\` to roll back on purpose).`)
  if (s.stale.length > 0) lines.push('')

  if (s.rendered && s.rendered.length > 0) {
    lines.push('**Render check** (`kustomize build` of each edited overlay):', '')
    for (const r of s.rendered) lines.push(`- ${code(r.target)} renders; containers run ${r.images.map(code).join(', ')}`)
    lines.push('')
  }
  for (const warning of s.renderWarnings) lines.push(`> [!WARNING]\n> ${escapeHtml(warning)}`, '')
  if (s.diff) lines.push('<details><summary>The commit this run would push</summary>', '', '```diff', s.diff.trimEnd(), '```', '', '</details>', '')
  return lines.join('\n')
}

export async function writeSummary(summary: PromotionSummary): Promise<void> {
  // Outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write: skip quietly.
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(renderSummary(summary), true).write()
}

/** Argo CD's last word on one application after the wait. */
export interface DeploymentSummaryRow {
  readonly app: string
  readonly sync: string
  readonly health: string
  readonly revision: string
  /** `deployed`, or what went wrong. */
  readonly result: string
  readonly conditions: readonly string[]
  readonly unhealthy: readonly string[]
}

export interface DeploymentSummary {
  /** The promotion commit waited for. */
  readonly commit: string
  readonly deployed: boolean
  readonly seconds: number
  readonly apps: readonly DeploymentSummaryRow[]
}

export function renderDeploymentSummary(s: DeploymentSummary): string {
  const lines = [
    `### Argo CD: ${s.deployed ? 'deployed' : 'not deployed'} (${code(s.commit.slice(0, 12))} or later, after ${s.seconds.toFixed(0)} s)`,
    '',
    '<table>',
    '<tr><th>Application</th><th>Sync</th><th>Health</th><th>Revision</th><th>Result</th></tr>',
  ]
  for (const a of s.apps)
    lines.push(
      `<tr><td>${code(a.app)}</td><td>${escapeHtml(a.sync)}</td><td>${escapeHtml(a.health)}</td><td>${code(a.revision)}</td><td>${escapeHtml(a.result)}</td></tr>`,
    )
  lines.push('</table>', '')
  for (const a of s.apps) {
    if (a.conditions.length === 0 && a.unhealthy.length === 0) continue
    lines.push(`**${escapeHtml(a.app)}**`, '')
    for (const condition of a.conditions) lines.push(`- Condition: ${escapeHtml(condition)}`)
    for (const resource of a.unhealthy) lines.push(`- Unhealthy: ${escapeHtml(resource)}`)
    lines.push('')
  }
  return lines.join('\n')
}

export async function writeDeploymentSummary(summary: DeploymentSummary): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(renderDeploymentSummary(summary), true).write()
}

/** What a failed run had set out to do, as far as it got before failing. */
export interface FailedAttempt {
  /** The images, as given (`from` gives their tags later). */
  images?: string[]
  /** `owner/name@branch` or the URL of the infra repository. */
  destination?: string
  /** The `from` target, when the tags were to be read there. */
  from?: string
}

/** The job summary of a failed run: what was attempted, the error, and what to do next. Pure. */
export function renderFailureSummary(attempt: FailedAttempt, error: { readonly message: string; readonly fix: string }): string {
  const lines = ['## Promotion failed', '']
  if (attempt.images && attempt.images.length > 0) {
    const into = attempt.destination ? ` into ${code(attempt.destination)}` : ''
    const from = attempt.from ? ` as ${code(attempt.from)} runs it` : ''
    lines.push(`Attempted: promote ${attempt.images.map(code).join(', ')}${from}${into}.`, '')
  } else {
    lines.push('Attempted: reading the inputs; the promotion did not start.', '')
  }
  lines.push('<table>', `<tr><th align="left">Error</th><td>${escapeHtml(error.message)}</td></tr>`)
  lines.push(`<tr><th align="left">What to do</th><td>${escapeHtml(error.fix)}</td></tr>`, '</table>', '')
  return lines.join('\n')
}

export async function writeFailureSummary(attempt: FailedAttempt, error: unknown): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const known = error instanceof ActionError
  const message = known ? error.message : errorMessage(error)
  const fix =
    known && error.fix
      ? error.fix
      : 'Re-run the job with debug logging (ACTIONS_STEP_DEBUG: true) to see where it failed, and report it if it looks like a fault of the action.'
  await core.summary.addRaw(renderFailureSummary(attempt, { message, fix }), true).write()
}
