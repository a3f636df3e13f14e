/**
 * What a promotion pull request says and where it lives: the deterministic branch per target set,
 * and the body — a readable promotion record with the image, its source, and each target's diff.
 * Pure.
 */
import { createHash } from 'node:crypto'
import { unifiedDiff } from '../edit/diff.js'
import { kindOf } from '../edit/kinds.js'
import type { Target } from '../edit/types.js'
import { parseImageName } from '../image/reference.js'
import type { PromotionPlan } from '../publish/types.js'
import { LEGACY_RECORD_DIR } from '../order/legacy-records.js'
import { staleReason } from '../promotion.js'
import type { SourceContext } from '../source.js'

/**
 * `promote/<image path>/<hash>`: one branch (and so one open pull request) per image and set of
 * target files, whatever the tag, so a newer promotion of the same targets supersedes the older one.
 * Several images promoted together: `promote/<first image path>-and-<n>-more/<hash of images and files>`.
 */
export function promoteBranch(imageNames: readonly string[], targets: readonly Target[]): string {
  const files = [...new Set(targets.map((t) => kindOf(t).path(t).replace(/\/+$/, '')))].sort()
  const paths = imageNames.map((name) => parseImageName(name).path)
  const several = paths.length > 1 ? [...paths].sort() : []
  const hash = createHash('sha256')
    .update([...several, ...files].join('\n'))
    .digest('hex')
    .slice(0, 10)
  return `promote/${paths[0]}${several.length ? `-and-${several.length - 1}-more` : ''}/${hash}`
}

export interface BodyFacts {
  readonly image: string
  readonly tag: string
  readonly digest: string
  readonly imageRef: string
  readonly baseBranch: string
  readonly source: SourceContext
}

/** GitHub refuses bodies over 65,536 characters; diffs past this are cut. */
const MAX_BODY = 60_000

export function pullRequestBody(facts: BodyFacts, plan: PromotionPlan): string {
  const { source } = facts
  const short = source.sha.slice(0, 7)
  const link = (text: string, url: string) => (url ? `[${text}](${url})` : text)
  const rows = [
    ['Image', `\`${facts.image}\``],
    ['Tag', `\`${facts.tag}\``],
    ['Digest', facts.digest ? `\`${facts.digest}\`` : '_unknown_'],
    ['Reference written', `\`${facts.imageRef}\``],
    [
      'Source',
      source.repository ? `${link(source.repository, `${source.serverUrl}/${source.repository}`)} @ ${link(`\`${short}\``, source.commitUrl)}` : '_unknown_',
    ],
    [
      'Workflow run',
      source.runUrl ? link(`#${source.runNumber}${source.runAttempt > 1 ? ` (attempt ${source.runAttempt})` : ''}`, source.runUrl) : '_unknown_',
    ],
    ['Into', `\`${facts.baseBranch}\``],
  ]
  const changes = plan.changes.map((c) => `| \`${c.file}\`:${c.line} | ${c.before ? `\`${c.before}\`` : '_(added)_'} | \`${c.after}\` |`)
  const targets = plan.files.filter((f) => !f.path.startsWith(`${LEGACY_RECORD_DIR}/`))
  const parts = [
    `Promotes \`${facts.imageRef}\` into \`${facts.baseBranch}\`.`,
    `| | |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`,
    `### Image change\n\n| Where | Before | After |\n| --- | --- | --- |\n${changes.join('\n')}`,
    ...(plan.stale.length > 0 ? [`### Left alone\n\n${plan.stale.map((s) => `- ${staleReason(s, (text) => `\`${text}\``)}`).join('\n')}`] : []),
  ]
  let body = parts.join('\n\n')
  const diffs: string[] = []
  for (const file of targets) {
    const section = `#### \`${file.path}\`\n\n\`\`\`diff\n${unifiedDiff(file.path, file.before, file.after)}\n\`\`\``
    if (body.length + section.length > MAX_BODY) {
      diffs.push(`_${targets.length - diffs.length} more diff(s) left out: see the Files changed tab._`)
      break
    }
    diffs.push(section)
    body += section
  }
  const records = plan.files.length - targets.length
  return [
    ...parts,
    `### Diff\n\n${diffs.join('\n\n')}`,
    `<sub>Opened by gitops-promote.${records > 0 ? ` ${records} record(s) of earlier versions under \`${LEGACY_RECORD_DIR}/\` are removed too.` : ''} A newer promotion of the same targets updates this pull request.</sub>`,
  ].join('\n\n')
}
