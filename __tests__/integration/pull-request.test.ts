/**
 * `mode: pull-request` end to end: the action (sources through tsx) commits on its own branch of the
 * real git server (by git, and through the API) and opens or updates the pull request through the
 * GitHub API stand-in, whose every request and response is checked against GitHub's OpenAPI
 * description.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { ApiStore } from '../../src/github/api-store.js'
import { createGitHubClient } from '../../src/github/client.js'
import { promoteBranch } from '../../src/github/pr-content.js'
import { DEFAULT_NETWORK_BOUNDS } from '../../src/network.js'
import { GitStore } from '../../src/publish/git-store.js'
import { runAction, type ActionRun } from '../support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { expectOneError, useGitHubStandIn } from '../support/github-suite.js'
import { requireService } from '../support/services.js'

const PROD = 'deploy/note-book/overlays/prod'
const TAG_1 = '1111111111111111111111111111111111111111'
const TAG_2 = '2222222222222222222222222222222222222222'
const BRANCH = promoteBranch([NOTE_BOOK_IMAGE], [{ kind: 'kustomize', path: PROD }])

const PROTECT_MAIN = `#!/bin/sh
if [ "$1" = refs/heads/main ] && [ "$2" != ${'0'.repeat(40)} ] && ! git merge-base --is-ancestor "$2" "$3"; then
  echo "main is protected: no force pushes" >&2
  exit 1
fi
`

const haveGit = requireService('git-http-backend', () => execFileSync('git', ['--version']).length > 0)
const describeGit = haveGit ? describe : describe.skip

describeGit('promotion by pull request', () => {
  const suite = useGitHubStandIn()
  let repo = 0

  async function infraRepo(): Promise<string> {
    const slug = `acme/infra-${++repo}`
    await suite.server.createRepo(slug, seed000Infra())
    // As on GitHub: force pushes are allowed, except to the protected main branch.
    await suite.server.git(slug, ['config', 'receive.denyNonFastForwards', 'false'])
    await suite.server.setHook(slug, 'update', PROTECT_MAIN)
    return slug
  }

  /** A run of the source pipeline that built `tag` from commit `tag` in run `runNumber`. */
  function promote(slug: string, inputs: Record<string, string> = {}, runNumber = 42): Promise<ActionRun> {
    const tag = inputs.tag ?? TAG_1
    return runAction(
      {
        image: NOTE_BOOK_IMAGE,
        tag,
        build: 'false',
        'verify-image': 'false',
        'infra-repo': slug,
        'infra-token': suite.server.token,
        'overlay-path': PROD,
        mode: 'pull-request',
        ...inputs,
      },
      {
        entry: 'src',
        env: {
          GITHUB_SERVER_URL: suite.server.url,
          GITHUB_API_URL: suite.api.url,
          GITHUB_SHA: tag,
          GITHUB_RUN_NUMBER: String(runNumber),
          GITHUB_RUN_ID: String(1_000_000 + runNumber),
          GITHUB_WORKFLOW_REF: 'ani2fun/note-book/.github/workflows/promote.yml@refs/heads/main',
        },
      },
    )
  }

  function expectSuccess(run: ActionRun): void {
    expect(run.log).not.toContain(suite.server.token)
    expect([run.exitCode, run.log.split('\n').filter((l) => l.startsWith('::error'))]).toEqual([0, []])
    expect(run.leftInTemp).toEqual([])
  }

  it.each(['git', 'api'])('opens a pull request on the first run and updates the same one on the next (commit-via %s)', async (via) => {
    const slug = await infraRepo()
    const main = await suite.server.revParse(slug, 'main')
    const first = await promote(slug, {
      'commit-via': via,
      'pr-labels': 'promotion, prod',
      'pr-reviewers': 'octocat\nacme/platform',
      'pr-auto-merge': 'squash',
    })
    expectSuccess(first)
    expect(first.outputs).toMatchObject({ changed: 'true', 'pull-request-number': expect.stringMatching(/^\d+$/), 'pull-request-operation': 'created' })
    expect(first.outputs['pull-request-url']).toBe(`${suite.server.url}/${slug}/pull/${first.outputs['pull-request-number']}`)
    // The base branch is untouched; the promotion sits on the action's branch, one commit on main's head.
    expect(await suite.server.revParse(slug, 'main')).toBe(main)
    const [onBranch] = await suite.server.log(slug, BRANCH)
    expect(onBranch.sha).toBe(first.outputs['commit-sha'])
    expect(onBranch.parents).toEqual([main])
    expect(await suite.server.readFile(slug, BRANCH, `${PROD}/kustomization.yaml`)).toContain(`newTag: "${TAG_1}"`)

    const [pr] = suite.api.pullRequests(slug)
    expect(pr).toMatchObject({
      state: 'open',
      head: BRANCH,
      base: 'main',
      labels: ['promotion', 'prod'],
      reviewers: ['octocat'],
      teams: ['platform'],
      autoMerge: 'squash',
    })
    expect(pr.title).toBe(`promote ${NOTE_BOOK_IMAGE}:${TAG_1} to ${PROD}/kustomization.yaml`)
    expect(pr.body).toContain(`| Tag | \`${TAG_1}\` |`)
    expect(pr.body).toContain(`[#42](${suite.server.url}/ani2fun/note-book/actions/runs/1000042)`)
    expect(pr.body).toContain(`[\`${TAG_1.slice(0, 7)}\`](${suite.server.url}/ani2fun/note-book/commit/${TAG_1})`)
    expect(pr.body).toContain('-    newTag: "0.9.0" # first release')
    expect(pr.body).toContain(`+    newTag: "${TAG_1}" # first release`)

    // Someone lands on main meanwhile; a newer build of the same targets supersedes the branch's content.
    const moved = await suite.server.commitFiles(slug, { 'README.md': 'infra\n' }, 'unrelated change')
    const second = await promote(slug, { 'commit-via': via, tag: TAG_2, 'pr-labels': 'promotion, prod' }, 43)
    expectSuccess(second)
    expect(second.outputs).toMatchObject({ changed: 'true', 'pull-request-number': first.outputs['pull-request-number'], 'pull-request-operation': 'updated' })
    expect(suite.api.pullRequests(slug)).toHaveLength(1)
    expect(suite.api.pullRequests(slug)[0].body).toContain(TAG_2)
    const [updated] = await suite.server.log(slug, BRANCH)
    expect(updated.parents).toEqual([moved])
    expect(await suite.server.readFile(slug, BRANCH, `${PROD}/kustomization.yaml`)).toContain(`newTag: "${TAG_2}"`)

    // The same promotion again: nothing to do.
    const third = await promote(slug, { 'commit-via': via, tag: TAG_2 }, 43)
    expectSuccess(third)
    expect(third.outputs).toMatchObject({
      changed: 'false',
      'skipped-reason': 'up-to-date',
      'pull-request-operation': 'unchanged',
      'pull-request-number': first.outputs['pull-request-number'],
    })
    expect((await suite.server.log(slug, BRANCH))[0].sha).toBe(updated.sha)
  })

  it.each(['git', 'api', 'api on a server without updateRefs'])(
    "deletes a closed pull request's branch only while it is where it was read (%s)",
    async (via) => {
      const slug = await infraRepo()
      if (via.includes('without')) suite.api.lackMutation('updateRefs', 2)
      const asked = suite.api.requests.length
      const read = await suite.server.revParse(slug, 'main')
      await suite.server.git(slug, ['update-ref', `refs/heads/${BRANCH}`, read])
      const git = new GitStore({ url: suite.server.repoUrl(slug), token: suite.server.token, branch: 'main' })
      const store =
        via === 'git' ? git : new ApiStore(createGitHubClient(suite.server.token, { GITHUB_API_URL: suite.api.url }, DEFAULT_NETWORK_BOUNDS), slug, 'main')
      try {
        // Another run promoting a newer image moved the branch since it was read: it stays.
        const newer = await suite.server.commitFiles(slug, { 'newer.txt': 'newer\n' }, 'a newer promotion', BRANCH)
        expect(await store.deleteBranch(BRANCH, read)).toBe('moved')
        expect(await suite.server.revParse(slug, BRANCH)).toBe(newer)
        expect(await store.deleteBranch(BRANCH, newer)).toBe('deleted')
        await expect(suite.server.revParse(slug, BRANCH)).rejects.toThrow()
        expect(await suite.server.revParse(slug, 'main')).toBe(read)
        // Through the API: GitHub's updateRefs holds the lease; without it, REST after a read.
        const deletes = suite.api.requests
          .slice(asked)
          .filter((r) => r.route === '/graphql' || r.method === 'DELETE')
          .map((r) => r.route)
        if (via === 'api') expect(deletes).toEqual(['/graphql', '/graphql'])
        if (via.includes('without')) expect(deletes).toEqual(['/graphql', '/graphql', '/repos/{owner}/{repo}/git/refs/{ref}'])
      } finally {
        git.close()
      }
    },
  )

  it.each(['api', 'api on a server without updateRefs'])(
    'through the API, force-updates the pull-request branch only while it is where it was read (%s)',
    async (via) => {
      const slug = await infraRepo()
      const read = await suite.server.revParse(slug, 'main')
      await suite.server.git(slug, ['update-ref', `refs/heads/${BRANCH}`, read])
      const ours = await suite.server.commitFiles(slug, { 'ours.txt': 'ours\n' }, 'our promotion', 'scratch')
      if (via.includes('without')) suite.api.lackMutation('updateRefs', 2)
      const store = new ApiStore(createGitHubClient(suite.server.token, { GITHUB_API_URL: suite.api.url }, DEFAULT_NETWORK_BOUNDS), slug, 'main')
      // A newer promotion moved the branch after it was read: ours does not replace it, with updateRefs.
      const newer = await suite.server.commitFiles(slug, { 'newer.txt': 'newer\n' }, 'a newer promotion', BRANCH)
      expect(await store.update(BRANCH, ours, read, 'force')).toEqual({ kind: 'moved' })
      expect(await suite.server.revParse(slug, BRANCH)).toBe(newer)
      expect(await store.update(BRANCH, ours, newer, 'force')).toEqual({ kind: 'updated' })
      expect(await suite.server.revParse(slug, BRANCH)).toBe(ours)
    },
  )

  it('fails with one clear error naming infra-token and the permission when GitHub answers 403', async () => {
    const slug = await infraRepo()
    suite.api.deny('POST', '/repos/{owner}/{repo}/pulls', 1)
    const run = await promote(slug)
    expectOneError(run, suite.server.token, "Input 'infra-token'", 'Pull requests: read and write', 'HTTP 403: Resource not accessible by integration')
    expect(suite.api.pullRequests(slug)).toEqual([])
  })

  it('needs infra-repo on the GitHub host', async () => {
    const slug = await infraRepo()
    const run = await promote(slug, { 'infra-repo': `https://git.example.com/${slug}.git` })
    expect(run.exitCode).not.toBe(0)
    expect(run.log).toContain("Input 'infra-repo'")
  })
})
