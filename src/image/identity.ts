/**
 * The order of two images by their own build identity, never by the run that promotes them: the
 * source commit time an image carries (a label this action writes when it builds), else when it was
 * built (the OCI `created` label, else the image config's `created`). Pure.
 */
import { isValidDigest, splitReference, type ImageReference } from './reference.js'

/** The label with the committer time of the source commit, written by this action's builds. */
export const COMMITTED_LABEL = 'io.github.gitops-promote.committed'
const CREATED_LABEL = 'org.opencontainers.image.created'
const REVISION_LABEL = 'org.opencontainers.image.revision'

/** What orders an image; every field is optional, as registries and older images may lack it. */
export interface ImageIdentity {
  /** Source commit the image was built from. */
  readonly revision?: string
  /** Committer time of that commit, ISO 8601. */
  readonly committed?: string
  /** When the image was built, ISO 8601. */
  readonly created?: string
}

export type Order = 'older' | 'same' | 'newer' | 'unknown'

/**
 * How `ours` relates to `current`. Like is compared with like: commit times when both images carry
 * one (a late re-run of an old commit stays old), else build times. A missing time is `unknown`.
 */
export function compareImages(ours: ImageIdentity, current: ImageIdentity): Order {
  if (ours.revision && ours.revision === current.revision) return 'same'
  for (const key of ['committed', 'created'] as const) {
    const delta = Date.parse(ours[key] ?? '') - Date.parse(current[key] ?? '')
    if (Number.isNaN(delta)) continue
    return delta < 0 ? 'older' : delta > 0 ? 'newer' : 'same'
  }
  return 'unknown'
}

/** The identity an image's labels and config `created` give. */
export function identityFromLabels(labels: Readonly<Record<string, string>>, configCreated?: string): ImageIdentity {
  const created = labels[CREATED_LABEL] || configCreated
  return {
    ...(labels[REVISION_LABEL] ? { revision: labels[REVISION_LABEL] } : {}),
    ...(labels[COMMITTED_LABEL] ? { committed: labels[COMMITTED_LABEL] } : {}),
    ...(created ? { created } : {}),
  }
}

/** The identity in an image config blob (`{created, config: {Labels}}`); {} for anything else. */
export function identityFromConfig(configJson: string): ImageIdentity {
  try {
    const config = JSON.parse(configJson) as { created?: unknown; config?: { Labels?: unknown } }
    const labels = config.config?.Labels
    const created = typeof config.created === 'string' ? config.created : undefined
    return identityFromLabels(labels && typeof labels === 'object' ? (labels as Record<string, string>) : {}, created)
  } catch {
    return {}
  }
}

/** One value an edit replaced. */
export interface Replaced {
  readonly before: string
  readonly after: string
}

/**
 * The image a target referenced before the edit, from the values the edit replaced: each `after` is
 * the promoted name, tag, digest or whole reference, so its `before` is the same part of the old
 * image. Undefined when the old values name neither a tag nor a digest.
 */
export function replacedImage(desired: ImageReference, replaced: readonly Replaced[]): ImageReference | undefined {
  let current: ImageReference = { name: desired.name }
  for (const { before, after } of replaced) {
    if (before === '') continue
    if (after === desired.name) current = { ...current, name: before }
    else if (after === desired.tag) current = { ...current, tag: before }
    else if (after === desired.digest || (after === '' && isValidDigest(before))) current = { ...current, digest: before }
    else if (after !== '') current = { ...current, ...splitReference(before) }
  }
  return current.tag === undefined && current.digest === undefined ? undefined : current
}

/** Why an image's identity is not known (a registry that cannot be asked, a missing image). */
export interface UnknownIdentity {
  readonly unknown: string
}

/** Finds the identity of an image that a target references. */
export type IdentityLookup = (image: ImageReference) => Promise<ImageIdentity | UnknownIdentity>
