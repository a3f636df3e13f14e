/**
 * The edit plan: every target's edit applied to the files it names, as a deterministic function of
 * their contents. The publisher calls it again on each fresh tip after losing a push race. Pure given
 * RepoFiles.
 */
import { posix } from 'node:path'
import { TargetError } from '../errors.js'
import { KUSTOMIZATION_FILES } from './closure.js'
import type { RepoFiles } from './files.js'
import { fluxSplices } from './flux.js'
import { checkKeyPathTarget, keyPathSplices } from './keypath.js'
import { kustomizationSplices } from './kustomize.js'
import { manifestSplices } from './manifests.js'
import { describeTarget } from './targets.js'
import type { DesiredImage, Target, ValueChange } from './types.js'
import { applySplices, lineAt, mapOffset, YamlSource, type OffsetChange, type Splice } from './yaml-source.js'

export type { RepoFiles } from './files.js'

export interface FileChange {
  readonly path: string
  readonly before: string
  readonly after: string
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

export async function planEdits(files: RepoFiles, targets: readonly Target[], desired: DesiredImage): Promise<EditPlan> {
  const working = new Map<string, WorkingFile>()
  const resolved: { target: Target; file: string }[] = []
  for (const target of targets) {
    const file = await targetFile(files, target)
    let entry = working.get(file)
    if (!entry) {
      const text = await files.read(file)
      if (text === undefined) throw missingFile(target, file)
      entry = { before: text, text, changes: [] }
      working.set(file, entry)
    }
    applyEdit(entry, targetSplices(new YamlSource(file, entry.text), target, desired))
    resolved.push({ target, file })
  }
  for (const { target, file } of resolved) {
    if (target.kind === 'yaml') checkKeyPathTarget(new YamlSource(file, working.get(file)!.text), target, desired)
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

/** The edit of one target, as splices of the file's current text. */
export function targetSplices(source: YamlSource, target: Target, desired: DesiredImage): Splice[] {
  switch (target.kind) {
    case 'kustomize':
      return kustomizationSplices(source, target.imageName, desired)
    case 'yaml':
      return keyPathSplices(source, target, desired)
    case 'flux-setter':
      return fluxSplices(source, target.policy, desired)
    case 'manifest':
      return manifestSplices(source, desired)
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

/** The file a target edits; for kustomize, the overlay's kustomization file. */
export async function targetFile(files: RepoFiles, target: Target): Promise<string> {
  if (target.kind !== 'kustomize') return target.file
  const path = target.path
  if ((KUSTOMIZATION_FILES as readonly string[]).includes(posix.basename(path))) return path
  for (const name of KUSTOMIZATION_FILES) {
    const file = path === '.' ? name : posix.join(path, name)
    if ((await files.read(file)) !== undefined) return file
  }
  if ((await files.read(path)) !== undefined) {
    throw new TargetError(
      path,
      undefined,
      `is a file, not an overlay directory or a ${KUSTOMIZATION_FILES.join(' / ')} file`,
      'Give the overlay directory, or a `yaml` target with a key path for other files.',
    )
  }
  throw new TargetError(
    path,
    undefined,
    `holds no ${KUSTOMIZATION_FILES.join(', ')} in the infra repository`,
    'Check the overlay path (relative to the infra repository root) and the branch it is on.',
  )
}

function missingFile(target: Target, file: string): TargetError {
  return new TargetError(
    file,
    undefined,
    `does not exist in the infra repository (target: ${describeTarget(target)})`,
    'Check the path (relative to the infra repository root) and the branch it is on.',
  )
}
