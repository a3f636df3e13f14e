import { describe, expect, it } from '@jest/globals'
import { tmpdir } from 'node:os'
import { parsePromotedImages } from '../../src/docker/settings.js'
import type { RepoFiles } from '../../src/edit/plan.js'
import { referencedImage } from '../../src/edit/references.js'
import { parseEditSettings } from '../../src/edit/settings.js'
import { parseTargets } from '../../src/edit/targets.js'
import { InputError, TargetError } from '../../src/errors.js'
import { promoteBranch } from '../../src/github/pr-content.js'
import { imagesFrom } from '../../src/images.js'
import type { IdentityLookup } from '../../src/image/identity.js'
import { recordInputs } from '../../src/inputs.js'
import { OrderGuard } from '../../src/order/guard.js'
import { planPromotion } from '../../src/promotion.js'
import { publish } from '../../src/publish/publisher.js'
import { renderFailureSummary } from '../../src/report/summary.js'
import { readSourceContext } from '../../src/source.js'
import { MemoryStore } from '../support/memory-store.js'

const memoryFiles = (files: Record<string, string>): RepoFiles => ({ read: async (path) => files[path] })
const ENV = { GITHUB_SHA: 'a'.repeat(40) }
const DIGEST = `sha256:${'1'.repeat(64)}`

const OVERLAY = 'apps/shop/kustomization.yaml'
const files = {
  [OVERLAY]: 'images:\n  - name: acme/api\n    newTag: "1"\n  - name: acme/worker\n    newTag: "1"\n',
  'apps/shop/job.yaml': 'spec:\n  containers:\n    - name: migrate\n      image: acme/api:1\n',
  'apps/shop/values.yaml': 'api:\n  repository: acme/api\n  tag: "1"\nshared:\n  tag: "1"\n',
}

const images = (...refs: [string, string][]) => refs.map(([name, tag]) => ({ desired: { name, tag } }))

function thrown(action: () => unknown): Error {
  try {
    action()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

async function rejected(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: Error) => error,
  )
}

describe('several images in one promotion', () => {
  it('edits each target to the images it references, in one plan', async () => {
    const plan = await planPromotion(memoryFiles(files), {
      targets: parseTargets(`kustomize apps/shop\nmanifest apps/shop/job.yaml\nyaml apps/shop/values.yaml api.tag`, 'targets'),
      images: images(['acme/api', '2'], ['acme/worker', '3']),
    })
    expect(Object.fromEntries(plan.files.map((f) => [f.path, f.after]))).toEqual({
      [OVERLAY]: 'images:\n  - name: acme/api\n    newTag: "2"\n  - name: acme/worker\n    newTag: "3"\n',
      'apps/shop/job.yaml': files['apps/shop/job.yaml'].replace('acme/api:1', 'acme/api:2'),
      'apps/shop/values.yaml': files['apps/shop/values.yaml'].replace('tag: "1"\nshared', 'tag: "2"\nshared'),
    })
    expect(plan.changes.map((c) => `${c.file}:${c.line} ${c.before} → ${c.after}`)).toEqual([
      `${OVERLAY}:3 1 → 2`,
      `${OVERLAY}:5 1 → 3`,
      'apps/shop/job.yaml:4 acme/api:1 → acme/api:2',
      'apps/shop/values.yaml:3 1 → 2',
    ])
  })

  it('refuses a target no image references, an image no target references, and a field two images claim', async () => {
    const promote = (targets: string, ...refs: [string, string][]) =>
      rejected(planPromotion(memoryFiles(files), { targets: parseTargets(targets, 'targets'), images: images(...refs) }))
    const stray = await promote('manifest apps/shop/job.yaml\nkustomize apps/shop', ['acme/worker', '3'], ['acme/other', '1'])
    expect(stray).toBeInstanceOf(TargetError)
    expect(stray.message).toContain('apps/shop/job.yaml: references none of the images promoted (acme/worker, acme/other)')
    const unused = await promote('kustomize apps/shop', ['acme/api', '2'], ['acme/ghost', '1'])
    expect(unused).toBeInstanceOf(InputError)
    expect(unused.message).toBe("Input 'images': no target references acme/ghost (the targets: kustomize apps/shop).")
    const shared = await promote('kustomize apps/shop\nyaml apps/shop/values.yaml shared.tag', ['acme/api', '2'], ['acme/worker', '3'])
    expect(shared.message).toContain('apps/shop/values.yaml:5: holds one value that several images match')
  })

  it('judges each image on its own: a newer image in a target leaves that image alone there, not the others', async () => {
    const ordered: IdentityLookup = async (image) => ({ committed: image.tag === '1' ? '2026-01-01T00:00:00Z' : '2026-03-01T00:00:00Z' })
    const plan = await planPromotion(memoryFiles(files), {
      targets: parseTargets('kustomize apps/shop', 'targets'),
      images: [
        { desired: { name: 'acme/api', tag: '2' }, guard: new OrderGuard({ committed: '2026-02-01T00:00:00Z' }, ordered) },
        { desired: { name: 'acme/worker', tag: '0' }, guard: new OrderGuard({ committed: '2025-12-01T00:00:00Z' }, ordered) },
      ],
    })
    expect(plan.files[0].after).toBe('images:\n  - name: acme/api\n    newTag: "2"\n  - name: acme/worker\n    newTag: "1"\n')
    expect(plan.stale).toEqual([{ path: OVERLAY, currentRef: 'acme/worker:1' }])
  })

  it('reads what a target references through its edit: tag and digest, a name alone, or why not', async () => {
    const target = (line: string) => parseTargets(line, 'from')[0]
    const pinned = memoryFiles({ [OVERLAY]: `images:\n  - name: acme/api\n    newTag: "7"\n    digest: ${DIGEST}\n` })
    expect(await referencedImage(pinned, target('kustomize apps/shop'), 'acme/api')).toEqual({ image: { name: 'acme/api', tag: '7', digest: DIGEST } })
    expect(await referencedImage(pinned, target('kustomize apps/shop'), 'acme/worker')).toEqual({ none: 'it holds no reference to acme/worker' })
    const manifest = await referencedImage(memoryFiles(files), target('manifest apps/shop/job.yaml'), 'acme/worker')
    expect('none' in manifest && manifest.none).toContain('no container uses the image acme/worker')
    expect(await referencedImage(memoryFiles(files), target('yaml apps/shop/values.yaml api.repository'), 'acme/api')).toEqual({ image: { name: 'acme/api' } })
  })

  it('parses images lines, tag applying to a line without one, and refuses what cannot be promoted together', () => {
    const parse = (inputs: Record<string, string>) => parsePromotedImages(recordInputs({ build: 'false', ...inputs }), ENV, inputs.from !== undefined)
    expect(parse({ images: `acme/api\nghcr.io/acme/worker:3@${DIGEST}`, tag: 'v9' }).map((i) => [i.image.name, i.tag, i.digest])).toEqual([
      ['acme/api', 'v9', undefined],
      ['ghcr.io/acme/worker', '3', DIGEST],
    ])
    expect(parse({ images: 'acme/api' })[0].tag).toBe(ENV.GITHUB_SHA)
    expect(parse({ image: 'acme/api', from: 'kustomize dev' })[0].tag).toBe('')
    const fails = (inputs: Record<string, string>) => thrown(() => parse(inputs)).message
    expect(fails({ images: 'acme/api\nacme/worker', build: 'true' })).toContain("Input 'build': is true (the default) with 2 images")
    expect(fails({ images: 'acme/api', image: 'acme/api' })).toContain("Input 'image': is set together with images")
    expect(fails({ images: 'acme/api\ndocker.io/acme/api:2' })).toContain("Input 'images': line 2 (docker.io/acme/api:2): names the same image as line 1")
    expect(fails({ images: 'acme/API' })).toContain("Input 'images': line 1 (acme/API)")
    expect(fails({ images: 'acme/api:1', from: 'kustomize dev' })).toContain('gives a tag or a digest, and from reads them')
    expect(fails({ image: 'acme/api', tag: 'v1', from: 'kustomize dev' })).toContain("Input 'tag': is set together with from")
    // Credentials go to the first image's registry only.
    const logins = parsePromotedImages(
      recordInputs({ build: 'false', images: 'ghcr.io/acme/api\nquay.io/acme/worker', 'registry-username': 'u', 'registry-password': 'p' }),
      ENV,
    )
    expect(logins.map((i) => i.login)).toEqual([{ username: 'u', password: 'p' }, undefined])
  })

  it('takes one from target in the targets grammar', () => {
    expect(parseEditSettings(recordInputs({ 'overlay-path': 'prod', from: 'kustomize dev' })).from).toEqual({ kind: 'kustomize', path: 'dev' })
    expect(thrown(() => parseEditSettings(recordInputs({ 'overlay-path': 'prod', from: 'kustomize dev\nkustomize qa' }))).message).toContain(
      "Input 'from': names 2 targets",
    )
  })

  it('names one pull-request branch per set of images, and keeps the one-image branch as it was', () => {
    const targets = [{ kind: 'kustomize', path: 'prod' }] as const
    expect(promoteBranch(['acme/api', 'acme/worker'], targets)).toMatch(/^promote\/acme\/api-and-1-more\/[0-9a-f]{10}$/)
    expect(promoteBranch(['acme/worker', 'acme/api'], targets).split('/').pop()).toBe(promoteBranch(['acme/api', 'acme/worker'], targets).split('/').pop())
    expect(promoteBranch(['acme/api'], targets)).not.toBe(promoteBranch(['acme/api', 'acme/worker'], targets))
  })

  it('summarises a failed run: what it attempted, the error, what to do', () => {
    const text = renderFailureSummary(
      { images: ['acme/api:2', 'acme/worker:3'], destination: 'acme/infra@main' },
      { message: 'apps/shop/job.yaml: references <none>.', fix: 'Remove the target.' },
    )
    expect(text).toContain('## Promotion failed')
    expect(text).toContain('Attempted: promote <code>acme/api:2</code>, <code>acme/worker:3</code> into <code>acme/infra@main</code>.')
    expect(text).toContain('<th align="left">Error</th><td>apps/shop/job.yaml: references &lt;none&gt;.</td>')
    expect(text).toContain('<th align="left">What to do</th><td>Remove the target.</td>')
    expect(renderFailureSummary({}, { message: 'x', fix: 'y' })).toContain('Attempted: reading the inputs; the promotion did not start.')
  })
})

describe('from, in the landing loop', () => {
  it('reads the tag again on the tip a lost race moved to: the new dev tag is what lands in prod', async () => {
    const dev = (tag: string) => `images:\n  - name: acme/api\n    newTag: "${tag}"\n`
    const store = new MemoryStore({ 'dev/kustomization.yaml': dev('1'), 'prod/kustomization.yaml': dev('0') })
    // While the first attempt pushes, dev moves on to 2.
    store.events.push({ neighbour: { 'dev/kustomization.yaml': dev('2') } })
    const [settings] = parsePromotedImages(recordInputs({ image: 'acme/api', build: 'false', 'verify-image': 'false' }), ENV, true)
    const read = imagesFrom({ kind: 'kustomize', path: 'dev' }, [settings], {
      pin: 'tag',
      allowDowngrade: true,
      stage: { tempDir: tmpdir(), source: readSourceContext({}) },
      env: {},
    })
    const targets = parseTargets('kustomize prod', 'targets')
    const tags: string[] = []
    const result = await publish(
      store,
      {
        plan: async (files) => {
          const images = await read(files)
          tags.push(images[0].tag)
          return planPromotion(files, { targets, images })
        },
        newerAt: async () => [],
        paths: ['dev', 'prod'],
        message: () => 'promote',
        author: { name: 'test', email: 'test@example.invalid' },
        branch: 'main',
        maxAttempts: 3,
        timeoutSeconds: 60,
        dryRun: false,
      },
      { sleep: () => Promise.resolve() },
    )
    expect(result).toMatchObject({ changed: true, attempts: 2 })
    expect(tags).toEqual(['1', '2'])
    expect(store.tip().get('prod/kustomization.yaml')).toBe(dev('2'))
  })
})
