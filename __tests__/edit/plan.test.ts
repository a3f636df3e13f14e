import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { TargetError } from '../../src/errors.js'
import { workTreeFiles } from '../../src/edit/files.js'
import { planEdits, type RepoFiles } from '../../src/edit/plan.js'
import { overlayTargets, parseTargets } from '../../src/edit/targets.js'
import { MAX_YAML_BYTES } from '../../src/edit/yaml-source.js'
import { NOTE_BOOK_IMAGE, PROD_KUSTOMIZATION, seed000Infra } from '../support/fixtures.js'

const memoryFiles = (files: Record<string, string>): RepoFiles => ({ read: async (path) => files[path] })

describe('planEdits', () => {
  it('promotes the seed 000 overlays: prod updated, dev gets an images entry', async () => {
    const plan = await planEdits(memoryFiles(seed000Infra()), overlayTargets(['deploy/note-book/overlays/prod', 'deploy/note-book/overlays/dev'], undefined), {
      name: NOTE_BOOK_IMAGE,
      tag: '3f2c1ab',
    })
    expect(plan.files.map((f) => f.path)).toEqual(['deploy/note-book/overlays/prod/kustomization.yaml', 'deploy/note-book/overlays/dev/kustomization.yaml'])
    expect(plan.files[0].after).toBe(PROD_KUSTOMIZATION.replace('newTag: "0.9.0"', 'newTag: "3f2c1ab"'))
    expect(plan.files[1].after).toBe(
      `${seed000Infra()['deploy/note-book/overlays/dev/kustomization.yaml']}images:\n  - name: ani2fun/note-book\n    newTag: 3f2c1ab\n`,
    )
    expect(plan.changes).toEqual([
      { file: 'deploy/note-book/overlays/prod/kustomization.yaml', line: 13, before: '0.9.0', after: '3f2c1ab' },
      { file: 'deploy/note-book/overlays/dev/kustomization.yaml', line: 7, before: '', after: 'ani2fun/note-book' },
      { file: 'deploy/note-book/overlays/dev/kustomization.yaml', line: 8, before: '', after: '3f2c1ab' },
    ])
  })

  it('is a no-op (no files) when every target already holds the image', async () => {
    const plan = await planEdits(memoryFiles(seed000Infra()), overlayTargets(['deploy/note-book/overlays/prod'], undefined), {
      name: NOTE_BOOK_IMAGE,
      tag: '0.9.0',
    })
    expect(plan).toEqual({ files: [], changes: [] })
  })

  it('applies several targets of several kinds, two in one file, into one plan', async () => {
    const files = {
      'overlays/prod/kustomization.yml': 'images:\n- name: app\n  newTag: v1\n',
      'helm/values.yaml': 'image:\n  repository: app # {"$imagepolicy": "flux-system:app:name"}\n  tag: v1\nsidecar:\n  image: app:v1\n',
      'manifests/app.yaml': 'kind: Pod\nspec:\n  containers:\n  - name: a\n    image: app:v1\n',
    }
    const targets = parseTargets(
      `
      kustomize overlays/prod
      yaml helm/values.yaml image.tag
      yaml helm/values.yaml sidecar.image
      flux helm/values.yaml
      manifest manifests/app.yaml
    `,
      'targets',
    )
    const plan = await planEdits(memoryFiles(files), targets, { name: 'app', tag: 'v2' })
    expect(Object.fromEntries(plan.files.map((f) => [f.path, f.after]))).toEqual({
      'overlays/prod/kustomization.yml': 'images:\n- name: app\n  newTag: v2\n',
      'helm/values.yaml': 'image:\n  repository: app # {"$imagepolicy": "flux-system:app:name"}\n  tag: v2\nsidecar:\n  image: app:v2\n',
      'manifests/app.yaml': 'kind: Pod\nspec:\n  containers:\n  - name: a\n    image: app:v2\n',
    })
    expect(plan.changes.map((c) => `${c.file}:${c.line}`)).toEqual([
      'overlays/prod/kustomization.yml:3',
      'helm/values.yaml:3',
      'helm/values.yaml:5',
      'manifests/app.yaml:5',
    ])
  })

  it('keeps earlier change lines right when a later target in the same file adds lines above them', async () => {
    const files = { 'o/kustomization.yaml': 'images:\n- name: a\n  newTag: v1\nlabels:\n  img: b:v1\n' }
    const targets = parseTargets('yaml o/kustomization.yaml labels.img\nkustomize o name=b', 'targets')
    const plan = await planEdits(memoryFiles(files), targets, { name: 'b', tag: 'v2' })
    expect(plan.files[0].after).toBe('images:\n- name: a\n  newTag: v1\n- name: b\n  newTag: v2\nlabels:\n  img: b:v2\n')
    expect(plan.changes).toEqual([
      { file: 'o/kustomization.yaml', line: 4, before: '', after: 'b' },
      { file: 'o/kustomization.yaml', line: 5, before: '', after: 'v2' },
      { file: 'o/kustomization.yaml', line: 7, before: 'b:v1', after: 'b:v2' },
    ])
  })

  it('finds kustomization.yml and Kustomization, and takes a kustomization file path', async () => {
    const files = { 'a/Kustomization': 'images: []\n', 'b/kustomization.yml': 'images: []\n', 'c/kustomization.yaml': 'images: []\n' }
    const plan = await planEdits(memoryFiles(files), overlayTargets(['a', 'b', 'c/kustomization.yaml'], undefined), { name: 'x', tag: '1' })
    expect(plan.files.map((f) => f.path)).toEqual(['a/Kustomization', 'b/kustomization.yml', 'c/kustomization.yaml'])
  })

  it.each([
    ['kustomize deploy/missing', /^deploy\/missing: holds no kustomization.yaml, kustomization.yml, Kustomization/],
    ['kustomize values.yaml', /^values.yaml: is a file, not an overlay directory/],
    ['yaml nope.yaml a', /^nope.yaml: does not exist in the infra repository \(target: yaml nope.yaml a\)/],
  ])('%s → TargetError', async (line, message) => {
    const run = planEdits(memoryFiles({ 'values.yaml': 'a: 1\n' }), parseTargets(line, 'targets'), { name: 'x', tag: '1' })
    await expect(run).rejects.toBeInstanceOf(TargetError)
    await expect(run).rejects.toThrow(message)
  })

  it('never rewrites a file that does not parse', async () => {
    const files = { 'o/kustomization.yaml': 'images:\n  - name: x\n newTag: [\n' }
    await expect(planEdits(memoryFiles(files), overlayTargets(['o'], undefined), { name: 'x', tag: '1' })).rejects.toThrow(
      /^o\/kustomization.yaml:\d+: is not valid YAML/,
    )
  })
})

describe('workTreeFiles', () => {
  let root: string
  let outside: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'edit-files-'))
    outside = await mkdtemp(join(tmpdir(), 'edit-outside-'))
    const put = async (path: string, text: string) => {
      await mkdir(dirname(join(root, path)), { recursive: true })
      await writeFile(join(root, path), text)
    }
    await put('deploy/prod/kustomization.yaml', 'images: []\n')
    await put('big.yaml', 'a: 1\n'.repeat(MAX_YAML_BYTES / 5 + 1))
    await writeFile(join(outside, 'secret.yaml'), 'token: x\n')
    await symlink(join(outside, 'secret.yaml'), join(root, 'deploy/link.yaml'))
    await symlink(outside, join(root, 'escape'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  it('reads files, and answers undefined for absent files and directories', async () => {
    const files = workTreeFiles(root)
    expect(await files.read('deploy/prod/kustomization.yaml')).toBe('images: []\n')
    expect(await files.read('./deploy/prod/kustomization.yaml')).toBe('images: []\n')
    expect(await files.read('deploy/prod/missing.yaml')).toBeUndefined()
    expect(await files.read('deploy/prod/kustomization.yaml/x')).toBeUndefined()
    expect(await files.read('deploy/prod')).toBeUndefined()
  })

  it.each([
    ['deploy/link.yaml', /^deploy\/link.yaml: is a symbolic link/],
    ['escape/secret.yaml', /^escape\/secret.yaml: goes through escape, which is a symbolic link/],
    ['../etc/passwd', /leads out of the repository/],
    ['/etc/passwd', /not a relative path inside the repository/],
    ['big.yaml', /is larger than 4 MiB/],
  ])('refuses %s', async (path, message) => {
    const read = workTreeFiles(root).read(path)
    await expect(read).rejects.toBeInstanceOf(TargetError)
    await expect(read).rejects.toThrow(message)
  })

  it('makes planEdits refuse a target through a symlink', async () => {
    await expect(planEdits(workTreeFiles(root), parseTargets('manifest escape/secret.yaml', 'targets'), { name: 'x', tag: '1' })).rejects.toThrow(
      /symbolic link/,
    )
  })
})
