/**
 * What one promotion asks of the infra remote, counted on the real smart-HTTP server: the tip, then
 * one fetch per directory level for all the paths it reads, nothing else, and after a lost race only
 * the trees that changed. Every upload-pack request is one of ours: git never fetches on its own
 * (a lazy fetch from the partial clone, while reading or while packing the push).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appFiles, appImage, overlayPath } from '../../bench/infra-monorepo.js'
import { planPromotion } from '../../src/promotion.js'
import { GitCommandManager } from '../../src/publish/git-command.js'
import { gitAuthEnv } from '../../src/publish/git-auth.js'
import { publishViaGit } from '../../src/publish/git-publisher.js'
import { InfraRemote } from '../../src/publish/git-remote.js'
import type { PromotionPlan } from '../../src/publish/types.js'
import type { RepoFiles } from '../../src/edit/plan.js'
import { requireService } from '../support/services.js'
import { startGitServer, type GitServer } from '../support/git-server.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

const APPS = 60

interface Counted {
  readonly tipFetches: number
  readonly objectFetches: number
}

describeGit('what a promotion fetches', () => {
  let server: GitServer
  let scratch: string
  let repo = 0

  beforeAll(async () => {
    server = await startGitServer()
    scratch = await mkdtemp(join(tmpdir(), 'fetch-economy-'))
  })
  afterAll(async () => {
    await server?.close()
    if (scratch) await rm(scratch, { recursive: true, force: true })
  })

  async function infraRepo(): Promise<string> {
    const name = `infra-${++repo}`
    await server.createRepo(name, Object.assign({}, ...Array.from({ length: APPS }, (_, app) => appFiles(app))))
    return name
  }

  const uploadPackPosts = () => server.requests.filter((r) => r.method === 'POST' && r.service === 'git-upload-pack').length

  /**
   * Promotes `app` in-process, counting our fetches per attempt. `beforePush` runs once, after the
   * first plan: a neighbour landing there makes the first push lose the race.
   */
  async function promote(name: string, app: number, tag: string, beforePush?: () => Promise<unknown>) {
    const dir = await mkdtemp(join(scratch, 'run-'))
    const url = server.repoUrl(name)
    const git = new GitCommandManager(dir, gitAuthEnv(url, server.token))
    const perAttempt: Counted[] = []
    const exec = git.exec.bind(git)
    // The tip is fetched just before each plan (which counts it); objects are fetched while planning.
    git.exec = (args, options) => {
      const current = perAttempt[perAttempt.length - 1]
      if (args.includes('fetch') && !args.includes('--depth=1')) perAttempt[perAttempt.length - 1] = { ...current, objectFetches: current.objectFetches + 1 }
      return exec(args, options)
    }
    const remote = new InfraRemote(git, { url, token: server.token, branch: 'main' }, () => Promise.resolve())
    await remote.init()
    const posts = uploadPackPosts()
    const desired = { name: appImage(app), tag }
    let interfere = beforePush
    const result = await publishViaGit(
      remote,
      {
        plan: async (files: RepoFiles): Promise<PromotionPlan> => {
          perAttempt.push({ tipFetches: 1, objectFetches: 0 })
          const plan = await planPromotion(files, {
            targets: [{ kind: 'kustomize', path: overlayPath(app) }],
            desired,
            stamp: { ref: `${desired.name}:${tag}`, repository: `example/app-${app}`, commit: tag, runNumber: 1, runAttempt: 1 },
            allowDowngrade: false,
          })
          await interfere?.()
          interfere = undefined
          return plan
        },
        message: () => `promote ${desired.name}:${tag}`,
        author: { name: 'test', email: 'test@example.invalid' },
        branch: 'main',
        maxAttempts: 3,
        dryRun: false,
      },
      { sleep: () => Promise.resolve() },
    )
    const fetches = perAttempt.reduce((sum, a) => sum + a.tipFetches * 2 + a.objectFetches, 0)
    const leftBehind = await readdir(dir)
    await rm(dir, { recursive: true, force: true })
    return { result, perAttempt, unexplainedPosts: uploadPackPosts() - posts - fetches, leftBehind }
  }

  it('fetches the tip, then one pack per directory level of the paths it reads', async () => {
    const name = await infraRepo()
    const first = await promote(name, 7, 'v1')
    expect(first.result).toMatchObject({ changed: true, attempts: 1 })
    // deploy/app-7/overlays/prod: root, deploy, app-7, overlays, prod, then the files in prod.
    expect(first.perAttempt).toEqual([{ tipFetches: 1, objectFetches: 6 }])
    expect(first.unexplainedPosts).toBe(0)

    // Now the record beside it exists too, one level deeper: read alongside, not after.
    const second = await promote(name, 7, 'v2')
    expect(second.perAttempt).toEqual([{ tipFetches: 1, objectFetches: 7 }])
    expect(second.unexplainedPosts).toBe(0)
  })

  it('after a lost race fetches only the trees that changed, and pushing never fetches', async () => {
    const name = await infraRepo()
    const neighbour = overlayPath(12)
    const { result, perAttempt, unexplainedPosts, leftBehind } = await promote(name, 3, 'v9', () =>
      server.commitFiles(name, { [`${neighbour}/kustomization.yaml`]: appFiles(12, 'v5')[`${neighbour}/kustomization.yaml`] }, 'neighbour'),
    )
    expect(result).toMatchObject({ changed: true, attempts: 2 })
    // The new root and deploy/; app-3's trees and files are unchanged and already here.
    expect(perAttempt[1]).toEqual({ tipFetches: 1, objectFetches: 2 })
    expect(unexplainedPosts).toBe(0)
    expect(leftBehind).toEqual(['.git'])
    expect(await server.readFile(name, 'main', `${neighbour}/kustomization.yaml`)).toContain('newTag: v5')
    expect(await server.readFile(name, 'main', `${overlayPath(3)}/kustomization.yaml`)).toContain('newTag: v9')
  })

  describe('when the server or the network fails for a moment', () => {
    it('sends a failed read again', async () => {
      const name = await infraRepo()
      server.failNext(1, { service: 'git-upload-pack', method: 'POST' })
      const { result } = await promote(name, 4, 'v2')
      expect(result).toMatchObject({ changed: true, attempts: 1 })
      expect(await server.readFile(name, 'main', `${overlayPath(4)}/kustomization.yaml`)).toContain('newTag: v2')
    })

    it('makes a push that never reached the server again', async () => {
      const name = await infraRepo()
      const before = await server.commitCount(name, 'main')
      server.failNext(1, { service: 'git-receive-pack', method: 'GET' })
      const { result } = await promote(name, 4, 'v3')
      expect(result).toMatchObject({ changed: true, attempts: 2 })
      expect(await server.commitCount(name, 'main')).toBe(before + 1)
      expect(await server.revParse(name, 'main')).toBe(result.commitSha)
    })

    it('confirms a push whose answer was lost from the tip, and does not make it twice', async () => {
      const name = await infraRepo()
      const before = await server.commitCount(name, 'main')
      server.failNext(1, { service: 'git-receive-pack', method: 'POST', after: true })
      const { result } = await promote(name, 4, 'v4')
      expect(result).toMatchObject({ changed: true, attempts: 1 })
      expect(await server.commitCount(name, 'main')).toBe(before + 1)
      expect(await server.revParse(name, 'main')).toBe(result.commitSha)
    })
  })
})
