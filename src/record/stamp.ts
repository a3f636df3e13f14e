/**
 * The monotonic promotion guard. Next to each promoted file the infra repo keeps a small record of
 * which build put each image there (`.gitops-promote/<file>.json`); a promotion whose build is older
 * than the recorded one would go backwards ("whichever run finishes last wins") and is skipped.
 * Pure: texts in, texts out.
 */
import type { SourceContext } from '../source.js'

/** Which build a promotion comes from, and enough to order two builds of one source. */
export interface PromotionStamp {
  /** The reference written, e.g. `ani2fun/note-book:3f2c1ab`. */
  readonly ref: string
  /** `owner/name` of the app repository. */
  readonly repository: string
  readonly commit: string
  /** Committer time of the source commit, ISO 8601, when known. */
  readonly commitTime?: string
  /** Workflow file the run belongs to; run numbers only order runs of one workflow. */
  readonly workflow?: string
  readonly runNumber: number
  readonly runAttempt: number
}

/** The stamp of a promotion of `ref` from the run described by `source`. */
export function buildStamp(ref: string, source: SourceContext, commitTime: string | undefined): PromotionStamp {
  return {
    ref,
    repository: source.repository,
    commit: source.sha,
    ...(commitTime ? { commitTime } : {}),
    ...(source.workflow ? { workflow: source.workflow } : {}),
    runNumber: source.runNumber,
    runAttempt: source.runAttempt,
  }
}

export type Order = 'older' | 'same' | 'newer' | 'unordered'

/** How `ours` relates to `recorded`. */
export function compareStamps(ours: PromotionStamp, recorded: PromotionStamp): Order {
  if (ours.repository !== recorded.repository || ours.repository === '') return 'unordered'
  if (ours.commit === recorded.commit) return 'same'
  if (ours.commitTime && recorded.commitTime) {
    const delta = Date.parse(ours.commitTime) - Date.parse(recorded.commitTime)
    if (Number.isFinite(delta) && delta !== 0) return delta < 0 ? 'older' : 'newer'
  }
  if (ours.workflow && ours.workflow === recorded.workflow && ours.runNumber > 0 && recorded.runNumber > 0) {
    const delta = ours.runNumber - recorded.runNumber || ours.runAttempt - recorded.runAttempt
    if (delta !== 0) return delta < 0 ? 'older' : 'newer'
  }
  return 'unordered'
}

export const RECORD_DIR = '.gitops-promote'

/** Where the record of a promoted file lives. */
export function recordPath(file: string): string {
  return `${RECORD_DIR}/${file}.json`
}

type RecordFile = Record<string, PromotionStamp>

/** Parses a record file; a missing, hand-broken or foreign file counts as no record (never blocks). */
export function readRecord(text: string | undefined): RecordFile {
  if (text === undefined) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as RecordFile) : {}
  } catch {
    return {}
  }
}

/** The record with `image`'s entry set, as stable text (sorted keys) so re-applying is byte-identical. */
export function writeRecord(text: string | undefined, image: string, stamp: PromotionStamp): string {
  const record = { ...readRecord(text), [image]: stamp }
  const sorted = Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  )
  return `${JSON.stringify(sorted, null, 2)}\n`
}

function sortKeys(stamp: PromotionStamp): PromotionStamp {
  return Object.fromEntries(Object.entries(stamp).sort(([a], [b]) => a.localeCompare(b))) as unknown as PromotionStamp
}
