/** Unified diffs of file changes, for dry runs and pull-request bodies. Pure. */
import type { FileChange } from './plan.js'

const CONTEXT = 3

/**
 * A unified diff of one file. Promotion edits replace values in place or append lines, so lines
 * are paired one to one between the common head and tail; a block whose line count changed is
 * shown whole. Always a correct diff, if not always the shortest.
 */
export function unifiedDiff(path: string, before: string, after: string | null): string {
  const a = splitLines(before)
  const b = splitLines(after ?? '')
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
  return `--- a/${path}\n+++ ${after === null ? '/dev/null' : `b/${path}`}\n${hunks.join('\n')}`
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
