/**
 * `commit-via: api` end to end: the action (sources through tsx) commits through the Git Data API of
 * the GitHub stand-in — no clone — whose ref update is a real compare-and-swap on the bare repository
 * and whose every request and response is checked against GitHub's OpenAPI description.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { expectOneError, useGitHubStandIn } from '../support/github-suite.js'
import { requireService } from '../support/services.js'

const DEPLOY = 'deploy'
const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

/** One app per concurrent pipeline, each with its own overlay in the same infra repository. */
function appsInfra(apps: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    apps.map((app) => [
      `${DEPLOY}/${app}/kustomization.yaml`,
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: acme/${app}\n    newTag: "0.1.0"\n`,
    ]),
  )
}

describeGit('promotion through the GitHub API', () => {
  const suite = useGitHubStandIn()
  let repo = 0

  function promote(slug: string, inputs: Record<string, string>): Promise<ActionRun> {
    return runAction(
      { build: 'false', 'verify-image': 'false', validate: 'false', 'infra-repo': slug, 'infra-token': suite.server.token, 'commit-via': 'api', ...inputs },
      { entry: 'src', env: { GITHUB_SERVER_URL: 'https://github.example.com', GITHUB_API_URL: suite.api.url, GITHUB_SHA: inputs.tag ?? 'abc1234' } },
    )
  }

  it('lands N concurrent promotions with no lost update, retrying the refused ref updates', async () => {
    const apps = Array.from({ length: 8 }, (_, i) => `app-${i + 1}`)
    const slug = `acme/infra-${++repo}`
    await suite.server.createRepo(slug, appsInfra(apps))
    const before = await suite.server.revParse(slug, 'main')
    const start = suite.api.requests.length
    const runs = await Promise.all(apps.map((app, i) => promote(slug, { image: `acme/${app}`, tag: `1.0.${i}`, 'overlay-path': `${DEPLOY}/${app}` })))
    for (const run of runs) {
      expect(run.log).not.toContain(suite.server.token)
      expect([run.exitCode, run.log.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []])
      expect(run.outputs.changed).toBe('true')
    }
    // Every promotion is on main, each commit on the one before: nothing lost, nothing reverted.
    for (const [i, app] of apps.entries()) {
      expect(await suite.server.readFile(slug, 'main', `${DEPLOY}/${app}/kustomization.yaml`)).toContain(`newTag: "1.0.${i}"`)
    }
    const log = await suite.server.log(slug, 'main')
    expect(log).toHaveLength(apps.length + 1)
    expect(log[log.length - 1].sha).toBe(before)
    expect(new Set(runs.map((r) => r.outputs['commit-sha']))).toEqual(new Set(log.slice(0, -1).map((c) => c.sha)))
    const updates = suite.api.requests.slice(start).filter((r) => r.method === 'PATCH' && r.route === '/repos/{owner}/{repo}/git/refs/{ref}')
    expect(updates.every((u) => u.body.force === false)).toBe(true)
    const refused = updates.filter((u) => u.status === 422).length
    expect(updates.filter((u) => u.status === 200)).toHaveLength(apps.length)
    expect(runs.reduce((sum, r) => sum + Number(r.outputs.attempts), 0)).toBe(apps.length + refused)
    console.info(`${apps.length} concurrent API promotions: ${refused} ref updates refused as not fast-forward and retried`)
  }, 180_000) // eight runners at once, each backing off while it loses races

  it('commits with the author given, as GitHub commits that it signs, and is idempotent', async () => {
    const slug = `acme/infra-${++repo}`
    await suite.server.createRepo(slug, seed000Infra())
    const inputs = {
      image: NOTE_BOOK_IMAGE,
      tag: '2.0.0',
      'overlay-path': 'deploy/note-book/overlays/prod',
      'git-user-name': 'Promoter',
      'git-user-email': 'promoter@example.com',
    }
    const first = await promote(slug, inputs)
    expect(first.exitCode).toBe(0)
    expect(first.outputs).toMatchObject({
      changed: 'true',
      attempts: '1',
      'commit-url': `https://github.example.com/${slug}/commit/${first.outputs['commit-sha']}`,
    })
    const author = await suite.server.git(slug, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', 'main'])
    expect(author.trim()).toBe('Promoter <promoter@example.com>|GitHub <noreply@github.com>')
    const second = await promote(slug, inputs)
    expect(second.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'up-to-date' })
    expect(await suite.server.commitCount(slug, 'main')).toBe(2)
  })

  it('fails with one clear error naming infra-token and the permission when GitHub answers 403', async () => {
    const slug = `acme/infra-${++repo}`
    await suite.server.createRepo(slug, seed000Infra())
    suite.api.deny('POST', '/repos/{owner}/{repo}/git/blobs', 1)
    const run = await promote(slug, { image: NOTE_BOOK_IMAGE, tag: '2.0.0', 'overlay-path': 'deploy/note-book/overlays/prod' })
    expectOneError(run, suite.server.token, "Input 'infra-token'", 'Contents: read and write')
    expect(await suite.server.commitCount(slug, 'main')).toBe(1)
  })
})
