/** `yaml` targets on empty files, `create=true`, quoted keys; tagSuffix; name limits. Byte for byte. */
import { describe, expect, it } from '@jest/globals'
import { InputError, TargetError } from '../../src/errors.js'
import { editKustomization } from '../../src/edit/kustomize.js'
import { planEdits } from '../../src/edit/plan.js'
import { parseTargets } from '../../src/edit/targets.js'
import type { DesiredImage } from '../../src/edit/types.js'
import { imageNameProblem, MAX_NAME_LENGTH } from '../../src/image/reference.js'

const APP: DesiredImage = { name: 'registry.example.com/app', tag: 'v2' }

async function edit(text: string, line: string, desired: DesiredImage = APP): Promise<string> {
  const plan = await planEdits({ read: async (path) => (path === 'values.yaml' ? text : undefined) }, parseTargets(line, 'targets'), desired)
  return plan.files[0]?.after ?? text
}
const refusal = (text: string, line: string) =>
  edit(text, line).then(
    () => undefined,
    (error: unknown) => error as TargetError,
  )

describe('yaml target on a file without YAML', () => {
  it.each([
    ['empty', ''],
    ['blank', '\n  \n'],
    ['comment-only', '# values for prod\n# (none yet)\n'],
    ['a bare document marker', '---\n'],
  ])('%s: one error naming the file, the target and the input', async (_what, text) => {
    const error = await refusal(text, 'yaml values.yaml image.tag')
    expect(error).toBeInstanceOf(TargetError)
    expect(error!.report).toBe(
      'values.yaml: holds no YAML (it is empty, blank or only comments), so it has no key image.tag for the target `yaml values.yaml image.tag` in the targets input. Add image.tag to the file, or write `yaml values.yaml image.tag create=true` to have it created.',
    )
  })
})

describe('yaml target with create=true', () => {
  it.each([
    ['an empty file', '', 'image:\n  tag: v2\n'],
    ['a blank file', '\n', '\nimage:\n  tag: v2\n'],
    ['a comment without a final newline', '# prod', '# prod\nimage:\n  tag: v2'],
    ['a file with other keys', 'replicaCount: 2\n', 'replicaCount: 2\nimage:\n  tag: v2\n'],
    ['four-space indentation', 'resources:\n    limits:\n        cpu: 1\n', 'resources:\n    limits:\n        cpu: 1\nimage:\n    tag: v2\n'],
    [
      'an existing parent',
      'image:\n  repository: registry.example.com/app\n  pullPolicy: Always # why\nx: 1\n',
      'image:\n  repository: registry.example.com/app\n  pullPolicy: Always # why\n  tag: v2\nx: 1\n',
    ],
    ['a parent key without a value', 'image:\nx: 1\n', 'image:\n  tag: v2\nx: 1\n'],
    ['a flow mapping', '{}\n', '{image: {tag: v2}}\n'],
    ['a flow mapping with keys', '{a: 1}\n', '{a: 1, image: {tag: v2}}\n'],
    ['CRLF line endings', 'a: 1\r\n', 'a: 1\r\nimage:\r\n  tag: v2\r\n'],
    ['a present key (no change of style)', 'image:\n  tag: "v1"\n', 'image:\n  tag: "v2"\n'],
  ])('%s', async (_what, text, after) => {
    expect(await edit(text, 'yaml values.yaml image.tag create=true')).toBe(after)
  })

  it('creates a whole reference and quotes what would not read as a string', async () => {
    expect(await edit('a: 1\n', 'yaml values.yaml app.version create=true as=tag', { name: 'app', tag: '1.10' })).toBe('a: 1\napp:\n  version: "1.10"\n')
  })

  it.each([
    [
      'image: null\n',
      'values.yaml:1: image is not a mapping, so create=true cannot add image.tag below it. Make it a mapping, or point the key path elsewhere.',
    ],
    [
      'image: app:v1\n',
      'values.yaml:1: image is not a mapping, so create=true cannot add image.tag below it. Make it a mapping, or point the key path elsewhere.',
    ],
    [
      'a: 1\n---\nb: 2\n',
      'values.yaml:2: holds 2 YAML documents and none has image.tag; create=true adds a key path only to a file of one document. Add the key to the document that should hold it.',
    ],
  ])('refuses %j', async (text, report) => {
    expect((await refusal(text, 'yaml values.yaml image.tag create=true'))?.report).toBe(report)
  })

  it.each([
    ['yaml v.yaml images[0].tag create=true', /create=true adds mapping keys only, and images\[0\].tag holds a list index/],
    ['yaml v.yaml image.tag create=yes', /create=yes is not true or false/],
  ])('%s → InputError', (line, message) => {
    expect(() => parseTargets(line, 'targets')).toThrow(InputError)
    expect(() => parseTargets(line, 'targets')).toThrow(message)
  })
})

describe('quoted keys in targets', () => {
  it('keeps a quoted top-level dotted key as one key, and infers the part from its last word', () => {
    expect(parseTargets('yaml values.yaml "image.tag"\nyaml values.yaml a."b.c".tag\nyaml "my values.yaml" "a b"', 'targets')).toEqual([
      { kind: 'yaml', file: 'values.yaml', keyPath: ['image.tag'], part: 'tag' },
      { kind: 'yaml', file: 'values.yaml', keyPath: ['a', 'b.c', 'tag'], part: 'tag' },
      { kind: 'yaml', file: 'my values.yaml', keyPath: ['a b'], part: 'reference' },
    ])
  })

  it('edits the literal dotted key', async () => {
    expect(await edit('image.tag: v1\nimage:\n  tag: other\n', 'yaml values.yaml "image.tag"')).toBe('image.tag: v2\nimage:\n  tag: other\n')
  })

  it('points at the literal key when the nested path is missing', async () => {
    expect((await refusal('image.tag: v1\n', 'yaml values.yaml image.tag'))?.report).toBe(
      'values.yaml:1: has no key image.tag, but the top level has the literal key \'image.tag\', dots and all. To edit that key, quote it in the target: `"image.tag"`.',
    )
  })

  it('refuses an unclosed quote', () => {
    expect(() => parseTargets('yaml values.yaml "image.tag', 'targets')).toThrow(/a quote is not closed/)
  })
})

describe('kustomize images entry with tagSuffix', () => {
  it('is refused: the promoted tag would not be the one that runs', () => {
    const text = 'images:\n- name: registry.example.com/app\n  newTag: v1\n  tagSuffix: -alpine\n'
    const run = () => editKustomization('kustomization.yaml', text, undefined, APP)
    expect(run).toThrow(TargetError)
    expect(run).toThrow(
      "kustomization.yaml:4: the images entry 'registry.example.com/app' carries tagSuffix '-alpine', which kustomize appends to the tag: registry.example.com/app would run with a tag other than the one promoted.",
    )
  })
})

describe('image references held to the distribution limits', () => {
  it('refuses a repository name over 255 characters, host included', () => {
    const at = (length: number) => `ghcr.io/${'a'.repeat(length - 'ghcr.io/'.length)}`
    expect(imageNameProblem(at(MAX_NAME_LENGTH))).toBeUndefined()
    expect(imageNameProblem(at(300))).toBe('it is 300 characters long; a repository name (host and path) is at most 255')
  })
})
