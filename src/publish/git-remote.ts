/**
 * The infra remote: resolving the branch, fetching only what an edit needs, reading files from git's
 * object store, and pushing. Errors are classified here into what the user should do next.
 */
import { GitError, InputError, TargetError } from '../errors.js'
import type { RepoFiles } from '../edit/plan.js'
import { GitCommandManager, gitErrorLines, type GitOutput } from './git-command.js'
import type { InfraRepo } from './settings.js'

/** Fetch of one branch tip: no history (depth 1), no file contents until read (blob-less partial clone). */
const FETCH_FLAGS = ['--depth=1', '--filter=blob:none', '--no-tags', '--no-write-fetch-head', '--quiet']

/** The typed error for a failed call against the remote. */
export function remoteError(infra: InfraRepo, what: string, output: GitOutput): Error {
  const detail = gitErrorLines(output)
  const where = infra.slug ?? infra.url
  if (/Authentication failed|could not read Username|terminal prompts disabled|\b401\b|invalid credentials|Invalid username or password/i.test(output.stderr)) {
    return new InputError('infra-token', `the infra repository ${where} refused the credentials while trying to ${what} (${detail})`,
      'Check that infra-token is set from a secret holding a valid token (fine-grained PAT or GitHub App token) that has not expired.')
  }
  if (/\b403\b|Permission to .* denied|not granted|denied to/i.test(output.stderr)) {
    return new InputError('infra-token', `the token may not ${what} ${where} (${detail})`,
      'Give the token Contents: read and write on the infra repository (and nothing else).')
  }
  if (/Repository not found|\b404\b|does not appear to be a git repository|not found/i.test(output.stderr)) {
    return new InputError('infra-repo', `${where} was not found (${detail})`,
      'Check the owner/name spelling, and that infra-token can see the repository (a token without access gets "not found").')
  }
  return new GitError(`git could not ${what} ${where}: ${detail || `exit code ${output.exitCode}`}.`,
    'If this is a network or server problem, re-run the job; nothing was pushed.')
}

export class InfraRemote {
  readonly git: GitCommandManager
  readonly infra: InfraRepo

  constructor(git: GitCommandManager, infra: InfraRepo) {
    this.git = git
    this.infra = infra
  }

  async init(): Promise<void> {
    const fail = (o: GitOutput) => remoteError(this.infra, 'prepare a local repository for', o)
    await this.git.run(['init', '--quiet', '--initial-branch=promote', '.'], fail)
    await this.git.run(['remote', 'add', 'origin', this.infra.url], fail)
  }

  /** The branch to land on: the configured one (which must exist) or the remote's default branch. */
  async resolveBranch(): Promise<string> {
    const wanted = this.infra.branch
    const refs = wanted === '' ? ['HEAD'] : [`refs/heads/${wanted}`]
    const out = await this.git.run(['ls-remote', '--symref', 'origin', ...refs], (o) => remoteError(this.infra, 'read', o))
    if (wanted === '') {
      const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out)
      if (!symref?.[1]) {
        throw new InputError('infra-branch', `the infra repository ${this.infra.slug ?? this.infra.url} has no default branch (is it empty?)`,
          'Push an initial commit to the infra repository, or set infra-branch.')
      }
      return symref[1]
    }
    if (!out.includes(`\trefs/heads/${wanted}`)) {
      throw new InputError('infra-branch', `branch '${wanted}' does not exist in ${this.infra.slug ?? this.infra.url}`,
        'Create the branch in the infra repository first, or fix infra-branch (leave it empty for the default branch).')
    }
    return wanted
  }

  /** Fetches the branch tip and returns its commit id. */
  async fetchTip(branch: string): Promise<string> {
    const ref = `refs/remotes/origin/${branch}`
    await this.git.run(['fetch', ...FETCH_FLAGS, 'origin', `+refs/heads/${branch}:${ref}`], (o) => remoteError(this.infra, 'fetch', o))
    return (await this.git.run(['rev-parse', '--verify', `${ref}^{commit}`], (o) => remoteError(this.infra, 'fetch', o))).trim()
  }

  /** Pushes `commit` to the branch without force; the remote accepts it only if the branch is still at our parent. */
  push(commit: string, branch: string): Promise<GitOutput> {
    return this.git.exec(['push', '--porcelain', '--quiet', 'origin', `${commit}:refs/heads/${branch}`])
  }
}

/**
 * Files of one commit, read from git's object store (blobs fetched lazily from the partial clone's
 * remote). Only regular files are read: a symlink is refused, and a path through a symlinked
 * directory does not exist in the tree, so nothing can lead outside the repository.
 */
export function commitFiles(git: GitCommandManager, commit: string): RepoFiles & { modeOf(path: string): Promise<string | undefined> } {
  const entry = async (path: string) => {
    const out = await git.run(['ls-tree', '-z', commit, '--', path], (o) => new GitError(`git could not list ${path}: ${gitErrorLines(o)}.`, 'Re-run the job.'))
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(out.replace(/\0$/, ''))
    return match && match[4] === path ? { mode: match[1]!, type: match[2]!, oid: match[3]! } : undefined
  }
  return {
    async read(path) {
      const found = await entry(path)
      if (!found || found.type !== 'blob') return undefined
      if (found.mode === '120000') {
        throw new TargetError(path, undefined, 'is a symbolic link', 'Point the target at the real file inside the repository.')
      }
      return git.run(['cat-file', 'blob', found.oid], (o) => new GitError(`git could not read ${path}: ${gitErrorLines(o)}.`, 'Re-run the job.'))
    },
    async modeOf(path) {
      return (await entry(path))?.mode
    },
  }
}
