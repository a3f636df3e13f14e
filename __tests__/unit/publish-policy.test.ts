import { describe, expect, it } from '@jest/globals'
import { renderCommitMessage } from '../../src/publish/commit-message.js'
import { basicAuthorization } from '../../src/publish/git-http.js'
import { hostWords, isBranchMoved, judgeRefusal, lockedAt } from '../../src/publish/push-answers.js'
import { parsePublishSettings } from '../../src/publish/settings.js'
import { recordInputs } from '../../src/inputs.js'
import { readSourceContext } from '../../src/source.js'
import { GitError, InputError } from '../../src/errors.js'
import { MAX_ANSWER_BYTES } from '../../src/network.js'

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

  const tip = 'a'.repeat(40)
  it("learns where the branch is now from git's lock error", () => {
    expect(lockedAt([`error: cannot lock ref 'refs/heads/main': is at ${tip} but expected ${'b'.repeat(40)}`])).toBe(tip)
    expect(lockedAt(['error: cannot lock ref: is at 1 but expected 2'])).toBeUndefined()
  })

  it.each<[string, { reason?: string; messages: string[] }, 'fast-forward' | 'force', string]>([
    ['a lost compare-and-swap', { reason: 'failed to update ref', messages: [] }, 'fast-forward', 'moved'],
    ['a policy hook', { reason: 'pre-receive hook declined', messages: ['policy: changes to main need a review'] }, 'fast-forward', 'declined the push'],
    [
      'a ruleset, with every line the host said',
      {
        reason: 'protected branch hook declined',
        messages: ['error: GH013: Repository rule violations found for refs/heads/main.', '- Changes must be made through a pull request.'],
      },
      'fast-forward',
      'Changes must be made through a pull request',
    ],
    ["a refused non-fast-forward of the action's own branch", { reason: 'non-fast-forward', messages: [] }, 'force', 'forced update'],
    ["a lost lease on the action's own branch", { reason: 'failed to update ref', messages: [] }, 'force', 'moved'],
  ])('%s', (_what, answer, mode, expected) => {
    const judged = judgeRefusal(answer, 'main', 'org/infra', mode)
    if (expected === 'moved') expect(judged).toBe('moved')
    else expect((judged as Error).message).toContain(expected)
  })
})

describe("a host's policy refusal: named, with the advice that fits the host", () => {
  const DECLINED = 'pre-receive hook declined'
  it.each<[string, { reason?: string; messages: string[] }, string[], string[], string[]]>([
    // [host form, answer, what the error names, what the advice says, what it must not say]
    [
      'GitHub branch protection requiring a pull request (GH006)',
      {
        reason: 'protected branch hook declined',
        messages: ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Changes must be made through a pull request.'],
      },
      ['only through a pull request'],
      ['mode: pull-request'],
      [],
    ],
    [
      'GitHub branch protection requiring status checks (GH006)',
      {
        reason: 'protected branch hook declined',
        messages: ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: 2 of 2 required status checks are expected.'],
      },
      ['status checks'],
      ['mode: pull-request'],
      [],
    ],
    [
      'GitHub branch protection requiring a review (GH006)',
      {
        reason: 'protected branch hook declined',
        messages: [
          'error: GH006: Protected branch update failed for refs/heads/main.',
          'error: At least 1 approving review is required by reviewers with write access.',
        ],
      },
      ['approving review'],
      ['mode: pull-request'],
      [],
    ],
    [
      'GitHub branch protection, another rule (GH006)',
      {
        reason: 'protected branch hook declined',
        messages: ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Cannot change this locked branch'],
      },
      ['protected on GitHub'],
      ['branch protection rule'],
      [],
    ],
    [
      'a GitHub ruleset requiring a pull request and signed commits (GH013)',
      {
        reason: 'push declined due to repository rule violations',
        messages: [
          'error: GH013: Repository rule violations found for refs/heads/main.',
          'Review all repository rules at https://github.com/org/infra/rules?ref=refs%2Fheads%2Fmain',
          '- Changes must be made through a pull request.',
          '- Commits must have verified signatures.',
          '  Found 1 violation:',
          `  ${'c'.repeat(40)}`,
        ],
      },
      ['only through a pull request', 'signed commits'],
      ['mode: pull-request', 'commit-via: api'],
      ['ruleset refused'],
    ],
    [
      'a GitHub ruleset, another rule (GH013)',
      {
        reason: 'push declined due to repository rule violations',
        messages: ['error: GH013: Repository rule violations found for refs/heads/main.', '- Cannot update this protected ref.'],
      },
      ['ruleset refused the push'],
      ['bypass the ruleset'],
      [],
    ],
    [
      'a pre-receive hook',
      { reason: DECLINED, messages: ['policy: changes to main need a review'] },
      ['hook declined'],
      ["The hook's words"],
      ['mode: pull-request'],
    ],
    [
      'GitLab protected branch',
      { reason: DECLINED, messages: ['GitLab: You are not allowed to push code to protected branches on this project.'] },
      ['protected on GitLab'],
      ['protected branch settings', 'infra-branch'],
      ['mode: pull-request', 'hook declined'],
    ],
    [
      'GitLab without write access',
      { reason: DECLINED, messages: ['GitLab: You are not allowed to push code to this project.'] },
      ['may not push to this GitLab project'],
      ['write_repository'],
      ['mode: pull-request'],
    ],
    [
      'a GitLab push rule',
      { reason: DECLINED, messages: ["GitLab: Commit message does not follow the pattern '^JIRA-'"] },
      ['GitLab refused the push'],
      ['push rule'],
      ['mode: pull-request'],
    ],
    [
      'Gitea protected branch',
      { reason: DECLINED, messages: ['Gitea: Not allowed to push to protected branch main'] },
      ['protected on Gitea'],
      ['push allowlist'],
      ['mode: pull-request'],
    ],
    [
      'Bitbucket Data Center: pull requests only',
      {
        reason: DECLINED,
        messages: [
          'Branch refs/heads/main can only be modified through pull requests.',
          'Check your branch permissions configuration with the project administrator.',
        ],
      },
      ['Bitbucket accepts changes to this branch only through a pull request'],
      ['branch permission'],
      ['mode: pull-request'],
    ],
    [
      'Bitbucket Cloud branch restriction',
      { reason: DECLINED, messages: ['Permission denied to update branch main.'] },
      ['may not push to this branch on Bitbucket'],
      ['branch restrictions'],
      ['mode: pull-request'],
    ],
    [
      'Bitbucket without push permission',
      { reason: DECLINED, messages: ["You don't have permission to push to this branch"] },
      ['may not push to this branch on Bitbucket'],
      ['write access'],
      [],
    ],
  ])('%s', (_form, answer, named, advised, notSaid) => {
    const judged = judgeRefusal(answer, 'main', 'org/infra', 'fast-forward') as GitError
    expect(judged).toBeInstanceOf(GitError)
    expect(judged.message).toContain('org/infra declined the push to main: ')
    for (const line of answer.messages) expect(judged.message).toContain(line)
    for (const words of named) expect(judged.message).toContain(words)
    for (const words of advised) expect(judged.fix).toContain(words)
    for (const words of notSaid) expect(judged.report.split('The host said:')[0] + judged.fix).not.toContain(words)
  })

  it('keeps every line of a long rejection, the first included, up to 4000 characters', () => {
    const messages = ['REASON: the first line says why', ...Array.from({ length: 200 }, (_, i) => `detail line ${i} ${'x'.repeat(40)}`)]
    const words = hostWords(messages, DECLINED)
    expect(words.startsWith('REASON: the first line says why | detail line 0')).toBe(true)
    expect(words).toHaveLength(4001)
    expect(words.endsWith('…')).toBe(true)
  })

  it('gives a refusal in no known form with its words', () => {
    const judged = judgeRefusal({ reason: 'funny business', messages: ['remote: something odd'] }, 'main', 'org/infra', 'fast-forward') as GitError
    expect(judged.message).toBe('org/infra refused the push to main: remote: something odd | funny business.')
  })
})

describe('credentials', () => {
  it('are Basic with the token as password, as GitHub accepts installation and personal tokens', () => {
    expect(basicAuthorization('s3cret')).toBe(`Basic ${Buffer.from('x-access-token:s3cret').toString('base64')}`)
  })

  it('carry the user name a host expects, when given', () => {
    expect(basicAuthorization('s3cret', 'oauth2')).toBe(`Basic ${Buffer.from('oauth2:s3cret').toString('base64')}`)
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
    [{ 'infra-repo': 'org/infra', 'timeout-seconds': '5' }, 'timeout-seconds', 'whole number'],
    [{ 'infra-repo': 'org/infra', 'dry-run': 'yes' }, 'dry-run', 'not a boolean'],
    [{ 'infra-repo': 'org/infra', 'infra-username': 'a:b' }, 'infra-username', 'cannot be a user name'],
    [{ 'infra-repo': 'org/infra', 'network-timeout-seconds': '0' }, 'network-timeout-seconds', 'whole number'],
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

describe('infra credentials and network bounds', () => {
  const env = { GITHUB_SERVER_URL: 'https://github.com' }
  const parse = (values: Record<string, string>) => parsePublishSettings(recordInputs(values), env)

  it('takes the Basic-auth user name a host expects', () => {
    expect(parse({ 'infra-repo': 'https://gitlab.example.com/team/infra.git', 'infra-token': 't', 'infra-username': 'oauth2' }).infra).toEqual({
      url: 'https://gitlab.example.com/team/infra.git',
      token: 't',
      username: 'oauth2',
      branch: '',
    })
  })

  it.each(['https://user:s3cret@git.example.com:99999/infra.git', 'https://user:s3cret@git example.com/infra.git', 'ftp://user:s3cret@git.example.com/infra'])(
    'never echoes the credential of a bad infra-repo URL: %s',
    (url) => {
      let error: unknown
      try {
        parse({ 'infra-repo': url })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).report).not.toContain('s3cret')
      expect((error as InputError).report).not.toContain('user:')
    },
  )

  it('bounds every request by network-timeout-seconds: stalls at it, whole requests at four times it', () => {
    expect(parse({ 'infra-repo': 'org/infra' }).network).toEqual({ stallMs: 15_000, requestMs: 60_000, maxAnswerBytes: MAX_ANSWER_BYTES })
    expect(parse({ 'infra-repo': 'org/infra', 'network-timeout-seconds': '40' }).network).toEqual({
      stallMs: 40_000,
      requestMs: 160_000,
      maxAnswerBytes: MAX_ANSWER_BYTES,
    })
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
