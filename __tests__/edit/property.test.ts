/**
 * Property-based tests of the byte-preserving edit over generated documents and references
 * (10,000 cases in all). For every case: (1) re-parsing the output gives the input with only the
 * intended value changed, (2) a second application is a no-op, (3) nothing outside the target
 * changes byte-wise. The expectations are computed from the generated structure, not by the code
 * under test. Set FC_SEED to explore other cases (the default seed keeps CI deterministic).
 */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { parse, parseAllDocuments, parseDocument, type Node } from 'yaml'
import { TargetError } from '../../src/errors.js'
import { formatReference, sameRepository, splitReference } from '../../src/image/reference.js'
import { planEdits } from '../../src/edit/plan.js'
import { parseTargets } from '../../src/edit/targets.js'
import type { DesiredImage } from '../../src/edit/types.js'

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 424242
const settings = (numRuns: number) => ({ numRuns, seed: SEED })

// ---- generated YAML text ----------------------------------------------------------------------

type Style = 'plain' | 'single' | 'double'
type Tree = { kind: 'map'; entries: [string, Tree][] } | { kind: 'seq'; items: Tree[] } | { kind: 'scalar'; value: string; style: Style }

/** Strings YAML readers like to read as something else, image-ish strings, and odd text. */
const TRICKY = [
  '1234',
  '3.2e2',
  'true',
  '0x1F',
  '1_000',
  'null',
  '1e3',
  '0o17',
  '.inf',
  '~',
  'yes',
  'no',
  'on',
  'y',
  '1:20',
  '2024-01-01',
  '012',
  '1.0',
  '',
  '-1',
  '+1',
  '.NaN',
  'False',
  'NULL',
]
const scalarText = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/),
  fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9-]{1,6}){0,2}:[A-Za-z0-9_][\w.-]{0,8}$/),
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', '#', ':', "'", '"', '\\', '-', '{', '[', ',', 'é', '\t'), maxLength: 10 }),
)
const tag = fc.oneof(
  fc.constantFrom('1234', '1.0', 'true', 'yes', '1e3', '0x1F', 'latest', 'v1.2.3', '2024-01-01'),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/),
)
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`)
const style = fc.constantFrom<Style>('plain', 'single', 'double')
const key = fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,7}$/)

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
    fc.record({ kind: fc.constant('scalar' as const), value: scalarText, style }),
    fc.record({ kind: fc.constant('map' as const), entries: fc.uniqueArray(fc.tuple(key, tie('node')), { minLength: 1, maxLength: 3, selector: ([k]) => k }) }),
    fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
  ),
})).node

/** Whether YAML 1.1 and 1.2 readers read `value` written plain as that string (memoized: values repeat). */
const plainReadsBack = new Map<string, boolean>()
function readsBackPlain(value: string): boolean {
  let known = plainReadsBack.get(value)
  if (known === undefined) {
    try {
      known = value !== '' && !/[\x00-\x1f#:]/.test(value) && parse(`k: ${value}`, { version: '1.1' })?.k === value && parse(`k: ${value}`)?.k === value
    } catch {
      known = false
    }
    plainReadsBack.set(value, known)
  }
  return known
}

/** Writes a scalar as a YAML reader will read back as exactly `value`, in `style` where it can. */
function formatScalar(value: string, style: Style): string {
  if (style === 'single' && !/[\x00-\x1f]/.test(value)) return `'${value.replace(/'/g, "''")}'`
  if (style === 'plain' && readsBackPlain(value)) return value
  return JSON.stringify(value)
}

interface Layout {
  readonly seqIndent: 0 | 2
  readonly step: 2 | 4
  /** Per emitted entry: 0 nothing, 1 a comment line before, 2 a blank line before, 3 a trailing comment. */
  readonly decorations: readonly number[]
}

/** Emits a tree as block YAML lines; `marker` adds a line comment to the scalar at `markerPath`. */
function emit(root: Tree, layout: Layout, marker?: { path: readonly (string | number)[]; comment: string }): string[] {
  const lines: string[] = []
  let decoration = 0
  const decorate = (indent: string) => {
    const d = layout.decorations[decoration++ % layout.decorations.length] ?? 0
    if (d === 1) lines.push(`${indent}# note ${decoration}`)
    if (d === 2) lines.push('')
    return d === 3 ? ` # trailing ${decoration}` : ''
  }
  const tail = (path: readonly (string | number)[], fallback: string) =>
    marker && marker.path.length === path.length && marker.path.every((p, i) => p === path[i]) ? ` # ${marker.comment}` : fallback
  const value = (node: Tree, path: readonly (string | number)[], head: string, indent: number, seqIndent: number) => {
    if (node.kind === 'scalar') {
      lines.push(`${head} ${formatScalar(node.value, node.style)}${tail(path, decorate(' '.repeat(indent)))}`)
    } else {
      lines.push(head)
      if (node.kind === 'map') map(node.entries, path, indent + layout.step)
      else seq(node.items, path, indent + seqIndent)
    }
  }
  const map = (entries: [string, Tree][], path: readonly (string | number)[], indent: number) => {
    for (const [k, v] of entries) {
      decorate(' '.repeat(indent))
      value(v, [...path, k], `${' '.repeat(indent)}${k}:`, indent, layout.seqIndent)
    }
  }
  const seq = (items: Tree[], path: readonly (string | number)[], indent: number) => {
    items.forEach((item, i) => value(item, [...path, i], `${' '.repeat(indent)}-`, indent, 2))
  }
  if (root.kind === 'map') map(root.entries, [], 0)
  else if (root.kind === 'seq') seq(root.items, [], 0)
  else lines.push(formatScalar(root.value, root.style))
  return lines
}

interface Framing {
  readonly crlf: boolean
  readonly finalNewline: boolean
  readonly documentStart: boolean
}
const framing = fc.record({ crlf: fc.boolean(), finalNewline: fc.boolean(), documentStart: fc.boolean() })
const layout = fc.record({
  seqIndent: fc.constantFrom<0 | 2>(0, 2),
  step: fc.constantFrom<2 | 4>(2, 4),
  decorations: fc.array(fc.nat(5), { minLength: 1, maxLength: 8 }),
})

function frame(lines: readonly string[], f: Framing): string {
  const newline = f.crlf ? '\r\n' : '\n'
  const body = (f.documentStart ? ['---', ...lines] : lines).join(newline)
  return f.finalNewline ? body + newline : body
}

function leaves(node: Tree, path: (string | number)[] = []): (string | number)[][] {
  if (node.kind === 'scalar') return [path]
  if (node.kind === 'map') return node.entries.flatMap(([k, v]) => leaves(v, [...path, k]))
  return node.items.flatMap((v, i) => leaves(v, [...path, i]))
}

function setIn(value: unknown, path: readonly (string | number)[], to: unknown): unknown {
  if (path.length === 0) return to
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  copy[path[0]] = setIn(copy[path[0]], path.slice(1), to)
  return copy
}

// ---- the byte-wise check ----------------------------------------------------------------------

/**
 * `after` must equal `before` with each range replaced by one line of text that YAML reads as the
 * given string, and nothing else changed. Returns the first difference found (one `expect` per case
 * keeps 10,000 cases fast).
 */
function outsideDifference(before: string, after: string, replaced: readonly { start: number; end: number; value: string }[]): string | undefined {
  const sorted = [...replaced].sort((a, b) => a.start - b.start)
  const lineEnd = (text: string, from: number) => {
    const match = /\r?\n/.exec(text.slice(from))
    return match ? from + match.index : text.length
  }
  let inPos = 0
  let outPos = 0
  for (const range of sorted) {
    const same = before.slice(inPos, range.start)
    if (after.slice(outPos, outPos + same.length) !== same) return `bytes before offset ${range.start} changed`
    outPos += same.length
    // The rest of the line after the value is unchanged; what precedes it is the new value.
    const inRest = before.slice(range.end, lineEnd(before, range.end))
    const outLine = after.slice(outPos, lineEnd(after, outPos))
    if (!outLine.endsWith(inRest)) return `the rest of the line after offset ${range.end} changed`
    const text = outLine.slice(0, outLine.length - inRest.length)
    if (parse(`k: ${text}`, { version: '1.1' })?.k !== range.value || parse(`k: ${text}`)?.k !== range.value)
      return `${text} does not read as ${JSON.stringify(range.value)}`
    outPos += text.length
    inPos = range.end
  }
  return after.slice(outPos) === before.slice(inPos) ? undefined : 'bytes after the last value changed'
}

async function plan(text: string, targets: string, desired: DesiredImage) {
  const result = await planEdits(
    { read: async (path) => (path === 'f.yaml' || path === 'o/kustomization.yaml' ? text : undefined) },
    parseTargets(targets, 'targets'),
    desired,
  )
  return result.files[0]?.after ?? text
}

// ---- properties -------------------------------------------------------------------------------

describe('byte-preserving edits (property-based)', () => {
  it('key paths and Flux setter markers: 4,000 documents', async () => {
    const arbitrary = fc.record({
      root: fc.record({
        kind: fc.constant('map' as const),
        entries: fc.uniqueArray(fc.tuple(key, tree), { minLength: 1, maxLength: 4, selector: ([k]) => k }),
      }),
      layout,
      framing,
      pick: fc.nat(),
      flux: fc.boolean(),
      value: tag,
    })
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ root, layout, framing, pick, flux, value }) => {
        const all = leaves(root)
        const path = all[pick % all.length]
        const marker = flux ? { path, comment: '{"$imagepolicy": "flux-system:app:tag"}' } : undefined
        const before = frame(emit(root, layout, marker), framing)
        const target = flux
          ? 'flux f.yaml flux-system:app'
          : `yaml f.yaml ${path
              .map((p) => (typeof p === 'number' ? `[${p}]` : p))
              .join('.')
              .replace(/\.\[/g, '[')} as=tag`
        const desired = { name: 'ghcr.io/org/app', tag: value }
        const after = await plan(before, target, desired)
        const input = parseDocument(before)
        const [start, end] = (input.getIn(path, true) as Node).range!
        expect(parse(after)).toEqual(setIn(input.toJS(), path, value))
        expect(await plan(after, target, desired)).toBe(after)
        expect(outsideDifference(before, after, [{ start, end, value }])).toBeUndefined()
        expect(after.endsWith('\n')).toBe(before.endsWith('\n'))
      }),
      settings(4000),
    )
  })

  it('kustomize images entries: 4,000 kustomizations', async () => {
    const names = ['ani2fun/note-book', 'redis', 'nginx', 'docker.io/library/nginx', 'ghcr.io/org/app', 'app']
    const entry = fc.record({
      name: fc.constantFrom(...names),
      newName: fc.option(fc.constantFrom(...names), { nil: undefined }),
      newTag: fc.option(tag, { nil: undefined }),
      digest: fc.option(digest, { nil: undefined }),
      style,
    })
    const arbitrary = fc.record({
      images: fc.option(fc.array(entry, { maxLength: 4 }), { nil: undefined }),
      flow: fc.boolean(),
      others: fc.uniqueArray(fc.tuple(fc.constantFrom('namespace', 'nameSuffix', 'resources', 'commonLabels'), scalarText, style), {
        maxLength: 3,
        selector: ([k]) => k,
      }),
      imagesFirst: fc.boolean(),
      layout,
      framing,
      desiredName: fc.constantFrom(...names),
      imageName: fc.option(fc.constantFrom(...names, 'note-book'), { nil: undefined }),
      pin: fc
        .record({ tag: fc.option(tag, { nil: undefined }), digest: fc.option(digest, { nil: undefined }) })
        .filter((p) => p.tag !== undefined || p.digest !== undefined),
    })
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        const dash = ' '.repeat(c.layout.seqIndent)
        const fields = (e: { name: string; newName?: string; newTag?: string; digest?: string; style: Style }) =>
          (['name', 'newName', 'newTag', 'digest'] as const).filter((f) => e[f] !== undefined).map((f) => [f, formatScalar(e[f]!, e.style)] as const)
        const imagesLines =
          c.images === undefined
            ? []
            : c.flow || c.images.length === 0
              ? [
                  `images: [${c.images
                    .map(
                      (e) =>
                        `{${fields(e)
                          .map(([k, v]) => `${k}: ${v}`)
                          .join(', ')}}`,
                    )
                    .join(', ')}]`,
                ]
              : ['images:', ...c.images.flatMap((e) => fields(e).map(([k, v], i) => `${i === 0 ? `${dash}- ` : `${dash}  `}${k}: ${v}`))]
        const otherLines = c.others.map(([k, v, s]) => `${k}: ${formatScalar(v, s)}`)
        const before = frame(c.imagesFirst ? [...imagesLines, ...otherLines] : [...otherLines, ...imagesLines], c.framing)
        const desired: DesiredImage = {
          name: c.desiredName,
          ...(c.pin.tag !== undefined ? { tag: c.pin.tag } : {}),
          ...(c.pin.digest !== undefined ? { digest: c.pin.digest } : {}),
        }
        const target = `kustomize o${c.imageName ? ` name=${c.imageName}` : ''}`
        const after = await plan(before, target, desired)

        // (1) kustomize edit set image semantics, modelled on the generated entries.
        const input = (parse(before) ?? {}) as { images?: Record<string, unknown>[] }
        const entries = input.images ?? []
        const matches = (field: 'name' | 'newName', name: string) => entries.findIndex((e) => typeof e[field] === 'string' && sameRepository(e[field], name))
        // An exact name first, then an equivalent spelling; by default also an entry whose newName is the image.
        const byName = (name: string) => (entries.findIndex((e) => e.name === name) + 1 || matches('name', name) + 1) - 1
        const index = c.imageName !== undefined ? byName(c.imageName) : (byName(desired.name) + 1 || matches('newName', desired.name) + 1) - 1
        const name = index === -1 ? (c.imageName ?? desired.name) : String(entries[index].name)
        const keptNewName = index !== -1 && typeof entries[index].newName === 'string' && sameRepository(entries[index].newName, desired.name)
        const expectedEntry = {
          name,
          ...(keptNewName ? { newName: entries[index].newName } : sameRepository(name, desired.name) ? {} : { newName: desired.name }),
          ...(desired.tag !== undefined ? { newTag: desired.tag } : {}),
          ...(desired.digest !== undefined ? { digest: desired.digest } : {}),
        }
        const images = index === -1 ? [...entries, expectedEntry] : entries.map((e, i) => (i === index ? expectedEntry : e))
        expect(parse(after)).toEqual({ ...input, images })
        // (2) idempotent.
        expect(await plan(after, target, desired)).toBe(after)
        // (3) outside the images block, not a byte changes; line endings and final newline kept.
        const outside = (text: string) => {
          const lines = text.replace(/\r?\n$/, '').split(/(?<=\n)/)
          const start = lines.findIndex((l) => l.startsWith('images:'))
          if (start === -1) return lines.join('')
          let end = start + 1
          while (end < lines.length && /^[ -]/.test(lines[end])) end++
          return [...lines.slice(0, start), ...lines.slice(end)].join('').replace(/\r?\n$/, '')
        }
        expect(outside(after)).toBe(outside(before))
        expect(after.endsWith('\n')).toBe(before.endsWith('\n') || before === '')
        if (before.includes('\r\n')) expect(after.replace(/\r\n/g, '')).not.toMatch(/\n/)
        else expect(after).not.toMatch(/\r/)
      }),
      settings(4000),
    )
  })

  it('plain manifests: 2,000 multi-document files', async () => {
    const pool = ['ghcr.io/org/app', 'ghcr.io/org/sidecar', 'nginx', 'docker.io/library/nginx', 'busybox', 'localhost:5000/app']
    const container = fc.record({ name: key, repo: fc.constantFrom(...pool), tag: fc.option(tag, { nil: undefined }), style })
    const paths = [
      ['spec', 'containers'],
      ['spec', 'template', 'spec', 'containers'],
      ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'initContainers'],
      ['spec', 'runner', 'podTemplate', 'spec', 'ephemeralContainers'],
    ]
    const workload = fc.record({
      kind: key,
      lists: fc.uniqueArray(fc.tuple(fc.constantFrom(...paths.keys()), fc.array(container, { minLength: 1, maxLength: 3 })), {
        minLength: 1,
        maxLength: 2,
        selector: ([p]) => p,
      }),
    })
    const arbitrary = fc.record({
      docs: fc.array(workload, { minLength: 1, maxLength: 3 }),
      layout,
      framing,
      desiredName: fc.constantFrom(...pool),
      pin: fc.record({ tag, digest: fc.option(digest, { nil: undefined }) }),
    })
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        const documents = c.docs.map((doc) => {
          const root: Tree = { kind: 'map', entries: [['kind', { kind: 'scalar', value: doc.kind, style: 'plain' }]] }
          for (const [p, containers] of doc.lists) {
            let node: Tree = root
            for (const k of paths[p].slice(0, -1)) {
              if (node.kind !== 'map') break
              let next: Tree | undefined = node.entries.find(([name]) => name === k)?.[1]
              if (!next) {
                next = { kind: 'map', entries: [] }
                node.entries.push([k, next])
              }
              node = next
            }
            if (node.kind === 'map') {
              node.entries.push([
                paths[p].at(-1)!,
                {
                  kind: 'seq',
                  items: containers.map((x) => ({
                    kind: 'map',
                    entries: [
                      ['name', { kind: 'scalar', value: x.name, style: 'plain' }],
                      ['image', { kind: 'scalar', value: x.tag ? `${x.repo}:${x.tag}` : x.repo, style: x.style }],
                    ],
                  })),
                },
              ])
            }
          }
          return root
        })
        const newline = c.framing.crlf ? '\r\n' : '\n'
        const before = frame(
          documents.flatMap((d, i) => [...(i ? ['---'] : []), ...emit(d, c.layout)]),
          c.framing,
        )
        const desired: DesiredImage = { name: c.desiredName, tag: c.pin.tag, ...(c.pin.digest ? { digest: c.pin.digest } : {}) }
        const reference = formatReference(desired)
        const expected: { start: number; end: number; value: string }[] = []
        const parsed = parseAllDocuments(before)
        documents.forEach((d, i) => {
          for (const path of leaves(d)) {
            const node = (parsed[i] as unknown as { getIn(p: readonly unknown[], keep: true): { value: unknown; range: [number, number] } }).getIn(path, true)
            if (path.at(-1) === 'image' && sameRepository(splitReference(String(node.value)).name, desired.name)) {
              expected.push({ start: node.range[0], end: node.range[1], value: reference })
            }
          }
        })
        if (expected.length === 0) {
          await expect(plan(before, 'manifest f.yaml', desired)).rejects.toBeInstanceOf(TargetError)
          return
        }
        const after = await plan(before, 'manifest f.yaml', desired)
        expect(outsideDifference(before, after, expected)).toBeUndefined()
        expect(await plan(after, 'manifest f.yaml', desired)).toBe(after)
        expect(after.split(newline).length).toBe(before.split(newline).length)
        const images = (text: string) => parseAllDocuments(text).map((doc) => JSON.stringify(doc.toJS()))
        expect(images(after)).toEqual(
          images(before).map((json) =>
            json.replace(/"image":"([^"]*)"/g, (all, image: string) =>
              sameRepository(splitReference(image).name, desired.name) ? `"image":${JSON.stringify(reference)}` : all,
            ),
          ),
        )
      }),
      settings(2000),
    )
  })

  it('generates documents YAML itself accepts', () => {
    fc.assert(
      fc.property(tree, layout, framing, (t, l, f) => {
        expect(parseDocument(frame(emit({ kind: 'map', entries: [['root', t]] }, l), f)).errors).toEqual([])
      }),
      settings(200),
    )
  })
})
