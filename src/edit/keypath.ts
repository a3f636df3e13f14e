/**
 * A YAML key path in any YAML file (Helm values, a HelmRelease's `spec.values`, …): the value there
 * becomes the tag, the repository, the digest or the whole reference. With `create=true` a missing
 * key path is added, nested in the file's own indentation. Pure.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml'
import { desiredPart } from '../image/desired.js'
import { sameRepository } from '../image/reference.js'
import { didYouMean, quoteList } from './suggest.js'
import type { DesiredImage, Target, TargetKind } from './types.js'
import { formatPlainOrQuoted, pairOf, stringValue, type Splice, type YamlSource } from './yaml-source.js'

type KeyPathTarget = Extract<Target, { kind: 'yaml' }>
type ValuePart = KeyPathTarget['part']
type Fail = (problem: string, fix?: string) => Error
const PARTS: readonly ValuePart[] = ['tag', 'name', 'digest', 'reference']

/** `yaml <file> <key.path> [as=tag|name|digest|reference]`: the value at a key path of any YAML file. */
export const yamlKind: TargetKind<KeyPathTarget> = {
  word: 'yaml',
  grammar: 'yaml <file> <key.path> [as=tag|name|digest|reference] [create=true]',
  parse(file, args) {
    args.expect(['as', 'create'], 1)
    // As written: a quoted key ("image.tag") is one key.
    const path = args.written[0]
    if (path === undefined) throw args.fail('yaml needs a key path after the file, e.g. `image.tag`')
    const keyPath = parseKeyPath(path, (problem, fix) => args.fail(problem, fix))
    const as = args.options.get('as')
    if (as !== undefined && !(PARTS as readonly string[]).includes(as)) throw args.fail(`as=${as} is not one of ${PARTS.join(', ')}`)
    const create = args.options.get('create')
    if (create !== undefined && create !== 'true' && create !== 'false') throw args.fail(`create=${create} is not true or false`)
    if (create === 'true' && keyPath.some((key) => typeof key === 'number'))
      throw args.fail(`create=true adds mapping keys only, and ${formatKeyPath(keyPath)} holds a list index`, 'Create the list item in the file itself.')
    const target: KeyPathTarget = { kind: 'yaml', file, keyPath, part: (as as ValuePart | undefined) ?? inferPart(keyPath) }
    return create === 'true' ? { ...target, create: true } : target
  },
  path: (target) => target.file,
  describe: (target) => `yaml ${target.file} ${formatKeyPath(target.keyPath)}${target.create ? ' create=true' : ''}`,
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
  const documents = source.documents.filter((document) => !isEmpty(document.contents))
  const found = documents.map((document) => locate(document.contents, target.keyPath))
  const hits = found.filter((f): f is Located => f.found)
  if (hits.length > 0) {
    return hits.flatMap(
      ({ node, offset }) => source.setScalar(node, keyPathValue(source, target, desired, offset), formatKeyPath(target.keyPath), offset) ?? [],
    )
  }
  const deepest = found.filter((f): f is Missing => !f.found).reduce<Missing | undefined>((best, f) => (best && best.depth >= f.depth ? best : f), undefined)
  if (target.create) {
    if (documents.length > 1)
      throw source.error(
        documents[1].range[0],
        `holds ${documents.length} YAML documents and none has ${formatKeyPath(target.keyPath)}; create=true adds a key path only to a file of one document`,
        'Add the key to the document that should hold it.',
      )
    return [createKeyPath(source, documents[0]?.contents, target, desired, deepest)]
  }
  if (!deepest) {
    throw source.error(
      undefined,
      `holds no YAML (it is empty, blank or only comments), so it has no key ${formatKeyPath(target.keyPath)} for the target \`${yamlKind.describe(target)}\` in the targets input`,
      `Add ${formatKeyPath(target.keyPath)} to the file, or write \`${yamlKind.describe({ ...target, create: true })}\` to have it created.`,
    )
  }
  throw missingKey(source, target, deepest)
}

/** An empty document (`---` alone, or only comments) reads as a null scalar. */
const isEmpty = (node: Node | null | undefined) =>
  node === null || node === undefined || (isScalar(node) && node.value === null && node.range![0] === node.range![1])

/**
 * `create=true`: the keys missing below the deepest mapping found, nested in the file's own
 * indentation (block) or written inline (flow), holding the value.
 */
function createKeyPath(source: YamlSource, root: Node | null | undefined, target: KeyPathTarget, desired: DesiredImage, missing: Missing | undefined): Splice {
  const depth = missing?.depth ?? 0
  const rest = target.keyPath.slice(depth) as string[]
  const parent = missing?.parent
  const value = keyPathValue(source, target, desired, parent?.range?.[0] ?? 0)
  const key = (k: string) => formatPlainOrQuoted(k)
  const found = formatKeyPath(target.keyPath.slice(0, depth)) || 'the top level'
  // `image:` with no value: the keys go below it.
  const emptyKey = keyWithoutValue(root, target.keyPath.slice(0, depth), parent, rest[0])
  if (emptyKey) {
    const keyNode = emptyKey.key
    const below = isMap(parent) ? rest.slice(1) : rest
    const at = source.endOfLine(keyNode.range![1])
    if (emptyKey.value && !isEmpty(emptyKey.value)) {
      throw source.error(
        keyNode.range![0],
        `${formatKeyPath(target.keyPath.slice(0, target.keyPath.length - below.length))} is not a mapping, so create=true cannot add ${formatKeyPath(target.keyPath)} below it`,
        'Make it a mapping, or point the key path elsewhere.',
      )
    }
    return blockKeys(source, at, source.newline, source.column(keyNode.range![0]) + indentUnit(source), below, value)
  }
  if (isMap(parent) && parent.flow) {
    const inline = rest.reduceRight((inner, k, i) => (i === rest.length - 1 ? `${key(k)}: ${formatPlainOrQuoted(value)}` : `${key(k)}: {${inner}}`), '')
    const last = parent.items[parent.items.length - 1]
    const at = last ? source.contentEnd((last.value ?? last.key) as Node) : source.text.lastIndexOf('}', parent.range![1] - 1)
    const lead = last ? ', ' : ''
    return {
      start: at,
      end: at,
      text: lead + inline,
      changes: [{ offset: lead.length + inline.lastIndexOf(formatPlainOrQuoted(value)), before: '', after: value }],
    }
  }
  if (isMap(parent) && parent.items.length > 0) {
    const column = source.column((parent.items[0].key as Node).range![0])
    return blockKeys(source, source.endOfLine(source.contentEnd(parent)), source.newline, column, rest, value)
  }
  if (isEmpty(parent)) {
    // An empty file, or one of blank lines and comments: the keys go at the end, at the top level.
    const text = source.text
    if (text === '' || text.endsWith('\n')) {
      const splice = blockKeys(source, text.length, '', 0, rest, value)
      return { ...splice, text: splice.text + source.newline }
    }
    return blockKeys(source, text.length, source.newline, 0, rest, value)
  }
  throw source.error(
    parent?.range?.[0],
    `${found} is not a mapping, so create=true cannot add ${formatKeyPath(target.keyPath)} there`,
    'Point the key path at a mapping.',
  )
}

/**
 * The pair of a key present without a mapping value (`image:`, `image: null`, `image: app:v1`):
 * the key whose scalar value is `parent` (the path stopped below it), or the key `next` of the
 * mapping `parent`.
 */
function keyWithoutValue(
  root: Node | null | undefined,
  found: readonly (string | number)[],
  parent: Node | null | undefined,
  next: string,
): Pair<Node, Node | null> | undefined {
  if (isMap(parent)) {
    const pair = pairOf(parent, next)
    return pair && (pair.value === null || isScalar(pair.value)) ? pair : undefined
  }
  if (found.length === 0 || !isScalar(parent)) return undefined
  const holder = locate(root, found.slice(0, -1))
  const map = holder.found ? holder.node : undefined
  return isMap(map) ? pairOf(map, String(found[found.length - 1])) : undefined
}

/** `keys` nested as block mappings from `column`, the first after `lead`, the innermost holding `value`. */
function blockKeys(source: YamlSource, at: number, lead: string, column: number, keys: readonly string[], value: string): Splice {
  const unit = indentUnit(source)
  let text = ''
  keys.forEach((k, i) => {
    text += `${i === 0 ? lead : source.newline}${' '.repeat(column + i * unit)}${formatPlainOrQuoted(k)}:`
  })
  text += ' '
  const offset = text.length
  return { start: at, end: at, text: text + formatPlainOrQuoted(value), changes: [{ offset, before: '', after: value }] }
}

/** How far the file indents a nested mapping under its key (2 when it nests none). */
function indentUnit(source: YamlSource): number {
  const nested = (map: YAMLMap): number | undefined => {
    for (const pair of map.items) {
      const value = pair.value as Node | null
      if (isMap(value) && !value.flow && value.items.length > 0) {
        return source.column((value.items[0].key as Node).range![0]) - source.column((pair.key as Node).range![0])
      }
    }
    for (const pair of map.items) {
      if (isMap(pair.value)) {
        const unit = nested(pair.value)
        if (unit !== undefined) return unit
      }
    }
    return undefined
  }
  for (const document of source.documents) {
    const unit = isMap(document.contents) && !document.contents.flow ? nested(document.contents) : undefined
    if (unit !== undefined && unit > 0) return unit
  }
  return 2
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
    const literal = target.keyPath.slice(missing.depth).join('.')
    if (keys.includes(literal)) {
      const quoted = formatKeyPath([...target.keyPath.slice(0, missing.depth), literal])
      return source.error(
        missing.parentOffset,
        `has no key ${formatKeyPath(target.keyPath)}, but ${where} has the literal key '${literal}', dots and all`,
        `To edit that key, quote it in the target: \`${quoted}\`.`,
      )
    }
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
  // A literal dotted key (`"image.tag"`) holds what its last word says.
  const last = [...keyPath]
    .reverse()
    .find((k): k is string => typeof k === 'string')
    ?.split('.')
    .pop()
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
