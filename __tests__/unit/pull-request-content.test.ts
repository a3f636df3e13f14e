import { describe, expect, it } from '@jest/globals'
import { unifiedDiff } from '../../src/edit/diff.js'
import { promoteBranch } from '../../src/github/pr-content.js'
import { parseGitHubPublishSettings } from '../../src/github/settings.js'
import { recordInputs } from '../../src/inputs.js'
import { DEFAULT_NETWORK_BOUNDS } from '../../src/network.js'

describe('pull-request content', () => {
  it('names one branch per image and target set, whatever the order', () => {
    const a = promoteBranch(
      ['ghcr.io/acme/app'],
      [
        { kind: 'kustomize', path: 'b/' },
        { kind: 'manifest', file: 'a.yaml' },
      ],
    )
    const b = promoteBranch(
      ['ghcr.io/acme/app'],
      [
        { kind: 'manifest', file: 'a.yaml' },
        { kind: 'kustomize', path: 'b' },
      ],
    )
    expect(a).toBe(b)
    expect(a).toMatch(/^promote\/acme\/app\/[0-9a-f]{10}$/)
    expect(promoteBranch(['ghcr.io/acme/app'], [{ kind: 'manifest', file: 'c.yaml' }])).not.toBe(a)
  })

  it('diffs replaced lines with context, and appended blocks whole', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].join('\n') + '\n'
    expect(unifiedDiff('f.yaml', before, before.replace('b\n', 'B\n').replace('k\n', 'K\n'))).toBe(
      ['--- a/f.yaml', '+++ b/f.yaml', '@@ -1,5 +1,5 @@', ' a', '-b', '+B', ' c', ' d', ' e', '@@ -8,5 +8,5 @@', ' h', ' i', ' j', '-k', '+K', ' l'].join('\n'),
    )
    expect(unifiedDiff('f.yaml', 'x\n', 'x\ny\n')).toBe(['--- a/f.yaml', '+++ b/f.yaml', '@@ -1,1 +1,2 @@', ' x', '+y'].join('\n'))
    expect(unifiedDiff('f.yaml', 'x\n', 'x\n')).toBe('')
  })

  it('parses the inputs with their defaults, and refuses bad ones naming the input', () => {
    expect(parseGitHubPublishSettings(recordInputs({}))).toEqual({
      mode: 'push',
      commitVia: 'git',
      pullRequest: { branch: '', title: '', labels: [], reviewers: [], assignees: [], body: '', draft: false },
      network: DEFAULT_NETWORK_BOUNDS,
    })
    const set = parseGitHubPublishSettings(
      recordInputs({
        mode: 'pull-request',
        'commit-via': 'api',
        'pr-labels': 'a, b\nc',
        'pr-reviewers': '@octocat, acme/platform',
        'pr-auto-merge': 'squash',
        'pr-draft': 'true',
        'pr-assignees': '@octocat\nhubot',
        'pr-body': 'Promotes {image-ref}',
      }),
    )
    expect(set.pullRequest).toMatchObject({
      labels: ['a', 'b', 'c'],
      reviewers: ['octocat', 'acme/platform'],
      assignees: ['octocat', 'hubot'],
      body: 'Promotes {image-ref}',
      autoMerge: 'squash',
      draft: true,
    })
    expect(() => parseGitHubPublishSettings(recordInputs({ 'pr-assignees': 'acme/platform' }))).toThrow("Input 'pr-assignees'")
    expect(() => parseGitHubPublishSettings(recordInputs({ 'pr-auto-merge': 'fast' }))).toThrow("Input 'pr-auto-merge'")
    expect(() => parseGitHubPublishSettings(recordInputs({ 'pr-branch': 'a..b' }))).toThrow("Input 'pr-branch'")
  })
})
