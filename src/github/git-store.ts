/**
 * The infra repository over git, for pull-request mode with `commit-via: git`: the same blob-less
 * fetch and plumbing commit as the push path, and a leased push for the branch the action owns.
 */
import type { FileChange, RepoFiles } from '../edit/plan.js'
import { gitErrorLines, type GitOutput } from '../publish/git-command.js'
import { InfraRemote, remoteError } from '../publish/git-remote.js'
import { isBranchMoved } from '../publish/retry.js'
import type { CommitIdentity } from '../publish/types.js'
import { GitError } from '../errors.js'
import type { BranchHead, BuiltCommit, InfraStore, UpdateMode } from './store.js'

export class GitStore implements InfraStore {
  readonly where: string
  private readonly remote: InfraRemote

  constructor(remote: InfraRemote) {
    this.remote = remote
    this.where = remote.infra.slug ?? remote.infra.url
  }

  resolveBranch(): Promise<string> {
    return this.remote.resolveBranch()
  }

  async head(branch: string): Promise<BranchHead | undefined> {
    const listed = await this.remote.listRefs([`refs/heads/${branch}`])
    if (!listed.includes(`\trefs/heads/${branch}`)) return undefined
    const commit = await this.remote.fetchTip(branch)
    const fail = (o: GitOutput) => new GitError(`git could not read ${commit}: ${gitErrorLines(o)}.`, 'Re-run the job.')
    // The raw object: in a shallow fetch, `git log` hides the parents behind the shallow boundary.
    const header = (await this.remote.git.run(['cat-file', 'commit', commit], fail)).split('\n\n')[0].split('\n')
    const field = (name: string) => header.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1))
    return { commit, tree: field('tree')[0], parents: field('parent') }
  }

  files(commit: string): RepoFiles {
    return this.remote.files(commit)
  }

  async commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<BuiltCommit> {
    const commit = await this.remote.commit(parent, files, message, author)
    const tree = (await this.remote.git.run(['rev-parse', `${commit}^{tree}`], (o) => remoteError(this.remote.infra, 'read', o))).trim()
    return { commit, tree }
  }

  async update(branch: string, commit: string, expected: string | undefined, mode: UpdateMode): Promise<'updated' | 'moved'> {
    const ref = `refs/heads/${branch}`
    // Always under a lease on the head we saw: a concurrent run's update is noticed, not lost. A
    // fast-forward's commit is a child of that head, so the lease never forces anything there.
    const pushed = await this.remote.push(commit, ref, expected ?? '')
    if (pushed.exitCode === 0) return 'updated'
    const output = `${pushed.stdout}\n${pushed.stderr}`
    // Forced, only a failed lease means a race; any other refusal is the server's policy.
    if (mode === 'force' ? /stale info/i.test(output) : isBranchMoved(output)) return 'moved'
    if (mode === 'force' && /rejected|declined|denying|protected/i.test(output)) {
      throw new GitError(
        `the infra repository refused the forced update of ${branch}, the action's own pull-request branch (${gitErrorLines({ ...pushed, stderr: output })}).`,
        'Allow force pushes to that branch (exclude promote/** from branch protection), or name another one in pr-branch.',
      )
    }
    throw remoteError(this.remote.infra, `push to ${branch} of`, pushed)
  }
}
