/**
 * Kustomize `images:` edits with `kustomize edit set image` semantics, byte-preserving. Pure.
 *
 * The entry is matched by `name`; when none matches one is appended (creating `images:` when
 * missing). After the edit the entry carries exactly what the desired image says: `newTag` only
 * with a tag, `digest` only with a digest (a tag-only update drops a stale digest, a digest-only
 * pin drops the tag), and `newName` only when the pushed repository differs from `name`.
 */
import { posix } from 'node:path'
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml'
import { TargetError } from '../errors.js'
import { imageNameProblem, sameRepository } from '../image/reference.js'
import { isKustomizationFile, KUSTOMIZATION_FILES } from './closure.js'
import type { RepoFiles } from './files.js'
import type { DesiredImage, FileEdit, Target, TargetKind } from './types.js'
import {
  applySplices,
  formatInStyle,
  joinLineDeletions,
  lineAt,
  lineStart,
  pairOf,
  stringValue,
  styleOf,
  YamlSource,
  type ScalarStyle,
  type Splice,
} from './yaml-source.js'

type KustomizeTarget = Extract<Target, { kind: 'kustomize' }>

/** What is wrong with an `images:` entry name given as an input (kustomize matches it to image names), or undefined. */
export function entryNameProblem(name: string): string | undefined {
  const problem = imageNameProblem(name)
  return problem && `'${name}' is not an image name: ${problem}`
}

export const ENTRY_NAME_FIX = 'Give the `name` of the images entry as it appears in the kustomization, without tag or digest.'

/** `kustomize <overlay dir or kustomization file> [name=<entry>]`: the overlay's `images:` entry. */
export const kustomizeKind: TargetKind<KustomizeTarget> = {
  word: 'kustomize',
  grammar: 'kustomize <overlay dir> [name=<entry>]',
  parse(path, args) {
    args.expect(['name'], 0)
    const name = args.options.get('name')
    if (name === '') throw args.fail('name= is empty')
    const problem = name === undefined ? undefined : entryNameProblem(name)
    if (problem) throw args.fail(`name=${problem}`, ENTRY_NAME_FIX)
    return name === undefined ? { kind: 'kustomize', path } : { kind: 'kustomize', path, imageName: name }
  },
  path: (target) => target.path,
  describe: (target) => `kustomize ${target.path}${target.imageName ? ` name=${target.imageName}` : ''}`,
  file: kustomizationFile,
  splices: (source, target, desired) => kustomizationSplices(source, target.imageName, desired),
  renders: true,
}

/** The overlay's kustomization file (the path itself when it names one). */
async function kustomizationFile(files: RepoFiles, target: KustomizeTarget): Promise<string> {
  const path = target.path
  if (isKustomizationFile(path)) return path
  for (const name of KUSTOMIZATION_FILES) {
    const file = path === '.' ? name : posix.join(path, name)
    if ((await files.read(file)) !== undefined) return file
  }
  if ((await files.read(path)) !== undefined) {
    throw new TargetError(
      path,
      undefined,
      `is a file, not an overlay directory or a ${KUSTOMIZATION_FILES.join(' / ')} file`,
      'Give the overlay directory, or a `yaml` target with a key path for other files.',
    )
  }
  throw new TargetError(
    path,
    undefined,
    `holds no ${KUSTOMIZATION_FILES.join(', ')} in the infra repository`,
    'Check the overlay path (relative to the infra repository root) and the branch it is on.',
  )
}

/** The value fields of an images entry, in the order kustomize writes them. */
const FIELDS = ['name', 'newName', 'newTag', 'digest'] as const
type Field = (typeof FIELDS)[number]
type EntryValues = Partial<Record<Field, string>>

/** One `images:` entry as found in the file. */
export interface ImagesEntry {
  readonly name?: string
  readonly newName?: string
  readonly newTag?: string
  readonly digest?: string
  /** 1-based line of the entry. */
  readonly line: number
}

export function editKustomization(file: string, text: string, imageName: string | undefined, desired: DesiredImage): FileEdit {
  const source = new YamlSource(file, text)
  const edit = applySplices(text, kustomizationSplices(source, imageName, desired))
  return { text: edit.text, changes: edit.changes.map((c) => ({ file, line: lineAt(edit.text, c.offset), before: c.before, after: c.after })) }
}

/** The images entries of a kustomization (for messages that name what exists). */
export function imagesEntries(source: YamlSource): ImagesEntry[] {
  const images = imagesSequence(source)
  if (!images) return []
  return images.items.filter(isMap).map((entry) => ({ ...entryValues(entry), line: source.line(entry.range![0]) }))
}

/** The entry name the edit targets: `imageName`, else the entry naming the image, else the image. */
export function resolveEntryName(source: YamlSource, imageName: string | undefined, desired: DesiredImage): string {
  const images = imagesSequence(source)
  const entry = images && findEntry(images, imageName, desired.name)
  return (entry && entryValues(entry).name) ?? imageName ?? desired.name
}

/** The name of the entry the edit appends to `images:` (none matches), or undefined when it updates one. */
export function addedEntryName(source: YamlSource, imageName: string | undefined, desired: DesiredImage): string | undefined {
  const images = imagesSequence(source)
  return images && findEntry(images, imageName, desired.name) ? undefined : (imageName ?? desired.name)
}

export function kustomizationSplices(source: YamlSource, imageName: string | undefined, desired: DesiredImage): Splice[] {
  const root = rootMap(source)
  const imagesPair = root && pairOf(root, 'images')
  const images = imagesPair?.value
  if (images && !isSeq(images) && !(isScalar(images) && images.value === null)) {
    throw source.error(images.range?.[0], '`images` is not a list', 'Make `images:` a list of entries (name, newName, newTag, digest).')
  }
  if (images && isSeq(images)) {
    const entry = findEntry(images, imageName, desired.name)
    if (entry) return updateEntry(source, entry, desired)
    return [appendEntry(source, images, wantedValues(imageName ?? desired.name, desired))]
  }
  return [addImages(source, root, imagesPair, wantedValues(imageName ?? desired.name, desired))]
}

function rootMap(source: YamlSource): YAMLMap | undefined {
  const documents = source.documents.filter((d) => d.contents !== null)
  if (documents.length > 1) {
    throw source.error(
      documents[1].contents?.range?.[0],
      'holds more than one YAML document',
      'A kustomization is a single document: remove the extra `---` documents.',
    )
  }
  const contents = documents[0]?.contents
  // An empty document (`---` alone) reads as a null scalar.
  if (contents === undefined || contents === null || (isScalar(contents) && contents.value === null)) return undefined
  if (!isMap(contents))
    throw source.error(
      contents.range?.[0],
      'is not a kustomization (its top level is not a mapping)',
      'Point the target at an overlay directory or its kustomization.yaml.',
    )
  return contents
}

function imagesSequence(source: YamlSource): YAMLSeq | undefined {
  const root = rootMap(source)
  const images = root && pairOf(root, 'images')?.value
  return images && isSeq(images) ? images : undefined
}

function entryValues(entry: YAMLMap): EntryValues {
  const values: EntryValues = {}
  for (const field of FIELDS) {
    const value = stringValue(pairOf(entry, field)?.value)
    if (value !== undefined) values[field] = value
  }
  return values
}

/** kustomize matches `name` exactly; for the default, an entry naming the image by name or newName. */
function findEntry(images: YAMLSeq, imageName: string | undefined, image: string): YAMLMap | undefined {
  const entries = images.items.filter((item): item is YAMLMap => isMap(item))
  const byName = (name: string) => entries.find((e) => entryValues(e).name === name) ?? entries.find((e) => sameName(entryValues(e).name, name))
  if (imageName !== undefined) return byName(imageName)
  return byName(image) ?? entries.find((e) => sameName(entryValues(e).newName, image))
}

const sameName = (a: string | undefined, b: string) => a !== undefined && sameRepository(a, b)

/** What an entry named `name` must hold for the desired image; an existing newName that already names it stays. */
function wantedValues(name: string, desired: DesiredImage, currentNewName?: string): EntryValues {
  const newName =
    currentNewName !== undefined && sameRepository(currentNewName, desired.name)
      ? currentNewName
      : sameRepository(name, desired.name)
        ? undefined
        : desired.name
  return {
    name,
    ...(newName !== undefined ? { newName } : {}),
    ...(desired.tag !== undefined ? { newTag: desired.tag } : {}),
    ...(desired.digest !== undefined ? { digest: desired.digest } : {}),
  }
}

function updateEntry(source: YamlSource, entry: YAMLMap, desired: DesiredImage): Splice[] {
  const current = entryValues(entry)
  const suffix = pairOf(entry, 'tagSuffix')
  if (suffix) {
    // kustomize appends it to whatever tag the entry sets: the promoted tag would not be what runs.
    throw source.error(
      suffix.key.range?.[0],
      `the images entry '${current.name ?? '?'}' carries tagSuffix '${stringValue(suffix.value) ?? ''}', which kustomize appends to the tag: ${desired.name} would run with a tag other than the one promoted`,
      'Remove tagSuffix from the entry and promote the full tag (e.g. the tag with its suffix), or give this overlay its own entry.',
    )
  }
  const wanted = wantedValues(current.name ?? desired.name, desired, current.newName)
  const style = styleOf(pairOf(entry, 'name')?.value)
  const keyStyle = styleOf(entry.items[0]?.key as Node)
  const splices: Splice[] = []
  const additions = new Map<number, Field[]>()
  for (const field of FIELDS.slice(1)) {
    const pair = pairOf(entry, field)
    const value = wanted[field]
    if (pair && value !== undefined) {
      const splice = source.setScalar(pair.value, value, `images entry field ${field}`, pair.key.range?.[0])
      if (splice) splices.push(splice)
    } else if (pair) {
      splices.push(removePair(source, entry, pair))
    } else if (value !== undefined) {
      const anchor = anchorFor(entry, field, wanted)
      const anchorEnd = source.contentEnd((anchor.value ?? anchor.key) as Node)
      const position = entry.flow ? anchorEnd : source.endOfLine(anchorEnd)
      additions.set(position, [...(additions.get(position) ?? []), field])
    }
  }
  for (const [position, fields] of additions) {
    const column = source.column((entry.items[0].key as Node).range![0])
    let text = ''
    const changes = []
    for (const field of fields) {
      const value = wanted[field]!
      const lead = entry.flow ? ', ' : `${source.newline}${' '.repeat(column)}`
      const key = `${formatInStyle(field, keyStyle)}: `
      changes.push({ offset: text.length + lead.length + key.length, before: '', after: value })
      text += lead + key + formatInStyle(value, style)
    }
    splices.push({ start: position, end: position, text, changes })
  }
  return joinLineDeletions(source.text, splices)
}

/** The pair a new field goes after: the nearest preceding field the entry keeps, else its last pair. */
function anchorFor(entry: YAMLMap, field: Field, wanted: EntryValues): Pair {
  for (let i = FIELDS.indexOf(field) - 1; i >= 0; i--) {
    const pair = pairOf(entry, FIELDS[i])
    if (pair && wanted[FIELDS[i]] !== undefined) return pair
  }
  return entry.items[entry.items.length - 1]
}

function removePair(source: YamlSource, entry: YAMLMap, pair: Pair): Splice {
  const text = source.text
  const keyStart = (pair.key as Node).range![0]
  const valueEnd = pair.value ? source.contentEnd(pair.value as Node) : (pair.key as Node).range![1]
  const index = entry.items.indexOf(pair)
  const next = entry.items[index + 1]
  const change = { offset: 0, before: stringValue(pair.value) ?? '', after: '' }
  if (entry.flow) {
    if (index > 0) {
      const previous = entry.items[index - 1]
      const previousEnd = source.contentEnd((previous.value ?? previous.key) as Node)
      return { start: previousEnd, end: valueEnd, text: '', changes: [change] }
    }
    return { start: keyStart, end: (next.key as Node).range![0], text: '', changes: [change] }
  }
  const start = lineStart(text, keyStart)
  if (/^\s*$/.test(text.slice(start, keyStart))) {
    // The pair owns whole lines: remove them with their line break (see joinLineDeletions at the end of a file).
    const end = source.endOfLine(valueEnd)
    return { start, end: end < text.length ? end + (text[end] === '\r' ? 2 : 1) : end, text: '', changes: [change] }
  }
  if (!next) throw source.error(keyStart, `cannot remove the only field of this images entry`, 'Give the entry a `name`.')
  // `- digest: …` leads the entry: the next key moves up into its place.
  return { start: keyStart, end: (next.key as Node).range![0], text: '', changes: [change] }
}

/** Keys of the new entry in the surrounding style. */
function entryStyle(images: YAMLSeq | undefined): { value: ScalarStyle; key: ScalarStyle } {
  const first = images?.items.find(isMap)
  return { value: first ? styleOf(pairOf(first, 'name')?.value) : 'plain', key: first ? styleOf(first.items[0]?.key as Node) : 'plain' }
}

function entryFields(values: EntryValues, keyStyle: ScalarStyle, valueStyle: ScalarStyle): { key: string; value: string; after: string }[] {
  return FIELDS.filter((f) => values[f] !== undefined).map((f) => ({
    key: formatInStyle(f, keyStyle),
    value: formatInStyle(values[f]!, valueStyle),
    after: values[f]!,
  }))
}

function flowEntry(values: EntryValues, keyStyle: ScalarStyle, valueStyle: ScalarStyle, at: number): { text: string; changes: Splice['changes'] } {
  let text = '{'
  const changes: { offset: number; before: string; after: string }[] = []
  for (const [i, field] of entryFields(values, keyStyle, valueStyle).entries()) {
    text += `${i ? ', ' : ''}${field.key}: `
    changes.push({ offset: at + text.length, before: '', after: field.after })
    text += field.value
  }
  return { text: `${text}}`, changes }
}

function blockEntry(
  values: EntryValues,
  dashColumn: number,
  keyColumn: number,
  newline: string,
  keyStyle: ScalarStyle,
  valueStyle: ScalarStyle,
  at: number,
): { text: string; changes: Splice['changes'] } {
  let text = ''
  const changes: { offset: number; before: string; after: string }[] = []
  for (const [i, field] of entryFields(values, keyStyle, valueStyle).entries()) {
    text += i === 0 ? `${newline}${' '.repeat(dashColumn)}-${' '.repeat(Math.max(1, keyColumn - dashColumn - 1))}` : `${newline}${' '.repeat(keyColumn)}`
    text += `${field.key}: `
    changes.push({ offset: at + text.length, before: '', after: field.after })
    text += field.value
  }
  return { text, changes }
}

function appendEntry(source: YamlSource, images: YAMLSeq, values: EntryValues): Splice {
  const style = entryStyle(images)
  const last = images.items[images.items.length - 1] as Node | undefined
  if (images.flow) {
    if (last) {
      const at = source.contentEnd(last)
      const entry = flowEntry(values, style.key, style.value, 2)
      return { start: at, end: at, text: `, ${entry.text}`, changes: entry.changes }
    }
    const close = source.text.lastIndexOf(']', images.range![1])
    const entry = flowEntry(values, style.key, style.value, 0)
    return { start: close, end: close, text: entry.text, changes: entry.changes }
  }
  const dashColumn = source.column(images.range![0])
  const first = images.items[0] as Node
  const keyColumn = isMap(first) && !first.flow ? source.column(first.range![0]) : dashColumn + 2
  const at = source.endOfLine(source.contentEnd(last!))
  const entry = blockEntry(values, dashColumn, keyColumn, source.newline, style.key, style.value, 0)
  return { start: at, end: at, text: entry.text, changes: entry.changes }
}

/** Adds `images:` (or fills an empty one) holding one entry. */
function addImages(source: YamlSource, root: YAMLMap | undefined, imagesPair: Pair<Node, Node | null> | undefined, values: EntryValues): Splice {
  const { text, newline } = source
  const keyColumn = root && !root.flow && root.items.length > 0 ? source.column((root.items[0].key as Node).range![0]) : 0
  const dashColumn = keyColumn + sequenceIndent(source, root)
  const keyStyle = root && root.items.length > 0 ? styleOf(root.items[0].key as Node) : 'plain'
  if (imagesPair) {
    // `images:` with no value, or an explicit null.
    const value = imagesPair.value as Node
    if (value.range![0] < value.range![1]) {
      const entry = flowEntry(values, keyStyle, 'plain', 1)
      return { start: value.range![0], end: value.range![1], text: `[${entry.text}]`, changes: entry.changes }
    }
    const at = source.endOfLine(value.range![0])
    const entry = blockEntry(values, dashColumn, dashColumn + 2, newline, keyStyle, 'plain', 0)
    return { start: at, end: at, text: entry.text, changes: entry.changes }
  }
  const imagesKey = formatInStyle('images', keyStyle)
  if (root?.flow) {
    const last = root.items[root.items.length - 1]
    const lead = last ? ', ' : ''
    const at = last ? source.contentEnd((last.value ?? last.key) as Node) : text.lastIndexOf('}', root.range![1])
    const prefix = `${lead}${imagesKey}: [`
    const entry = flowEntry(values, keyStyle, keyStyle, prefix.length)
    return { start: at, end: at, text: `${prefix}${entry.text}]`, changes: entry.changes }
  }
  const block = (at: number, lead: string, trail: string): Splice => {
    const head = `${lead}${' '.repeat(keyColumn)}${imagesKey}:`
    const entry = blockEntry(values, dashColumn, dashColumn + 2, newline, keyStyle, 'plain', head.length)
    return { start: at, end: at, text: head + entry.text + trail, changes: entry.changes }
  }
  if (root && root.items.length > 0) return block(source.endOfLine(source.contentEnd(root)), newline, '')
  // An empty kustomization (perhaps only comments): add at the end, keeping a final newline as it was.
  if (text === '') return block(0, '', newline)
  return text.endsWith('\n') ? block(text.length, '', newline) : block(text.length, newline, '')
}

/** How far the file indents sequences under their key (kustomize itself writes 0). */
function sequenceIndent(source: YamlSource, root: YAMLMap | undefined): number {
  for (const pair of root?.items ?? []) {
    const value = pair.value as Node | null
    if (isSeq(value) && !value.flow && value.range) {
      return source.column(value.range[0]) - source.column((pair.key as Node).range![0])
    }
  }
  return 0
}
