/**
 * The test cases of the tools that make these edits — kustomize (`edit set image`, the image
 * transformer), Argo CD Image Updater (kustomize and Helm write-back), Kargo (kustomize-set-image,
 * yaml-update, helm-update-image) — transcribed as data in the shared peer vectors, each naming its
 * source, run through the edit engine. Every case either gives what the peer gives, or is listed
 * in DIFFERENCES with the reason the action deliberately differs, and what it does instead.
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isMap, isScalar, isSeq, parse, parseDocument, type Node, type Scalar } from 'yaml'
import {
  configuredImageFieldSpecs,
  DEFAULT_IMAGE_FIELD_SPECS,
  transformerImageNodes,
  transformerImages,
  type ImageFieldSpec,
} from '../../src/edit/image-fields.js'
import { closureImageFieldSpecs, closureImageUse, matchesEntryName } from '../../src/edit/image-usage.js'
import { planEdits } from '../../src/edit/plan.js'
import { formatKeyPath } from '../../src/edit/keypath.js'
import type { DesiredImage, Target } from '../../src/edit/types.js'
import { imageNameProblem, isValidDigest, isValidTag, splitReference } from '../../src/image/reference.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- the vectors are untyped JSON */
// Copied from the shared peer vectors, with their README naming the sources and licences.
const load = (name: string): any => JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/peer-vectors/${name}`, import.meta.url)), 'utf8'))
const kustomize = load('kustomize.json')
const argocd = load('argocd.json')
const kargo = load('kargo.json')
const describeVectors = describe

type Outcome = 'refused' | 'same-data' | 'differs'
/** What the action does instead of what the peer does, and why. */
const DIFFERENCES: Record<string, { outcome: Outcome; reason: string }> = {}
const differ = (outcome: Outcome, reason: string, ...ids: string[]) => ids.forEach((id) => (DIFFERENCES[id] = { outcome, reason }))

const PLACEHOLDER_DIGEST =
  'A placeholder digest (sha12345, sha23456, sha256:123) is refused, not written: a digest is sha256: and 64 hex digits, and anything else would make the cluster fail to pull. With real digests in their place the edit gives the same bytes (checked below).'
const NO_TAG = 'A promotion always carries a tag or a digest: an image with neither (`kustomize edit set image a=b`) names nothing to run.'
const KEY_ORDER =
  "kustomize re-serializes the whole file (its own key order, digest first); the action edits in place and keeps the file's order, adding a field after its neighbours. The images entries hold the same data."
const SORTED = "Kargo sorts the images entries by name; the action keeps the file's order and appends a new entry, so the diff shows only the promotion."
const ALIAS =
  'The action does not edit through an alias: the anchored value is shared, and changing it there changes every place that uses the anchor. It says so and names the anchored value to target instead.'
const STRING_VALUE =
  'The value is a tag, so a string: a tag that reads as a number (42) is written quoted, so that Helm and kustomize read the string the registry holds.'
const NOT_A_TAG = "The value is not an image tag ('Dark side'): the action writes image references and their parts, each validated as such."
const HEADER = 'Argo CD writes a header comment into a values file it fills; the action adds only the key path it was asked to create.'

differ(
  'refused',
  NO_TAG,
  'kustomize/setimage/08 <image>=<image>[ngnix=localhost:5000/my-project/ngnix]',
  'argocd/imagesFilter/simple',
  'argocd/imagesFilter/all',
)
differ(
  'refused',
  'An image name of `*` keeps what the entry holds; with no entry and no tag there is nothing to keep, so nothing to promote (' + NO_TAG + ')',
  'kustomize/setimage/21 do not set asterisk as new tag[image1=my-image1:*]',
)
differ(
  'same-data',
  KEY_ORDER,
  'kustomize/setimage/13 multiple args with multiple overrides[image1=foo.bar.foo:8800/foo/image1:foo-bar, image2=my-image2@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3, image3:my-tag]',
)
differ(
  'same-data',
  KEY_ORDER,
  'kustomize/setimage/22 keep new name and update digest[image2=*@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3]',
  'kustomize/setimage/23 keep new name, remove tag, and set digest[image2=*@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3]',
)
differ(
  'same-data',
  "kustomize re-serializes the whole file in its own style (lists at the key's column); the action writes the new entry in the file's own style, and this file indents its lists by two. The images entries hold the same data.",
  ...(kustomize.setimage.cases as { id: string; infileImages: unknown }[])
    .filter((c) => c.infileImages === null && /^kustomize\/setimage\/(0[0-79]|20) /.test(c.id))
    .map((c) => c.id),
)
differ(
  'refused',
  PLACEHOLDER_DIGEST,
  ...[
    'sorted',
    'not-sorted',
    'indented',
    'no-change',
    'blank-lines-between-sections',
    'blank-lines-before-images',
    'preserves leading document-start marker',
    'does not add a document-start marker when absent',
    'preserves marker after a leading comment',
    'preserves a leading comment when no marker is present',
    'preserves a leading blank line when no marker is present',
    'preserves marker after a leading blank line',
    'preserves marker after a leading YAML directive',
  ].map((name) => `argocd/updateKustomizeFile/${name}`),
  'argocd/imagesFilter/digest',
  'argocd/imagesFilter/digest simple',
  'kargo/kustomize-set-image/automatically sets image',
)
differ(
  'refused',
  'A key path is read one way: `image.attributes.tag` is three nested keys. A literal dotted key is written quoted, `"image.attributes.tag"`, and the error says so; guessing between the two could edit the wrong value.',
  'argocd/setHelmValue/Update Key with dots',
)
differ('refused', ALIAS, 'argocd/setHelmValue/Aliases to mappings are followed', 'argocd/setHelmValue/Aliases to scalars are followed')
differ('differs', HEADER, 'argocd/helmvalues/whitespace-only file keys created')
differ(
  'differs',
  SORTED,
  'kargo/kustomize-set-image/mergeImages preserve existing images not in target',
  'kargo/kustomize-set-image/mergeImages sort images by name',
)
differ(
  'differs',
  STRING_VALUE,
  'kargo/yaml-update/successful run with updates [image.realNum]',
  'kargo/pkg-yaml/SetValuesInBytes no extra quotes around true number',
)
differ('refused', NOT_A_TAG, 'kargo/pkg-yaml/SetValuesInBytes success', 'kargo/pkg-yaml/SetValuesInBytes really long lines still work')

/** One promotion's result: the files after it, or the error that refused it. */
type Result = { files: Record<string, string> } | { error: Error }

/** Runs promotions one after another, as the action would on successive runs; the first refusal ends them. */
async function promote(files: Record<string, string>, steps: { targets: Target[]; desired: DesiredImage }[]): Promise<Result> {
  let current = { ...files }
  for (const { targets, desired } of steps) {
    const problem = desiredProblem(desired)
    if (problem) return { error: new Error(problem) }
    try {
      const plan = await planEdits({ read: async (path) => current[path] }, targets, desired)
      for (const file of plan.files) current = { ...current, [file.path]: file.after! }
    } catch (error) {
      return { error: error as Error }
    }
  }
  return { files: current }
}

/** What the action's inputs refuse before any edit (settings validate image, tag and digest so). */
function desiredProblem(desired: DesiredImage): string | undefined {
  if (imageNameProblem(desired.name)) return `image: ${imageNameProblem(desired.name)}`
  if (desired.tag === undefined && desired.digest === undefined) return 'neither tag nor digest'
  if (desired.tag !== undefined && !isValidTag(desired.tag)) return `'${desired.tag}' is not a tag`
  if (desired.digest !== undefined && !isValidDigest(desired.digest)) return `'${desired.digest}' is not a sha256 digest`
  return undefined
}

const kustomizeTarget = (imageName?: string): Target[] => [
  imageName === undefined ? { kind: 'kustomize', path: '.' } : { kind: 'kustomize', path: '.', imageName },
]
const imagesOf = (text: string) => (parse(text) as { images?: unknown[] } | null)?.images ?? []

/** `name=newName:tag@digest`, `name:tag`, with kustomize's `*` (keep what the entry holds) read against the file. */
function setImageArg(arg: string, kustomization: string): { targets: Target[]; desired: DesiredImage } {
  const eq = arg.indexOf('=')
  const entryName = eq === -1 ? undefined : arg.slice(0, eq)
  const ref = splitReference(eq === -1 ? arg : arg.slice(eq + 1))
  const entry = (imagesOf(kustomization) as Record<string, string>[]).find((e) => e.name === (entryName ?? ref.name))
  const name = ref.name === '*' ? (entry?.newName ?? entryName ?? '') : ref.name
  const tag = ref.tag === '*' ? entry?.newTag : ref.tag
  const digest = ref.digest === '*' ? entry?.digest : ref.digest
  return {
    targets: kustomizeTarget(entryName),
    desired: { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) },
  }
}

/** Kargo's and Argo CD's `a.0.b` and `a[0].b` key paths, as the targets grammar writes them. */
function keyPath(key: string): (string | number)[] {
  return key.split('.').flatMap((part) => {
    const index = /^(.*)\[(\d+)\]$/.exec(part)
    if (index) return [index[1], Number(index[2])]
    return /^\d+$/.test(part) ? [Number(part)] : [part]
  })
}

const valuesTarget = (path: (string | number)[], part: 'tag' | 'name' | 'reference', create = false): Target => ({
  kind: 'yaml',
  file: 'values.yaml',
  keyPath: path,
  part,
  ...(create ? { create: true } : {}),
})

/** Checks a result against the peer's expectation, or against the listed difference. */
function judge(id: string, result: Result, agrees: (files: Record<string, string>) => boolean, peerError = false): void {
  const difference = DIFFERENCES[id]
  const ok = peerError ? 'error' in result : 'files' in result && agrees(result.files)
  if (!difference) {
    if ('error' in result && !peerError) throw new Error(`${id}: refused (${result.error.message}), the peer edits`)
    expect({ id, agrees: ok }).toEqual({ id, agrees: true })
    return
  }
  expect({ id, agrees: ok }).toEqual({ id, agrees: false })
  if (difference.outcome === 'refused') expect({ id, refused: 'error' in result }).toEqual({ id, refused: true })
  else expect({ id, edited: 'files' in result }).toEqual({ id, edited: true })
}

describeVectors('peer vectors: kustomize edit set image', () => {
  const cases = (kustomize?.setimage.cases ?? []) as any[]
  it.each(cases.map((c) => [c.id, c]))('%s', async (id, c) => {
    const start: string = c.infileImages ? c.infileImages.join('\n') : kustomize.setimage.defaultKustomization.content
    let result: Result = { files: { 'kustomization.yaml': start } }
    // No argument: the action's image input is required. `bad`: an image without tag or digest, refused as such.
    if (c.args.length === 0) result = { error: new Error('image is required') }
    for (const arg of c.args as string[]) {
      if (!('files' in result)) break
      result = await promote(result.files, [setImageArg(arg, result.files['kustomization.yaml'])])
    }
    const expected = c.fileOutput?.join('\n')
    judge(id, result, (files) => files['kustomization.yaml'].includes(expected), c.expectedErr !== null)
    if (DIFFERENCES[id]?.outcome === 'same-data' && 'files' in result) {
      expect(imagesOf(result.files['kustomization.yaml'])).toEqual(expect.arrayContaining(imagesOf(expected)))
      expect(imagesOf(result.files['kustomization.yaml'])).toHaveLength(imagesOf(expected).length)
    }
  })
})

/** Every scalar leaf with its path, in document order. */
function leaves(node: unknown, path = ''): { path: string; node: Scalar }[] {
  if (isScalar(node)) return [{ path, node }]
  if (isSeq(node)) return node.items.flatMap((item, i) => leaves(item, `${path}[${i}]`))
  if (isMap(node)) return node.items.flatMap((pair) => leaves(pair.value, `${path}/${String((pair.key as Scalar).value)}`))
  return []
}

describeVectors("peer vectors: the fields kustomize's image transformer changes are the fields the render check reads", () => {
  const cases = (kustomize?.imagetag ?? []) as any[]
  it.each(cases.map((c) => [c.id, c]))('%s', (_id, c) => {
    const specs: ImageFieldSpec[] = (c.fsSlice ?? []).map((fs: any) => ({ path: fs.path, ...(fs.kind ? { kind: fs.kind } : {}) }))
    const input = parseDocument(c.input).contents
    const expected = new Map(leaves(parseDocument(c.expectedOutput).contents).map((leaf) => [leaf.path, leaf.node.value]))
    const read = new Set<Node>(transformerImageNodes(input, specs))
    // (A null list that kustomize writes as [] is no image.)
    const changed = leaves(input).filter((leaf) => expected.has(leaf.path) && expected.get(leaf.path) !== leaf.node.value)
    // Every field the transformer changed is one the check reads.
    expect(changed.filter((leaf) => !read.has(leaf.node)).map((leaf) => leaf.path)).toEqual([])
  })

  it('reads no field of a CustomResourceDefinition (kustomize changes none)', () => {
    const crd = cases.find((c) => c.id === 'kustomize/Filter/ignore CustomResourceDefinition')
    expect(transformerImageNodes(parseDocument(crd.input).contents, [{ path: 'spec/containers/image' }])).toEqual([])
  })
})

describeVectors('peer vectors: kustomize builds — which images entries match, read from the files', () => {
  const cases = (kustomize?.krusty ?? []) as any[]
  /** The entries kustomize applied in each build (its expected output shows each one's result). */
  const applied: Record<string, string[]> = {
    'kustomize/krusty/TestIssue1281_JsonPatchAndImageTag': ['abbott', 'costello'],
    'kustomize/krusty/TestTransfomersImageDefaultConfig': [
      'nginx',
      'my-nginx',
      'myprivaterepohostname:1234/my/image',
      'foobar',
      'alpine',
      'gcr.io:8080/my-project/my-cool-app',
      'postgres',
      'docker',
    ],
    // The configuration's kind (Custom) is not the resource's (customKind): nothing changes.
    'kustomize/krusty/TestTransfomersImageCustomConfig': [],
    'kustomize/krusty/TestTransfomersImageKnativeConfig': ['solsa-echo'],
    'kustomize/krusty/TestTransfomersImageInvalidNameRegexp': [],
  }
  it.each(cases.map((c) => [c.id, c]))('%s', (id, c) => {
    const closure = new Map(Object.entries(c.files as Record<string, string>))
    const kustomization = closure.get(c.dir === '.' ? 'kustomization.yaml' : `${c.dir}/kustomization.yaml`)!
    const entries = imagesOf(kustomization) as { name: string; newName?: string }[]
    // An entry is one the action would add only where the files use its name.
    const use = closureImageUse(closure)
    expect(entries.filter((entry) => use.images.some((image) => matchesEntryName(image, entry.name))).map((e) => e.name)).toEqual(applied[id])
    // What the render check reads in the build's output shows every applied entry's result.
    const rendered = transformerImages(c.expectedOutput, closureImageFieldSpecs(closure)).map((image) => splitReference(image).name)
    for (const entry of entries.filter((e) => applied[id].includes(e.name))) expect(rendered).toContain(entry.newName ?? entry.name)
  })

  it('reads configurations: field specs as kustomize does', () => {
    const knative = cases.find((c) => c.id === 'kustomize/krusty/TestTransfomersImageKnativeConfig')
    expect(configuredImageFieldSpecs(knative.files['base/config/knative.yaml'])).toEqual([
      { path: 'spec/runLatest/configuration/revisionTemplate/spec/container/image', group: 'serving.knative.dev', version: 'v1alpha1', kind: 'Service' },
    ])
    expect(DEFAULT_IMAGE_FIELD_SPECS.map((spec) => spec.path)).toContain('spec/template/spec/volumes[]/image/reference')
  })
})

const DIGEST_1 = `sha256:${'1'.repeat(64)}`
const DIGEST_2 = `sha256:${'2'.repeat(64)}`
const realDigests = (text: string) => text.replaceAll('sha12345', DIGEST_1).replaceAll('sha23456', DIGEST_2)

describeVectors('peer vectors: Argo CD Image Updater', () => {
  const vectors = (argocd?.vectors ?? []) as any[]

  it.each(vectors.filter((v) => v.kind === 'updateKustomizeFile').map((v) => [v.id, v]))('%s', async (id, v) => {
    const target = v.id.endsWith('invalid-path') ? [{ kind: 'kustomize', path: 'missing' } as Target] : kustomizeTarget()
    const run = (text: string, digest: string) => promote({ 'kustomization.yaml': text }, [{ targets: target, desired: { name: 'foo', digest } }])
    const wanted = (files: Record<string, string>, want: string | null, start: string) => files['kustomization.yaml'] === (want ?? start)
    judge(id, await run(v.content, 'sha23456'), (files) => wanted(files, v.wantContent, v.content), v.wantErr)
    // With real digests in place of the placeholders, the same bytes.
    const real = await run(realDigests(v.content), DIGEST_2)
    if (v.wantErr) expect('error' in real).toBe(true)
    else expect(real).toEqual({ files: { 'kustomization.yaml': realDigests(v.wantContent ?? v.content) } })
  })

  it.each(vectors.filter((v) => v.kind === 'imagesFilter').map((v) => [v.id, v]))('%s', async (id, v) => {
    const steps = (v.images as string[]).map((arg) => setImageArg(arg, ''))
    const result = await promote({ 'kustomization.yaml': '' }, steps)
    judge(id, result, (files) => JSON.stringify(imagesOf(files['kustomization.yaml'])) === JSON.stringify(imagesOf(v.expected)))
    if (id === 'argocd/imagesFilter/digest' || id === 'argocd/imagesFilter/digest simple') {
      const real = await promote(
        { 'kustomization.yaml': '' },
        (v.images as string[]).map((arg) => setImageArg(realDigests(arg), '')),
      )
      expect('files' in real && imagesOf(real.files['kustomization.yaml'])).toEqual(imagesOf(realDigests(v.expected)))
    }
  })

  it.each(vectors.filter((v) => v.kind === 'setHelmValue').map((v) => [v.id, v]))('%s', async (id, v) => {
    const result = await promote({ 'values.yaml': v.input }, [
      { targets: [valuesTarget(keyPath(v.key), 'tag', /not found|Empty values/.test(id))], desired: { name: 'repo-name', tag: v.value } },
    ])
    judge(id, result, (files) => files['values.yaml'].trim() === v.expected.trim(), v.expectedError !== null)
  })

  /** The Helm write-back cases: which keys hold which image, as Argo CD's annotations would say. */
  const helm: Record<string, { steps: [string, [string, 'tag' | 'name' | 'reference'][]][]; create?: boolean }> = {
    'argocd/helmvalues/literal dotted keys': {
      steps: [
        [
          'nginx:v1.0.0',
          [
            ['"image.name"', 'name'],
            ['"image.tag"', 'tag'],
          ],
        ],
      ],
    },
    'argocd/helmvalues/image-spec literal key': { steps: [['nginx:v1.0.0', [['"image.spec.foo"', 'reference']]]] },
    'argocd/helmvalues/image-spec missing key is created': { steps: [['nginx:v1.0.0', [['image.spec.foo', 'reference']]]], create: true },
    'argocd/helmvalues/multiple images literal keys': {
      steps: [
        [
          'nginx:v1.0.0',
          [
            ['"nginx.image.name"', 'name'],
            ['"nginx.image.tag"', 'tag'],
          ],
        ],
        [
          'redis:v1.0.0',
          [
            ['"redis.image.name"', 'name'],
            ['"redis.image.tag"', 'tag'],
          ],
        ],
      ],
    },
    'argocd/helmvalues/multiple images missing keys are created': {
      steps: [
        [
          'nginx:v1.0.0',
          [
            ['nginx.image.tag', 'tag'],
            ['nginx.image.name', 'name'],
          ],
        ],
        [
          'redis:v1.0.0',
          [
            ['redis.image.tag', 'tag'],
            ['redis.image.name', 'name'],
          ],
        ],
      ],
      create: true,
    },
    'argocd/helmvalues/multiple aliases literal keys': {
      steps: [
        [
          'nginx:v1.0.0',
          ['foo', 'bar', 'bbb'].flatMap(
            (alias) =>
              [
                [`"${alias}.image.name"`, 'name'],
                [`"${alias}.image.tag"`, 'tag'],
              ] as [string, 'name' | 'tag'][],
          ),
        ],
      ],
    },
    'argocd/helmvalues/issue 1584 non-live tags kept': { steps: [['registry.local/aiu/manager:main-1111111', [['image.tag', 'tag']]]] },
    'argocd/helmvalues/whitespace-only file keys created': {
      steps: [
        [
          'nginx:v1.0.0',
          [
            ['nginx.image.tag', 'tag'],
            ['nginx.image.name', 'name'],
          ],
        ],
      ],
      create: true,
    },
    'argocd/helmvalues/PreservesFormatting': {
      steps: [
        [
          'myapp:v2.0.0',
          [
            ['images.app.tag', 'tag'],
            ['images.sidecar.tag', 'tag'],
          ],
        ],
      ],
    },
    'argocd/helmvalues/PreservesBlockScalars': { steps: [['myapp:v2.0.0', [['config.image.tag', 'tag']]]] },
    'argocd/helmvalues/FallsBackForQuotedTarget': { steps: [['myapp:v2.0.0', [['config.image.tag', 'tag']]]] },
    'argocd/helmvalues/PreservesDocumentStart_HelmFallback': { steps: [['myapp:v2.0.0', [['config.image.tag', 'tag']]]] },
    'argocd/helmvalues/ArrayIndexMismatchDoesNotPatch': { steps: [['foo:v2.0.0', [['foo[2].tag', 'tag']]]] },
  }
  const helmVectors = vectors.filter((v) => v.id.startsWith('argocd/helmvalues/'))
  it('has a translation for every Helm write-back case', () => expect(helmVectors.map((v) => v.id).sort()).toEqual(Object.keys(helm).sort()))

  it.each(helmVectors.map((v) => [v.id, v]))('%s', async (id, v) => {
    const { steps, create } = helm[id]
    const result = await promote(
      { 'values.yaml': v.input },
      steps.map(([reference, keys]) => {
        const ref = splitReference(reference)
        const targets = keys.map(([key, part]) => valuesTarget(quotedKeyPath(key), part, create))
        return { targets, desired: { name: ref.name, tag: ref.tag! } }
      }),
    )
    const agrees = (files: Record<string, string>) => {
      const out = files['values.yaml']
      if (v.expected !== undefined) return v.compare === 'exact' ? out === v.expected : out.trim() === v.expected.trim()
      if (v.contains) return v.contains.every((s: string) => out.includes(s)) && v.notContains.every((s: string) => !out.includes(s))
      // The quoted-target cases: the value changes in place, quotes and a leading marker kept.
      return out === v.input.replace('"v1.0.0"', '"v2.0.0"') && out.startsWith(v.prefix ?? '')
    }
    judge(id, result, agrees, v.expectError === true)
  })

  it('differs in the whitespace-only case by the header comment alone', async () => {
    const v = vectors.find((x) => x.id === 'argocd/helmvalues/whitespace-only file keys created')
    const result = await promote({ 'values.yaml': v.input }, [
      {
        targets: [valuesTarget(['nginx', 'image', 'tag'], 'tag', true), valuesTarget(['nginx', 'image', 'name'], 'name', true)],
        desired: { name: 'nginx', tag: 'v1.0.0' },
      },
    ])
    expect(result).toEqual({ files: { 'values.yaml': v.expected.replace('\n# auto generated by argocd image updater\n', '') } })
  })
})

/** `"image.tag"` as one key, else the dotted path. */
function quotedKeyPath(key: string): (string | number)[] {
  return key.startsWith('"') ? [JSON.parse(key) as string] : keyPath(key)
}

describeVectors('peer vectors: Kargo', () => {
  const vectors = (kargo?.vectors ?? []) as any[]
  const kustomization = (images: Record<string, string>[]) =>
    `images:\n${images
      .map((entry) =>
        Object.entries(entry)
          .map(([k, v], i) => `${i ? '  ' : '- '}${k}: ${v}\n`)
          .join(''),
      )
      .join('')}`

  it.each(vectors.filter((v) => v.step === 'kustomize-set-image').map((v) => [v.id, v]))('%s', async (id, v) => {
    const files: Record<string, string> = v.currentImages ? { 'kustomization.yaml': kustomization(v.currentImages) } : v.files
    const steps = (v.images as any[]).map((image) => {
      const entry = (imagesOf(files['kustomization.yaml'] ?? '') as Record<string, string>[]).find((e) => e.name === image.image)
      const name = image.newName === '*' ? (entry?.newName ?? image.image) : image.image
      return {
        targets: image.newName === '*' ? kustomizeTarget(image.image) : kustomizeTarget(),
        desired: { name, ...(image.tag ? { tag: image.tag } : {}), ...(image.digest ? { digest: image.digest } : {}) },
      }
    })
    const result = await promote(files, steps)
    const agrees = (out: Record<string, string>) => {
      const text = out['kustomization.yaml']
      if (v.contains) return v.contains.every((s: string) => text.includes(s))
      const images = imagesOf(text) as { name: string }[]
      if (v.imageNamesInOrder) return JSON.stringify(images.map((e) => e.name)) === JSON.stringify(v.imageNamesInOrder)
      return JSON.stringify(images) === JSON.stringify(v.imagesEqual)
    }
    judge(id, v.expectError ? await promote({}, [{ targets: kustomizeTarget(), desired: { name: 'nginx', tag: 'x' } }]) : result, agrees, !!v.expectError)
  })

  it.each(vectors.filter((v) => v.step !== 'kustomize-set-image').map((v) => [v.id, v]))('%s', async (id, v) => {
    const files: Record<string, string> = { ...v.files }
    if (v.longLine) files['values.yaml'] = files['values.yaml'].replace('{{LONG}}', v.longLine.unit.repeat(v.longLine.repeat))
    const updates: { key: string; value: unknown }[] = v.images ? v.images.map((image: any) => ({ key: image.key, value: image.freightTag })) : v.updates
    // No update: the file is still read (and refused when it is not YAML).
    if (updates.length === 0) updates.push({ key: 'characters', value: 'x' })
    const result = await promote(
      files,
      updates.map(({ key, value }) => ({ targets: [{ ...valuesTarget(keyPath(key), 'tag'), file: v.path }], desired: { name: 'app', tag: String(value) } })),
    )
    const agrees = (out: Record<string, string>) => {
      let text = out[v.path]
      if (v.longLine) text = text.replace(v.longLine.unit.repeat(v.longLine.repeat), '{{LONG}}')
      return v.exact !== undefined ? text === v.exact : v.contains.every((s: string) => text.includes(s))
    }
    judge(id, result, agrees, v.expectError !== undefined)
  })
})

describe('the list of deliberate differences', () => {
  it('gives a reason for each', () => {
    for (const [id, { reason }] of Object.entries(DIFFERENCES)) expect({ id, reason: reason.length > 40 }).toEqual({ id, reason: true })
  })
  it('names only cases that exist', () => {
    const ids = new Set([
      ...((kustomize?.setimage.cases ?? []) as { id: string }[]).map((c) => c.id),
      ...((argocd?.vectors ?? []) as { id: string }[]).map((c) => c.id),
      ...((kargo?.vectors ?? []) as { id: string }[]).map((c) => c.id),
    ])
    if (ids.size > 0) expect(Object.keys(DIFFERENCES).filter((id) => !ids.has(id))).toEqual([])
  })
  it('formats a literal dotted key the way the targets line writes it', () => expect(formatKeyPath(['image.tag'])).toBe('"image.tag"'))
})
