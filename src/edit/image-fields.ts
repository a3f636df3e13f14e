/**
 * The fields kustomize's image transformer reads and rewrites: every `image` of a `containers` or
 * `initContainers` list at any depth (its legacy filter; CustomResourceDefinitions excepted), plus
 * its field specs — the defaults (pod specs, pod templates, image volumes) and those an overlay adds
 * with `configurations:` (a Knative Service's `container/image`, a custom kind's `spec/image`). Pure.
 */
import { isMap, isScalar, isSeq, parse, parseAllDocuments, type Document, type Node, type Scalar } from 'yaml'
import { MAX_YAML_DEPTH } from './yaml-limits.js'
import { pairOf, stringValue } from './yaml-source.js'

/** One `images:` field spec: a slash-separated path (`[]` marks a list), for resources of a kind. */
export interface ImageFieldSpec {
  readonly path: string
  readonly group?: string
  readonly version?: string
  readonly kind?: string
}

/** kustomize's own image field specs (api/konfig/builtinpluginconsts/images.go). */
export const DEFAULT_IMAGE_FIELD_SPECS: readonly ImageFieldSpec[] = [
  'spec/containers[]/image',
  'spec/initContainers[]/image',
  'spec/volumes[]/image/reference',
  'spec/template/spec/containers[]/image',
  'spec/template/spec/initContainers[]/image',
  'spec/template/spec/volumes[]/image/reference',
].map((path) => ({ path }))

const LEGACY_LISTS = new Set(['containers', 'initContainers'])

/** The `images:` field specs of a `configurations:` file; none when it does not parse. */
export function configuredImageFieldSpecs(text: string): ImageFieldSpec[] {
  let config: unknown
  try {
    config = parse(text, { maxAliasCount: 100 })
  } catch {
    return []
  }
  const images = (config as { images?: unknown } | null)?.images
  if (!Array.isArray(images)) return []
  return images.flatMap((entry: unknown) => {
    const fields = (entry ?? {}) as Record<string, unknown>
    if (typeof fields.path !== 'string' || fields.path === '') return []
    const spec: { -readonly [K in keyof ImageFieldSpec]: ImageFieldSpec[K] } = { path: fields.path }
    for (const key of ['group', 'version', 'kind'] as const) {
      const value = fields[key]
      if (typeof value === 'string' && value !== '') spec[key] = value
    }
    return [spec]
  })
}

/** The image scalars of one resource that the transformer reads, in document order, each once. */
export function transformerImageNodes(resource: Node | null | undefined, specs: readonly ImageFieldSpec[]): Scalar[] {
  if (!isMap(resource)) return []
  const kind = stringValue(pairOf(resource, 'kind')?.value)
  if (kind === 'CustomResourceDefinition') return []
  const found = new Set<Scalar>(legacyImages(resource, 0))
  const apiVersion = stringValue(pairOf(resource, 'apiVersion')?.value) ?? ''
  const slash = apiVersion.lastIndexOf('/')
  const group = slash === -1 ? '' : apiVersion.slice(0, slash)
  const version = apiVersion.slice(slash + 1)
  for (const spec of specs) {
    if ((spec.kind !== undefined && spec.kind !== kind) || (spec.group !== undefined && spec.group !== group)) continue
    if (spec.version !== undefined && spec.version !== version) continue
    for (const node of atPath(resource, splitPath(spec.path))) found.add(node)
  }
  return [...found].sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0))
}

/** The documents' contents of multi-document YAML, read leniently (a render, or files that only may hold resources). */
export function documentContents(yaml: string): (Node | null)[] {
  return parseAllDocuments(yaml)
    .flatMap((document) => (Array.isArray(document) ? document : [document]))
    .map((document: Document) => document.contents)
}

/** Every image the transformer reads in multi-document YAML (a render). */
export function transformerImages(yaml: string, specs: readonly ImageFieldSpec[]): string[] {
  return documentContents(yaml)
    .flatMap((contents) => transformerImageNodes(contents, specs))
    .flatMap((node) => (typeof node.value === 'string' ? [node.value] : []))
}

function legacyImages(node: unknown, depth: number): Scalar[] {
  if (depth > MAX_YAML_DEPTH) return []
  if (isSeq(node)) return node.items.flatMap((item) => legacyImages(item, depth + 1))
  if (!isMap(node)) return []
  return node.items.flatMap((pair) => {
    const nested = legacyImages(pair.value, depth + 1)
    const key = stringValue(pair.key)
    if (key === undefined || !LEGACY_LISTS.has(key) || !isSeq(pair.value)) return nested
    const images = pair.value.items.flatMap((container) => {
      const image = isMap(container) ? pairOf(container, 'image')?.value : undefined
      return isScalar(image) ? [image] : []
    })
    return [...nested, ...images]
  })
}

/** A field spec path's fields: `/` separates them, `\/` is a slash within one, `[]` marks a list. */
function splitPath(path: string): string[] {
  const fields: string[] = []
  for (const part of path.split('/')) {
    const last = fields.length - 1
    if (last >= 0 && fields[last].endsWith('\\')) fields[last] = `${fields[last].slice(0, -1)}/${part}`
    else fields.push(part)
  }
  return fields.map((field) => (field.endsWith('[]') ? field.slice(0, -2) : field))
}

/** The scalars at `fields` below `node`; a list on the way is walked item by item, as kustomize does. */
function atPath(node: unknown, fields: readonly string[]): Scalar[] {
  if (fields.length === 0) return isScalar(node) ? [node] : []
  if (isSeq(node)) return node.items.flatMap((item) => atPath(item, fields))
  if (!isMap(node)) return []
  return atPath(pairOf(node, fields[0])?.value, fields.slice(1))
}
