/**
 * A YAML key path in any YAML file (Helm values, a HelmRelease's `spec.values`, …): the value there
 * becomes the tag, the repository, the digest or the whole reference. Pure.
 */
import { isAlias, isMap, isSeq, type Node } from 'yaml'
import { formatReference, sameRepository } from '../image/reference.js'
import { didYouMean, quoteList } from './suggest.js'
import { formatKeyPath } from './targets.js'
import type { DesiredImage, Target } from './types.js'
import { pairOf, stringValue, type Splice, type YamlSource } from './yaml-source.js'

type KeyPathTarget = Extract<Target, { kind: 'yaml' }>

/** What the value at the key path becomes. */
export function keyPathValue(source: YamlSource, target: KeyPathTarget, desired: DesiredImage, offset: number): string {
  const where = formatKeyPath(target.keyPath)
  switch (target.part) {
    case 'name':
      return desired.name
    case 'reference':
      return formatReference(desired)
    case 'tag':
      if (desired.tag === undefined)
        throw source.error(
          offset,
          `${where} holds a tag, and pin: digest promotes no tag`,
          'Point the target at the digest field (as=digest), use as=reference, or set pin: tag-and-digest.',
        )
      return desired.tag
    case 'digest':
      if (desired.digest === undefined)
        throw source.error(
          offset,
          `${where} holds a digest, and pin: tag promotes no digest`,
          'Set pin: digest or tag-and-digest, or point the target at the tag.',
        )
      return desired.digest
  }
}

export function keyPathSplices(source: YamlSource, target: KeyPathTarget, desired: DesiredImage): Splice[] {
  const found = source.documents.map((document) => locate(document.contents, target.keyPath))
  const hits = found.filter((f): f is Located => f.found)
  if (hits.length === 0) {
    const misses = found.filter((f): f is Missing => !f.found)
    throw missingKey(
      source,
      target,
      misses.reduce((best, f) => (f.depth > best.depth ? f : best), misses[0]),
    )
  }
  return hits.flatMap(({ node, offset }) => source.setScalar(node, keyPathValue(source, target, desired, offset), formatKeyPath(target.keyPath), offset) ?? [])
}

/**
 * After every edit: a tag or digest beside a `repository` that names another image promotes
 * nothing. Pure; throws TargetError.
 */
export function checkKeyPathTarget(source: YamlSource, target: KeyPathTarget, desired: DesiredImage): void {
  if (target.part !== 'tag' && target.part !== 'digest') return
  for (const document of source.documents) {
    const located = locate(document.contents, target.keyPath.slice(0, -1))
    const parent = located.found ? located.node : undefined
    if (!isMap(parent)) continue
    const repository = stringValue(pairOf(parent, 'repository')?.value)
    if (repository === undefined) continue
    const registry = stringValue(pairOf(parent, 'registry')?.value)
    if (sameRepository(repository, desired.name) || (registry !== undefined && sameRepository(`${registry}/${repository}`, desired.name))) continue
    const path = formatKeyPath([...target.keyPath.slice(0, -1), 'repository'])
    throw source.error(
      pairOf(parent, 'repository')!.value!.range?.[0],
      `${formatKeyPath(target.keyPath)} sits beside ${path}: '${repository}', which is not ${desired.name}`,
      `Add a target \`yaml ${source.file} ${path}\` to promote the repository as well, or check the image input.`,
    )
  }
}

interface Located {
  readonly found: true
  /** The value; undefined for a key present without a value node. */
  readonly node: Node | undefined
  /** Where the value is (or would be). */
  readonly offset: number
}
interface Missing {
  readonly found: false
  /** How many keys were found. */
  readonly depth: number
  /** The last node found. */
  readonly parent: Node | null | undefined
  readonly parentOffset: number | undefined
}

function locate(root: Node | null | undefined, keyPath: readonly (string | number)[]): Located | Missing {
  let node: Node | null | undefined = root
  for (const [depth, key] of keyPath.entries()) {
    const parent = node
    if (isAlias(node)) return { found: false, parentOffset: node.range?.[0], depth, parent }
    const next =
      typeof key === 'number' ? (isSeq(node) ? (node.items[key] as Node | undefined) : undefined) : isMap(node) ? pairOf(node, key)?.value : undefined
    if (next === undefined || next === null) {
      // `key:` with no value is a present key with an empty value: edit it in place.
      const pair = typeof key === 'string' && isMap(node) ? pairOf(node, key) : undefined
      if (pair && depth === keyPath.length - 1) return { found: true, node: undefined, offset: pair.key.range?.[1] ?? 0 }
      return { found: false, parentOffset: parent?.range?.[0], depth, parent }
    }
    node = next
  }
  return node ? { found: true, node, offset: node.range?.[0] ?? 0 } : { found: false, parentOffset: undefined, depth: 0, parent: undefined }
}

function missingKey(source: YamlSource, target: KeyPathTarget, missing: Missing): Error {
  const found = formatKeyPath(target.keyPath.slice(0, missing.depth))
  const key = target.keyPath[missing.depth]
  const where = missing.depth === 0 ? 'the top level' : found
  const fix = 'Check the key path against the file (keys are case-sensitive; list indexes are written [0]).'
  const { parent } = missing
  if (isAlias(parent))
    return source.error(
      missing.parentOffset,
      `${found} is an alias (*${parent.source}); the action does not edit through aliases`,
      'Point the key path at the anchored value itself.',
    )
  if (typeof key === 'number') {
    const size = isSeq(parent) ? `a list of ${parent.items.length}` : 'not a list'
    return source.error(missing.parentOffset, `has no ${formatKeyPath(target.keyPath.slice(0, missing.depth + 1))}: ${where} is ${size}`, fix)
  }
  if (isMap(parent)) {
    const keys = parent.items.map((p) => String(stringValue(p.key) ?? '')).filter((k) => k !== '')
    return source.error(
      missing.parentOffset,
      `has no key ${formatKeyPath(target.keyPath)}: ${where} has ${keys.length ? `keys ${quoteList(keys)}` : 'no keys'}${didYouMean(key, keys)}`,
      fix,
    )
  }
  return source.error(missing.parentOffset, `has no key ${formatKeyPath(target.keyPath)}: ${where} is not a mapping`, fix)
}
