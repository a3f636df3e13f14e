/** What the manifests should reference, from the promoted image and the `pin` policy. Pure. */
import { InputError } from '../errors.js'
import { formatReference } from './reference.js'

export type PinMode = 'tag' | 'digest' | 'tag-and-digest'

/** What the manifests should reference after the edit. */
export interface DesiredImage {
  /** Repository as manifests should carry it, e.g. `ani2fun/note-book` or `ghcr.io/org/app`. */
  readonly name: string
  /** Absent when pinning by digest only. */
  readonly tag?: string
  /** `sha256:…`; absent when pinning by tag only. */
  readonly digest?: string
}

export function desiredImage(name: string, tag: string, digest: string | undefined, pin: PinMode): DesiredImage {
  if (pin === 'tag') return { name, tag }
  if (digest === undefined) {
    throw new InputError(
      'pin',
      `'${pin}' needs the image digest, and none is known`,
      'Give the digest input, or let the action find it (build: true, or verify-image: true against a reachable registry), or use pin: tag.',
    )
  }
  return pin === 'digest' ? { name, digest } : { name, tag, digest }
}

export function desiredReference(desired: DesiredImage): string {
  return formatReference(desired)
}

/** Which part of a reference a field holds. */
export type ReferencePart = 'tag' | 'name' | 'digest' | 'reference'

/** What a field holding `part` becomes; `absent` is the error when that part is not promoted (a tag under pin: digest). */
export function desiredPart(desired: DesiredImage, part: ReferencePart, absent: (part: 'tag' | 'digest') => Error): string {
  switch (part) {
    case 'name':
      return desired.name
    case 'reference':
      return formatReference(desired)
    case 'tag':
    case 'digest': {
      const value = desired[part]
      if (value === undefined) throw absent(part)
      return value
    }
  }
}
