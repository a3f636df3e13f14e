/**
 * The ordering guard orders images, not runs: each promotion compares the image it promotes with the
 * image the target references now, by what the images themselves carry in a real registry (the source
 * commit time this action labels its builds with, else their build time), or by an old record in the
 * infra repository. And nothing the action writes is read by a GitOps tool: an Argo CD-style walk of
 * the tree after promotions of every target kind finds only the user's files.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { parseAllDocuments } from 'yaml'
import { COMMITTED_LABEL } from '../../src/image/identity.js'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { REGISTRY, registryUp } from '../support/docker.js'
import { useGitHubStandIn } from '../support/github-suite.js'
import { pushTestImage } from '../support/registry-images.js'
import { requireService } from '../support/services.js'

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const haveRegistry = haveGit && requireService(`a registry at ${REGISTRY}`, () => registryUp(REGISTRY))
const describeBoth = haveRegistry ? describe : describe.skip

const SLOW = 120_000
const OVERLAY = 'deploy/web/overlays/prod'
const KUSTOMIZATION = `${OVERLAY}/kustomization.yaml`
const SOURCE = 'https://github.com/acme/web'

/** One build of the app: its source commit and times, as its image labels say. */
interface Build {
  readonly tag: string
  readonly commit: string
  readonly committed?: string
  readonly created: string
  readonly source?: string
  /** false: an image built elsewhere, with no labels (only the config's `created`). */
  readonly labelled?: boolean
}

const at = (hour: number, minute = 0) => new Date(Date.UTC(2026, 0, 5, hour, minute)).toISOString()
const BUILDS = {
  first: { tag: 'c1', commit: '1'.repeat(40), committed: at(10), created: at(10, 10) },
  second: { tag: 'c2', commit: '2'.repeat(40), committed: at(11), created: at(11, 10) },
  // A re-run of the first commit's workflow, long after: built late, from the old commit.
  rerun: { tag: 'c1-rerun', commit: '1'.repeat(40), committed: at(10), created: at(12) },
  // Built from another repository's older commit.
  elsewhere: { tag: 'fork-9', commit: '9'.repeat(40), committed: at(9), created: at(12, 30), source: 'https://github.com/acme/web-fork' },
  third: { tag: 'c3', commit: '3'.repeat(40), committed: at(13), created: at(13, 10) },
  // Images without labels, ordered by their build time.
  plainOld: { tag: 'plain-old', commit: '', created: at(8), labelled: false },
  plainNew: { tag: 'plain-new', commit: '', created: at(14), labelled: false },
} satisfies Record<string, Build>

describeBoth('ordering by the image', () => {
  const suite = useGitHubStandIn()
  let repo = 0

  /** A fresh infra repo and image repository; every build pushed to the registry. */
  async function setup(extra: (image: string) => Record<string, string> = () => ({})): Promise<{ slug: string; image: string }> {
    const n = ++repo
    const image = `${REGISTRY}/ordering-${Date.now().toString(36)}-${n}/web`
    const path = image.slice(REGISTRY.length + 1)
    for (const build of Object.values(BUILDS) as Build[]) {
      const labels =
        build.labelled === false
          ? {}
          : {
              'org.opencontainers.image.source': build.source ?? SOURCE,
              'org.opencontainers.image.revision': build.commit,
              'org.opencontainers.image.created': build.created,
              ...(build.committed ? { [COMMITTED_LABEL]: build.committed } : {}),
            }
      await pushTestImage(REGISTRY, path, build.tag, { labels, created: build.created })
    }
    const slug = `acme/infra-order-${n}`
    await suite.server.createRepo(slug, { ...infraFiles(image), ...extra(image) })
    await suite.server.git(slug, ['config', 'receive.denyNonFastForwards', 'false'])
    return { slug, image }
  }

  function promote(slug: string, image: string, tag: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
    return runAction(
      {
        image,
        tag,
        build: 'false',
        'infra-repo': slug,
        'infra-token': suite.server.token,
        'overlay-path': OVERLAY,
        validate: 'false',
        ...inputs,
      },
      { entry: 'src', env: { GITHUB_SERVER_URL: suite.server.url, GITHUB_API_URL: suite.api.url, GITHUB_REPOSITORY: 'acme/web', ...env } },
    )
  }

  const errorsOf = (run: ActionRun) => run.log.split('\n').filter((line) => line.startsWith('::error'))

  function expectLanded(run: ActionRun): void {
    expect({ exitCode: run.exitCode, errors: errorsOf(run), changed: run.outputs.changed }).toEqual({ exitCode: 0, errors: [], changed: 'true' })
  }

  async function expectStale(slug: string, run: ActionRun, holds: string): Promise<void> {
    expect({ exitCode: run.exitCode, errors: errorsOf(run) }).toEqual({ exitCode: 0, errors: [] })
    expect(run.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'stale', 'commit-sha': '' })
    expect(run.log).toMatch(/::notice.*already references the newer image .*:.*left alone/)
    expect(await suite.server.readFile(slug, 'main', KUSTOMIZATION)).toContain(`newTag: ${holds}`)
  }

  it(
    'a forward promotion lands; a manual dispatch of an older existing tag is stale, and lands with allow-downgrade',
    async () => {
      const { slug, image } = await setup()
      expectLanded(await promote(slug, image, BUILDS.first.tag))
      expectLanded(await promote(slug, image, BUILDS.second.tag))
      const tip = await suite.server.revParse(slug, 'main')

      // Scenario 4: workflow_dispatch from the app repo's current head, promoting an older tag.
      const dispatch = { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_SHA: BUILDS.second.commit, GITHUB_RUN_NUMBER: '99' }
      await expectStale(slug, await promote(slug, image, BUILDS.first.tag, {}, dispatch), BUILDS.second.tag)
      expect(await suite.server.revParse(slug, 'main')).toBe(tip)

      const rollback = await promote(slug, image, BUILDS.first.tag, { 'allow-downgrade': 'true' }, dispatch)
      expectLanded(rollback)
      expect(await suite.server.readFile(slug, 'main', KUSTOMIZATION)).toContain(`newTag: ${BUILDS.first.tag}`)
    },
    SLOW,
  )

  it(
    'a late re-run of an old commit, and an older build from another repository, are stale',
    async () => {
      const { slug, image } = await setup()
      expectLanded(await promote(slug, image, BUILDS.second.tag))
      await expectStale(slug, await promote(slug, image, BUILDS.rerun.tag, {}, { GITHUB_RUN_ATTEMPT: '2', GITHUB_RUN_NUMBER: '500' }), BUILDS.second.tag)
      await expectStale(slug, await promote(slug, image, BUILDS.elsewhere.tag, {}, { GITHUB_REPOSITORY: 'acme/web-fork' }), BUILDS.second.tag)
      expectLanded(await promote(slug, image, BUILDS.third.tag))
    },
    SLOW,
  )

  it(
    'images without the commit-time label are ordered by when they were built',
    async () => {
      const { slug, image } = await setup()
      expectLanded(await promote(slug, image, BUILDS.plainNew.tag))
      await expectStale(slug, await promote(slug, image, BUILDS.plainOld.tag), BUILDS.plainNew.tag)
    },
    SLOW,
  )

  it(
    'when the order cannot be known it says so in a notice and promotes',
    async () => {
      const { slug, image } = await setup()
      expectLanded(await promote(slug, image, BUILDS.second.tag))
      const blind = await promote(slug, image, BUILDS.first.tag, { 'verify-image': 'false' })
      expectLanded(blind)
      expect(blind.log).toMatch(/::notice::.*whether the promoted image is newer than .*:c2, which it replaces, is unknown \(verify-image is false/)
    },
    SLOW,
  )

  it(
    'concurrent promotions of builds of one app end with the newest, whatever order they land in',
    async () => {
      const { slug, image } = await setup()
      const runs = await Promise.all([BUILDS.first, BUILDS.third, BUILDS.second].map((b) => promote(slug, image, b.tag)))
      expect(runs.map((r) => [r.exitCode, errorsOf(r)])).toEqual([
        [0, []],
        [0, []],
        [0, []],
      ])
      expect(runs.every((r) => r.outputs.changed === 'true' || r.outputs['skipped-reason'] === 'stale')).toBe(true)
      expect(await suite.server.readFile(slug, 'main', KUSTOMIZATION)).toContain(`newTag: ${BUILDS.third.tag}`)
    },
    SLOW,
  )

  it(
    'a repository with records of earlier versions keeps their order, and each record goes when its file is promoted',
    async () => {
      // The v0 image is not in the registry: only the old record knows it came from a commit at 10:30.
      const record = (image: string) =>
        JSON.stringify({ [image]: { commit: 'a'.repeat(40), commitTime: at(10, 30), ref: `${image}:v0`, repository: 'acme/web', runAttempt: 1, runNumber: 7 } })
      const { slug, image } = await setup((name) => ({
        [`.gitops-promote/${KUSTOMIZATION}.json`]: record(name),
        '.gitops-promote/charts/web/values.yaml.json': record(name),
      }))
      await expectStale(slug, await promote(slug, image, BUILDS.first.tag), 'v0')
      const forward = await promote(slug, image, BUILDS.second.tag)
      expectLanded(forward)
      const files = (await suite.server.git(slug, ['ls-tree', '-r', '--name-only', 'main'])).trim().split('\n')
      expect(files).not.toContain(`.gitops-promote/${KUSTOMIZATION}.json`)
      // The other file's record stays until that file is promoted.
      expect(files).toContain('.gitops-promote/charts/web/values.yaml.json')
      expectLanded(await promote(slug, image, BUILDS.second.tag, { 'overlay-path': '', targets: 'yaml charts/web/values.yaml image.tag' }))
      expect((await suite.server.git(slug, ['ls-tree', '-r', '--name-only', 'main'])).split('\n').filter((f) => f.startsWith('.gitops-promote'))).toEqual([])
    },
    SLOW,
  )

  it(
    'in pull-request mode an older image leaves the newer pull request alone',
    async () => {
      const { slug, image } = await setup()
      await suite.server.setHook(slug, 'update', PROTECT_MAIN)
      const pr = { mode: 'pull-request' }
      expectLanded(await promote(slug, image, BUILDS.second.tag, pr))
      const late = await promote(slug, image, BUILDS.first.tag, pr)
      expect(late.outputs).toMatchObject({ changed: 'false', 'skipped-reason': 'stale', 'pull-request-number': '' })
      expect(late.log).toContain(`already references the newer image ${image}:${BUILDS.second.tag}`)
    },
    SLOW,
  )

  it(
    'after promotions into every kind of target, an Argo CD-style walk of the tree finds only the user files and Kubernetes objects',
    async () => {
      const { slug, image } = await setup()
      const before = (await suite.server.git(slug, ['ls-tree', '-r', '--name-only', 'main'])).trim().split('\n')
      const targets = [
        `kustomize ${OVERLAY}`,
        'yaml charts/web/values.yaml image.tag',
        'flux clusters/prod/web.yaml',
        'manifest manifests/web/deployment.yaml',
      ].join('\n')
      for (const build of [BUILDS.first, BUILDS.second]) expectLanded(await promote(slug, image, build.tag, { 'overlay-path': '', targets }))
      expectLanded(await promote(slug, image, BUILDS.third.tag, { 'overlay-path': '', targets, mode: 'pull-request' }))

      for (const ref of ['main', (await suite.server.git(slug, ['for-each-ref', '--format=%(refname)', 'refs/heads/promote/'])).trim()]) {
        const after = (await suite.server.git(slug, ['ls-tree', '-r', '--name-only', ref])).trim().split('\n')
        expect(after).toEqual(before)
        // What a directory app with recurse: true loads: every .yaml, .yml and .json file, dotfiles included.
        for (const file of after.filter((f) => /\.(ya?ml|json)$/.test(f))) {
          const text = await suite.server.readFile(slug, ref, file)
          const documents = parseAllDocuments(text)
          const objects = (Array.isArray(documents) ? documents : [documents]).map((d) => d.toJS() as Record<string, unknown> | null)
          // The one user file that is not a Kubernetes object: a chart's values.
          if (file === 'charts/web/values.yaml') continue
          for (const object of objects) expect([file, typeof object?.apiVersion, typeof object?.kind]).toEqual([file, 'string', 'string'])
        }
      }
    },
    SLOW,
  )
})

/** Only the action's own branches may be force-pushed, as GitHub's branch protection would have it. */
const PROTECT_MAIN = `#!/bin/sh
[ "$1" = refs/heads/main ] || exit 0
zero=0000000000000000000000000000000000000000
[ "$2" = "$zero" ] || [ "$(git merge-base "$2" "$3")" = "$2" ] || { echo "protected branch: no force push to main" >&2; exit 1; }
`

function infraFiles(image: string): Record<string, string> {
  return {
    'README.md': '# infra\n',
    'deploy/web/base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n',
    'deploy/web/base/deployment.yaml': deployment(`${image}:latest`),
    [KUSTOMIZATION]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ${image}
    newTag: v0
`,
    'charts/web/values.yaml': `image:\n  repository: ${image}\n  tag: v0\n`,
    'clusters/prod/web.yaml': deployment(`${image}:v0 # {"$imagepolicy": "flux-system:web"}`),
    'manifests/web/deployment.yaml': deployment(`${image}:v0`),
  }
}

function deployment(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image}
`
}
