import { describe, expect, it } from '@jest/globals'
import {
  builderProblem,
  buildxArgs,
  buildxOnlyInput,
  classicBuildArgs,
  dockerErrorLines,
  ghaCacheInput,
  mergeLabels,
  needsBuildKit,
  ociLabels,
  pushedDigest,
  type BuildRequest,
} from '../../src/docker/docker-args.js'
import type { BuildSettings } from '../../src/docker/settings.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`

const NO_BUILDKIT = { secrets: [], secretFiles: [], network: '', cacheFrom: [], cacheTo: [], ssh: [], provenance: '', sbom: '', annotations: [] }

function settingsWith(settings: Partial<BuildSettings> = {}, file = ''): BuildSettings {
  return { context: '.', file, buildArgs: [], target: '', labels: [], platforms: [], extraReferences: [], ...NO_BUILDKIT, ...settings }
}

function request(settings: Partial<BuildSettings> = {}, file = '', secretFiles: BuildRequest['secretFiles'] = []): BuildRequest {
  return {
    settings: settingsWith(settings, file),
    references: ['ghcr.io/org/app:3f2c1ab', 'ghcr.io/org/app:latest'],
    labels: ['org.opencontainers.image.revision=3f2c1ab'],
    context: '/work/app',
    file,
    secretFiles,
  }
}

/** The arguments after the tags and labels every build has, without the context. */
function extra(args: string[]): string[] {
  return args.slice(args.indexOf('org.opencontainers.image.revision=3f2c1ab') + 1, -1)
}

describe('OCI labels', () => {
  it('names source, revision and creation time', () => {
    expect(ociLabels({ url: 'https://github.com/org/app', revision: '3f2c1ab', created: '2024-05-01T10:00:00.000Z' })).toEqual([
      'org.opencontainers.image.source=https://github.com/org/app',
      'org.opencontainers.image.revision=3f2c1ab',
      'org.opencontainers.image.created=2024-05-01T10:00:00.000Z',
    ])
  })

  it("carries the source commit's time when it is known", () => {
    expect(ociLabels({ url: '', revision: 'r', created: 'now', committed: '2024-05-01T09:00:00Z' })).toEqual([
      'org.opencontainers.image.revision=r',
      'org.opencontainers.image.created=now',
      'io.github.gitops-promote.committed=2024-05-01T09:00:00Z',
    ])
  })

  it('leaves out what is unknown outside Actions', () => {
    expect(ociLabels({ url: '', revision: '', created: 'now' })).toEqual(['org.opencontainers.image.created=now'])
  })

  it('merges label groups: the later value of a key wins, in first-seen key order', () => {
    expect(mergeLabels(['a=1', 'b=2'], ['c=3', 'a=x=y', 'd='])).toEqual(['a=x=y', 'b=2', 'c=3', 'd='])
  })
})

describe('docker buildx build', () => {
  it('tags every reference, labels, and pushes with a metadata file', () => {
    expect(buildxArgs(request(), true, '/tmp/meta.json')).toEqual([
      'buildx',
      'build',
      '--tag',
      'ghcr.io/org/app:3f2c1ab',
      '--tag',
      'ghcr.io/org/app:latest',
      '--label',
      'org.opencontainers.image.revision=3f2c1ab',
      '--metadata-file',
      '/tmp/meta.json',
      '--push',
      '/work/app',
    ])
  })

  it('passes build args, Dockerfile, target and platforms', () => {
    const args = buildxArgs(
      request({ buildArgs: ['NODE=24', 'X=a b'], target: 'runtime', platforms: ['linux/amd64', 'linux/arm64'] }, '/work/app/docker/Dockerfile'),
      true,
      'm.json',
    )
    expect(args).toEqual(
      expect.arrayContaining(['--build-arg', 'NODE=24', '--build-arg', 'X=a b', '--file', '/work/app/docker/Dockerfile', '--target', 'runtime']),
    )
    expect(args.slice(args.indexOf('--platform'), args.indexOf('--platform') + 2)).toEqual(['--platform', 'linux/amd64,linux/arm64'])
    expect(args.at(-1)).toBe('/work/app')
  })

  it('without push, loads a single-platform image and leaves a multi-platform one in the build cache', () => {
    expect(buildxArgs(request(), false, 'm.json')).toContain('--load')
    expect(buildxArgs(request(), false, 'm.json')).not.toContain('--push')
    const multi = buildxArgs(request({ platforms: ['linux/amd64', 'linux/arm64'] }), false, 'm.json')
    expect(multi).not.toContain('--load')
    expect(multi).not.toContain('--push')
  })
})

describe('classic docker build', () => {
  it('builds with every tag and label, never pushes itself', () => {
    expect(classicBuildArgs(request({ buildArgs: ['A=1'] }))).toEqual([
      'build',
      '--tag',
      'ghcr.io/org/app:3f2c1ab',
      '--tag',
      'ghcr.io/org/app:latest',
      '--label',
      'org.opencontainers.image.revision=3f2c1ab',
      '--build-arg',
      'A=1',
      '/work/app',
    ])
  })

  it('passes one platform through', () => {
    expect(classicBuildArgs(request({ platforms: ['linux/arm64'] }))).toEqual(expect.arrayContaining(['--platform', 'linux/arm64']))
    expect(classicBuildArgs(request())).not.toContain('--platform')
  })
})

describe('BuildKit options', () => {
  const secretFiles = [
    { id: 'npm', value: '/runner/temp/build-secrets-x/0' },
    { id: 'aws', value: '/work/app/a,b"c' },
  ]
  const meta = ['--metadata-file', 'm.json', '--push']

  it.each<[string, Partial<BuildSettings>, string[], string[]]>([
    [
      'secrets as files, by path only (a comma or quote in the path is quoted)',
      {},
      ['--secret', 'id=npm,src=/runner/temp/build-secrets-x/0', '--secret', 'id=aws,"src=/work/app/a,b""c"'],
      ['--secret', 'id=npm,src=/runner/temp/build-secrets-x/0', '--secret', 'id=aws,"src=/work/app/a,b""c"', ...meta],
    ],
    [
      'ssh and network',
      { ssh: ['default', 'git=/run/key'], network: 'none' },
      ['--ssh', 'default', '--ssh', 'git=/run/key', '--network', 'none'],
      ['--ssh', 'default', '--ssh', 'git=/run/key', '--network', 'none', ...meta],
    ],
    [
      'a registry cache: the classic builder imports the image, buildx takes the entry as written',
      { cacheFrom: ['type=registry,ref=ghcr.io/org/app:cache', 'ghcr.io/org/app:main'] },
      ['--cache-from', 'ghcr.io/org/app:cache', '--cache-from', 'ghcr.io/org/app:main'],
      ['--cache-from', 'type=registry,ref=ghcr.io/org/app:cache', '--cache-from', 'ghcr.io/org/app:main', ...meta],
    ],
    [
      'the inline cache: a build argument for the classic builder, --cache-to for buildx',
      { cacheTo: ['type=inline'] },
      ['--build-arg', 'BUILDKIT_INLINE_CACHE=1'],
      ['--cache-to', 'type=inline', ...meta],
    ],
  ])('%s', (_, settings, classic, buildx) => {
    const files = Object.keys(settings).length === 0 ? secretFiles : []
    expect(extra(classicBuildArgs(request(settings, '', files)))).toEqual(classic)
    expect(extra(buildxArgs(request(settings, '', files), true, 'm.json'))).toEqual(buildx)
  })

  it('passes cache exports, attestations and annotations to buildx', () => {
    const args = buildxArgs(
      request({ cacheFrom: ['type=gha'], cacheTo: ['type=gha,mode=max'], provenance: 'mode=max', sbom: 'true', annotations: ['index:a=1', 'b=2'] }),
      true,
      'm.json',
    )
    expect(extra(args)).toEqual([
      '--cache-from',
      'type=gha',
      '--cache-to',
      'type=gha,mode=max',
      '--provenance=mode=max',
      '--sbom=true',
      '--annotation',
      'index:a=1',
      '--annotation',
      'b=2',
      ...meta,
    ])
  })

  it.each<[Partial<BuildSettings>, { input: string; value: string } | undefined]>([
    [{}, undefined],
    [
      { secrets: [{ id: 'a', value: '1' }], ssh: ['default'], network: 'host', cacheFrom: ['r/app:c', 'type=registry,ref=r/app:d'], cacheTo: ['type=inline'] },
      undefined,
    ],
    [{ provenance: 'false', sbom: 'false' }, undefined],
    [{ platforms: ['linux/amd64', 'linux/arm64'] }, { input: 'platforms', value: 'linux/amd64,linux/arm64' }],
    [{ cacheFrom: ['type=gha'] }, { input: 'cache-from', value: 'type=gha' }],
    [{ cacheFrom: ['type=local,src=/tmp/cache'] }, { input: 'cache-from', value: 'type=local,src=/tmp/cache' }],
    [{ cacheTo: ['type=registry,ref=r/app:cache,mode=max'] }, { input: 'cache-to', value: 'type=registry,ref=r/app:cache,mode=max' }],
    [{ cacheTo: ['type=gha'] }, { input: 'cache-to', value: 'type=gha' }],
    [{ provenance: 'true' }, { input: 'provenance', value: 'true' }],
    [{ sbom: 'true' }, { input: 'sbom', value: 'true' }],
    [{ annotations: ['a=1'] }, { input: 'annotations', value: 'a=1' }],
  ])('the classic builder: %j needs buildx → %j', (settings, expected) => {
    expect(buildxOnlyInput(settingsWith(settings))).toEqual(expected)
  })

  it('refuses what the builder cannot do with one error naming the input and docker/setup-buildx-action', () => {
    const classic = builderProblem(settingsWith({ cacheTo: ['type=gha,mode=max'] }), false, {})
    expect(classic?.input).toBe('cache-to')
    expect(classic?.report).toBe(
      "Input 'cache-to': 'type=gha,mode=max' needs docker buildx, which this runner does not have (the classic builder does secrets, ssh, network and the inline registry cache only). Add docker/setup-buildx-action before this step, or leave this input empty.",
    )
    expect(builderProblem(settingsWith({ cacheTo: ['type=inline'], secrets: [{ id: 'a', value: '1' }] }), false, {})).toBeUndefined()
  })

  it("hands type=gha to buildx only with the runner's cache variables, which buildx reads from its environment", () => {
    const gha = settingsWith({ cacheFrom: ['type=gha'] })
    expect(builderProblem(gha, true, {})?.report).toContain("Input 'cache-from': uses type=gha, but ACTIONS_RUNTIME_TOKEN")
    expect(builderProblem(gha, true, { ACTIONS_RUNTIME_TOKEN: 't' })?.input).toBe('cache-from')
    expect(builderProblem(gha, true, { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'https://cache/' })).toBeUndefined()
    expect(builderProblem(gha, true, { ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results/' })).toBeUndefined()
    expect(builderProblem(settingsWith({ provenance: 'mode=max', platforms: ['linux/amd64', 'linux/arm64'] }), true, {})).toBeUndefined()
  })

  it('asks the classic CLI for BuildKit only for what needs it', () => {
    expect(needsBuildKit(settingsWith())).toBe(false)
    expect(needsBuildKit(settingsWith({ network: 'none', target: 'x' }))).toBe(false)
    for (const settings of [{ secretFiles: [{ id: 'a', value: 'p' }] }, { ssh: ['default'] }, { cacheFrom: ['r/a:c'] }, { cacheTo: ['type=inline'] }])
      expect(needsBuildKit(settingsWith(settings))).toBe(true)
  })

  it("knows GitHub's cache in either direction", () => {
    expect(ghaCacheInput(settingsWith({ cacheFrom: ['type=gha,scope=app'] }))).toBe('cache-from')
    expect(ghaCacheInput(settingsWith({ cacheFrom: ['type=gha'], cacheTo: ['type=gha,mode=max'] }))).toBe('cache-to')
    expect(ghaCacheInput(settingsWith({ cacheFrom: ['ghcr.io/org/app:gha'], cacheTo: ['type=inline'] }))).toBeUndefined()
  })
})

describe('docker output', () => {
  it('reads the digest docker push reports', () => {
    const output = `The push refers to repository [127.0.0.1:5000/app]\n3a19e2f1783a: Pushed\n3f2c1ab: digest: ${DIGEST} size: 524\n`
    expect(pushedDigest(output)).toBe(DIGEST)
    expect(pushedDigest('3a19e2f1783a: Pushed\n')).toBeUndefined()
  })

  it("keeps Docker's own error and drops the legacy builder's deprecation notice", () => {
    const stderr = [
      'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.',
      '            Install the buildx component to build images with BuildKit:',
      '            https://docs.docker.com/go/buildx/',
      '',
      'Error response from daemon: dockerfile parse error line 1: unknown instruction: FRUM',
      '',
    ].join('\n')
    expect(dockerErrorLines(stderr)).toBe('Error response from daemon: dockerfile parse error line 1: unknown instruction: FRUM')
  })

  it('keeps the last lines of a buildx failure, joined on one line', () => {
    const stderr =
      '#5 [2/2] COPY missing.txt /x\n#5 ERROR: not found\n------\n > [2/2] COPY missing.txt /x:\n------\nERROR: failed to solve: failed to compute cache key: "/missing.txt": not found\n'
    expect(dockerErrorLines(stderr, 2)).toBe('------ | ERROR: failed to solve: failed to compute cache key: "/missing.txt": not found')
  })
})
