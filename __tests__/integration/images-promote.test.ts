/**
 * Several images in one promotion, promoting what another environment runs (`from`), pull requests
 * closed once their base holds the promotion, and the job summary of a failed run: the committed
 * bundle (dist/) against the real git server, a real registry and kubectl, and the GitHub stand-in.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { promoteBranch } from '../../src/github/pr-content.js'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { REGISTRY, registryUp } from '../support/docker.js'
import { useGitHubStandIn } from '../support/github-suite.js'
import { pushTestImage } from '../support/registry-images.js'
import { requireService } from '../support/services.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const haveKubectl = haveGit && requireService('kubectl', () => execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' }) !== undefined)
const haveRegistry = haveGit && requireService(`a registry at ${REGISTRY}`, () => registryUp(REGISTRY))
const describeGit = haveGit ? describe : describe.skip

const API = 'acme/api'
const WORKER = 'acme/worker'
const DEV = 'deploy/shop/overlays/dev'
const PROD = 'deploy/shop/overlays/prod'
const MIGRATE = 'deploy/shop/jobs/migrate.yaml'

const overlay = (namespace: string, entries: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${namespace}
resources:
  - ../../base
images:
${entries}`

/** An app of two images (api and worker) with dev and prod overlays, and a job that runs the api image only. */
function shopInfra(api: string, worker: string, dev = '', prod = ''): Record<string, string> {
  const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: ${name}
          image: ${image}:latest
`
  return {
    'deploy/shop/base/kustomization.yaml': 'resources:\n  - api.yaml\n  - worker.yaml\n',
    'deploy/shop/base/api.yaml': deployment('api', api),
    'deploy/shop/base/worker.yaml': deployment('worker', worker),
    [`${DEV}/kustomization.yaml`]: overlay('shop-dev', dev || `  - name: ${api}\n    newTag: "1.0"\n  - name: ${worker}\n    newTag: "1.0"\n`),
    [`${PROD}/kustomization.yaml`]: overlay('shop-prod', prod || `  - name: ${api}\n    newTag: "0.9"\n  - name: ${worker}\n    newTag: "0.9"\n`),
    [MIGRATE]: `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ${api}:0.9
`,
  }
}

describeGit('several images, from, closing pull requests, failure summaries (dist)', () => {
  const suite = useGitHubStandIn()
  let repo = 0

  async function infraRepo(files: Record<string, string>): Promise<string> {
    const slug = `acme/shop-infra-${++repo}`
    await suite.server.createRepo(slug, files)
    await suite.server.git(slug, ['config', 'receive.denyNonFastForwards', 'false'])
    return slug
  }

  function promote(slug: string, inputs: Record<string, string>): Promise<ActionRun> {
    return runAction(
      { build: 'false', 'verify-image': 'false', 'infra-repo': slug, 'infra-token': suite.server.token, ...inputs },
      { entry: 'dist', env: { GITHUB_SERVER_URL: suite.server.url, GITHUB_API_URL: suite.api.url } },
    )
  }

  const errorsOf = (run: ActionRun) => run.log.split('\n').filter((line) => line.startsWith('::error'))

  function expectSuccess(run: ActionRun): void {
    expect({ exitCode: run.exitCode, errors: errorsOf(run), left: run.leftInTemp }).toEqual({ exitCode: 0, errors: [], left: [] })
    expect(run.log).not.toContain(suite.server.token)
  }

  function expectFailure(run: ActionRun, ...fragments: string[]): void {
    expect(run.exitCode).not.toBe(0)
    const errors = errorsOf(run)
    expect(errors).toHaveLength(1)
    for (const fragment of fragments) expect(errors[0]).toContain(fragment)
    expect(run.leftInTemp).toEqual([])
    expect(run.log).not.toContain(suite.server.token)
  }

  const describeKubectl = haveKubectl ? it : it.skip

  describeKubectl('lands two images in one commit, each in the targets that reference it, and it renders with both', async () => {
    const slug = await infraRepo(shopInfra(API, WORKER))
    const before = await suite.server.commitCount(slug, 'main')
    const run = await promote(slug, {
      images: `${API}:2.0\n# the worker is built by another job of the same workflow\n${WORKER}:3.1`,
      'overlay-path': PROD,
      targets: `manifest ${MIGRATE}`,
      validate: 'true',
    })
    expectSuccess(run)
    expect(await suite.server.commitCount(slug, 'main')).toBe(before + 1)
    const rendered = await suite.server.render(slug, 'main', PROD)
    expect(rendered).toContain(`image: ${API}:2.0`)
    expect(rendered).toContain(`image: ${WORKER}:3.1`)
    // The job runs the api only: the worker is not written there.
    expect(await suite.server.readFile(slug, 'main', MIGRATE)).toContain(`image: ${API}:2.0`)
    expect(await suite.server.readFile(slug, 'main', MIGRATE)).not.toContain(WORKER)
    const show = await suite.server.show(slug, 'main')
    expect(show).toContain(`promote ${API}:2.0, ${WORKER}:3.1 to`)
    expect(run.outputs).toMatchObject({ changed: 'true', 'image-ref': `${API}:2.0`, tag: '2.0' })
    expect(JSON.parse(run.outputs['images-json'])).toEqual([
      { image: API, 'image-ref': `${API}:2.0`, tag: '2.0', digest: '' },
      { image: WORKER, 'image-ref': `${WORKER}:3.1`, tag: '3.1', digest: '' },
    ])
    expect(run.summary).toContain('## Promoted 2 images into')

    // The same run again: nothing to do, nothing pushed.
    const again = await promote(slug, { images: `${API}:2.0\n${WORKER}:3.1`, 'overlay-path': PROD, targets: `manifest ${MIGRATE}` })
    expectSuccess(again)
    expect(again.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'up-to-date' })
    expect(await suite.server.commitCount(slug, 'main')).toBe(before + 1)
  })

  it('fails with nothing pushed when no target references an images line, or a target references none of them', async () => {
    const slug = await infraRepo(shopInfra(API, WORKER))
    const tip = await suite.server.revParse(slug, 'main')
    const ghost = await promote(slug, { images: `${API}:2.0\nacme/ghost:1.0`, 'overlay-path': PROD })
    expectFailure(ghost, "Input 'images'", 'no target references acme/ghost', 'Remove the line, or add a target that holds the image.')
    expect(ghost.summary).toContain('## Promotion failed')
    const stray = await promote(slug, { images: `${WORKER}:3.1\nacme/ghost:1.0`, targets: `manifest ${MIGRATE}`, 'overlay-path': PROD })
    expectFailure(stray, MIGRATE, 'references none of the images promoted (acme/worker, acme/ghost)')
    const built = await promote(slug, { images: `${API}:2.0\n${WORKER}:3.1`, 'overlay-path': PROD, build: 'true' })
    expectFailure(built, "Input 'build'", 'Set build: false')
    expect(await suite.server.revParse(slug, 'main')).toBe(tip)
  })

  const itRegistry = haveRegistry ? it : it.skip

  itRegistry('promotes what dev runs to prod with from, pinned by digest, checked in the registry; a re-run is a no-op', async () => {
    const stamp = Date.now().toString(36)
    const api = `${REGISTRY}/shop-${stamp}/api`
    const worker = `${REGISTRY}/shop-${stamp}/worker`
    const apiDigest = await pushTestImage(REGISTRY, api.slice(REGISTRY.length + 1), '2.0')
    const workerDigest = await pushTestImage(REGISTRY, worker.slice(REGISTRY.length + 1), '3.1')
    // Dev runs api by tag and digest, the worker by tag alone: its digest comes from the registry.
    const dev = `  - name: ${api}\n    newTag: "2.0"\n    digest: ${apiDigest}\n  - name: ${worker}\n    newTag: "3.1"\n`
    const slug = await infraRepo(shopInfra(api, worker, dev))
    const inputs = {
      images: `${api}\n${worker}`,
      from: `kustomize ${DEV}`,
      'overlay-path': PROD,
      pin: 'tag-and-digest',
      'verify-image': 'true',
      validate: haveKubectl ? 'true' : 'false',
    }
    const run = await promote(slug, inputs)
    expectSuccess(run)
    expect(run.outputs).toMatchObject({ changed: 'true', tag: '2.0', digest: apiDigest, 'image-ref': `${api}:2.0@${apiDigest}` })
    const prod = await suite.server.readFile(slug, 'main', `${PROD}/kustomization.yaml`)
    expect(prod).toContain(`  - name: ${api}\n    newTag: "2.0"\n    digest: ${apiDigest}\n`)
    expect(prod).toContain(`  - name: ${worker}\n    newTag: "3.1"\n    digest: ${workerDigest}\n`)
    const tip = await suite.server.revParse(slug, 'main')

    const again = await promote(slug, inputs)
    expectSuccess(again)
    expect(again.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'up-to-date' })
    expect(await suite.server.revParse(slug, 'main')).toBe(tip)
  })

  it('reads the tag from the from target at the tip it edits; a from target without the image is a clear error', async () => {
    const slug = await infraRepo(shopInfra(API, WORKER))
    const run = await promote(slug, { image: API, from: `kustomize ${DEV}`, 'overlay-path': PROD })
    expectSuccess(run)
    expect(run.outputs).toMatchObject({ changed: 'true', tag: '1.0', 'image-ref': `${API}:1.0` })
    expect(await suite.server.readFile(slug, 'main', `${PROD}/kustomization.yaml`)).toContain(
      `  - name: ${API}\n    newTag: "1.0"\n  - name: ${WORKER}\n    newTag: "0.9"\n`,
    )

    const tip = await suite.server.revParse(slug, 'main')
    const missing = await promote(slug, { image: 'acme/ghost', from: `kustomize ${DEV}`, 'overlay-path': PROD })
    expectFailure(missing, `${DEV}/kustomization.yaml`, `from (kustomize ${DEV}) does not reference acme/ghost`)
    expect(missing.summary).toContain(`Attempted: promote <code>acme/ghost</code> as <code>kustomize ${DEV}</code> runs it into <code>${slug}@main</code>.`)
    const tagged = await promote(slug, { image: API, tag: '2.0', from: `kustomize ${DEV}`, 'overlay-path': PROD })
    expectFailure(tagged, "Input 'tag': is set together with from")
    expect(await suite.server.revParse(slug, 'main')).toBe(tip)
  })

  it('closes the pull request, and deletes its branch, once the base holds its promotion; assigns it and fills the body template', async () => {
    const slug = await infraRepo(shopInfra(API, WORKER))
    const images = `${API}:2.0\n${WORKER}:3.1`
    const opened = await promote(slug, {
      images,
      'overlay-path': PROD,
      mode: 'pull-request',
      'pr-assignees': '@octocat, hubot',
      'pr-body': 'Promotes {image-ref} into {infra-branch}.\n\n{target-list}',
    })
    expectSuccess(opened)
    expect(opened.outputs['pull-request-operation']).toBe('created')
    const branch = promoteBranch([API, WORKER], [{ kind: 'kustomize', path: PROD }])
    const [pr] = suite.api.pullRequests(slug)
    expect(pr).toMatchObject({ state: 'open', head: branch, assignees: ['octocat', 'hubot'] })
    expect(pr.body).toBe(`Promotes ${API}:2.0, ${WORKER}:3.1 into main.\n\n- ${PROD}/kustomization.yaml`)

    // The same promotion lands on main another way (a push-mode run); the next run closes the pull request.
    expectSuccess(await promote(slug, { images, 'overlay-path': PROD }))
    const closed = await promote(slug, { images, 'overlay-path': PROD, mode: 'pull-request' })
    expectSuccess(closed)
    expect(closed.outputs).toMatchObject({
      changed: 'false',
      'skipped-reason': 'up-to-date',
      'pull-request-operation': 'closed',
      'pull-request-number': String(pr.number),
    })
    expect(suite.api.pullRequests(slug)[0].state).toBe('closed')
    await expect(suite.server.revParse(slug, branch)).rejects.toThrow()
    // Nothing left to close: a further run says nothing of pull requests.
    const quiet = await promote(slug, { images, 'overlay-path': PROD, mode: 'pull-request' })
    expectSuccess(quiet)
    expect(quiet.outputs['pull-request-operation']).toBe('')
  })

  it('writes a job summary when the run fails: what was attempted, the error, what to do', async () => {
    const slug = await infraRepo(shopInfra(API, WORKER))
    const bad = await promote(slug, { image: API, tag: 'v1', 'overlay-path': PROD, pin: 'sideways' })
    expectFailure(bad, "Input 'pin'")
    expect(bad.summary).toContain('## Promotion failed')
    expect(bad.summary).toContain('Attempted: reading the inputs; the promotion did not start.')
    expect(bad.summary).toContain("Input 'pin': 'sideways' is not one of tag, digest, tag-and-digest.")
    expect(bad.summary).toContain('Set pin to one of: tag, digest, tag-and-digest.')

    const missing = await promote(slug, { image: API, tag: 'v1', 'overlay-path': 'deploy/shop/overlays/staging' })
    expectFailure(missing, 'deploy/shop/overlays/staging')
    expect(missing.summary).toContain(`Attempted: promote <code>${API}:v1</code> into <code>${slug}@main</code>.`)
    expect(missing.summary).toMatch(/<th align="left">What to do<\/th><td>Check the overlay path/)
  })
})
