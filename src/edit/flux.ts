/**
 * Flux image-automation setter markers: a field whose line comment is
 * `{"$imagepolicy": "NAMESPACE:NAME"}` holds the whole reference; with a `:tag`, `:name` or
 * `:digest` suffix it holds just that part. Written the way Flux's setters write them. Pure.
 */
import { isMap, isPair, isScalar, visit, type Node, type Scalar, type YAMLMap } from 'yaml'
import { desiredPart } from '../image/desired.js'
import { sameRepository, splitReference } from '../image/reference.js'
import { didYouMean, quoteList } from './suggest.js'
import type { DesiredImage, Target, TargetKind } from './types.js'
import { pairOf, stringValue, type Splice, type YamlSource } from './yaml-source.js'

type MarkerField = 'reference' | 'tag' | 'name' | 'digest'

/** A Flux ImagePolicy reference: Kubernetes namespace and object names. */
const POLICY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

type FluxTarget = Extract<Target, { kind: 'flux-setter' }>

/** `flux <file> [<namespace>:<policy>]`: every field marked with a Flux image-automation setter. */
export const fluxKind: TargetKind<FluxTarget> = {
  word: 'flux',
  grammar: 'flux <file> [<namespace>:<policy>]',
  parse(file, args) {
    args.expect([], 1)
    const policy = args.positional[0]
    if (policy !== undefined && !POLICY.test(policy))
      throw args.fail(`'${policy}' is not an image policy as <namespace>:<name>`, 'Name the ImagePolicy as in its setter markers, e.g. `flux-system:app`.')
    return policy === undefined ? { kind: 'flux-setter', file } : { kind: 'flux-setter', file, policy }
  },
  path: (target) => target.file,
  describe: (target) => `flux ${target.file}${target.policy ? ` ${target.policy}` : ''}`,
  splices: (source, target, desired) => fluxSplices(source, target.policy, desired),
  renders: false,
}

export interface SetterMarker {
  /** `NAMESPACE:NAME`. */
  readonly policy: string
  readonly field: MarkerField
  readonly node: Scalar
  /** The mapping holding the field (for a `:tag` marker, where the repository sits). */
  readonly parent: YAMLMap | undefined
}

const MARKER = /^[ \t]*#[ \t]*(\{.*"\$imagepolicy".*\})[ \t]*$/

/** Every setter marker in the file, in order. */
export function setterMarkers(source: YamlSource): SetterMarker[] {
  const markers: SetterMarker[] = []
  for (const document of source.documents) {
    visit(document, {
      Scalar(key, node, path) {
        if (key === 'key' || !node.range) return
        const comment = MARKER.exec(source.text.slice(node.range[1], source.endOfLine(node.range[1])))
        if (!comment) return
        const value = /"\$imagepolicy"\s*:\s*"([^"]*)"/.exec(comment[1])?.[1]
        const parts = value?.split(':') ?? []
        const field = parts.length === 2 ? 'reference' : parts[2]
        if (parts.length < 2 || parts.length > 3 || !['reference', 'tag', 'name', 'digest'].includes(field)) {
          throw source.error(
            node.range[0],
            `the setter marker ${comment[1]} is not "NAMESPACE:NAME" or "NAMESPACE:NAME:tag|name|digest"`,
            'Fix the marker as Flux documents it.',
          )
        }
        const holder = isPair(path[path.length - 1]) ? path[path.length - 2] : undefined
        markers.push({ policy: `${parts[0]}:${parts[1]}`, field: field as MarkerField, node, parent: isMap(holder) ? holder : undefined })
      },
    })
  }
  return markers
}

export function fluxSplices(source: YamlSource, policy: string | undefined, desired: DesiredImage): Splice[] {
  const markers = setterMarkers(source)
  const policies = [...new Set(markers.map((m) => m.policy))]
  const chosen = policy !== undefined ? [policy] : policies.filter((p) => markers.some((m) => m.policy === p && namesImage(m, desired.name)))
  const selected = markers.filter((m) => chosen.includes(m.policy))
  if (selected.length === 0) {
    if (markers.length === 0) {
      throw source.error(
        undefined,
        'has no Flux setter markers (# {"$imagepolicy": "NAMESPACE:NAME"})',
        'Add the marker comment to the field to promote, or use a `yaml` target with a key path.',
      )
    }
    const problem =
      policy !== undefined
        ? `no setter marker names the policy ${policy}: the markers name ${quoteList(policies)}${didYouMean(policy, policies)}`
        : `no setter marker's field holds the image ${desired.name}: the markers name ${quoteList(policies)}`
    throw source.error(markers[0].node.range?.[0], problem, 'Name the policy in the target (`flux <file> <namespace>:<name>`), or check the image input.')
  }
  return selected.flatMap((marker) => source.setScalar(marker.node as Node, markerValue(source, marker, desired), `the ${marker.policy} marker's field`) ?? [])
}

function markerValue(source: YamlSource, marker: SetterMarker, desired: DesiredImage): string {
  return desiredPart(desired, marker.field, (part) =>
    source.error(
      marker.node.range?.[0],
      `the ${marker.policy}:${part} marker's field holds a ${part}, and pin: ${part === 'tag' ? 'digest' : 'tag'} promotes no ${part}`,
      part === 'tag' ? 'Set pin: tag-and-digest, or mark the field with :digest.' : 'Set pin: digest or tag-and-digest.',
    ),
  )
}

/** Whether a marker's field (or, for a tag/digest, the repository beside it) names the image. */
function namesImage(marker: SetterMarker, image: string): boolean {
  const value = isScalar(marker.node) && typeof marker.node.value === 'string' ? marker.node.value : undefined
  if (marker.field === 'reference') return value !== undefined && sameRepository(splitReference(value).name, image)
  if (marker.field === 'name') return value !== undefined && sameRepository(value, image)
  const repository = marker.parent && (stringValue(pairOf(marker.parent, 'repository')?.value) ?? stringValue(pairOf(marker.parent, 'image')?.value))
  return repository !== undefined && sameRepository(splitReference(repository).name, image)
}
