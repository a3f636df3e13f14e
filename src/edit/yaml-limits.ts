/**
 * What makes YAML hostile to the programs that read it, found without expanding anything: nesting
 * deeper than a parser recurses safely, and aliases that multiply a document (a "billion laughs"
 * bomb: a few hundred bytes that kustomize expands into tens of GiB). One rule for the files the
 * action edits (yaml-source.ts) and the files its render check hands to kubectl (render.ts). Pure.
 */
import { isAlias, isMap, isSeq, parseAllDocuments, type Document } from 'yaml'

/** Deeper nesting than this is hostile or generated nonsense; the parser recurses per level. */
export const MAX_YAML_DEPTH = 200
/**
 * Aliases are never expanded here, but kustomize, Helm and Flux will expand them: a file whose
 * aliases multiply it beyond this factor (plus a little) is an alias bomb.
 */
const MAX_ALIAS_EXPANSION = 10
const ALIAS_EXPANSION_ALLOWANCE = 10_000

export const TOO_DEEP = `nests deeper than ${MAX_YAML_DEPTH} levels`
export const ALIAS_BOMB = `expands its aliases to more than ${MAX_ALIAS_EXPANSION} times its size (an alias bomb)`

/** Offset where nesting goes deeper than MAX_YAML_DEPTH (checked before parsing), or undefined. */
export function nestingTooDeep(text: string): number | undefined {
  return flowDepthExceeded(text) ?? indentDepthExceeded(text)
}

/** Offset of the first of `documents` (parsed from `text`) whose aliases expand past the limit, or undefined. */
export function aliasBomb(text: string, documents: readonly Document.Parsed[]): number | undefined {
  if (!text.includes('*')) return undefined
  for (const document of documents) {
    const expanded = expandedSize(document, document.contents, new Map(), 0)
    const written = expandedSize(undefined, document.contents, new Map(), 0)
    if (expanded > written * MAX_ALIAS_EXPANSION + ALIAS_EXPANSION_ALLOWANCE) return document.range[0]
  }
  return undefined
}

/**
 * What is hostile in a file handed to another program without being edited: where, and what, or
 * undefined. Text that is not YAML is that program's to report.
 */
export function yamlHazard(text: string): { offset: number; problem: string } | undefined {
  const deep = nestingTooDeep(text)
  if (deep !== undefined) return { offset: deep, problem: TOO_DEEP }
  // No alias without an anchor: most files are not parsed at all.
  if (!text.includes('*') || !text.includes('&')) return undefined
  let documents: Document.Parsed[]
  try {
    documents = parseAllDocuments(text, { prettyErrors: false }) as Document.Parsed[]
  } catch {
    return undefined
  }
  const bomb = aliasBomb(text, Array.isArray(documents) ? documents : [documents])
  return bomb === undefined ? undefined : { offset: bomb, problem: ALIAS_BOMB }
}

/** Nodes in `node` with aliases expanded (or, without `document`, counted once). Memoized per node. */
function expandedSize(document: Document.Parsed | undefined, node: unknown, memo: Map<unknown, number>, depth: number): number {
  if (depth > MAX_YAML_DEPTH) return 1
  const known = memo.get(node)
  if (known !== undefined) return known
  memo.set(node, 1) // a cycle counts once
  let size = 1
  if (isAlias(node)) {
    if (document) size = expandedSize(document, node.resolve(document), memo, depth + 1)
  } else if (isMap(node)) {
    for (const pair of node.items) size += expandedSize(document, pair.key, memo, depth + 1) + expandedSize(document, pair.value, memo, depth + 1)
  } else if (isSeq(node)) {
    for (const item of node.items) size += expandedSize(document, item, memo, depth + 1)
  }
  // Capped so that sums stay exact integers however hostile the input.
  size = Math.min(size, Number.MAX_SAFE_INTEGER / 2)
  memo.set(node, size)
  return size
}

/** Offset where flow brackets nest too deep (quotes and comments skipped), or undefined. */
function flowDepthExceeded(text: string): number | undefined {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const end = text.indexOf('\n', i)
      if (end === -1) break
      i = end
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s,[{:]/.test(text[i - 1]))) {
      quote = c
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_YAML_DEPTH) return i
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1)
    }
  }
  return undefined
}

/** Offset of a line indented so far that block nesting could exceed the depth limit, or undefined. */
function indentDepthExceeded(text: string): number | undefined {
  const match = new RegExp(`^[ -]{${MAX_YAML_DEPTH * 2},}\\S`, 'm').exec(text)
  return match?.index
}
