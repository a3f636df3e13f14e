/**
 * Plain Kubernetes manifests (multi-document): every `containers[]`, `initContainers[]` and
 * `ephemeralContainers[]` image at any depth — Deployments, StatefulSets, CronJobs, Pods, custom
 * resources with pod templates — whose repository is the image. Other containers are untouched. Pure.
 */
import { isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml'
import { formatReference, sameRepository, splitReference } from '../image/reference.js'
import { didYouMean, quoteList } from './suggest.js'
import type { DesiredImage, Target, TargetKind } from './types.js'
import { MAX_YAML_DEPTH } from './yaml-limits.js'
import { pairOf, stringValue, type Splice, type YamlSource } from './yaml-source.js'

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers'])

/** `manifest <file>`: every container image of this repository in plain Kubernetes manifests. */
export const manifestKind: TargetKind<Extract<Target, { kind: 'manifest' }>> = {
  word: 'manifest',
  grammar: 'manifest <file>',
  parse(file, args) {
    args.expect([], 0)
    return { kind: 'manifest', file }
  },
  path: (target) => target.file,
  describe: (target) => `manifest ${target.file}`,
  splices: (source, _target, desired) => manifestSplices(source, desired),
  renders: false,
}

/** The `image` scalars of every container list under `node`, in document order. */
export function containerImageNodes(node: unknown, depth = 0): Scalar[] {
  if (depth > MAX_YAML_DEPTH) return []
  const found: Scalar[] = []
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = stringValue(pair.key)
      if (key !== undefined && CONTAINER_LISTS.has(key) && isSeq(pair.value)) {
        for (const container of pair.value.items) {
          const image = isMap(container) ? pairOf(container, 'image')?.value : undefined
          if (isScalar(image)) found.push(image)
        }
      }
      found.push(...containerImageNodes(pair.value, depth + 1))
    }
  } else if (isSeq(node)) {
    for (const item of node.items) found.push(...containerImageNodes(item, depth + 1))
  }
  return found
}

/** Whether a container image string names the repository `image`. */
export function namesImage(reference: string, image: string): boolean {
  return sameRepository(splitReference(reference).name, image)
}

export function manifestSplices(source: YamlSource, desired: DesiredImage): Splice[] {
  const images = source.documents.flatMap((document) => containerImageNodes(document.contents))
  const matching = images.filter((node) => typeof node.value === 'string' && namesImage(node.value, desired.name))
  if (matching.length === 0) {
    const used = images.map((node) => String(node.value))
    if (used.length === 0) {
      throw source.error(
        undefined,
        'holds no containers (no containers, initContainers or ephemeralContainers with an image)',
        'Point a `manifest` target at a file with workloads, or use a `yaml` target with a key path.',
      )
    }
    throw source.error(
      images[0].range?.[0],
      `no container uses the image ${desired.name}: the containers use ${quoteList(used)}${didYouMean(
        desired.name,
        used.map((u) => splitReference(u).name),
      )}`,
      'Check the image input against the manifest, or point the target at the file that runs this image.',
    )
  }
  const reference = formatReference(desired)
  return matching.flatMap((node) => source.setScalar(node as Node, reference, 'the container image') ?? [])
}
