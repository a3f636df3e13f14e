/**
 * The edit stage's contract. The edit itself is a pure function `(file text, desired image) → file
 * text`: that is what lets the publisher re-apply it to a fresher checkout after losing a push race.
 */

export type { DesiredImage, PinMode } from '../image/desired.js'

/** One place in the infra repo that holds the image. Paths are relative to the repository root. */
export type Target =
  | {
      readonly kind: 'kustomize'
      /** Overlay directory or kustomization file. */
      readonly path: string
      /** `images[].name` to set; default: the entry whose name or newName is the image, else the image. */
      readonly imageName?: string
    }
  | {
      readonly kind: 'yaml'
      readonly file: string
      /** Key path, list indexes as numbers: `image.tag` → ['image', 'tag']. */
      readonly keyPath: readonly (string | number)[]
      /** Which part of the reference the value holds. */
      readonly part: 'tag' | 'name' | 'digest' | 'reference'
    }
  | {
      readonly kind: 'flux-setter'
      readonly file: string
      /** `NAMESPACE:NAME` of the image policy; absent: every marker whose field names this image. */
      readonly policy?: string
    }
  | {
      readonly kind: 'manifest'
      readonly file: string
    }

/** One scalar that the edit changed (or would change). */
export interface ValueChange {
  /** Repository-relative path of the file. */
  readonly file: string
  /** 1-based line of the value in the edited text. */
  readonly line: number
  /** '' when the value was added. */
  readonly before: string
  readonly after: string
}

export interface FileEdit {
  readonly text: string
  readonly changes: readonly ValueChange[]
}
