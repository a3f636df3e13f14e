/**
 * The table of target kinds: every place that needs to know what a kind means asks it here. Adding a
 * kind is one file exporting its `TargetKind` and one row below.
 */
import { fluxKind } from './flux.js'
import { yamlKind } from './keypath.js'
import { kustomizeKind } from './kustomize.js'
import { manifestKind } from './manifests.js'
import type { Target, TargetKind } from './types.js'

type Kinds = { readonly [K in Target['kind']]: TargetKind<Extract<Target, { kind: K }>> }

export const TARGET_KINDS: Kinds = {
  kustomize: kustomizeKind,
  yaml: yamlKind,
  'flux-setter': fluxKind,
  manifest: manifestKind,
}

/** The kind of `target`. */
export function kindOf<T extends Target>(target: T): TargetKind<T> {
  return TARGET_KINDS[target.kind] as unknown as TargetKind<T>
}

/** The kind a `targets` line starting with `word` names. */
export function kindByWord(word: string): TargetKind<Target> | undefined {
  return Object.values(TARGET_KINDS).find((kind) => kind.word === word)
}
