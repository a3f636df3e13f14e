/**
 * The walking skeleton end to end: the action (sources through tsx, and once the committed bundle)
 * promotes into a real infra repo served by git's own smart-HTTP backend, and the result renders.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { requireService } from '../support/services.js'
import { startGitServer, type GitServer } from '../support/git-server.js'

const PROD = 'deploy/note-book/overlays/prod'
const DEV = 'deploy/note-book/overlays/dev'
const TAG = '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const haveKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const describeGit = haveGit ? describe : describe.skip

describeGit('promote into Kustomize overlays over smart HTTP', () => {
  let server: GitServer
  let repo = 0

  beforeAll(async () => {
    server = await startGitServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  /** A fresh seed-000 infra repo per test, so tests stay independent. */
  async function infraRepo(files: Record<string, string> = seed000Infra()): Promise<string> {
    const name = `infra-${++repo}`
    await server.createRepo(name, files)
    return name
  }

  function promote(name: string, inputs: Record<string, string> = {}, entry: 'src' | 'dist' = 'src'): Promise<ActionRun> {
    return runAction(
      {
        image: NOTE_BOOK_IMAGE,
        tag: TAG,
        build: 'false',
        'verify-image': 'false',
        'infra-repo': server.repoUrl(name),
        'infra-token': server.token,
        'overlay-path': PROD,
        ...inputs,
      },
      { entry },
    )
  }

  function expectFailure(run: ActionRun, ...fragments: string[]): void {
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    for (const fragment of fragments) expect(errors[0]).toContain(fragment)
    expect(run.leftInTemp).toEqual([])
  }

  it('sets the tag in the prod overlay in one commit with an audit trail, and it renders', async () => {
    const name = await infraRepo()
    const before = await server.revParse(name, 'main')
    const run = await promote(name)
    expect(run.log).not.toContain(server.token)
    expect(run.exitCode).toBe(0)
    const after = await server.revParse(name, 'main')
    expect(run.outputs).toMatchObject({
      'image-ref': `${NOTE_BOOK_IMAGE}:${TAG}`,
      tag: TAG,
      changed: 'true',
      'commit-sha': after,
      attempts: '1',
    })
    expect(await server.readFile(name, 'main', `${PROD}/kustomization.yaml`)).toBe(
      seed000Infra()[`${PROD}/kustomization.yaml`].replace('newTag: "0.9.0" # first release', `newTag: "${TAG}" # first release`),
    )
    const [commit] = await server.log(name, 'main')
    expect(commit.parents).toEqual([before])
    expect(commit.message).toContain(`promote ${NOTE_BOOK_IMAGE}:${TAG} to ${PROD}/kustomization.yaml`)
    expect(commit.message).toContain(`Source-Commit: ${TAG}`)
    expect(commit.message).toContain('Source-Run: https://github.com/ani2fun/note-book/actions/runs/1234567890')
    expect(run.leftInTemp).toEqual([])
    if (haveKubectl) {
      const rendered = await server.render(name, 'main', PROD)
      expect(rendered).toContain(`image: ${NOTE_BOOK_IMAGE}:${TAG}`)
      expect(rendered).toContain('namespace: apps-prod')
    } else {
      console.warn('kubectl is not installed: the rendered overlay was not checked')
    }
  })

  it('is idempotent: the same promotion twice makes exactly one commit', async () => {
    const name = await infraRepo()
    const first = await promote(name)
    const second = await promote(name)
    expect([first.outputs.changed, second.outputs.changed]).toEqual(['true', 'false'])
    expect(second.outputs['skipped-reason']).toBe('up-to-date')
    expect(second.outputs['commit-sha']).toBe('')
    expect(await server.commitCount(name, 'main')).toBe(2)
  })

  it('updates several overlays in ONE commit, appending the images entry where it is missing', async () => {
    const name = await infraRepo()
    const run = await promote(name, { 'overlay-path': `${PROD}\n${DEV}/kustomization.yaml` })
    expect(run.exitCode).toBe(0)
    expect(await server.commitCount(name, 'main')).toBe(2)
    const dev = await server.readFile(name, 'main', `${DEV}/kustomization.yaml`)
    expect(dev).toContain(`images:\n  - name: ${NOTE_BOOK_IMAGE}\n    newTag: ${TAG}\n`)
  })

  it('dry-run prints the diff and pushes nothing', async () => {
    const name = await infraRepo()
    const before = await server.revParse(name, 'main')
    const run = await promote(name, { 'dry-run': 'true' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.changed).toBe('true')
    expect(run.log).toContain(`+    newTag: "${TAG}" # first release`)
    expect(await server.revParse(name, 'main')).toBe(before)
  })

  it('runs from the committed bundle exactly as a runner does', async () => {
    const name = await infraRepo()
    const run = await promote(name, {}, 'dist')
    expect(run.exitCode).toBe(0)
    expect(run.outputs.changed).toBe('true')
  })

  describe('bad input: one clear error, non-zero exit, nothing pushed', () => {
    let name: string
    let tip: string
    beforeAll(async () => {
      name = await infraRepo({
        ...seed000Infra(),
        'deploy/broken/kustomization.yaml': 'images:\n  - name: x\n   newTag: [unclosed\n',
      })
      await server.addSymlink(name, 'deploy/escape', '/etc')
      tip = await server.revParse(name, 'main')
    })

    it.each<[string, Record<string, string>, string[]]>([
      ['a missing image', { image: '' }, ["Input 'image'", 'required']],
      ['a missing infra-repo', { 'infra-repo': '' }, ["Input 'infra-repo'", 'required']],
      ['a malformed tag', { tag: 'v1/../x' }, ["Input 'tag'", 'not a valid']],
      ['an overlay path that does not exist', { 'overlay-path': 'deploy/note-book/overlays/staging' }, ['deploy/note-book/overlays/staging']],
      ['an overlay path outside the repo', { 'overlay-path': '../../etc' }, ['../../etc']],
      ['an absolute overlay path', { 'overlay-path': '/etc/passwd' }, ['/etc/passwd']],
      ['an overlay behind a symlink', { 'overlay-path': 'deploy/escape' }, ['deploy/escape']],
      ['a kustomization that does not parse', { 'overlay-path': 'deploy/broken' }, ['deploy/broken/kustomization.yaml']],
      ['an image name the manifests do not use', { image: 'ani2fun/note-bok' }, ['deploy/note-book/overlays/prod/kustomization.yaml', "'ani2fun/note-book'"]],
      [
        'a misspelled kustomize-image-name',
        { 'kustomize-image-name': 'ani2fun/notebook' },
        ['deploy/note-book/overlays/prod/kustomization.yaml', "'ani2fun/note-book'"],
      ],
      ['an unknown branch', { 'infra-branch': 'nope' }, ["Input 'infra-branch'", "'nope' does not exist"]],
    ])('%s', async (_what, inputs, fragments) => {
      expectFailure(await promote(name, inputs), ...fragments)
      expect(await server.revParse(name, 'main')).toBe(tip)
    })

    it('a wrong token', async () => {
      const run = await promote(name, { 'infra-token': 'not-the-token' })
      expectFailure(run, "Input 'infra-token'", 'refused the credentials')
      expect(run.log).not.toContain('not-the-token')
      expect(await server.revParse(name, 'main')).toBe(tip)
    })

    it('a token that may read but not push', async () => {
      const run = await promote(name, { 'infra-token': server.readOnlyToken })
      expectFailure(run, "Input 'infra-token'", 'Contents: read and write')
      expect(await server.revParse(name, 'main')).toBe(tip)
    })
  })
})
