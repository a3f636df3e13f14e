import { describe, expect, it } from '@jest/globals'
import { TargetError } from '../../src/errors.js'
import { editKustomization } from '../../src/edit/kustomize.js'
import type { DesiredImage } from '../../src/edit/types.js'
import { PROD_KUSTOMIZATION } from '../support/fixtures.js'

const IMAGE = 'ani2fun/note-book'
const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const tag = (t: string): DesiredImage => ({ name: IMAGE, tag: t })
const digest = (d: string): DesiredImage => ({ name: IMAGE, digest: d })
const both = (t: string, d: string): DesiredImage => ({ name: IMAGE, tag: t, digest: d })

interface Case {
  readonly title: string
  readonly before: string
  readonly after: string
  readonly desired: DesiredImage
  readonly imageName?: string
}

// Before/after compared as exact bytes.
const cases: Case[] = [
  {
    title: 'tag update in a block entry keeps comments, quoting and everything else',
    desired: tag('abc1234'),
    before: PROD_KUSTOMIZATION,
    after: PROD_KUSTOMIZATION.replace('newTag: "0.9.0"', 'newTag: "abc1234"'),
  },
  {
    title: 'a numeric-looking tag into a plain scalar is quoted',
    desired: tag('1234'),
    before: 'images:\n- name: ani2fun/note-book\n  newTag: old\n',
    after: 'images:\n- name: ani2fun/note-book\n  newTag: "1234"\n',
  },
  {
    title: 'single-quoted style is kept',
    desired: tag('v2'),
    before: "images:\n- name: 'ani2fun/note-book'\n  newTag: 'v1'\n",
    after: "images:\n- name: 'ani2fun/note-book'\n  newTag: 'v2'\n",
  },
  {
    title: 'a tag-only update drops a stale digest',
    desired: tag('v2'),
    before: `images:\n  - name: ani2fun/note-book\n    newTag: v1\n    digest: ${D1}\n  - name: redis\n    newTag: "7"\n`,
    after: `images:\n  - name: ani2fun/note-book\n    newTag: v2\n  - name: redis\n    newTag: "7"\n`,
  },
  {
    title: 'a digest-only pin drops the tag',
    desired: digest(D2),
    before: `images:\n- name: ani2fun/note-book\n  newTag: v1\n`,
    after: `images:\n- name: ani2fun/note-book\n  digest: ${D2}\n`,
  },
  {
    title: 'tag and digest: both set, in kustomize order',
    desired: both('v3', D2),
    before: `images:\n- name: ani2fun/note-book\n  newTag: v1\n`,
    after: `images:\n- name: ani2fun/note-book\n  newTag: v3\n  digest: ${D2}\n`,
  },
  {
    title: 'a digest leading its entry is removed and the next key moves up',
    desired: tag('v2'),
    before: `images:\n- digest: ${D1}\n  name: ani2fun/note-book\n`,
    after: `images:\n- name: ani2fun/note-book\n  newTag: v2\n`,
  },
  {
    title: 'no entry: one is appended in the list style around it',
    desired: tag('v2'),
    before: 'images:\n    - name: redis # cache\n      newTag: "7"\n',
    after: 'images:\n    - name: redis # cache\n      newTag: "7"\n    - name: ani2fun/note-book\n      newTag: v2\n',
  },
  {
    title: 'no images: created, sequence indented like the file',
    desired: tag('v2'),
    before: 'resources:\n  - ../../base\nnamespace: apps-dev\n',
    after: 'resources:\n  - ../../base\nnamespace: apps-dev\nimages:\n  - name: ani2fun/note-book\n    newTag: v2\n',
  },
  {
    title: 'no images and no final newline: still none after',
    desired: tag('v2'),
    before: 'resources:\n- ../../base',
    after: 'resources:\n- ../../base\nimages:\n- name: ani2fun/note-book\n  newTag: v2',
  },
  {
    title: 'CRLF line endings survive an append',
    desired: tag('v2'),
    before: 'resources:\r\n- ../../base\r\nimages:\r\n- name: redis\r\n  newTag: "7"\r\n',
    after: 'resources:\r\n- ../../base\r\nimages:\r\n- name: redis\r\n  newTag: "7"\r\n- name: ani2fun/note-book\r\n  newTag: v2\r\n',
  },
  {
    title: 'flow style: the entry is updated in place',
    desired: both('v2', D1),
    before: 'images: [{name: ani2fun/note-book, newTag: v1}]\n',
    after: `images: [{name: ani2fun/note-book, newTag: v2, digest: ${D1}}]\n`,
  },
  {
    title: 'flow style: a digest is removed with its comma',
    desired: tag('v2'),
    before: `images: [{name: ani2fun/note-book, digest: ${D1}, newTag: v1}]\n`,
    after: 'images: [{name: ani2fun/note-book, newTag: v2}]\n',
  },
  {
    title: 'flow style: an entry is appended',
    desired: tag('v2'),
    before: 'images: [{name: redis, newTag: "7"}]\n',
    after: 'images: [{name: redis, newTag: "7"}, {name: ani2fun/note-book, newTag: v2}]\n',
  },
  {
    title: 'an empty flow list gets the entry',
    desired: tag('v2'),
    before: 'images: []\n',
    after: 'images: [{name: ani2fun/note-book, newTag: v2}]\n',
  },
  {
    title: 'an empty images: gets a block entry',
    desired: tag('v2'),
    before: 'images:\nnamespace: x\n',
    after: 'images:\n- name: ani2fun/note-book\n  newTag: v2\nnamespace: x\n',
  },
  {
    title: 'JSON kustomization: JSON style added',
    desired: tag('v2'),
    before: '{"resources": ["../../base"]}\n',
    after: '{"resources": ["../../base"], "images": [{"name": "ani2fun/note-book", "newTag": "v2"}]}\n',
  },
  {
    title: 'entry found by newName; name and newName untouched',
    desired: tag('v2'),
    before: 'images:\n- name: app\n  newName: ani2fun/note-book\n  newTag: v1\n',
    after: 'images:\n- name: app\n  newName: ani2fun/note-book\n  newTag: v2\n',
  },
  {
    title: 'entry found by an equivalent spelling of the name',
    desired: { name: 'nginx', tag: '1.27' },
    before: 'images:\n- name: docker.io/library/nginx\n  newTag: "1.25"\n',
    after: 'images:\n- name: docker.io/library/nginx\n  newTag: "1.27"\n',
  },
  {
    title: 'explicit name with a different pushed repository: newName added after name',
    desired: { name: 'ghcr.io/org/note-book', tag: 'v2' },
    imageName: 'note-book',
    before: 'images:\n- name: note-book\n  newTag: v1\n',
    after: 'images:\n- name: note-book\n  newName: ghcr.io/org/note-book\n  newTag: v2\n',
  },
  {
    title: 'a stale newName is replaced',
    desired: { name: 'ghcr.io/org/note-book', tag: 'v2' },
    imageName: 'note-book',
    before: 'images:\n- name: note-book\n  newName: docker.io/org/note-book\n  newTag: v1\n',
    after: 'images:\n- name: note-book\n  newName: ghcr.io/org/note-book\n  newTag: v2\n',
  },
  {
    title: 'a newName redirecting the image elsewhere is dropped when name is the image',
    desired: tag('v2'),
    before: 'images:\n- name: ani2fun/note-book\n  newName: mirror.example.com/old\n  newTag: v1\n',
    after: 'images:\n- name: ani2fun/note-book\n  newTag: v2\n',
  },
  {
    title: 'an explicit name not present is appended with newName',
    desired: tag('v2'),
    imageName: 'note-book',
    before: 'images:\n- name: redis\n',
    after: 'images:\n- name: redis\n- name: note-book\n  newName: ani2fun/note-book\n  newTag: v2\n',
  },
  {
    title: 'an empty newTag value is filled',
    desired: tag('v2'),
    before: 'images:\n- name: ani2fun/note-book\n  newTag:\n',
    after: 'images:\n- name: ani2fun/note-book\n  newTag: v2\n',
  },
  {
    title: 'anchors, aliases, document markers and other entries survive',
    desired: tag('v2'),
    before: '---\nlabels: &l\n  app: x\ncommonLabels: *l\nimages:\n- name: ani2fun/note-book\n  newTag: &t v1\n...\n',
    after: '---\nlabels: &l\n  app: x\ncommonLabels: *l\nimages:\n- name: ani2fun/note-book\n  newTag: &t v2\n...\n',
  },
  {
    title: 'a comments-only file gets images',
    desired: tag('v2'),
    before: '# nothing yet\n',
    after: '# nothing yet\nimages:\n- name: ani2fun/note-book\n  newTag: v2\n',
  },
  {
    title: 'already up to date: unchanged',
    desired: tag('v1'),
    before: 'images:\n- name: ani2fun/note-book # keep\n  newTag: v1\n',
    after: 'images:\n- name: ani2fun/note-book # keep\n  newTag: v1\n',
  },
]

describe('editKustomization', () => {
  it.each(cases)('$title', ({ before, after, desired, imageName }) => {
    const edit = editKustomization('k/kustomization.yaml', before, imageName, desired)
    expect(edit.text).toBe(after)
    // A second application is a no-op.
    expect(editKustomization('k/kustomization.yaml', edit.text, imageName, desired)).toEqual({ text: after, changes: [] })
  })

  it('reports each changed value with its line in the edited text', () => {
    const edit = editKustomization('k.yaml', `images:\n- name: ani2fun/note-book\n  newTag: v1\n  digest: ${D1}\n`, undefined, digest(D2))
    expect(edit.changes).toEqual([
      { file: 'k.yaml', line: 3, before: 'v1', after: '' },
      { file: 'k.yaml', line: 3, before: D1, after: D2 },
    ])
    const added = editKustomization('k.yaml', 'resources: []\n', undefined, tag('v2'))
    expect(added.changes).toEqual([
      { file: 'k.yaml', line: 3, before: '', after: IMAGE },
      { file: 'k.yaml', line: 4, before: '', after: 'v2' },
    ])
  })

  it.each([
    ['invalid YAML', 'images:\n- name: [unclosed\n', 3, /not valid YAML/],
    ['images not a list', 'images: {name: x}\n', 1, /`images` is not a list/],
    ['not a mapping', '- a\n- b\n', 1, /not a kustomization/],
    ['two documents', 'resources: []\n---\nimages: []\n', 3, /more than one YAML document/],
    ['a block scalar tag', 'images:\n- name: ani2fun/note-book\n  newTag: |\n    v1\n', 3, /block scalar/],
    ['an aliased tag', 'x: &t v1\nimages:\n- name: ani2fun/note-book\n  newTag: *t\n', 4, /alias/],
  ])('refuses %s with a TargetError pointing at the line', (_title, text, line, message) => {
    const run = () => editKustomization('o/kustomization.yaml', text, undefined, tag('v2'))
    expect(run).toThrow(TargetError)
    expect(run).toThrow(message)
    try {
      run()
    } catch (error) {
      expect((error as TargetError).file).toBe('o/kustomization.yaml')
      expect((error as TargetError).line).toBe(line)
    }
  })
})
