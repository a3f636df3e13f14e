/**
 * The baseline users write by hand to promote under contention: a shallow, sparse clone of the app's
 * directory, `sed` the tag, commit, then `git pull --rebase && git push` a few times in a loop with
 * no wait. It owns nothing but that script, in TypeScript, so benches can race it against a moving
 * tip.
 *
 * Only the git CLI and Node: nothing from src/publish, whose internals change independently.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GitServer } from '../__tests__/support/git-server.js'
import { appImage, overlayPath } from './infra-monorepo.js'

const IDENTITY = {
  GIT_AUTHOR_NAME: 'pull-rebase-loop',
  GIT_AUTHOR_EMAIL: 'pull-rebase-loop@example.invalid',
  GIT_COMMITTER_NAME: 'pull-rebase-loop',
  GIT_COMMITTER_EMAIL: 'pull-rebase-loop@example.invalid',
}

/**
 * The token as an `http.<origin>/.extraheader` through `GIT_CONFIG_*` (never in argv or a config
 * file), no credential helper (a machine's stored credentials must not answer instead), no prompt.
 */
function gitEnv(url: string, token: string): Record<string, string> {
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`
  return {
    ...IDENTITY,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: `http.${new URL(url).origin}/.extraheader`,
    GIT_CONFIG_VALUE_0: header,
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: '',
  }
}

/** Runs git in `cwd`; resolves with whether it exited 0, as `&&` in a shell script sees it. */
function gitSucceeds(cwd: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error) => resolve(error === null))
  })
}

/**
 * `git clone --depth=1 --filter=blob:none --sparse` + `git sparse-checkout set <overlay>` (once), edit the overlay's newTag, commit, then up to `tries` times:
 * `git pull --rebase` && `git push`; no wait between tries. Resolves with { landed: boolean; tries: number; ms: number }.
 * `ms` is the whole run from the clone to the last push, without removing the temp dir.
 */
export async function promoteWithPullRebaseLoop(
  server: GitServer,
  name: string,
  app: number,
  tag: string,
  tries = 5,
): Promise<{ landed: boolean; tries: number; ms: number }> {
  const started = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'bench-pull-rebase-'))
  try {
    const url = server.repoUrl(name)
    const env = gitEnv(url, server.token)
    const work = join(dir, 'infra')
    // Only the app's own directory is checked out (blobs fetched for it alone), as a careful script
    // does on a large monorepo: a full checkout of 30,000 apps is about 1.1 GB per run.
    const clone = ['clone', '--quiet', '--depth=1', '--filter=blob:none', '--sparse', '--single-branch', '--branch', 'main', url, 'infra']
    if (!(await gitSucceeds(dir, clone, env)) || !(await gitSucceeds(work, ['sparse-checkout', 'set', overlayPath(app)], env))) {
      throw new Error(`git clone --depth=1 --sparse ${url} failed`)
    }
    const file = join(work, overlayPath(app), 'kustomization.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/newTag: \S+/, `newTag: ${tag}`))
    if (!(await gitSucceeds(work, ['commit', '--quiet', '--all', '--message', `promote ${appImage(app)}:${tag}`], env))) {
      throw new Error(`git commit failed in ${work}`)
    }
    // Plain `git pull --rebase`, not `--depth=1`: on a shallow clone a plain fetch brings the new
    // commits down to the clone's shallow commit, which stays the merge base, so only our commit is
    // replayed. `--depth=1` would make the new tip a shallow root unrelated to our base: rebase then
    // replays the cloned snapshot itself as a root commit and stops on add/add conflicts.
    let attempt = 0
    while (attempt < tries) {
      attempt++
      if ((await gitSucceeds(work, ['pull', '--quiet', '--rebase'], env)) && (await gitSucceeds(work, ['push', '--quiet', 'origin', 'HEAD:main'], env))) {
        return { landed: true, tries: attempt, ms: performance.now() - started }
      }
    }
    return { landed: false, tries: attempt, ms: performance.now() - started }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
