/**
 * A YAML key path in any YAML file (Helm values, a HelmRelease's `spec.values`, …): the value there
 * becomes the tag, the repository, the digest or the whole reference. Pure.
 */
import { isAlias, isMap, isSeq, type Node } from 'yaml'
import { desiredPart } from '../image/desired.js'
import { sameRepository } from '../image/reference.js'
import { didYouMean, quoteList } from './suggest.js'
import type { DesiredImage, Target, TargetKind } from './types.js'
import { pairOf, stringValue, type Splice, type YamlSource } from './yaml-source.js'

type KeyPathTarget = Extract<Target, { kind: 'yaml' }>
type ValuePart = KeyPathTarget['part']
type Fail = (problem: string, fix?: string) => Error
const PARTS: readonly ValuePart[] = ['tag', 'name', 'digest', 'reference']

/** `yaml <file> <key.path> [as=tag|name|digest|reference]`: the value at a key path of any YAML file. */
export const yamlKind: TargetKind<KeyPathTarget> = {
  word: 'yaml',
  grammar: 'yaml <file> <key.path> [as=tag|name|digest|reference]',
  parse(file, args) {
    args.expect(['as'], 1)
    const path = args.positional[0]
    if (path === undefined) throw args.fail('yaml needs a key path after the file, e.g. `image.tag`')
    const keyPath = parseKeyPath(path, (problem, fix) => args.fail(problem, fix))
    const as = args.options.get('as')
    if (as !== undefined && !(PARTS as readonly string[]).includes(as)) throw args.fail(`as=${as} is not one of ${PARTS.join(', ')}`)
    return { kind: 'yaml', file, keyPath, part: (as as ValuePart | undefined) ?? inferPart(keyPath) }
  },
  path: (target) => target.file,
  describe: (target) => `yaml ${target.file} ${formatKeyPath(target.keyPath)}`,
  splices: keyPathSplices,
  check: checkKeyPathTarget,
  renders: false,
}

/** What the value at the key path becomes. */
export function keyPathValue(source: YamlSource, target: KeyPathTarget, desired: DesiredImage, offset: number): string {
  return desiredPart(desired, target.part, (part) =>
    source.error(
      offset,
      `${formatKeyPath(target.keyPath)} holds a ${part}, and pin: ${part === 'tag' ? 'digest' : 'tag'} promotes no ${part}`,
      part === 'tag'
        ? 'Point the target at the digest field (as=digest), use as=reference, or set pin: tag-and-digest.'
        : 'Set pin: digest or tag-and-digest, or point the target at the tag.',
    ),
  )
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

/** What a key path's value holds, from its last key: `tag` → tag, `repository` → name, `digest` → digest. */
function inferPart(keyPath: readonly (string | number)[]): ValuePart {
  const last = [...keyPath].reverse().find((k): k is string => typeof k === 'string')
  if (last === 'tag' || last === 'newTag') return 'tag'
  if (last === 'repository' || last === 'repo' || last === 'newName') return 'name'
  if (last === 'digest') return 'digest'
  return 'reference'
}

/** `image.tag`, `spec.values.image`, `containers[0].image`, `annotations."a.b/c"`, `a["x.y"]`. */
export function parseKeyPath(text: string, fail: Fail): (string | number)[] {
  const keys: (string | number)[] = []
  let i = 0
  const quoted = () => {
    const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))
    if (!match) throw fail(`key path '${text}' has an unterminated quote`)
    i += match[0].length
    return JSON.parse(match[0]) as string
  }
  while (i < text.length) {
    if (text[i] === '[') {
      const index = /^\[(\d+)\]/.exec(text.slice(i))
      if (index) {
        keys.push(Number(index[1]))
        i += index[0].length
      } else if (text[i + 1] === '"') {
        i++
        keys.push(quoted())
        if (text[i] !== ']') throw fail(`key path '${text}': expected ] at position ${i + 1}`)
        i++
      } else {
        throw fail(`key path '${text}': a list index is a whole number in brackets, like [0]`)
      }
    } else {
      if (keys.length > 0) {
        if (text[i] !== '.') throw fail(`key path '${text}': expected . or [ at position ${i + 1}`)
        i++
      }
      if (text[i] === '"') {
        keys.push(quoted())
      } else {
        const key = /^[^.[\]"]+/.exec(text.slice(i))?.[0]
        if (!key) throw fail(`key path '${text}' has an empty key at position ${i + 1}`)
        keys.push(key)
        i += key.length
      }
    }
  }
  if (keys.length === 0) throw fail('the key path is empty')
  return keys
}

export function formatKeyPath(keyPath: readonly (string | number)[]): string {
  return keyPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${/^[^.[\]"]+$/.test(key) ? key : JSON.stringify(key)}`)).join('')
}
