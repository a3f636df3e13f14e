/**
 * One promotion as a deterministic function of the files at a branch tip: edit the targets, keep
 * only the files whose current image is not newer than the promoted one (the ordering guard), remove
 * the old records beside them, and check the result renders. Publishers call it again on every
 * fresh tip. Nothing is written to the infra repository but the targets themselves.
 */
import { planEdits, type EditPlan, type FileChange, type RepoFiles } from './edit/plan.js'
import { kindOf } from './edit/kinds.js'
import type { DesiredImage, Target } from './edit/types.js'
import { replacedImage } from './image/identity.js'
import { formatReference } from './image/reference.js'
import type { OrderGuard } from './order/guard.js'
import { LEGACY_RECORD_DIR, legacyIdentity, legacyRecordPath } from './order/legacy-records.js'

/** A file the promotion left alone because it already references a newer image. */
export interface StaleFile {
  readonly path: string
  /** The newer reference it holds. */
  readonly currentRef: string
}

/** Why a stale file was left alone, in the words every report uses. */
export function staleReason(file: StaleFile, code: (text: string) => string = (text) => text): string {
  return `${code(file.path)} already references the newer image ${code(file.currentRef)}`
}

/** A file promoted although the order of its current image and the promoted one is unknown. */
export interface UnorderedFile {
  readonly path: string
  readonly currentRef: string
  readonly why: string
}

/** Why a file was promoted without the ordering check. */
export function unorderedReason(file: UnorderedFile): string {
  return `${file.path}: whether the promoted image is newer than ${file.currentRef}, which it replaces, is unknown (${file.why}); promoted anyway`
}

/** An edit plan after the ordering guard: `files` holds only what is to be committed. */
export interface PromotionPlan extends EditPlan {
  readonly stale: readonly StaleFile[]
  readonly unordered: readonly UnorderedFile[]
}

export interface PromotionSpec {
  readonly targets: readonly Target[]
  readonly desired: DesiredImage
  /** Absent with allow-downgrade: any image may replace any other. */
  readonly guard?: OrderGuard
  /** Checks the edited files (e.g. that overlays still render with the image); throws to stop. */
  readonly verify?: (files: RepoFiles, plan: PromotionPlan) => Promise<void>
}

/** What a promotion reads first: each target, and the old record beside it if there is one. */
export function promotionPaths(targets: readonly Target[]): string[] {
  return targets.flatMap((target) => {
    const kind = kindOf(target)
    const path = kind.path(target)
    // A kind that finds its file below its path (an overlay directory) is read with the records beside it.
    return kind.file ? [path, `${LEGACY_RECORD_DIR}/${path}`] : [path, legacyRecordPath(path)]
  })
}

export async function planPromotion(files: RepoFiles, spec: PromotionSpec): Promise<PromotionPlan> {
  await files.prefetch?.(promotionPaths(spec.targets))
  const edits = await planEdits(files, spec.targets, spec.desired)
  const kept: FileChange[] = []
  const removedRecords: FileChange[] = []
  const stale: StaleFile[] = []
  const unordered: UnorderedFile[] = []
  for (const file of edits.files) {
    const recordPath = legacyRecordPath(file.path)
    const record = await files.read(recordPath)
    const verdict = await judgeFile(file.path, edits, spec, record)
    if (verdict?.order === 'older') {
      stale.push({ path: file.path, currentRef: verdict.currentRef })
      continue
    }
    if (verdict?.order === 'unknown') unordered.push({ path: file.path, currentRef: verdict.currentRef, why: verdict.why ?? '' })
    kept.push(file)
    if (record !== undefined) removedRecords.push({ path: recordPath, before: record, after: null })
  }
  const keptPaths = new Set(kept.map((f) => f.path))
  const plan: PromotionPlan = {
    // The manifests first: they lead a pull request's diff.
    files: kept.length > 0 ? [...kept, ...removedRecords] : [],
    changes: edits.changes.filter((c) => keptPaths.has(c.file)),
    stale,
    unordered: unordered.filter((u) => keptPaths.has(u.path)),
  }
  if (spec.verify && kept.length > 0) await spec.verify(files, plan)
  return plan
}

/** The targets where `files` (another branch's) already reference a newer image than the promoted one. */
export async function newerImagesAt(files: RepoFiles, spec: PromotionSpec): Promise<StaleFile[]> {
  if (!spec.guard) return []
  const edits = await planEdits(files, spec.targets, spec.desired)
  const newer: StaleFile[] = []
  for (const file of edits.files) {
    const verdict = await judgeFile(file.path, edits, spec, await files.read(legacyRecordPath(file.path)))
    if (verdict?.order === 'older') newer.push({ path: file.path, currentRef: verdict.currentRef })
  }
  return newer
}

/** How the promoted image relates to the one `path` references before the edit; undefined when unguarded. */
async function judgeFile(path: string, edits: EditPlan, spec: PromotionSpec, record: string | undefined) {
  if (!spec.guard) return undefined
  const current = replacedImage(
    spec.desired,
    edits.changes.filter((c) => c.file === path),
  )
  if (!current) return undefined
  const verdict = await spec.guard.judge(current, legacyIdentity(record, spec.desired.name, current))
  return { ...verdict, currentRef: formatReference(current) }
}
