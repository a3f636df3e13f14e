/**
 * Which images an overlay uses, read from the files of its closure rather than from a render: the
 * fields kustomize's image transformer reads in its resources (with the field specs of every
 * `configurations:` on the way), the images its patches set, and the names its `images:` entries
 * rename to. Without a renderer this is what decides whether a new `images:` entry would match
 * anything. Pure.
 */
import { posix } from 'node:path'
import { isMap, isScalar, isSeq, type Node } from 'yaml'
import { splitReference } from '../image/reference.js'
import { isKustomizationFile, isRemote, parseKustomization } from './closure.js'
import { configuredImageFieldSpecs, DEFAULT_IMAGE_FIELD_SPECS, documentContents, transformerImageNodes, type ImageFieldSpec } from './image-fields.js'
import { MAX_YAML_DEPTH } from './yaml-limits.js'
import { pairOf, stringValue } from './yaml-source.js'

export interface ImageUse {
  /** Image references the overlay's files use, and the names its images entries rename to. */
  readonly images: readonly string[]
  /** What the overlay renders that its files do not show (a remote base, a Helm chart, a generator). */
  readonly unseen: readonly string[]
}

type Kustomization = { readonly dir: string; readonly fields: Record<string, unknown> }

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
const entries = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)) : []

function kustomizations(closure: ReadonlyMap<string, string>): Kustomization[] {
  return [...closure].flatMap(([path, text]) => {
    const fields = isKustomizationFile(path) ? parseKustomization(text) : undefined
    return fields ? [{ dir: posix.dirname(path), fields }] : []
  })
}

/** The image field specs the overlay's transformer uses: kustomize's defaults and every `configurations:` in the closure. */
export function closureImageFieldSpecs(closure: ReadonlyMap<string, string>): ImageFieldSpec[] {
  const configured = kustomizations(closure).flatMap(({ dir, fields }) =>
    strings(fields.configurations).flatMap((ref) => configuredImageFieldSpecs(closure.get(posix.join(dir, ref)) ?? '')),
  )
  return [...DEFAULT_IMAGE_FIELD_SPECS, ...configured]
}

/** The images an overlay's closure (path → text, see closure.ts) uses. */
export function closureImageUse(closure: ReadonlyMap<string, string>): ImageUse {
  const specs = closureImageFieldSpecs(closure)
  const all = kustomizations(closure)
  const patchFiles = new Set<string>()
  const inlinePatches: string[] = []
  const images: string[] = []
  const unseen: string[] = []
  for (const { dir, fields } of all) {
    for (const ref of [...strings(fields.resources), ...strings(fields.bases), ...strings(fields.components)]) {
      if (isRemote(ref)) unseen.push(`the remote base ${ref}`)
    }
    if (entries(fields.helmCharts).length > 0) unseen.push(`the Helm charts of ${posix.join(dir, 'kustomization')}`)
    if (strings(fields.generators).length > 0) unseen.push(`the generators of ${posix.join(dir, 'kustomization')}`)
    for (const patch of [
      ...strings(fields.patchesStrategicMerge),
      ...entries(fields.patches).map((p) => p.path),
      ...entries(fields.patchesJson6902).map((p) => p.path),
    ]) {
      if (typeof patch === 'string' && !patch.includes('\n')) patchFiles.add(posix.normalize(posix.join(dir, patch)))
      else if (typeof patch === 'string') inlinePatches.push(patch)
    }
    inlinePatches.push(...entries(fields.patches).flatMap((p) => (typeof p.patch === 'string' ? [p.patch] : [])))
    images.push(...entries(fields.images).flatMap((entry) => (typeof entry.newName === 'string' ? [entry.newName] : [])))
  }
  const configurations = new Set(all.flatMap(({ dir, fields }) => strings(fields.configurations).map((ref) => posix.normalize(posix.join(dir, ref)))))
  for (const [path, text] of closure) {
    if (isKustomizationFile(path) || configurations.has(path)) continue
    images.push(...documentImages(text, specs, patchFiles.has(path)))
  }
  for (const patch of inlinePatches) images.push(...documentImages(patch, specs, true))
  return { images, unseen }
}

/** Whether an image reference names `name` the way kustomize matches an images entry: the same name, any tag or digest. */
export function matchesEntryName(reference: string, name: string): boolean {
  return splitReference(reference).name === name
}

function documentImages(text: string, specs: readonly ImageFieldSpec[], patch: boolean): string[] {
  const nodes = documentContents(text).flatMap((contents) => [...transformerImageNodes(contents, specs), ...(patch ? patchImages(contents, 0) : [])])
  return nodes.flatMap((node) => (isScalar(node) && typeof node.value === 'string' ? [node.value] : []))
}

/** In a patch (strategic merge or JSON 6902): every `image` value, and every operation's value at an `/image` path. */
function patchImages(node: unknown, depth: number): Node[] {
  if (depth > MAX_YAML_DEPTH) return []
  if (isSeq(node)) return node.items.flatMap((item) => patchImages(item, depth + 1))
  if (!isMap(node)) return []
  const operation = stringValue(pairOf(node, 'path')?.value)?.endsWith('/image') ? pairOf(node, 'value')?.value : undefined
  const image = pairOf(node, 'image')?.value
  return [
    ...(operation ? [operation] : []),
    ...(isScalar(image) ? [image] : []),
    ...node.items.flatMap((pair) => (pair.value === image ? [] : patchImages(pair.value, depth + 1))),
  ]
}
