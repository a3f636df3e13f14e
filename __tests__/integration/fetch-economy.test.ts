/**
 * What one promotion asks of the infra host, counted on the real smart-HTTP server (filters to tree
 * depth 0, as GitHub serves them): the tip, then one request per directory level for all the paths
 * it reads, the tip again just before the first push, and for a tip that moved — the one named by a
 * refusal, or read again — one request for the trees that changed. Every request the server sees is
 * one the store counted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { appFiles, appImage, overlayPath } from '../../bench/infra-monorepo.js'
import { planPromotion } from '../../src/promotion.js'
import { GitStore } from '../../src/publish/git-store.js'
import { publish, type AttemptWindow } from '../../src/publish/publisher.js'
import type { PromotionPlan } from '../../src/publish/types.js'
import type { RepoFiles } from '../../src/edit/plan.js'
import { requireService } from '../support/services.js'
import { startGitServer, type GitServer } from '../support/git-server.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

const APPS = 60

describeGit.each([
  ['protocol v2', true],
  ['protocol v0 only', false],
])('what a promotion fetches, %s', (_protocol, protocolV2) => {
  let server: GitServer
  let repo = 0

  beforeAll(async () => {
    server = await startGitServer({ protocolV2 })
  })
  afterAll(async () => {
    await server?.close()
  })

  async function infraRepo(): Promise<string> {
    const name = `infra-${++repo}`
    await server.createRepo(name, Object.assign({}, ...Array.from({ length: APPS }, (_, app) => appFiles(app))))
    return name
  }

  /**
   * Promotes `app` in-process, with each attempt's window (requests from reading the tip to the
   * push). `interfere.whilePlanning` runs once, in the first plan; `interfere.beforePush` once, when
   * the first commit is built: a neighbour landing there makes the first push lose the race;
   * `interfere.beforeRetryPush` once, when the second commit is built.
   */
  async function promote(
    name: string,
    app: number,
    tag: string,
    interfere: { whilePlanning?: () => Promise<unknown>; beforePush?: () => Promise<unknown>; beforeRetryPush?: () => Promise<unknown> } = {},
  ) {
    const url = server.repoUrl(name)
    const store = new GitStore({ url, token: server.token, branch: 'main' })
    const seenBefore = server.requests.length
    const windows: AttemptWindow[] = []
    const desired = { name: appImage(app), tag }
    let { whilePlanning } = interfere
    const interferences = [interfere.beforePush, interfere.beforeRetryPush]
    const build = store.commit.bind(store)
    store.commit = async (...args) => {
      const built = await build(...args)
      await interferences.shift()?.()
      return built
    }
    try {
      const result = await publish(
        store,
        {
          plan: async (files: RepoFiles): Promise<PromotionPlan> => {
            const plan = await planPromotion(files, {
              targets: [{ kind: 'kustomize', path: overlayPath(app) }],
              images: [{ desired }],
            })
            await whilePlanning?.()
            whilePlanning = undefined
            return plan
          },
          newerAt: async () => [],
          paths: [overlayPath(app)],
          message: () => `promote ${desired.name}:${tag}`,
          author: { name: 'test', email: 'test@example.invalid' },
          branch: 'main',
          maxAttempts: 3,
          timeoutSeconds: 60,
          dryRun: false,
        },
        { sleep: () => Promise.resolve(), observe: (window) => windows.push(window) },
      )
      const asked = server.requests.slice(seenBefore)
      return {
        result,
        windows: windows.map((w) => w.requests),
        requests: store.requests,
        seen: asked.length,
        pushes: asked.filter((r) => r.method === 'POST' && r.service === 'git-receive-pack').length,
      }
    } finally {
      store.close()
    }
  }

  it('reads the tip, then one request per directory level of the paths it reads, then the tip again', async () => {
    const name = await infraRepo()
    const first = await promote(name, 7, 'v1')
    expect(first.result).toMatchObject({ changed: true, attempts: 1 })
    // Before the window: v2: the capabilities, the ref, the commit; then the root tree, deploy,
    // app-7, overlays, prod, and the files in prod (v0 reads the ref in the capabilities' request).
    // The window: the ref read again; the tip has not moved, so nothing else.
    expect(first.windows).toEqual([1])
    // Then the push: the receive-pack capabilities and the pack. Nothing else reached the server.
    expect(first.requests).toBe((protocolV2 ? 9 : 8) + 1 + 2)
    expect(first.seen).toBe(first.requests)

    // Nothing was written beside the target: the next promotion reads just as much.
    const second = await promote(name, 7, 'v2')
    expect(second.windows).toEqual(first.windows)
    expect(second.seen).toBe(second.requests)
  })

  const neighbourLands = (name: string) => () => {
    const neighbour = overlayPath(12)
    return server.commitFiles(name, { [`${neighbour}/kustomization.yaml`]: appFiles(12, 'v5')[`${neighbour}/kustomization.yaml`] }, 'neighbour')
  }

  it('re-applies on a tip that moved while the first attempt planned, before pushing: no race lost', async () => {
    const name = await infraRepo()
    const { result, windows, seen, requests } = await promote(name, 3, 'v9', { whilePlanning: neighbourLands(name) })
    expect(result).toMatchObject({ changed: true, attempts: 1 })
    // The ref, then the new commit with the trees that changed since the tip planned on (root,
    // deploy/ and app-12's) in one request; app-3's trees and files are unchanged and here already.
    expect(windows).toEqual([2])
    expect(seen).toBe(requests)
    expect(await server.readFile(name, 'main', `${overlayPath(12)}/kustomization.yaml`)).toContain('newTag: v5')
    expect(await server.readFile(name, 'main', `${overlayPath(3)}/kustomization.yaml`)).toContain('newTag: v9')
  })

  it('after a lost race reads the ref and what changed since in one request, and the ref again before it pushes', async () => {
    const name = await infraRepo()
    const neighbour = overlayPath(12)
    const { result, windows, seen, requests, pushes } = await promote(name, 3, 'v9', { beforePush: neighbourLands(name) })
    expect(result).toMatchObject({ changed: true, attempts: 2 })
    // The ref, the new commit with the trees that changed (app-3's trees and files are unchanged and
    // here already), then the ref again: still there, so the push goes.
    expect(windows).toEqual([1, 3])
    expect(pushes).toBe(2)
    expect(seen).toBe(requests)
    expect(await server.readFile(name, 'main', `${neighbour}/kustomization.yaml`)).toContain('newTag: v5')
    expect(await server.readFile(name, 'main', `${overlayPath(3)}/kustomization.yaml`)).toContain('newTag: v9')
  })

  it('does not send a retry whose tip moved again before it was pushed: a lost push costs the host a whole receive', async () => {
    const name = await infraRepo()
    const neighbour = (app: number) => () =>
      server.commitFiles(
        name,
        { [`${overlayPath(app)}/kustomization.yaml`]: appFiles(app, 'v5')[`${overlayPath(app)}/kustomization.yaml`] },
        `neighbour ${app}`,
      )
    const { result, pushes } = await promote(name, 3, 'v9', { beforePush: neighbour(12), beforeRetryPush: neighbour(13) })
    // Pushed, lost; built again, found the branch moved, not pushed; built again and landed.
    expect(result).toMatchObject({ changed: true, attempts: 2 })
    expect(pushes).toBe(2)
    for (const app of [12, 13]) expect(await server.readFile(name, 'main', `${overlayPath(app)}/kustomization.yaml`)).toContain('newTag: v5')
    expect(await server.readFile(name, 'main', `${overlayPath(3)}/kustomization.yaml`)).toContain('newTag: v9')
  })

  describe('a later tip', () => {
    /** Reads app-3's overlay on the tip, lets `move` change the branch, then reads the new tip. */
    async function readAcross(name: string, move: () => Promise<unknown>) {
      const store = new GitStore({ url: server.repoUrl(name), token: server.token, branch: 'main' })
      try {
        const first = await store.head('main')
        await store.files(first!.commit).read(`${overlayPath(3)}/kustomization.yaml`)
        await move()
        const [requests, received] = [store.requests, store.received]
        const next = await store.head('main')
        const text = await store.files(next!.commit).read(`${overlayPath(3)}/kustomization.yaml`)
        return { text, requests: store.requests - requests, received: store.received - received }
      } finally {
        store.close()
      }
    }

    it('comes with the trees that changed in one request, not the whole tip', async () => {
      const name = await infraRepo()
      const { requests, received, text } = await readAcross(name, neighbourLands(name))
      // The ref, then the commit with root, deploy/ and app-12's three trees.
      expect(requests).toBe(2)
      expect(text).toContain('newTag: v0')
      // The whole tip's trees (60 apps, 4 trees each, no blobs) would be about ten times this.
      const whole = await readAcross(name, async () => undefined)
      expect(received).toBeLessThan(4096)
      expect(whole.requests).toBe(1)
    })

    it("is read the plain way when a writer's clock is far behind", async () => {
      const name = await infraRepo()
      const { requests, text } = await readAcross(name, async () => {
        const tip = await server.revParse(name, 'main')
        const old = { GIT_COMMITTER_DATE: '2001-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2001-01-01T00:00:00Z' }
        const commit = (await server.git(name, ['commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'made on a clock far behind'], '', old)).trim()
        await server.git(name, ['update-ref', 'refs/heads/main', commit, tip])
      })
      // The ref, the refused read of what changed (no commit that recent), then the commit alone.
      expect(requests).toBe(3)
      expect(text).toContain('newTag: v0')
    })
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
