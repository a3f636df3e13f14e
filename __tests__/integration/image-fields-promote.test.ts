/**
 * The render check through the bundle, as a runner runs it, with real `kubectl kustomize`: images
 * set through `configurations:` field specs promote; a dead images entry (a mistyped name on a
 * re-run) is refused with nothing pushed; and without kubectl on PATH the same is decided from the
 * files.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { startGitServer, type GitServer } from '../support/git-server.js'
import { requireService } from '../support/services.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const haveKubectl = requireService('kubectl (for kubectl kustomize)', () => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
})
const describeBoth = haveGit && haveKubectl ? describe : describe.skip

const PROD = 'deploy/note-book/overlays/prod'
const ECHO = {
  'apps/echo/base/kustomization.yaml': 'resources:\n  - service.yaml\nconfigurations:\n  - config/knative.yaml\n',
  'apps/echo/base/service.yaml':
    'apiVersion: serving.knative.dev/v1alpha1\nkind: Service\nmetadata:\n  name: echo\nspec:\n  runLatest:\n    configuration:\n      revisionTemplate:\n        spec:\n          container:\n            image: ghcr.io/acme/echo:1.0.0\n',
  'apps/echo/base/config/knative.yaml':
    'images:\n  - path: spec/runLatest/configuration/revisionTemplate/spec/container/image\n    group: serving.knative.dev\n    kind: Service\n',
  'apps/echo/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\n',
}

describeBoth("promote through the bundle: the render check reads what kustomize's image transformer reads", () => {
  let server: GitServer
  let repo = 0
  let gitOnly: string

  beforeAll(async () => {
    server = await startGitServer()
    // A PATH with git and nothing else: no renderer.
    gitOnly = await mkdtemp(join(tmpdir(), 'git-only-'))
    await symlink(execFileSync('sh', ['-c', 'command -v git']).toString().trim(), join(gitOnly, 'git'))
  })
  afterAll(async () => {
    await server?.close()
    await rm(gitOnly, { recursive: true, force: true })
  })

  async function infraRepo(files: Record<string, string>): Promise<string> {
    const name = `fields-${++repo}`
    await server.createRepo(name, files)
    return name
  }

  const promote = (name: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> =>
    runAction(
      {
        build: 'false',
        'verify-image': 'false',
        'infra-repo': server.repoUrl(name),
        'infra-token': server.token,
        ...inputs,
      },
      { entry: 'dist', env },
    )

  function expectRefused(run: ActionRun, report: string): void {
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(report)
    expect(run.leftInTemp).toEqual([])
  }

  it('promotes an image set through a configurations: field spec (a Knative Service), and it renders', async () => {
    const name = await infraRepo(ECHO)
    const run = await promote(name, { image: 'ghcr.io/acme/echo', tag: '1.1.0', 'overlay-path': 'apps/echo/overlays/prod' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.changed).toBe('true')
    expect(run.log).toContain('apps/echo/overlays/prod renders; its containers run ghcr.io/acme/echo:1.1.0')
    expect(await server.render(name, 'main', 'apps/echo/overlays/prod')).toContain('image: ghcr.io/acme/echo:1.1.0')
  })

  it('refuses a mistyped kustomize-image-name on a re-run of the tag prod already runs, pushing nothing', async () => {
    const name = await infraRepo({
      ...seed000Infra(),
      [`${PROD}/kustomization.yaml`]: 'resources:\n  - ../../base\nimages:\n  - name: ani2fun/note-book\n    newTag: v7\n',
    })
    const tip = await server.revParse(name, 'main')
    const run = await promote(name, { image: NOTE_BOOK_IMAGE, tag: 'v7', 'overlay-path': PROD, 'kustomize-image-name': 'ani2fun/notebook' })
    expectRefused(
      run,
      "the edit of the images entry named 'ani2fun/notebook' changes nothing the overlay renders: it renders 'ani2fun/note-book:v7' before and after (did you mean 'ani2fun/note-book'?)",
    )
    expect(run.outputs.changed).not.toBe('true')
    expect(await server.revParse(name, 'main')).toBe(tip)
  })

  it('without kubectl on PATH, refuses a misspelled image rather than commit a dead entry', async () => {
    const name = await infraRepo({ ...seed000Infra(), [`${PROD}/kustomization.yaml`]: 'resources:\n  - ../../base\n' })
    const tip = await server.revParse(name, 'main')
    const run = await promote(name, { image: 'ani2fun/notebook', tag: 'v2', 'overlay-path': PROD }, { PATH: gitOnly })
    expectRefused(run, "no image of the overlay is named 'ani2fun/notebook', so an images entry with that name would change nothing")
    expect(await server.revParse(name, 'main')).toBe(tip)
  })

  it('without kubectl on PATH, adds the entry the overlay uses, with the warning that nothing was rendered', async () => {
    const name = await infraRepo({ ...seed000Infra(), [`${PROD}/kustomization.yaml`]: 'resources:\n  - ../../base\n' })
    const run = await promote(name, { image: NOTE_BOOK_IMAGE, tag: 'v2', 'overlay-path': PROD }, { PATH: gitOnly })
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(/::warning.*Not checked: neither kubectl nor kustomize is on PATH/)
    expect(await server.readFile(name, 'main', `${PROD}/kustomization.yaml`)).toBe(
      `resources:\n  - ../../base\nimages:\n  - name: ${NOTE_BOOK_IMAGE}\n    newTag: v2\n`,
    )
  })
})
