/** Table-driven before/after (exact bytes) for the YAML key path, Flux setter and manifest targets. */
import { describe, expect, it } from '@jest/globals'
import { TargetError } from '../../src/errors.js'
import { planEdits, type RepoFiles } from '../../src/edit/plan.js'
import { parseTargets } from '../../src/edit/targets.js'
import type { DesiredImage } from '../../src/edit/types.js'
import { HELM_RELEASE, VALUES_PROD } from '../support/fixtures.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

const memoryFiles = (files: Record<string, string>): RepoFiles => ({ read: async (path) => files[path] })

/** Applies one `targets` line to `before` (as file f.yaml) and returns the new text. */
async function apply(line: string, before: string, desired: DesiredImage): Promise<string> {
  const plan = await planEdits(memoryFiles({ 'f.yaml': before }), parseTargets(line, 'targets'), desired)
  return plan.files[0]?.after ?? before
}

interface Case {
  readonly title: string
  readonly target: string
  readonly desired: DesiredImage
  readonly before: string
  readonly after: string
}

// Seed 002: CDK8s output, several documents.
const CDK8S = `apiVersion: v1
kind: Service
metadata:
  name: app-service
spec:
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-deployment
spec:
  template:
    spec:
      initContainers:
        - image: ghcr.io/kup6s/app:v1
          name: migrate
      containers:
        - image: ghcr.io/kup6s/app:v1
          name: app
        - image: envoyproxy/envoy:v1.31.0
          name: proxy
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: app-report
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - image: "ghcr.io/kup6s/app@sha256:${'0'.repeat(64)}"
              name: report
`

const cases: Case[] = [
  {
    title: 'yaml: Helm values image.tag (seed 004)',
    target: 'yaml f.yaml image.tag',
    desired: { name: 'registry.example.com/web-api', tag: 'def456a' },
    before: VALUES_PROD,
    after: VALUES_PROD.replace('tag: abc123f   #', 'tag: def456a   #'),
  },
  {
    title: 'yaml: a numeric tag is quoted',
    target: 'yaml f.yaml image.tag',
    desired: { name: 'registry.example.com/web-api', tag: '20240101' },
    before: VALUES_PROD,
    after: VALUES_PROD.replace('tag: abc123f   #', 'tag: "20240101"   #'),
  },
  {
    title: 'yaml: image.repository and image.tag in one go',
    target: 'yaml f.yaml image.repository\nyaml f.yaml image.tag',
    desired: { name: 'ghcr.io/org/web-api', tag: 'v2' },
    before: VALUES_PROD,
    after: VALUES_PROD.replace('registry.example.com/web-api', 'ghcr.io/org/web-api').replace('tag: abc123f', 'tag: v2'),
  },
  {
    title: 'yaml: image.digest',
    target: 'yaml f.yaml image.digest',
    desired: { name: 'app', digest: DIGEST },
    before: 'image:\n  repository: app\n  digest: ""\n',
    after: `image:\n  repository: app\n  digest: "${DIGEST}"\n`,
  },
  {
    title: 'yaml: a whole repository:tag string at a list index',
    target: 'yaml f.yaml sidecars[1].image',
    desired: { name: 'ghcr.io/org/agent', tag: '2.0' },
    before: 'sidecars:\n  - image: busybox:1\n  - image: ghcr.io/org/agent:1.0 # agent\n',
    after: 'sidecars:\n  - image: busybox:1\n  - image: ghcr.io/org/agent:2.0 # agent\n',
  },
  {
    title: 'yaml: a quoted dotted key',
    target: 'yaml f.yaml metadata.annotations."example.com/image"',
    desired: { name: 'app', tag: 'v2' },
    before: 'metadata:\n  annotations:\n    example.com/image: app:v1\n',
    after: 'metadata:\n  annotations:\n    example.com/image: app:v2\n',
  },
  {
    title: 'yaml: HelmRelease spec.values.image.tag in a CRLF file',
    target: 'yaml f.yaml spec.values.image.tag',
    desired: { name: 'ghcr.io/dine-together/app', tag: 'sha-def456' },
    before: HELM_RELEASE.replace(/\n/g, '\r\n'),
    after: HELM_RELEASE.replace('sha-abc123', 'sha-def456').replace(/\n/g, '\r\n'),
  },
  {
    title: 'flux: the :tag marker of the seed 003 HelmRelease, by policy',
    target: 'flux f.yaml flux-system:app',
    desired: { name: 'ghcr.io/dine-together/app', tag: 'sha-def456' },
    before: HELM_RELEASE,
    after: HELM_RELEASE.replace('sha-abc123', 'sha-def456'),
  },
  {
    title: 'flux: markers naming this image, without a policy; other policies untouched',
    target: 'flux f.yaml',
    desired: { name: 'ghcr.io/org/app', tag: 'v2', digest: DIGEST },
    before: `spec:
  containers:
    - image: ghcr.io/org/app:v1 # {"$imagepolicy": "flux-system:app"}
    - image: ghcr.io/org/other:v1 # {"$imagepolicy": "flux-system:other"}
values:
  app:
    repository: ghcr.io/org/app # {"$imagepolicy": "flux-system:app:name"}
    tag: v1 # {"$imagepolicy": "flux-system:app:tag"}
    digest: "" # {"$imagepolicy": "flux-system:app:digest"}
`,
    after: `spec:
  containers:
    - image: ghcr.io/org/app:v2@${DIGEST} # {"$imagepolicy": "flux-system:app"}
    - image: ghcr.io/org/other:v1 # {"$imagepolicy": "flux-system:other"}
values:
  app:
    repository: ghcr.io/org/app # {"$imagepolicy": "flux-system:app:name"}
    tag: v2 # {"$imagepolicy": "flux-system:app:tag"}
    digest: "${DIGEST}" # {"$imagepolicy": "flux-system:app:digest"}
`,
  },
  {
    title: 'flux: a :tag marker found through the repository beside it',
    target: 'flux f.yaml',
    desired: { name: 'ghcr.io/dine-together/app', tag: '1e3' },
    before: HELM_RELEASE,
    after: HELM_RELEASE.replace('sha-abc123', '"1e3"'),
  },
  {
    title: 'manifest: every matching container at any depth, others untouched (seed 002)',
    target: 'manifest f.yaml',
    desired: { name: 'ghcr.io/kup6s/app', tag: 'v2' },
    before: CDK8S,
    after: CDK8S.replace(/ghcr\.io\/kup6s\/app:v1/g, 'ghcr.io/kup6s/app:v2').replace(`"ghcr.io/kup6s/app@sha256:${'0'.repeat(64)}"`, '"ghcr.io/kup6s/app:v2"'),
  },
  {
    title: 'manifest: a custom resource with a pod template, flow style',
    target: 'manifest f.yaml',
    desired: { name: 'nginx', digest: DIGEST },
    before: 'kind: Thing\nspec: {template: {spec: {containers: [{name: web, image: "docker.io/library/nginx:1.25"}]}}}',
    after: `kind: Thing\nspec: {template: {spec: {containers: [{name: web, image: "nginx@${DIGEST}"}]}}}`,
  },
]

describe('target kinds', () => {
  it.each(cases)('$title', async ({ target, desired, before, after }) => {
    const edited = await apply(target, before, desired)
    expect(edited).toBe(after)
    expect(await apply(target, edited, desired)).toBe(after)
  })

  it.each([
    [
      'yaml f.yaml image.tga',
      VALUES_PROD,
      { name: 'registry.example.com/web-api', tag: 'x' },
      /has no key image.tga: image has keys 'repository', 'tag', 'pullPolicy' \(did you mean 'tag'\?\)/,
      5,
    ],
    [
      'yaml f.yaml image.tag',
      VALUES_PROD,
      { name: 'ghcr.io/other/app', tag: 'x' },
      /image.tag sits beside image.repository: 'registry.example.com\/web-api', which is not ghcr.io\/other\/app/,
      5,
    ],
    ['yaml f.yaml image.tag', VALUES_PROD, { name: 'registry.example.com/web-api', digest: DIGEST }, /pin: digest promotes no tag/, 6],
    ['yaml f.yaml image', VALUES_PROD, { name: 'registry.example.com/web-api', tag: 'x' }, /image is a mapping/, 5],
    ['yaml f.yaml list[3]', 'list: [a]\n', { name: 'a', tag: 'x' }, /has no list\[3\]: list is a list of 1/, 1],
    [
      'flux f.yaml flux-system:ap',
      HELM_RELEASE,
      { name: 'ghcr.io/dine-together/app', tag: 'x' },
      /no setter marker names the policy flux-system:ap: the markers name 'flux-system:app' \(did you mean 'flux-system:app'\?\)/,
      17,
    ],
    ['flux f.yaml', HELM_RELEASE, { name: 'ghcr.io/dine-together/api', tag: 'x' }, /no setter marker's field holds the image ghcr.io\/dine-together\/api/, 17],
    ['flux f.yaml', VALUES_PROD, { name: 'x', tag: 'x' }, /has no Flux setter markers/, undefined],
    [
      'manifest f.yaml',
      CDK8S,
      { name: 'ghcr.io/kup6s/ap', tag: 'x' },
      /no container uses the image ghcr.io\/kup6s\/ap: the containers use .*\(did you mean 'ghcr.io\/kup6s\/app'\?\)/,
      18,
    ],
    ['manifest f.yaml', VALUES_PROD, { name: 'x', tag: 'x' }, /holds no containers/, undefined],
  ])('%s fails with a pointed TargetError (%#)', async (line, text, desired, message, errorLine) => {
    const error = await apply(line, text, desired as DesiredImage).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TargetError)
    expect((error as TargetError).message).toMatch(message)
    expect((error as TargetError).line).toBe(errorLine)
  })
})
