/** The render check against the real `kubectl kustomize` (or `kustomize build`) on temp dirs. */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { access, chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, TargetError } from '../../src/errors.js'
import { planEdits, type RepoFiles } from '../../src/edit/plan.js'
import { DEFAULT_IMAGE_FIELD_SPECS, transformerImages } from '../../src/edit/image-fields.js'
import { checkRendered, checkUsesImage, planRenderCheck } from '../../src/edit/render.js'
import { overlayTargets, parseTargets } from '../../src/edit/targets.js'
import type { DesiredImage, Target } from '../../src/edit/types.js'
import { yamlHazard } from '../../src/edit/yaml-limits.js'
import { YamlSource } from '../../src/edit/yaml-source.js'
import { aliasBombConfigMap, NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { requireService } from '../support/services.js'

const memoryFiles = (files: Record<string, string>): RepoFiles => ({ read: async (path) => files[path] })
const hasRenderer = requireService('kubectl (for kubectl kustomize) or kustomize', () => {
  for (const command of [
    ['kubectl', 'version', '--client'],
    ['kustomize', 'version'],
  ] as const) {
    try {
      execFileSync(command[0], command.slice(1), { stdio: 'ignore', timeout: 30_000 })
      return true
    } catch {
      // try the next one
    }
  }
  return false
})
const withRenderer = hasRenderer ? it : it.skip

/** Plans the edit on `files`, then runs the render check on the result, as the promotion does. */
async function promote(files: Record<string, string>, targets: Target[], desired: DesiredImage, mode: 'auto' | 'true' = 'true') {
  const plan = await planEdits(memoryFiles(files), targets, desired)
  return planRenderCheck(targets, desired, mode, tmpdir())(memoryFiles(files), plan.files)
}

const PROD = ['deploy/note-book/overlays/prod']

describe('render check (real kustomize)', () => {
  withRenderer('passes the seed 000 overlays and reports the rendered images', async () => {
    const report = await promote(seed000Infra(), overlayTargets([...PROD, 'deploy/note-book/overlays/dev'], undefined), {
      name: NOTE_BOOK_IMAGE,
      tag: '3f2c1ab',
    })
    expect(report).toEqual({
      warnings: [],
      rendered: [
        { target: 'deploy/note-book/overlays/prod', images: ['ani2fun/note-book:3f2c1ab'] },
        { target: 'deploy/note-book/overlays/dev', images: ['ani2fun/note-book:3f2c1ab'] },
      ],
    })
  })

  withRenderer('renders once per content: a retry whose overlays read the same files reuses the verdict', async () => {
    const files = seed000Infra()
    const targets = overlayTargets(PROD, undefined)
    const desired = { name: NOTE_BOOK_IMAGE, tag: 'v7' }
    // The renderer found first on the search path is the real one, then one that refuses
    // everything: a verdict that is reused shows.
    const renderers = await mkdtemp(join(tmpdir(), 'renderers-'))
    const renderer = join(renderers, 'kubectl')
    await symlink(execFileSync('sh', ['-c', 'command -v kubectl || command -v kustomize']).toString().trim(), renderer)
    const check = planRenderCheck(targets, desired, 'true', tmpdir(), `${renderers}:${process.env.PATH ?? ''}`)
    const plan = await planEdits(memoryFiles(files), targets, desired)
    const first = await check(memoryFiles(files), plan.files)
    await rm(renderer)
    await writeFile(renderer, '#!/bin/sh\necho "this renderer refuses" >&2\nexit 1\n')
    await chmod(renderer, 0o755)
    try {
      // The branch moved elsewhere: another app changed.
      const moved = { ...files, 'deploy/other/kustomization.yaml': 'resources: []\n' }
      expect(await check(memoryFiles(moved), plan.files)).toBe(first)
      // A file the overlay renders changed: it is rendered again.
      const base = 'deploy/note-book/base/deployment.yaml'
      const changed = { ...moved, [base]: `${files[base]}# changed\n` }
      await expect(check(memoryFiles(changed), plan.files)).rejects.toThrow(/this renderer refuses/)
    } finally {
      await rm(renderers, { recursive: true, force: true })
    }
  })

  withRenderer('passes a digest pin', async () => {
    const digest = `sha256:${'c'.repeat(64)}`
    const report = await promote(seed000Infra(), overlayTargets(PROD, undefined), { name: NOTE_BOOK_IMAGE, tag: 'v1', digest })
    expect(report.rendered[0].images).toEqual([`ani2fun/note-book:v1@${digest}`])
  })

  withRenderer('fails a misspelled image name (the silent no-op), naming the file, the entries and what renders', async () => {
    const error = await promote(seed000Infra(), overlayTargets(PROD, 'ani2fun/notebook'), { name: NOTE_BOOK_IMAGE, tag: '3f2c1ab' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TargetError)
    expect((error as TargetError).report).toBe(
      "deploy/note-book/overlays/prod/kustomization.yaml:14: no container matches the images entry named 'ani2fun/notebook': the rendered overlay uses 'ani2fun/note-book:0.9.0' (did you mean 'ani2fun/note-book'?). Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use (its images entries: 'ani2fun/note-book', 'ani2fun/notebook').",
    )
  })

  withRenderer('fails an overlay that no longer renders, before anything is committed', async () => {
    const files = {
      ...seed000Infra(),
      'deploy/note-book/overlays/prod/kustomization.yaml':
        'resources:\n  - ../../base\n  - missing.yaml\nimages:\n  - name: ani2fun/note-book\n    newTag: old\n',
    }
    const run = promote(files, overlayTargets(PROD, undefined), { name: NOTE_BOOK_IMAGE, tag: 'new' })
    await expect(run).rejects.toBeInstanceOf(TargetError)
    await expect(run).rejects.toThrow(
      /^deploy\/note-book\/overlays\/prod\/kustomization.yaml: the overlay does not render after the edit \(kubectl said: .*missing.yaml/,
    )
  })

  withRenderer('fails when a patch overrides the promoted image', async () => {
    const files = {
      ...seed000Infra(),
      'deploy/note-book/overlays/prod/kustomization.yaml':
        'resources:\n  - ../../base\nimages:\n  - name: ani2fun/note-book\n    newTag: old\npatches:\n  - path: pin.yaml\n',
      'deploy/note-book/overlays/prod/pin.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: note-book\nspec:\n  template:\n    spec:\n      containers:\n        - name: note-book\n          image: mirror.example.com/note-book:pinned\n',
    }
    await expect(promote(files, overlayTargets(PROD, undefined), { name: NOTE_BOOK_IMAGE, tag: 'new' })).rejects.toThrow(
      /rendered overlay uses 'mirror.example.com\/note-book:pinned'/,
    )
  })

  withRenderer('checks only kustomize targets', async () => {
    const files = { 'm.yaml': 'kind: Pod\nspec:\n  containers:\n  - image: app:v1\n' }
    expect(await promote(files, parseTargets('manifest m.yaml', 'targets'), { name: 'app', tag: 'v2' })).toEqual({ warnings: [], rendered: [] })
  })
})

describe('render check: the files it renders are held to the limits of the files it edits', () => {
  it.each([
    [
      'an alias bomb',
      aliasBombConfigMap(9),
      1,
      /expands its aliases to more than 10 times its size \(an alias bomb\), and the overlay being promoted renders it/,
    ],
    ['nesting too deep', `x: ${'['.repeat(300)}${']'.repeat(300)}\n`, 1, /nests deeper than 200 levels/],
  ])('refuses %s in a base resource before the renderer runs', async (_what, text, line, problem) => {
    const renderers = await mkdtemp(join(tmpdir(), 'renderers-'))
    const ran = join(renderers, 'ran')
    await writeFile(join(renderers, 'kubectl'), `#!/bin/sh\ntouch ${ran}\n`)
    await chmod(join(renderers, 'kubectl'), 0o755)
    try {
      const files = {
        ...seed000Infra(),
        'deploy/note-book/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n  - laughs.yaml\n',
        'deploy/note-book/base/laughs.yaml': text,
      }
      const targets = overlayTargets(PROD, undefined)
      const desired = { name: NOTE_BOOK_IMAGE, tag: 'v2' }
      const plan = await planEdits(memoryFiles(files), targets, desired)
      const started = performance.now()
      const check = planRenderCheck(targets, desired, 'true', tmpdir(), renderers)(memoryFiles(files), plan.files)
      await expect(check).rejects.toBeInstanceOf(TargetError)
      await expect(check).rejects.toMatchObject({ file: 'deploy/note-book/base/laughs.yaml', line, message: expect.stringMatching(problem) })
      expect(performance.now() - started).toBeLessThan(2_000)
      await expect(access(ran)).rejects.toThrow()
    } finally {
      await rm(renderers, { recursive: true, force: true })
    }
  })

  it('says a renderer that hit the memory ceiling was stopped, not that the overlay is wrong', async () => {
    const renderers = await mkdtemp(join(tmpdir(), 'renderers-'))
    await writeFile(join(renderers, 'kubectl'), '#!/bin/sh\necho "fatal error: runtime: out of memory" >&2\nexit 2\n')
    await chmod(join(renderers, 'kubectl'), 0o755)
    try {
      const targets = overlayTargets(PROD, undefined)
      const desired = { name: NOTE_BOOK_IMAGE, tag: 'v2' }
      const plan = await planEdits(memoryFiles(seed000Infra()), targets, desired)
      await expect(planRenderCheck(targets, desired, 'true', tmpdir(), renderers)(memoryFiles(seed000Infra()), plan.files)).rejects.toThrow(
        "deploy/note-book/overlays/prod/kustomization.yaml: kubectl went over the render check's memory ceiling of 2 GiB rendering the overlay, and was stopped.",
      )
    } finally {
      await rm(renderers, { recursive: true, force: true })
    }
  })

  it('lets a file with a few aliases through', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: &d\n  a: b\nx: [*d, *d]\n'
    expect(yamlHazard(text)).toBeUndefined()
    expect(yamlHazard(aliasBombConfigMap(4))).toBeUndefined()
    expect(yamlHazard(aliasBombConfigMap(5))).toEqual({ offset: 0, problem: expect.stringContaining('alias bomb') })
  })
})

describe('render check without a renderer', () => {
  const root = () => mkdtemp(join(tmpdir(), 'render-none-'))
  const targets = overlayTargets(['o'], undefined)

  it('is an InputError with validate: true', async () => {
    const dir = await root()
    try {
      const run = checkRendered(dir, targets, { name: 'x', tag: '1' }, 'true', '/nonexistent')
      await expect(run).rejects.toBeInstanceOf(InputError)
      await expect(run).rejects.toThrow(/^Input 'validate': is true, but neither kubectl nor kustomize is on PATH/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('is a warning with validate: auto, and nothing with validate: false', async () => {
    const dir = await root()
    try {
      const auto = await checkRendered(dir, targets, { name: 'x', tag: '1' }, 'auto', '/nonexistent')
      expect(auto.rendered).toEqual([])
      expect(auto.warnings).toEqual([expect.stringMatching(/^Not checked: neither kubectl nor kustomize is on PATH/)])
      expect(await checkRendered(dir, targets, { name: 'x', tag: '1' }, 'false', '/nonexistent')).toEqual({ warnings: [], rendered: [] })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('judging rendered output (pure)', () => {
  const rendered = `apiVersion: v1\nkind: Pod\nspec:\n  initContainers:\n  - image: busybox\n  containers:\n  - image: app:v2\n---\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - image: app:v1\n`
  it('finds images at any depth in every document', () => {
    expect(transformerImages(rendered, DEFAULT_IMAGE_FIELD_SPECS)).toEqual(['busybox', 'app:v2', 'app:v1'])
  })

  it('passes when any container runs the desired image', () => {
    expect(() =>
      checkUsesImage(new YamlSource('k.yaml', 'images: []\n'), undefined, { name: 'app', tag: 'v2' }, transformerImages(rendered, DEFAULT_IMAGE_FIELD_SPECS)),
    ).not.toThrow()
  })

  it('fails an overlay with no containers', () => {
    expect(() => checkUsesImage(new YamlSource('k.yaml', 'images: []\n'), undefined, { name: 'app', tag: 'v3' }, [])).toThrow(
      /the rendered overlay has no containers/,
    )
  })
})

const KNATIVE = {
  'apps/echo/base/kustomization.yaml': 'resources:\n  - service.yaml\nconfigurations:\n  - config/knative.yaml\n',
  'apps/echo/base/service.yaml':
    'apiVersion: serving.knative.dev/v1alpha1\nkind: Service\nmetadata:\n  name: echo\nspec:\n  runLatest:\n    configuration:\n      revisionTemplate:\n        spec:\n          container:\n            image: ghcr.io/acme/echo:1.0.0\n',
  'apps/echo/base/config/knative.yaml':
    'images:\n  - path: spec/runLatest/configuration/revisionTemplate/spec/container/image\n    group: serving.knative.dev\n    version: v1alpha1\n    kind: Service\n',
  'apps/echo/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\n',
  'apps/custom/kustomization.yaml': 'resources:\n  - job.yaml\nconfigurations:\n  - images.yaml\n',
  'apps/custom/job.yaml': 'apiVersion: batch.example.com/v1\nkind: Runner\nmetadata:\n  name: runner\nspec:\n  image: ghcr.io/acme/runner:1\n',
  'apps/custom/images.yaml': 'images:\n  - path: spec/image\n    kind: Runner\n',
}

describe("render check: the fields kustomize's image transformer reads (real kustomize)", () => {
  withRenderer('passes an image set through a configurations: field spec (a Knative Service)', async () => {
    const report = await promote(KNATIVE, overlayTargets(['apps/echo/overlays/prod'], undefined), { name: 'ghcr.io/acme/echo', tag: '1.1.0' })
    expect(report.rendered).toEqual([{ target: 'apps/echo/overlays/prod', images: ['ghcr.io/acme/echo:1.1.0'] }])
  })

  withRenderer("passes a custom kind's spec/image", async () => {
    const report = await promote(KNATIVE, parseTargets('kustomize apps/custom', 'targets'), { name: 'ghcr.io/acme/runner', tag: '2' })
    expect(report.rendered).toEqual([{ target: 'apps/custom', images: ['ghcr.io/acme/runner:2'] }])
  })

  withRenderer('fails a mistyped kustomize-image-name on a re-run of the tag prod already runs: the new entry changes nothing', async () => {
    const files = {
      ...seed000Infra(),
      'deploy/note-book/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\nimages:\n  - name: ani2fun/note-book\n    newTag: v7\n',
    }
    const error = await promote(files, overlayTargets(PROD, 'ani2fun/notebook'), { name: NOTE_BOOK_IMAGE, tag: 'v7' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TargetError)
    expect((error as TargetError).report).toBe(
      "deploy/note-book/overlays/prod/kustomization.yaml:6: the edit of the images entry named 'ani2fun/notebook' changes nothing the overlay renders: it renders 'ani2fun/note-book:v7' before and after (did you mean 'ani2fun/note-book'?). Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use (its images entries: 'ani2fun/note-book', 'ani2fun/notebook'). Nothing was committed.",
    )
  })

  withRenderer('passes a move to a mirror registry, same tag (only newName changes)', async () => {
    const files = {
      ...seed000Infra(),
      'deploy/note-book/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\nimages:\n  - name: ani2fun/note-book\n    newTag: v7\n',
    }
    const mirror = 'mirror.example.com/ani2fun/note-book'
    const plan = await planEdits(memoryFiles(files), overlayTargets(PROD, NOTE_BOOK_IMAGE), { name: mirror, tag: 'v7' })
    expect(plan.files[0].after).toBe(`resources:\n  - ../../base\nimages:\n  - name: ani2fun/note-book\n    newName: ${mirror}\n    newTag: v7\n`)
    const report = await promote(files, overlayTargets(PROD, NOTE_BOOK_IMAGE), { name: mirror, tag: 'v7' })
    expect(report.rendered[0].images).toEqual([`${mirror}:v7`])
  })
})

describe('without a renderer: an images entry is added only when the overlay uses the image', () => {
  const check = (files: Record<string, string>, targets: Target[], desired: DesiredImage) =>
    planEdits(memoryFiles(files), targets, desired).then((plan) =>
      planRenderCheck(targets, desired, 'auto', tmpdir(), '/nonexistent')(memoryFiles(files), plan.files),
    )

  it('refuses a misspelled image that would be appended as a dead entry', async () => {
    const files = { ...seed000Infra(), 'deploy/note-book/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\n' }
    const error = await check(files, overlayTargets(PROD, undefined), { name: 'ani2fun/notebook', tag: 'v2' }).catch((e: unknown) => e)
    expect((error as TargetError).report).toBe(
      "deploy/note-book/overlays/prod/kustomization.yaml: no image of the overlay is named 'ani2fun/notebook', so an images entry with that name would change nothing: its files use 'ani2fun/note-book' (did you mean 'ani2fun/note-book'?). Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use. Nothing was committed.",
    )
  })

  it('refuses a mistyped kustomize-image-name on a re-run of the tag prod already runs', async () => {
    const error = await check(seed000Infra(), overlayTargets(PROD, 'ani2fun/notebook'), { name: NOTE_BOOK_IMAGE, tag: '0.9.0' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TargetError)
    expect((error as TargetError).message).toMatch(
      /^deploy\/note-book\/overlays\/prod\/kustomization.yaml: no image of the overlay is named 'ani2fun\/notebook'/,
    )
  })

  it.each([
    ['the base uses the image', {}],
    [
      'a base entry renames an image to it',
      {
        'deploy/note-book/base/kustomization.yaml': 'resources:\n  - deployment.yaml\nimages:\n  - name: ani2fun/note-book\n    newName: ghcr.io/acme/notes\n',
      },
    ],
    [
      'a patch sets it',
      {
        'deploy/note-book/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\npatches:\n  - path: sidecar.yaml\n',
        'deploy/note-book/overlays/prod/sidecar.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: note-book\nspec:\n  template:\n    spec:\n      containers:\n        - name: proxy\n          image: ghcr.io/acme/notes:1\n',
      },
    ],
  ])('adds the entry when %s, with the warning that nothing was rendered', async (_what, extra) => {
    const name = Object.keys(extra).length ? 'ghcr.io/acme/notes' : NOTE_BOOK_IMAGE
    const files = { ...seed000Infra(), 'deploy/note-book/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\n', ...extra }
    const report = await check(files, overlayTargets(PROD, undefined), { name, tag: 'v2' })
    expect(report.warnings).toEqual([expect.stringMatching(/^Not checked: neither kubectl nor kustomize is on PATH/)])
  })

  it('says what it cannot read (a remote base)', async () => {
    const files = { 'o/kustomization.yaml': 'resources:\n  - https://github.com/acme/base//app?ref=v1\n' }
    const error = await check(files, overlayTargets(['o'], undefined), { name: 'app', tag: 'v2' }).catch((e: unknown) => e)
    expect((error as TargetError).report).toBe(
      "o/kustomization.yaml: no image of the overlay is named 'app', so an images entry with that name would change nothing: its files use no image; it also renders the remote base https://github.com/acme/base//app?ref=v1, which only a renderer can read. Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use, or install kubectl or kustomize on the runner so the render check can read the whole overlay. Nothing was committed.",
    )
  })

  it('leaves an existing entry to be updated, used or not', async () => {
    const report = await check(seed000Infra(), overlayTargets(PROD, undefined), { name: NOTE_BOOK_IMAGE, tag: 'v2' })
    expect(report.rendered).toEqual([])
  })
})
