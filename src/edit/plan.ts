/**
 * The edit plan: every target's edit applied to the files it names, as a deterministic function of
 * their contents. The publisher calls it again on each fresh tip after losing a push race. Pure given
 * RepoFiles.
 */
import { TargetError } from '../errors.js'
import type { RepoFiles } from './files.js'
import { kindOf } from './kinds.js'
import { describeTarget } from './targets.js'
import type { DesiredImage, Target, ValueChange } from './types.js'
import { applySplices, lineAt, mapOffset, YamlSource, type OffsetChange, type Splice } from './yaml-source.js'

export type { RepoFiles } from './files.js'

export interface FileChange {
  readonly path: string
  readonly before: string
  /** null: the file is removed. */
  readonly after: string | null
}

export interface EditPlan {
  /** Only the files whose text changed. */
  readonly files: readonly FileChange[]
  readonly changes: readonly ValueChange[]
}

interface WorkingFile {
  readonly before: string
  text: string
  changes: OffsetChange[]
}

/** One target and the image it is to reference. */
export interface TargetEdit {
  readonly target: Target
  readonly desired: DesiredImage
}

export function planEdits(files: RepoFiles, targets: readonly Target[], desired: DesiredImage): Promise<EditPlan> {
  return planTargetEdits(
    files,
    targets.map((target) => ({ target, desired })),
  )
}

/** Every target's edit, each to its own image (several images in one file are one change of it). */
export async function planTargetEdits(files: RepoFiles, edits: readonly TargetEdit[]): Promise<EditPlan> {
  const working = new Map<string, WorkingFile>()
  const resolved: { target: Target; desired: DesiredImage; file: string }[] = []
  for (const { target, desired } of edits) {
    const file = await targetFile(files, target)
    let entry = working.get(file)
    if (!entry) {
      const text = await files.read(file)
      if (text === undefined) throw missingFile(target, file)
      entry = { before: text, text, changes: [] }
      working.set(file, entry)
    }
    applyEdit(entry, kindOf(target).splices(new YamlSource(file, entry.text), target, desired))
    resolved.push({ target, desired, file })
  }
  for (const { target, desired, file } of resolved) {
    kindOf(target).check?.(new YamlSource(file, working.get(file)!.text), target, desired)
  }
  const changed = [...working].filter(([, entry]) => entry.text !== entry.before)
  return {
    files: changed.map(([path, entry]) => ({ path, before: entry.before, after: entry.text })),
    changes: changed.flatMap(([path, entry]) =>
      entry.changes
        .filter((c) => c.before !== c.after)
        .sort((a, b) => a.offset - b.offset)
        .map((c) => ({ file: path, line: lineAt(entry.text, c.offset), before: c.before, after: c.after })),
    ),
  }
}

/** Applies splices, carrying earlier changes of the same file to their new offsets. */
function applyEdit(entry: WorkingFile, splices: readonly Splice[]): void {
  if (splices.length === 0) return
  const sorted = [...splices].sort((a, b) => a.start - b.start)
  const earlier = entry.changes.flatMap((change) => {
    const offset = mapOffset(change.offset, sorted)
    return offset === undefined ? [] : [{ ...change, offset }]
  })
  const result = applySplices(entry.text, sorted)
  entry.text = result.text
  entry.changes = [...earlier, ...result.changes]
}

/** The file a target edits (for an overlay, its kustomization file). */
export async function targetFile(files: RepoFiles, target: Target): Promise<string> {
  const kind = kindOf(target)
  return kind.file ? kind.file(files, target) : kind.path(target)
}

function missingFile(target: Target, file: string): TargetError {
  return new TargetError(
    file,
    undefined,
    `does not exist in the infra repository (target: ${describeTarget(target)})`,
    'Check the path (relative to the infra repository root) and the branch it is on.',
  )
}
