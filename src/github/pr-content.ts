/**
 * What a promotion pull request says and where it lives: the deterministic branch per target set,
 * and the body — a readable promotion record with the image, its source, and each target's diff.
 * Pure.
 */
import { createHash } from 'node:crypto'
import type { FileChange } from '../edit/plan.js'
import type { Target } from '../edit/types.js'
import { parseImageName } from '../image/reference.js'
import type { PromotionPlan } from '../publish/types.js'
import { RECORD_DIR } from '../record/stamp.js'
import type { SourceContext } from '../source.js'

/**
 * `promote/<image path>/<hash>`: one branch (and so one open pull request) per image and set of
 * target files, whatever the tag, so a newer promotion of the same targets supersedes the older one.
 */
export function promoteBranch(imageName: string, targets: readonly Target[]): string {
  const files = [...new Set(targets.map((t) => (t.kind === 'kustomize' ? t.path : t.file).replace(/\/+$/, '')))].sort()
  const hash = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 10)
  return `promote/${parseImageName(imageName).path}/${hash}`
}

const CONTEXT = 3

/**
 * A unified diff of one file. Promotion edits replace values in place or append lines, so lines
 * are paired one to one between the common head and tail; a block whose line count changed is
 * shown whole. Always a correct diff, if not always the shortest.
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  const a = splitLines(before)
  const b = splitLines(after)
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  if (head === a.length && head === b.length) return ''
  // Changed spans as [start in a, end in a, start in b, end in b).
  const spans: [number, number, number, number][] = []
  if (a.length - head - tail === b.length - head - tail) {
    for (let i = head; i < a.length - tail; i++) {
      if (a[i] === b[i]) continue
      const last = spans[spans.length - 1]
      if (last && last[1] === i) {
        last[1] = i + 1
        last[3] = i + 1
      } else spans.push([i, i + 1, i, i + 1])
    }
  } else {
    spans.push([head, a.length - tail, head, b.length - tail])
  }
  const hunks: string[] = []
  let group: [number, number, number, number][] = []
  const flush = () => {
    const first = group[0]
    const last = group[group.length - 1]
    const startA = Math.max(0, first[0] - CONTEXT)
    const startB = startA + (first[2] - first[0])
    const endA = Math.min(a.length, last[1] + CONTEXT)
    const endB = endA + (last[3] - last[1])
    const lines: string[] = []
    let i = startA
    for (const [sa, ea, sb, eb] of group) {
      for (; i < sa; i++) lines.push(` ${a[i]}`)
      for (let k = sa; k < ea; k++) lines.push(`-${a[k]}`)
      for (let k = sb; k < eb; k++) lines.push(`+${b[k]}`)
      i = ea
    }
    for (; i < endA; i++) lines.push(` ${a[i]}`)
    hunks.push(`@@ -${startA + 1},${endA - startA} +${startB + 1},${endB - startB} @@\n${lines.join('\n')}`)
    group = []
  }
  for (const span of spans) {
    const previous = group[group.length - 1]
    if (previous && span[0] - previous[1] > 2 * CONTEXT) flush()
    group.push(span)
  }
  flush()
  return `--- a/${path}\n+++ b/${path}\n${hunks.join('\n')}`
}

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** The unified diff of every file of a plan. */
export function planDiff(files: readonly FileChange[]): string {
  return files
    .map((f) => unifiedDiff(f.path, f.before, f.after))
    .filter(Boolean)
    .join('\n')
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
  const targets = plan.files.filter((f) => !f.path.startsWith(`${RECORD_DIR}/`))
  const parts = [
    `Promotes \`${facts.imageRef}\` into \`${facts.baseBranch}\`.`,
    `| | |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`,
    `### Image change\n\n| Where | Before | After |\n| --- | --- | --- |\n${changes.join('\n')}`,
    ...(plan.stale.length > 0
      ? [`### Left alone\n\n${plan.stale.map((s) => `- \`${s.path}\` already holds the newer build \`${s.recordedRef}\``).join('\n')}`]
      : []),
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
    `<sub>Opened by gitops-promote. ${records} promotion record(s) under \`${RECORD_DIR}/\` are updated too; a newer promotion of the same targets updates this pull request.</sub>`,
  ].join('\n\n')
}
