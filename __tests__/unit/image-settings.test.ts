import { describe, expect, it } from '@jest/globals'
import { parseImageSettings } from '../../src/docker/settings.js'
import { InputError } from '../../src/errors.js'
import { recordInputs } from '../../src/inputs.js'

const SHA = '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4'
const DIGEST = `sha256:${'0f'.repeat(32)}`
/** The BuildKit inputs, none given. */
const NO_BUILDKIT = { secrets: [], secretFiles: [], network: '', cacheFrom: [], cacheTo: [], ssh: [], provenance: '', sbom: '', annotations: [] }
const ENV = { GITHUB_SHA: SHA, GITHUB_WORKSPACE: '/home/runner/work/app/app' }

function parse(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  return parseImageSettings(recordInputs({ image: 'ghcr.io/org/app', ...inputs }), env)
}

function problem(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV): InputError {
  try {
    parse(inputs, env)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected an InputError')
}

describe('image settings', () => {
  it('defaults: build and push image:$GITHUB_SHA from the workspace root, verify, runner login', () => {
    expect(parse({})).toEqual({
      image: { name: 'ghcr.io/org/app', registry: 'ghcr.io', path: 'org/app' },
      tag: SHA,
      digest: undefined,
      build: {
        context: '.',
        file: '',
        buildArgs: [],
        target: '',
        labels: [],
        platforms: [],
        extraReferences: [],
        ...NO_BUILDKIT,
      },
      push: true,
      verify: true,
      login: undefined,
      workspace: '/home/runner/work/app/app',
    })
  })

  it('reads every build input', () => {
    const settings = parse({
      tag: 'v1.2.3',
      context: 'services/api',
      file: 'services/api/Dockerfile.prod',
      'build-args': 'NODE=24\n# a comment\nGREETING=hello world\n',
      target: 'runtime',
      labels: 'org.opencontainers.image.title=app\nteam=payments',
      platforms: 'linux/amd64, linux/arm64\nlinux/arm/v7',
      push: 'false',
      'verify-image': 'false',
    })
    expect(settings.build).toEqual({
      context: 'services/api',
      file: 'services/api/Dockerfile.prod',
      buildArgs: ['NODE=24', 'GREETING=hello world'],
      target: 'runtime',
      labels: ['org.opencontainers.image.title=app', 'team=payments'],
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      extraReferences: [],
      ...NO_BUILDKIT,
    })
    expect(settings).toMatchObject({ tag: 'v1.2.3', push: false, verify: false })
  })

  it('pushes extra-tags and docker/metadata-action tags besides image:tag, never the promoted one twice', () => {
    const settings = parse({
      'extra-tags': 'latest\nmain',
      tags: `ghcr.io/org/app:main\nghcr.io/org/app:${SHA}\ndocker.io/org/app:latest\n127.0.0.1:5000/org/app:pr-7`,
    })
    expect(settings.build?.extraReferences).toEqual([
      'ghcr.io/org/app:latest',
      'ghcr.io/org/app:main',
      'docker.io/org/app:latest',
      '127.0.0.1:5000/org/app:pr-7',
    ])
  })

  it('build: false keeps the tag, the digest and the verify switch, and reads no build inputs', () => {
    const settings = parse({ build: 'false', digest: DIGEST, 'verify-image': 'false', 'extra-tags': 'not a tag' })
    expect(settings).toMatchObject({ build: undefined, digest: DIGEST, verify: false })
  })

  it('logs in with both registry credentials', () => {
    expect(parse({ 'registry-username': 'ci', 'registry-password': 's3cret' }).login).toEqual({ username: 'ci', password: 's3cret' })
  })

  it.each<[string, Record<string, string>, NodeJS.ProcessEnv, string, string]>([
    ['no image', { image: '' }, ENV, 'image', 'required'],
    ['an image with a tag', { image: 'ghcr.io/org/app:1.0' }, ENV, 'image', 'carries a tag'],
    ['an uppercase image', { image: 'ghcr.io/Org/app' }, ENV, 'image', 'lowercase'],
    ['no tag and no GITHUB_SHA', {}, {}, 'tag', 'GITHUB_SHA is not set'],
    ['a tag with a slash', { tag: 'feature/x' }, ENV, 'tag', 'not a valid Docker tag'],
    ['a tag starting with a dot', { tag: '.hidden' }, ENV, 'tag', 'not a valid Docker tag'],
    ['a short digest', { digest: 'sha256:abc' }, ENV, 'digest', 'not a sha256 digest'],
    ['a username without password', { 'registry-username': 'ci' }, ENV, 'registry-password', 'is empty'],
    ['a password without username', { 'registry-password': 's3cret' }, ENV, 'registry-username', 'is empty'],
    ['a bad extra tag', { 'extra-tags': 'latest\nv1:2' }, ENV, 'extra-tags', "'v1:2'"],
    ['a metadata tag without a tag', { tags: 'ghcr.io/org/app' }, ENV, 'tags', 'with a tag'],
    ['a metadata tag that is a registry port', { tags: '127.0.0.1:5000/org/app' }, ENV, 'tags', 'with a tag'],
    ['a build arg without =', { 'build-args': 'NODE' }, ENV, 'build-args', 'KEY=VALUE'],
    ['a label without a key', { labels: '=value' }, ENV, 'labels', 'KEY=VALUE'],
    ['a non-boolean push', { push: 'yes' }, ENV, 'push', 'not a boolean'],
  ])('rejects %s', (_what, inputs, env, input, fragment) => {
    const error = problem(inputs, env)
    expect(error.input).toBe(input)
    expect(error.message).toContain(fragment)
    expect(error.fix).not.toBe('')
  })

  it('never puts the password in an error', () => {
    expect(problem({ 'registry-password': 's3cret' }).report).not.toContain('s3cret')
  })
})

describe('BuildKit inputs, named as docker/build-push-action names them', () => {
  it('reads secrets, secret files, network, cache, ssh, attestations and annotations', () => {
    const settings = parse({
      secrets: 'NPM_TOKEN=npm_a=b c\n# a comment\ngithub_token=ghs_1',
      'secret-files': 'aws=.aws/credentials\nkey=/run/key',
      network: 'host',
      'cache-from': 'type=gha\nghcr.io/org/app:buildcache',
      'cache-to': 'type=gha,mode=max',
      ssh: 'default\nbuild=/run/ssh.sock',
      provenance: 'mode=max',
      sbom: 'true',
      annotations: 'index:org.opencontainers.image.title=app',
    })
    expect(settings.build).toMatchObject({
      secrets: [
        { id: 'NPM_TOKEN', value: 'npm_a=b c' },
        { id: 'github_token', value: 'ghs_1' },
      ],
      secretFiles: [
        { id: 'aws', value: '.aws/credentials' },
        { id: 'key', value: '/run/key' },
      ],
      network: 'host',
      cacheFrom: ['type=gha', 'ghcr.io/org/app:buildcache'],
      cacheTo: ['type=gha,mode=max'],
      ssh: ['default', 'build=/run/ssh.sock'],
      provenance: 'mode=max',
      sbom: 'true',
      annotations: ['index:org.opencontainers.image.title=app'],
    })
  })

  it.each([
    [{ secrets: 'just-a-value' }, 'secrets', 'line 1 is not id=value'],
    [{ secrets: 'a=1\n=2' }, 'secrets', 'line 2 is not id=value'],
    [{ secrets: 'a b=1' }, 'secrets', 'line 1 is not id=value'],
    [{ secrets: 'token=' }, 'secrets', 'gives secret token an empty value'],
    [{ secrets: 'token=1\ntoken=2' }, 'secrets', 'gives secret token a second time'],
    [{ 'secret-files': 'aws' }, 'secret-files', 'line 1 is not id=path'],
    [{ secrets: 'aws=1', 'secret-files': 'aws=creds' }, 'secret-files', 'names secret aws, which secrets gives too'],
    [{ network: 'host,none' }, 'network', "'host,none' is not a network name"],
  ])('refuses %j with one error naming the input', (inputs, input, problemText) => {
    const error = problem(inputs)
    expect(error.input).toBe(input)
    expect(error.message).toContain(problemText)
  })

  it("takes lines quoted as in build-push-action's examples", () => {
    expect(parse({ secrets: '"github_token=ghs_1"\n"quote=a""b"' }).build?.secrets).toEqual([
      { id: 'github_token', value: 'ghs_1' },
      { id: 'quote', value: 'a"b' },
    ])
  })

  it('never quotes a secret line in its error', () => {
    expect(problem({ secrets: 's3cr3t-value-without-id' }).message).not.toContain('s3cr3t')
  })
})
