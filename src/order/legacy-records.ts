/**
 * The records earlier versions kept in the infra repository, `.gitops-promote/<file>.json`: per image,
 * the reference written there and its source commit and time. Argo CD directory applications read
 * every `.json` file, so nothing writes them any more; an existing record is read, so the image it
 * describes keeps its order, and removed when its file is promoted (the migration). Pure.
 */
import { splitReference, type ImageReference } from '../image/reference.js'
import type { ImageIdentity } from '../image/identity.js'

export const LEGACY_RECORD_DIR = '.gitops-promote'

/** Where the record of a promoted file was kept. */
export function legacyRecordPath(file: string): string {
  return `${LEGACY_RECORD_DIR}/${file}.json`
}

interface LegacyEntry {
  readonly ref?: unknown
  readonly commit?: unknown
  readonly commitTime?: unknown
}

/**
 * The identity a record gives the image `current` (of repository `image`), when the record describes
 * that very image; a missing, hand-broken or foreign record gives none.
 */
export function legacyIdentity(text: string | undefined, image: string, current: ImageReference): ImageIdentity | undefined {
  const entry = entries(text)[image]
  if (!entry || typeof entry.ref !== 'string') return undefined
  const recorded = splitReference(entry.ref)
  const same = (recorded.digest !== undefined && recorded.digest === current.digest) || (recorded.tag !== undefined && recorded.tag === current.tag)
  if (!same) return undefined
  return {
    ...(typeof entry.commit === 'string' && entry.commit ? { revision: entry.commit } : {}),
    ...(typeof entry.commitTime === 'string' && entry.commitTime ? { committed: entry.commitTime } : {}),
  }
}

function entries(text: string | undefined): Record<string, LegacyEntry | undefined> {
  if (text === undefined) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, LegacyEntry>) : {}
  } catch {
    return {}
  }
}
