/**
 * The infra remote: resolving the branch, fetching only what an edit needs, reading files from git's
 * object store, and pushing. Errors are classified here into what the user should do next.
 */
import * as core from '@actions/core'
import { join } from 'node:path'
import { GitError, InputError } from '../errors.js'
import type { FileChange, RepoFiles } from '../edit/plan.js'
import { CommitObjects } from './commit-objects.js'
import { createCommit } from './git-commit.js'
import { GitCommandManager, gitErrorLines, type GitOutput } from './git-command.js'
import { defaultSleep } from './contention.js'
import { isTransientFailure, NETWORK_RETRY_DELAYS_MS } from './retry.js'
import type { InfraRepo } from './settings.js'
import type { CommitIdentity } from './types.js'

/** The repository pushes are made from (see `push`), inside this one's git directory. */
const PUSH_GIT_DIR = '.git/push'
const QUIET_FETCH = ['--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', '--no-auto-maintenance', '--quiet']
/** The branch tip alone: no history (depth 1), no trees (tree:0 is the tree filter GitHub serves). */
const TIP_FETCH = ['--depth=1', '--filter=tree:0', ...QUIET_FETCH]
/** Fallback for a server that refuses tree filters: every tree of the tip, blobs when read. */
const BLOBLESS_FETCH = ['--depth=1', '--filter=blob:none', ...QUIET_FETCH]
/**
 * Objects wanted by id, each without what it points to. No "have" lines: the tip we hold contains
 * these objects, so a negotiating server would assume we have them and send nothing.
 */
const OBJECT_FETCH = ['-c', 'fetch.negotiationAlgorithm=noop', 'fetch', '--filter=tree:0', ...QUIET_FETCH]

/** The typed error for a failed call against the remote. */
export function remoteError(infra: InfraRepo, what: string, output: GitOutput): Error {
  const detail = gitErrorLines(output)
  const where = infra.slug ?? infra.url
  if (/Authentication failed|could not read Username|terminal prompts disabled|\b401\b|invalid credentials|Invalid username or password/i.test(output.stderr)) {
    return new InputError(
      'infra-token',
      `the infra repository ${where} refused the credentials while trying to ${what} (${detail})`,
      'Check that infra-token is set from a secret holding a valid token (fine-grained PAT or GitHub App token) that has not expired.',
    )
  }
  if (/\b403\b|Permission to .* denied|not granted|denied to/i.test(output.stderr)) {
    return new InputError(
      'infra-token',
      `the token may not ${what} ${where} (${detail})`,
      'Give the token Contents: read and write on the infra repository (and nothing else).',
    )
  }
  if (/Repository not found|\b404\b|does not appear to be a git repository|not found/i.test(output.stderr)) {
    return new InputError(
      'infra-repo',
      `${where} was not found (${detail})`,
      'Check the owner/name spelling, and that infra-token can see the repository (a token without access gets "not found").',
    )
  }
  return new GitError(
    `git could not ${what} ${where}: ${detail || `exit code ${output.exitCode}`}.`,
    'If this is a network or server problem, re-run the job; nothing was pushed.',
  )
}

/**
 * The infra repository as this run sees it. Against a server that filters (GitHub, GitLab, Gitea, git
 * itself) a fetch brings the tip commit alone, and `files` then fetches by id only the trees and blobs
 * along the paths read, level by level, so the cost of a promotion does not grow with the number of
 * apps or the length of history. git's own lazy fetch is never triggered: it would pull whole subtrees.
 */
export class InfraRemote {
  readonly git: GitCommandManager
  readonly infra: InfraRepo
  /** False once the server turned out not to filter: the tip fetch then holds every tree. */
  private fetchesByPath = true
  private readonly objects: CommitObjects
  private readonly sleep: (ms: number) => Promise<void>

  /** `sleep` waits before a failed read is sent again; tests pass a fast one. */
  constructor(git: GitCommandManager, infra: InfraRepo, sleep = defaultSleep) {
    this.git = git
    this.infra = infra
    this.sleep = sleep
    this.objects = new CommitObjects(git, (oids) => this.fetchObjects(oids))
  }

  /**
   * A read from the remote (ls-remote, fetch), sent again after a short wait while it fails in a way
   * that passes (a 5xx, a dropped connection). Reads change nothing, so repeating them is safe.
   */
  private async read(args: readonly string[]): Promise<GitOutput> {
    for (let retry = 0; ; retry++) {
      const output = await this.git.exec(args)
      const delay = NETWORK_RETRY_DELAYS_MS[retry]
      if (output.exitCode === 0 || delay === undefined || !isTransientFailure(output.stderr)) return output
      core.info(`Reading ${this.infra.slug ?? this.infra.url} failed (${gitErrorLines(output, 1)}); trying again in ${delay} ms.`)
      await this.sleep(delay)
    }
  }

  private async readOrFail(args: readonly string[], what: string): Promise<string> {
    const output = await this.read(args)
    if (output.exitCode !== 0) throw remoteError(this.infra, what, output)
    return output.stdout
  }

  /** `git ls-remote --symref` of `refs` on the remote. */
  listRefs(refs: readonly string[]): Promise<string> {
    return this.readOrFail(['ls-remote', '--symref', 'origin', ...refs], 'read')
  }

  async init(): Promise<void> {
    const fail = (o: GitOutput) => remoteError(this.infra, 'prepare a local repository for', o)
    await this.git.run(['init', '--quiet', '--initial-branch=promote', '.'], fail)
    await this.git.run(['remote', 'add', 'origin', this.infra.url], fail)
    await this.git.run(['init', '--quiet', '--bare', PUSH_GIT_DIR], fail)
  }

  /** The branch to land on: the configured one (which must exist) or the remote's default branch. */
  async resolveBranch(): Promise<string> {
    const wanted = this.infra.branch
    const refs = wanted === '' ? ['HEAD'] : [`refs/heads/${wanted}`]
    const out = await this.listRefs(refs)
    if (wanted === '') {
      const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out)
      if (!symref?.[1]) {
        throw new InputError(
          'infra-branch',
          `the infra repository ${this.infra.slug ?? this.infra.url} has no default branch (is it empty?)`,
          'Push an initial commit to the infra repository, or set infra-branch.',
        )
      }
      return symref[1]
    }
    if (!out.includes(`\trefs/heads/${wanted}`)) {
      throw new InputError(
        'infra-branch',
        `branch '${wanted}' does not exist in ${this.infra.slug ?? this.infra.url}`,
        'Create the branch in the infra repository first, or fix infra-branch (leave it empty for the default branch).',
      )
    }
    return wanted
  }

  /** Fetches the branch tip and returns its commit id. */
  async fetchTip(branch: string): Promise<string> {
    const ref = `refs/remotes/origin/${branch}`
    const refspec = `+refs/heads/${branch}:${ref}`
    const fail = (o: GitOutput) => remoteError(this.infra, 'fetch', o)
    const fetched = this.fetchesByPath ? await this.read(['fetch', ...TIP_FETCH, 'origin', refspec]) : undefined
    if (fetched?.exitCode !== 0) {
      if (fetched && !/filter/i.test(fetched.stderr)) throw fail(fetched)
      this.fetchesByPath = false
      await this.readOrFail(['fetch', ...BLOBLESS_FETCH, 'origin', refspec], 'fetch')
    } else if (/filtering not recognized/i.test(fetched.stderr)) {
      // The server ignored the filter and sent the whole tip: everything is local.
      this.fetchesByPath = false
    }
    return (await this.git.run(['rev-parse', '--verify', `${ref}^{commit}`], fail)).trim()
  }

  /** The files of a fetched commit; see the class comment for what is fetched. */
  files(commit: string): RepoFiles {
    return this.objects.files(commit)
  }

  /** Creates (does not push) a commit on the fetched `parent`, reading only the trees along the changed paths. */
  commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<string> {
    return createCommit(this.git, parent, files, message, author, this.objects)
  }

  private async fetchObjects(oids: readonly string[]): Promise<void> {
    if (!this.fetchesByPath) return
    await this.readOrFail([...OBJECT_FETCH, 'origin', ...oids], 'fetch')
  }

  /**
   * Pushes `commit` to `ref`; with a `lease` (the commit the ref must still be at, '' for "must not
   * exist") as a compare-and-swap the server enforces. For the promotion commit, a child of the tip
   * it was built on, that is a fast-forward only, never a force.
   *
   * The push runs from a repository with no objects of its own that reads this one's as alternates,
   * and so is not a partial clone: what git looks up while packing (the trees of the commit the
   * remote has, for a thin pack) and is not here counts as absent. From the partial clone itself the
   * same lookups would fetch those trees from the remote, one by one, and then start maintenance.
   */
  push(commit: string, ref: string, lease?: string): Promise<GitOutput> {
    const args = ['--git-dir', PUSH_GIT_DIR, 'push', '--porcelain', '--quiet']
    if (lease !== undefined) args.push(`--force-with-lease=${ref}:${lease}`)
    args.push(this.infra.url, `${commit}:${ref}`)
    return this.git.exec(args, { env: { GIT_ALTERNATE_OBJECT_DIRECTORIES: join(this.git.dir, '.git', 'objects') } })
  }
}
