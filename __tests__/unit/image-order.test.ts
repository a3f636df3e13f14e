/** Ordering images by their own identity: the comparison, where identities come from, the guard. */
import { describe, expect, it } from '@jest/globals'
import { compareImages, identityFromConfig, replacedImage, type ImageIdentity } from '../../src/image/identity.js'
import { parseImageName } from '../../src/image/reference.js'
import { imageIdentity, type FetchLike } from '../../src/image/registry.js'
import { OrderGuard } from '../../src/order/guard.js'
import { legacyIdentity, legacyRecordPath } from '../../src/order/legacy-records.js'

const T = (hour: number) => new Date(Date.UTC(2026, 0, 5, hour)).toISOString()

describe('compareImages', () => {
  it.each<[string, ImageIdentity, ImageIdentity, string]>([
    ['a newer commit', { committed: T(11), created: T(12) }, { committed: T(10), created: T(13) }, 'newer'],
    ['an old commit rebuilt late (commit times win over build times)', { committed: T(9), created: T(14) }, { committed: T(10), created: T(11) }, 'older'],
    ['the same source revision', { revision: 'abc', committed: T(9) }, { revision: 'abc', committed: T(10) }, 'same'],
    ['only build times known', { created: T(8) }, { created: T(9) }, 'older'],
    ['a commit time against a build time only: build times', { committed: T(9), created: T(12) }, { created: T(11) }, 'newer'],
    ['equal times', { committed: T(9) }, { committed: T(9) }, 'same'],
    ['nothing in common', { committed: T(9) }, {}, 'unknown'],
    ['an unparsable time', { created: 'yesterday' }, { created: T(9) }, 'unknown'],
  ])('%s', (_what, ours, current, order) => {
    expect(compareImages(ours, current)).toBe(order)
  })
})

describe('identityFromConfig', () => {
  it('reads the OCI labels and the commit-time label, and falls back to the config created', () => {
    const config = (labels: Record<string, string>) => JSON.stringify({ created: T(5), config: { Labels: labels } })
    expect(
      identityFromConfig(
        config({ 'org.opencontainers.image.revision': 'r1', 'org.opencontainers.image.created': T(6), 'io.github.gitops-promote.committed': T(4) }),
      ),
    ).toEqual({ revision: 'r1', created: T(6), committed: T(4) })
    expect(identityFromConfig(config({}))).toEqual({ created: T(5) })
    expect(identityFromConfig(JSON.stringify({ config: { Labels: null } }))).toEqual({})
    expect(identityFromConfig('not json')).toEqual({})
  })
})

describe('replacedImage', () => {
  const desired = { name: 'reg.example/app', tag: 'v2', digest: `sha256:${'b'.repeat(64)}` }
  const OLD_DIGEST = `sha256:${'a'.repeat(64)}`
  it.each<[string, { before: string; after: string }[], object | undefined]>([
    ['a tag', [{ before: 'v1', after: 'v2' }], { name: 'reg.example/app', tag: 'v1' }],
    [
      'a tag and a digest',
      [
        { before: 'v1', after: 'v2' },
        { before: OLD_DIGEST, after: desired.digest },
      ],
      { name: 'reg.example/app', tag: 'v1', digest: OLD_DIGEST },
    ],
    ['a dropped digest', [{ before: OLD_DIGEST, after: '' }], { name: 'reg.example/app', digest: OLD_DIGEST }],
    ['a whole reference', [{ before: 'mirror.example/app:v1', after: 'reg.example/app:v2' }], { name: 'mirror.example/app', tag: 'v1' }],
    [
      'a name and a tag',
      [
        { before: 'old/app', after: 'reg.example/app' },
        { before: 'v1', after: 'v2' },
      ],
      { name: 'old/app', tag: 'v1' },
    ],
    ['an added value', [{ before: '', after: 'v2' }], undefined],
  ])('%s', (_what, replaced, current) => {
    expect(replacedImage(desired, replaced)).toEqual(current)
  })
})

describe('records of earlier versions', () => {
  const record = JSON.stringify({ 'reg.example/app': { ref: 'reg.example/app:v1', commit: 'c1', commitTime: T(3), runNumber: 4 } })
  it('give the identity of the very image they describe, and nothing for another or a broken record', () => {
    expect(legacyRecordPath('deploy/a/kustomization.yaml')).toBe('.gitops-promote/deploy/a/kustomization.yaml.json')
    expect(legacyIdentity(record, 'reg.example/app', { name: 'reg.example/app', tag: 'v1' })).toEqual({ revision: 'c1', committed: T(3) })
    expect(legacyIdentity(record, 'reg.example/app', { name: 'reg.example/app', tag: 'v0' })).toBeUndefined()
    expect(legacyIdentity(record, 'reg.example/other', { name: 'reg.example/other', tag: 'v1' })).toBeUndefined()
    expect(legacyIdentity('{broken', 'reg.example/app', { name: 'reg.example/app', tag: 'v1' })).toBeUndefined()
    expect(legacyIdentity(undefined, 'reg.example/app', { name: 'reg.example/app', tag: 'v1' })).toBeUndefined()
  })
})

describe('OrderGuard', () => {
  it('asks the registry once per image, prefers what a record knows, and says why an order is unknown', async () => {
    const asked: string[] = []
    const guard = new OrderGuard({ committed: T(10) }, async (image) => {
      asked.push(`${image.name}:${image.tag}`)
      return image.tag === 'gone' ? { unknown: 'no such tag' } : { committed: image.tag === 'old' ? T(9) : T(11) }
    })
    const image = (tag: string) => ({ name: 'app', tag })
    expect(await guard.judge(image('old'))).toEqual({ order: 'newer' })
    expect(await guard.judge(image('old'))).toEqual({ order: 'newer' })
    expect(await guard.judge(image('new'))).toEqual({ order: 'older' })
    expect(await guard.judge(image('new'), { committed: T(8) })).toEqual({ order: 'newer' })
    expect(await guard.judge(image('gone'))).toEqual({ order: 'unknown', why: 'no such tag' })
    expect(asked).toEqual(['app:old', 'app:new', 'app:gone'])
    const blind = new OrderGuard({ unknown: 'verify-image is false' }, async () => ({}))
    expect(await blind.judge(image('old'))).toEqual({ order: 'unknown', why: 'verify-image is false' })
  })
})

describe('imageIdentity', () => {
  it('reads the config of the linux/amd64 image of an index, and sends no credentials to the blob store it is redirected to', async () => {
    const config = JSON.stringify({ created: T(7), config: { Labels: { 'io.github.gitops-promote.committed': T(6) } } })
    const seen: { url: string; authorization?: string }[] = []
    const fetchStub: FetchLike = async (url, init) => {
      seen.push({ url, authorization: init.headers.Authorization })
      const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } })
      if (url.startsWith('https://auth.example/token')) return json({ token: 'pull-token' })
      if (url.startsWith('https://blobs.example/')) return new Response(config, { status: 200 })
      if (init.headers.Authorization !== 'Bearer pull-token') {
        return new Response('', { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="reg"' } })
      }
      if (url.endsWith('/manifests/v1'))
        return json({
          manifests: [
            { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64' } },
            { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
            { digest: 'sha256:att', platform: { os: 'unknown', architecture: 'unknown' } },
          ],
        })
      if (url.endsWith('/manifests/sha256:amd')) return json({ config: { digest: 'sha256:cfg' } })
      if (url.endsWith('/blobs/sha256:cfg')) return new Response('', { status: 307, headers: { Location: 'https://blobs.example/cfg?signed=1' } })
      return new Response('', { status: 404 })
    }
    const identity = await imageIdentity(parseImageName('reg.example/team/app'), 'v1', { username: 'u', password: 'p' }, fetchStub)
    expect(identity).toEqual({ created: T(7), committed: T(6) })
    expect(seen.find((s) => s.url.startsWith('https://blobs.example/'))).toEqual({ url: 'https://blobs.example/cfg?signed=1', authorization: undefined })
    expect(seen.filter((s) => s.url.startsWith('https://reg.example/')).map((s) => s.url.replace('https://reg.example/v2/team/app/', ''))).toEqual([
      'manifests/v1',
      'manifests/v1',
      'manifests/sha256:amd',
      'blobs/sha256:cfg',
    ])
  })
})
