/**
 * The edit stage's contract. The edit itself is a pure function `(file text, desired image) → file
 * text`: that is what lets the publisher re-apply it to a fresher checkout after losing a push race.
 */

import type { DesiredImage } from '../image/desired.js'
import type { RepoFiles } from './files.js'
import type { Splice, YamlSource } from './yaml-source.js'

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
      /** `create=true`: a missing key path is added (mappings only), in the file's own indentation. */
      readonly create?: boolean
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

/** The arguments of a `targets` line after its path, and how to refuse them. */
export interface TargetArgs {
  /** Arguments that are not `option=value`. */
  readonly positional: readonly string[]
  /** The same, as written: a quoted key of a key path keeps its quotes. */
  readonly written: readonly string[]
  readonly options: ReadonlyMap<string, string>
  /** Refuses options not in `names` and more than `max` positional arguments. */
  expect(names: readonly string[], max: number): void
  fail(problem: string, fix?: string): Error
}

/**
 * What one kind of target means, in one place: its `targets` line, where it points, how it is shown,
 * and its edit. A new kind is one file exporting one of these and one row in kinds.ts.
 */
export interface TargetKind<T extends Target> {
  /** The word that starts its `targets` line. */
  readonly word: string
  /** Its `targets` line, for the grammar shown with a parse error. */
  readonly grammar: string
  /** Parses the rest of a `targets` line; `path` is already checked to stay inside the repository. */
  parse(path: string, args: TargetArgs): T
  /** The repository path the target names. */
  path(target: T): string
  describe(target: T): string
  /** The file the edit changes, when it is not `path` itself (an overlay directory's kustomization). */
  file?(files: RepoFiles, target: T): Promise<string>
  /** The edit, as splices of the file's current text. */
  splices(source: YamlSource, target: T, desired: DesiredImage): Splice[]
  /** A check once every target of the file is edited. */
  check?(source: YamlSource, target: T, desired: DesiredImage): void
  /** Whether the render check renders it (an overlay). */
  readonly renders: boolean
}
