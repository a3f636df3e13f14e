import { describe, expect, it } from '@jest/globals'
import { renderCommitMessage } from '../../src/publish/commit-message.js'
import { gitAuthEnv } from '../../src/publish/git-auth.js'
import { backoffDelay, isBranchMoved, isTransientFailure } from '../../src/publish/retry.js'
import { parsePublishSettings } from '../../src/publish/settings.js'
import { recordInputs } from '../../src/inputs.js'
import { readSourceContext } from '../../src/source.js'
import { InputError } from '../../src/errors.js'

describe('push rejections', () => {
  it.each([
    ' ! [rejected]        abc -> main (fetch first)',
    ' ! [rejected]        abc -> main (non-fast-forward)',
    'error: failed to update ref refs/heads/main',
    "remote: error: cannot lock ref 'refs/heads/main': is at 1 but expected 2",
    'error: incorrect old value provided',
    ' ! [rejected] main (stale info)',
    'error: RPC failed; HTTP 409 curl 22',
  ])('%s means the branch moved', (line) => expect(isBranchMoved(line)).toBe(true))

  it.each([
    ' ! [remote rejected] main -> main (pre-receive hook declined)',
    'remote: Permission to o/infra.git denied to bot. fatal: unable to access: The requested URL returned error: 403',
    'fatal: Authentication failed',
  ])('%s does not', (line) => expect(isBranchMoved(line)).toBe(false))
})

describe('transient failures', () => {
  it.each([
    "fatal: unable to access 'https://github.com/o/infra.git/': The requested URL returned error: 502",
    'error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503',
    "fatal: unable to access 'https://github.com/o/infra.git/': Could not resolve host: github.com",
    'fatal: the remote end hung up unexpectedly',
    'error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly: CANCEL (err 8)',
  ])('%s is sent again', (line) => expect(isTransientFailure(line)).toBe(true))

  it.each([
    "remote: Invalid username or token.\nfatal: Authentication failed for 'https://github.com/o/infra.git/'",
    "fatal: unable to access 'https://github.com/o/infra.git/': The requested URL returned error: 403\nfatal: the remote end hung up unexpectedly",
    'remote: Repository not found.',
    ' ! [remote rejected] main -> main (pre-receive hook declined)',
  ])('%s is not', (line) => expect(isTransientFailure(line)).toBe(false))
})

describe('backoff', () => {
  const policy = { growth: 2, minAttemptMs: 100, capAttempts: 8, capMs: 5000 }

  it('starts at one attempt duration and grows exponentially, with jitter inside [ceiling/2, ceiling]', () => {
    expect(backoffDelay(1, 300, 0, policy)).toBe(150)
    expect(backoffDelay(1, 300, 0.999, policy)).toBeLessThanOrEqual(300)
    expect(backoffDelay(3, 300, 0, policy)).toBe(600)
  })

  it('treats a very fast attempt as the minimum duration', () => {
    expect(backoffDelay(1, 5, 0, policy)).toBe(50)
  })

  it('is capped by a number of attempt durations and by an absolute ceiling', () => {
    expect(backoffDelay(20, 300, 0.5, policy)).toBe(1800)
    expect(backoffDelay(20, 2000, 0.5, policy)).toBe(3750)
  })
})

describe('git auth environment', () => {
  it('scopes an extraheader to the remote origin and never puts the token in clear text', () => {
    const env = gitAuthEnv('https://git.example.com/org/infra.git', 's3cret', {})
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'credential.helper',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://git.example.com/.extraheader',
      GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${Buffer.from('x-access-token:s3cret').toString('base64')}`,
    })
    expect(JSON.stringify(env)).not.toContain('s3cret')
  })

  it('appends after configuration the runner already passes through the environment', () => {
    const env = gitAuthEnv('http://127.0.0.1:8080/infra.git', 't', { GIT_CONFIG_COUNT: '1' })
    expect(env.GIT_CONFIG_COUNT).toBe('3')
    expect(env.GIT_CONFIG_KEY_1).toBe('credential.helper')
    expect(env.GIT_CONFIG_KEY_2).toBe('http.http://127.0.0.1:8080/.extraheader')
  })
})

describe('infra repository settings', () => {
  const env = { GITHUB_SERVER_URL: 'https://ghe.example.com' }
  const parse = (values: Record<string, string>) => parsePublishSettings(recordInputs(values), env)

  it('resolves owner/name against the server URL (GitHub Enterprise Server works)', () => {
    expect(parse({ 'infra-repo': 'org/infra' }).infra).toMatchObject({
      url: 'https://ghe.example.com/org/infra.git',
      slug: 'org/infra',
      webUrl: 'https://ghe.example.com/org/infra',
      branch: '',
    })
  })

  it('takes a full URL of any host, without a web link when the host is not the server', () => {
    const infra = parse({ 'infra-repo': 'https://git.example.org/team/infra.git', 'infra-branch': 'refs/heads/release' }).infra
    expect(infra).toEqual({ url: 'https://git.example.org/team/infra.git', token: '', branch: 'release' })
  })

  it.each([
    [{}, 'infra-repo', 'required'],
    [{ 'infra-repo': 'git@github.com:org/infra.git' }, 'infra-repo', 'neither owner/name nor a URL'],
    [{ 'infra-repo': 'ssh://github.com/org/infra' }, 'infra-repo', 'ssh: scheme'],
    [{ 'infra-repo': 'https://user:pw@github.com/org/infra' }, 'infra-repo', 'carries credentials'],
    [{ 'infra-repo': 'org/infra', 'infra-branch': 'bad..name' }, 'infra-branch', 'not a valid branch'],
    [{ 'infra-repo': 'org/infra', 'max-attempts': '0' }, 'max-attempts', 'whole number'],
    [{ 'infra-repo': 'org/infra', 'dry-run': 'yes' }, 'dry-run', 'not a boolean'],
  ])('%j is rejected naming %s', (values, input, problem) => {
    let error: unknown
    try {
      parse(values)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(input)
    expect((error as InputError).message).toContain(problem)
  })
})

describe('commit message', () => {
  const source = readSourceContext({
    GITHUB_REPOSITORY: 'ani2fun/note-book',
    GITHUB_SHA: '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4',
    GITHUB_RUN_ID: '99',
    GITHUB_ACTOR: 'ani2fun',
  })
  const facts = {
    image: 'ani2fun/note-book',
    tag: '3f2c1ab',
    digest: '',
    imageRef: 'ani2fun/note-book:3f2c1ab',
    targets: ['deploy/note-book/overlays/prod/kustomization.yaml'],
    branch: 'main',
    source,
  }

  it('defaults to an audit trail with trailers back to the source commit and run', () => {
    expect(renderCommitMessage('', facts)).toBe(
      [
        'promote ani2fun/note-book:3f2c1ab to deploy/note-book/overlays/prod/kustomization.yaml',
        '',
        '- deploy/note-book/overlays/prod/kustomization.yaml',
        '',
        'Promoted-Image: ani2fun/note-book:3f2c1ab',
        'Source-Repository: ani2fun/note-book',
        'Source-Commit: 3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4',
        'Source-Run: https://github.com/ani2fun/note-book/actions/runs/99',
        'Promoted-By: ani2fun',
      ].join('\n'),
    )
  })

  it('fills a custom template and leaves unknown placeholders alone', () => {
    expect(renderCommitMessage('deploy {image}:{tag} from {source-short-sha} {nope}', facts)).toBe('deploy ani2fun/note-book:3f2c1ab from 3f2c1ab {nope}')
  })
})
