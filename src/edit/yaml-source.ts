/**
 * Byte-preserving YAML edits. The document is parsed only to LOCATE scalars; the edit splices new
 * scalar text into the original string, so comments, order, quoting, indentation, line endings and
 * everything else the edit does not touch stay byte for byte. The document is never re-stringified.
 * Pure.
 */
import { isAlias, isCollection, isMap, isScalar, isSeq, parse, parseAllDocuments, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'
import { TargetError } from '../errors.js'
import { aliasBomb, ALIAS_BOMB, nestingTooDeep, TOO_DEEP } from './yaml-limits.js'

/** Files larger than this are not promotion targets (and would cost the parser too much). */
export const MAX_YAML_BYTES = 4 * 1024 * 1024
/** One replacement of `text.slice(start, end)`, with the scalar values it changes. */
export interface Splice {
  readonly start: number
  readonly end: number
  readonly text: string
  /** Each value changed, at `offset` within `text` (removals: at 0, `after` ''). */
  readonly changes: readonly SpliceChange[]
}

export interface SpliceChange {
  readonly offset: number
  readonly before: string
  readonly after: string
}

/** A change located by its offset in the whole current text (lines are computed at the very end). */
export type OffsetChange = SpliceChange

/** A parsed YAML file: its text, documents, and helpers that point errors at the right line. */
export class YamlSource {
  readonly file: string
  readonly text: string
  readonly documents: readonly Document.Parsed[]
  /** `\r\n` when the file uses it, so inserted lines match. */
  readonly newline: string

  constructor(file: string, text: string) {
    this.file = file
    this.text = text
    this.newline = text.includes('\r\n') ? '\r\n' : '\n'
    this.documents = parseYaml(file, text)
  }

  /** 1-based line of an offset. */
  line(offset: number): number {
    return lineAt(this.text, offset)
  }

  error(offset: number | undefined, problem: string, fix: string): TargetError {
    return new TargetError(this.file, offset === undefined ? undefined : this.line(offset), problem, fix)
  }

  /** 0-based column of an offset. */
  column(offset: number): number {
    return offset - lineStart(this.text, offset)
  }

  /** The splice that makes `node` read as the string `value`; undefined when it already does. */
  setScalar(node: Node | null | undefined, value: string, what: string, at?: number): Splice | undefined {
    if (!node || !isScalar(node) || !node.range) {
      const offset = node?.range?.[0] ?? at
      if (isAlias(node)) {
        throw this.error(offset, `${what} is an alias (*${node.source}), not a value`, `Point the target at the anchored value itself.`)
      }
      throw this.error(offset, `${what} is ${describeNode(node)}, not a string value`, 'Point the target at the field that holds the value.')
    }
    if (typeof node.value === 'string' && node.value === value) return undefined
    const [start, end] = node.range
    if (node.tag && node.tag !== 'tag:yaml.org,2002:str' && node.tag !== '!') {
      throw this.error(
        start,
        `${what} carries the tag ${node.tag}, which would not read a string`,
        'Remove the tag (or make it !!str) so the value can hold an image reference.',
      )
    }
    const before = scalarText(node.value)
    if (start === end) {
      // An empty value (`key:`): the new one needs a space after the colon.
      return { start, end, text: ` ${formatPlainOrQuoted(value)}`, changes: [{ offset: 1, before, after: value }] }
    }
    return { start, end, text: formatLike(node, value, this, start), changes: [{ offset: 0, before, after: value }] }
  }

  /** Index just before the line break of the line holding `offset` (or the end of the text). */
  endOfLine(offset: number): number {
    const newline = this.text.indexOf('\n', offset)
    if (newline === -1) return this.text.length
    return this.text[newline - 1] === '\r' ? newline - 1 : newline
  }

  /** The last offset of real content in a node (its trailing line breaks and comments excluded). */
  contentEnd(node: Node): number {
    if (isCollection(node) && !node.flow && node.items.length > 0) {
      const last = node.items[node.items.length - 1]!
      const lastNode = (isMap(node) ? ((last as Pair).value ?? (last as Pair).key) : last) as Node | null
      if (lastNode && lastNode.range) return this.contentEnd(lastNode)
    }
    let end = node.range![1]
    while (end > node.range![0] && /\s/.test(this.text[end - 1])) end--
    return end
  }
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

export function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return line
}

function describeNode(node: Node | null | undefined): string {
  if (!node) return 'missing'
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node) && node.type?.startsWith('BLOCK')) return 'a block scalar'
  return 'not a scalar'
}

/** Parses every document, refusing files that are invalid, huge or hostile. */
function parseYaml(file: string, text: string): Document.Parsed[] {
  if (text.length > MAX_YAML_BYTES) {
    throw new TargetError(
      file,
      undefined,
      `is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB`,
      'Promote into a smaller file; a file this large is not hand-maintained configuration.',
    )
  }
  const tooDeep = nestingTooDeep(text)
  if (tooDeep !== undefined) throw new TargetError(file, lineAt(text, tooDeep), TOO_DEEP, 'Flatten the file; the action does not edit YAML this deep.')
  let documents: Document.Parsed[]
  try {
    documents = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true }) as Document.Parsed[]
  } catch (error) {
    // The composer recurses; a RangeError here is nesting our pre-scan did not see.
    throw new TargetError(file, undefined, `cannot be parsed (${error instanceof Error ? error.message : String(error)})`, 'Fix or simplify the YAML.')
  }
  if (!Array.isArray(documents)) documents = [documents]
  for (const document of documents) {
    const error = document.errors[0]
    if (error) {
      const line = lineAt(text, error.pos[0])
      throw new TargetError(
        file,
        line,
        `is not valid YAML (${error.message.split('\n')[0]})`,
        'Fix the YAML there; the action never rewrites a file it cannot parse.',
      )
    }
  }
  const bomb = aliasBomb(text, documents)
  if (bomb !== undefined) {
    throw new TargetError(
      file,
      lineAt(text, bomb),
      ALIAS_BOMB,
      'Promote into a file without mass aliasing; the action will not hand this to kustomize, Helm or Flux.',
    )
  }
  return documents
}

/** True when a plain scalar of `value` is read back as that same string by YAML 1.1 and 1.2 readers. */
export function isPlainSafe(value: string): boolean {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./@:+-]*$/.test(value) || value.endsWith(':')) return false
  // Anything a reader might take for a number, boolean, null or timestamp is quoted.
  if (!Number.isNaN(Number(value))) return false
  try {
    return parse(value) === value && parse(value, { version: '1.1' }) === value
  } catch {
    return false
  }
}

/** A double-quoted scalar (JSON escapes are valid YAML double-quoted escapes). */
export function doubleQuoted(value: string): string {
  return JSON.stringify(value)
}

export function singleQuoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

export function formatPlainOrQuoted(value: string): string {
  return isPlainSafe(value) ? value : doubleQuoted(value)
}

export type ScalarStyle = 'plain' | 'double' | 'single'

export function styleOf(node: Node | null | undefined): ScalarStyle {
  if (isScalar(node)) {
    if (node.type === 'QUOTE_DOUBLE') return 'double'
    if (node.type === 'QUOTE_SINGLE') return 'single'
  }
  return 'plain'
}

/** `value` written in `style`; plain falls back to double quotes where a plain scalar would not read as the string. */
export function formatInStyle(value: string, style: ScalarStyle): string {
  if (style === 'double') return doubleQuoted(value)
  if (style === 'single' && !/[\x00-\x1f\x7f]/.test(value)) return singleQuoted(value)
  return formatPlainOrQuoted(value)
}

function formatLike(node: Scalar, value: string, source: YamlSource, at: number): string {
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    throw source.error(at, 'the value is a block scalar (| or >)', 'Write the value as a plain or quoted scalar on one line.')
  }
  return formatInStyle(value, styleOf(node))
}

/** Applies non-overlapping splices; returns the new text and each change's offset in it. */
export function applySplices(text: string, splices: readonly Splice[]): { text: string; changes: OffsetChange[] } {
  const sorted = [...splices].sort((a, b) => a.start - b.start || a.end - b.end)
  let out = ''
  let cursor = 0
  const changes: OffsetChange[] = []
  for (const splice of sorted) {
    if (splice.start < cursor) throw new Error(`overlapping edits at offset ${splice.start}`)
    out += text.slice(cursor, splice.start)
    for (const change of splice.changes) changes.push({ offset: out.length + change.offset, before: change.before, after: change.after })
    out += splice.text
    cursor = splice.end
  }
  out += text.slice(cursor)
  return { text: out, changes }
}

/**
 * Joins adjacent whole-line deletions into one; a run that reaches the end of a file without a final
 * newline also takes the line break before it, so the file still ends without one.
 */
export function joinLineDeletions(text: string, splices: readonly Splice[]): Splice[] {
  const deletions = splices.filter((s) => s.text === '' && s.start < s.end).sort((a, b) => a.start - b.start)
  const joined: Splice[] = []
  for (const deletion of deletions) {
    const last = joined[joined.length - 1]
    if (last && deletion.start <= last.end) {
      joined[joined.length - 1] = { start: last.start, end: Math.max(last.end, deletion.end), text: '', changes: [...last.changes, ...deletion.changes] }
    } else {
      joined.push(deletion)
    }
  }
  const tail = joined[joined.length - 1]
  if (tail && tail.end === text.length && !text.endsWith('\n') && text[tail.start - 1] === '\n') {
    const start = tail.start - (text[tail.start - 2] === '\r' ? 2 : 1)
    joined[joined.length - 1] = { ...tail, start }
  }
  return [...splices.filter((s) => !deletions.includes(s)), ...joined]
}

/** Where an offset of the old text lands after the splices; undefined when a splice replaced it. */
export function mapOffset(offset: number, splices: readonly Splice[]): number | undefined {
  let shifted = offset
  for (const splice of splices) {
    if (offset >= splice.end && !(splice.start === splice.end && offset === splice.start)) {
      shifted += splice.text.length - (splice.end - splice.start)
    } else if (offset >= splice.start && offset < splice.end) {
      return undefined
    }
  }
  return shifted
}

/** The scalar string value of `node`, or undefined when it is not a string scalar. */
export function stringValue(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined
}

/** The pair of `map` whose key is the string `key`. */
export function pairOf(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return map.items.find((pair) => stringValue(pair.key) === key) as Pair<Node, Node | null> | undefined
}

/** A scalar's value as text: YAML's core schema only yields strings, numbers, booleans and null. */
function scalarText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  return ''
}
