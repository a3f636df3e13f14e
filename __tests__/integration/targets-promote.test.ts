/**
 * The other target kinds end to end through the action: seed 004's Helm values files and seed 003's
 * Flux HelmRelease setter marker, exact bytes after the push; an image the files do not hold fails
 * naming the file and what it does hold, with nothing pushed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { runAction } from '../support/action-runner.js'
import { HELM_RELEASE, VALUES_PROD } from '../support/fixtures.js'
import { startGitServer, type GitServer } from '../support/git-server.js'
import { requireService } from '../support/services.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const TAG = '9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d'
const VALUES_DEV = VALUES_PROD.replace('replicaCount: 4', 'replicaCount: 1')

;(haveGit ? describe : describe.skip)('promote into Helm values and Flux setter markers', () => {
  let server: GitServer
  let repos = 0
  beforeAll(async () => {
    server = await startGitServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  async function promote(files: Record<string, string>, inputs: Record<string, string>) {
    const name = `targets-${++repos}`
    await server.createRepo(name, files)
    const tip = await server.revParse(name, 'main')
    const run = await runAction({
      tag: TAG,
      build: 'false',
      'verify-image': 'false',
      'infra-repo': server.repoUrl(name),
      'infra-token': server.token,
      ...inputs,
    })
    return { name, tip, run }
  }

  it('seed 004: image.tag of values-dev.yaml and values-prod.yaml in one commit, nothing else touched', async () => {
    const { name, tip, run } = await promote(
      { 'apps/web-api/values-dev.yaml': VALUES_DEV, 'apps/web-api/values-prod.yaml': VALUES_PROD, 'apps/web-api/Chart.yaml': 'name: web-api\n' },
      { image: 'registry.example.com/web-api', targets: 'yaml apps/web-api/values-dev.yaml image.tag\nyaml apps/web-api/values-prod.yaml image.tag' },
    )
    expect(run.exitCode).toBe(0)
    expect(await server.readFile(name, 'main', 'apps/web-api/values-prod.yaml')).toBe(VALUES_PROD.replace('tag: abc123f   #', `tag: ${TAG}   #`))
    expect(await server.readFile(name, 'main', 'apps/web-api/values-dev.yaml')).toBe(VALUES_DEV.replace('tag: abc123f   #', `tag: ${TAG}   #`))
    const [commit] = await server.log(name, 'main')
    expect(commit?.parents).toEqual([tip])
  })

  it('seed 003: the HelmRelease tag behind the Flux setter marker', async () => {
    const { name, run } = await promote(
      { 'apps/staging/app/helmrelease.yaml': HELM_RELEASE },
      { image: 'ghcr.io/dine-together/app', tag: `sha-${TAG}`, targets: 'flux apps/staging/app/helmrelease.yaml flux-system:app' },
    )
    expect(run.exitCode).toBe(0)
    expect(await server.readFile(name, 'main', 'apps/staging/app/helmrelease.yaml')).toBe(HELM_RELEASE.replace('tag: sha-abc123 #', `tag: sha-${TAG} #`))
  })

  it('an image the values file does not hold: one error naming the file and the image it holds; nothing pushed', async () => {
    const { name, tip, run } = await promote(
      { 'apps/web-api/values-prod.yaml': VALUES_PROD },
      { image: 'registry.example.com/web-apj', targets: 'yaml apps/web-api/values-prod.yaml image.tag' },
    )
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('apps/web-api/values-prod.yaml')
    expect(errors[0]).toContain('registry.example.com/web-api')
    expect(await server.revParse(name, 'main')).toBe(tip)
  })
})
