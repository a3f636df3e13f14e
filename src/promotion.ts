/**
 * One promotion as a deterministic function of the files at a branch tip: edit the targets, keep
 * only the files whose recorded build is not newer (the ordering guard), record the build beside
 * each file kept, and check the result renders. Publishers call it again on every fresh tip.
 */
import { planEdits, type EditPlan, type FileChange, type RepoFiles } from './edit/plan.js'
import { kindOf } from './edit/kinds.js'
import type { DesiredImage, Target } from './edit/types.js'
import { compareStamps, readRecord, RECORD_DIR, recordPath, writeRecord, type PromotionStamp } from './record/stamp.js'

/** A file the promotion left alone because a newer build is already recorded there. */
export interface StaleFile {
  readonly path: string
  /** The newer reference recorded for it. */
  readonly recordedRef: string
}

/** An edit plan after the ordering guard: `files` holds only what is to be committed. */
export interface PromotionPlan extends EditPlan {
  readonly stale: readonly StaleFile[]
}

export interface PromotionSpec {
  readonly targets: readonly Target[]
  readonly desired: DesiredImage
  readonly stamp: PromotionStamp
  /** The explicit rollback path: let an older build replace a newer one. */
  readonly allowDowngrade: boolean
  /** Checks the edited files (e.g. that overlays still render with the image); throws to stop. */
  readonly verify?: (files: RepoFiles, plan: PromotionPlan) => Promise<void>
}

/** What a promotion reads first: each target and the record beside it. */
export function promotionPaths(targets: readonly Target[]): string[] {
  return targets.flatMap((target) => {
    const kind = kindOf(target)
    const path = kind.path(target)
    // A kind that finds its file below its path (an overlay directory) is read with the records beside it.
    return kind.file ? [path, `${RECORD_DIR}/${path}`] : [path, recordPath(path)]
  })
}

export async function planPromotion(files: RepoFiles, spec: PromotionSpec): Promise<PromotionPlan> {
  await files.prefetch?.(promotionPaths(spec.targets))
  const edits = await planEdits(files, spec.targets, spec.desired)
  const kept: FileChange[] = []
  const records: FileChange[] = []
  const stale: StaleFile[] = []
  for (const file of edits.files) {
    const path = recordPath(file.path)
    const text = await files.read(path)
    const recorded = readRecord(text)[spec.desired.name]
    if (recorded && !spec.allowDowngrade && compareStamps(spec.stamp, recorded) === 'older') {
      stale.push({ path: file.path, recordedRef: recorded.ref })
      continue
    }
    kept.push(file)
    records.push({ path, before: text ?? '', after: writeRecord(text, spec.desired.name, spec.stamp) })
  }
  const keptPaths = new Set(kept.map((f) => f.path))
  const plan: PromotionPlan = {
    files: kept.length > 0 ? [...kept, ...records] : [],
    changes: edits.changes.filter((c) => keptPaths.has(c.file)),
    stale,
  }
  if (spec.verify && kept.length > 0) await spec.verify(files, plan)
  return plan
}
