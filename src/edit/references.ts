/**
 * Which image a target references now, read through the edit itself: the edit toward a probe of the
 * same repository replaces exactly the values that make up the current reference, whatever the
 * kind of target, so no kind needs a second reader. Pure given RepoFiles.
 */
import { TargetError } from '../errors.js'
import { replacedImage } from '../image/identity.js'
import { sameRepository, type ImageReference } from '../image/reference.js'
import { planEdits, type RepoFiles } from './plan.js'
import type { Target } from './types.js'

/** A tag and a digest no file holds, so the probe's edit replaces every part the target holds. */
const PROBE_TAG = 'gitops-promote-probe'
const PROBE_DIGEST = `sha256:${'0'.repeat(64)}`

/** What `target` references of the repository `name`, or why it references none of it. */
export type Referenced = { readonly image: ImageReference } | { readonly none: string; readonly error?: TargetError }

export async function referencedImage(files: RepoFiles, target: Target, name: string): Promise<Referenced> {
  const probe = { name, tag: PROBE_TAG, digest: PROBE_DIGEST }
  let changes
  try {
    changes = (await planEdits(files, [target], probe)).changes
  } catch (error) {
    // The kind's own refusal says why the image is not there (another repository, no such container).
    if (error instanceof TargetError) return { none: error.message, error }
    throw error
  }
  // Only a field holding the repository name alone is left as it was by the probe: it names this image.
  if (changes.length === 0) return { image: { name } }
  const current = replacedImage(probe, changes)
  if (current && sameRepository(current.name, name)) return { image: current }
  return { none: current ? `it references ${current.name}` : `it holds no reference to ${name}` }
}
