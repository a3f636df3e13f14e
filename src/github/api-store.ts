/**
 * The infra repository over the GitHub Git Data API: no clone at all. Files are read by walking the
 * trees along their paths (one listing per directory, cached) and fetching only the blobs edited;
 * commits are built blobs → tree (on the parent's tree) → commit, with no committer given so GitHub
 * signs them (Verified). A fast-forward ref update is GitHub's compare-and-swap: a commit whose parent
 * is no longer the head is refused with 422 "Update is not a fast forward". REST has no lease for a
 * forced update or a delete (the pull-request branch): those go through GraphQL's `updateRefs`, which
 * applies them only while the branch is where it was read.
 */
import * as core from '@actions/core'
import { treeFiles, type StoredEntry } from '../edit/files.js'
import type { FileChange, RepoFiles } from '../edit/plan.js'
import { errorMessage, HostFailure } from '../errors.js'
import { ZERO_OID } from '../publish/git-objects.js'
import { isBranchMoved } from '../publish/push-answers.js'
import { missingBranch, type BranchHead, type BuiltCommit, type InfraStore, type UpdateMode, type UpdateOutcome } from '../publish/store.js'
import type { CommitIdentity } from '../publish/types.js'
import { StoppedRequest } from './bounded-fetch.js'
import { apiError, httpFailure, type GitHubClient, type Permission } from './client.js'

interface TreeEntry {
  readonly path: string
  readonly mode: string
  readonly type: string
  readonly sha: string
  readonly size?: number
}

export interface RepoId {
  readonly owner: string
  readonly repo: string
}

export function repoId(slug: string): RepoId {
  const [owner, repo] = slug.split('/') as [string, string]
  return { owner, repo }
}

const READ: Permission = 'Contents: read'
const WRITE: Permission = 'Contents: read and write'

export class ApiStore implements InfraStore {
  readonly where: string
  /** A refused update is one cheap request, as is a ref read. */
  readonly readsBeforeRetry = false
  private readonly client: GitHubClient
  private readonly id: RepoId
  /** Directory listings by tree id: trees are immutable, so every commit shares them. */
  private readonly listings = new Map<string, Promise<readonly TreeEntry[]>>()
  /** Root tree of each commit read. */
  private readonly treeOf = new Map<string, Promise<string>>()
  /** infra-branch; empty for the default branch. */
  private readonly configuredBranch: string
  private repositoryId?: Promise<string>

  constructor(client: GitHubClient, slug: string, configuredBranch: string) {
    this.client = client
    this.id = repoId(slug)
    this.where = slug
    this.configuredBranch = configuredBranch
  }

  /** Runs one API call, turning its failure into the typed error for `what`. */
  private async call<T>(what: string, permission: Permission, request: () => Promise<{ data: T }>): Promise<T> {
    try {
      return (await request()).data
    } catch (error) {
      throw apiError(error, `${what} in ${this.where}`, permission)
    }
  }

  async resolveBranch(): Promise<string> {
    const configured = this.configuredBranch
    if (configured === '') {
      return (await this.call('read the repository', READ, () => this.client.rest.repos.get({ ...this.id }))).default_branch
    }
    if (!(await this.head(configured))) {
      throw missingBranch(configured, this.where)
    }
    return configured
  }

  async head(branch: string): Promise<BranchHead | undefined> {
    let sha: string
    try {
      sha = (await this.client.rest.git.getRef({ ...this.id, ref: `heads/${branch}` })).data.object.sha
    } catch (error) {
      if (httpFailure(error)?.status === 404) return undefined
      throw apiError(error, `read branch ${branch} in ${this.where}`, READ)
    }
    const commit = await this.call(`read commit ${sha}`, READ, () => this.client.rest.git.getCommit({ ...this.id, commit_sha: sha }))
    return { commit: sha, tree: commit.tree.sha, parents: commit.parents.map((p) => p.sha) }
  }

  private listing(tree: string): Promise<readonly TreeEntry[]> {
    let listed = this.listings.get(tree)
    if (!listed) {
      listed = this.call(`list tree ${tree}`, READ, () => this.client.rest.git.getTree({ ...this.id, tree_sha: tree })).then((data) =>
        data.tree.map((e) => ({
          path: e.path ?? '',
          mode: e.mode ?? '',
          type: e.type ?? '',
          sha: e.sha ?? '',
          ...(e.size !== undefined ? { size: e.size } : {}),
        })),
      )
      this.listings.set(tree, listed)
      listed.catch(() => this.listings.delete(tree))
    }
    return listed
  }

  /** The tree entry at `path` in `tree`, walking one directory listing per path component. */
  private async entry(tree: string, path: string): Promise<TreeEntry | undefined> {
    let current = tree
    const parts = path.split('/')
    for (const [i, part] of parts.entries()) {
      const found = (await this.listing(current)).find((e) => e.path === part)
      if (!found || i === parts.length - 1) return found
      if (found.type !== 'tree') return undefined
      current = found.sha
    }
    return undefined
  }

  private rootTree(commit: string): Promise<string> {
    let tree = this.treeOf.get(commit)
    if (!tree) {
      tree = this.call(`read commit ${commit}`, READ, () => this.client.rest.git.getCommit({ ...this.id, commit_sha: commit })).then((c) => c.tree.sha)
      this.treeOf.set(commit, tree)
    }
    return tree
  }

  files(commit: string): RepoFiles {
    return treeFiles({
      root: () => this.rootTree(commit),
      tree: async (oid) =>
        new Map(
          (await this.listing(oid)).map((e): [string, StoredEntry] => [
            e.path,
            e.size === undefined ? { mode: e.mode, oid: e.sha } : { mode: e.mode, oid: e.sha, size: e.size },
          ]),
        ),
      blob: async (oid) => {
        const blob = await this.call(`read blob ${oid}`, READ, () => this.client.rest.git.getBlob({ ...this.id, file_sha: oid }))
        return Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8')
      },
    })
  }

  async commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<BuiltCommit> {
    const baseTree = await this.rootTree(parent)
    const entries = await Promise.all(
      files.map(async (file) => {
        const mode = (await this.entry(baseTree, file.path))?.mode === '100755' ? '100755' : '100644'
        // A null sha removes the path from the base tree.
        if (file.after === null) return { path: file.path, mode, type: 'blob', sha: null } as const
        const { after } = file
        const blob = await this.call(`store ${file.path}`, WRITE, () =>
          this.client.rest.git.createBlob({ ...this.id, content: Buffer.from(after, 'utf8').toString('base64'), encoding: 'base64' }),
        )
        return { path: file.path, mode, type: 'blob', sha: blob.sha } as const
      }),
    )
    const tree = await this.call('write the tree', WRITE, () => this.client.rest.git.createTree({ ...this.id, base_tree: baseTree, tree: entries }))
    // No committer: GitHub commits (and signs) as the token's identity, so the commit shows as Verified.
    const commit = await this.call('create the commit', WRITE, () =>
      this.client.rest.git.createCommit({ ...this.id, message, tree: tree.sha, parents: [parent], author: { name: author.name, email: author.email } }),
    )
    return { commit: commit.sha, tree: tree.sha }
  }

  async deleteBranch(branch: string, expected: string): Promise<'deleted' | 'moved'> {
    const leased = await this.leased(branch, expected, ZERO_OID)
    if (leased !== 'unsupported') return leased === 'done' ? 'deleted' : 'moved'
    // Without updateRefs (an older GitHub Enterprise Server): `leased` has just read the branch at `expected`.
    await this.call(`delete the branch ${branch}`, WRITE, () => this.client.rest.git.deleteRef({ ...this.id, ref: `heads/${branch}` }))
    return 'deleted'
  }

  /** The repository's GraphQL id, read once. */
  private nodeId(): Promise<string> {
    this.repositoryId ??= this.call('read the repository', READ, () => this.client.rest.repos.get({ ...this.id })).then((repo) => repo.node_id)
    this.repositoryId.catch(() => (this.repositoryId = undefined))
    return this.repositoryId
  }

  /**
   * Points `branch` at `after` (a delete: the zero id) only while it is at `expected`, through
   * GraphQL's `updateRefs`. 'unsupported': the host refused the mutation and the branch is still at
   * `expected` (a server without it); the caller then does without the lease.
   */
  private async leased(branch: string, expected: string, after: string): Promise<'done' | 'moved' | 'unsupported'> {
    const repositoryId = await this.nodeId()
    try {
      await this.client.graphql(
        `mutation UpdateRefs($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
          updateRefs(input: {repositoryId: $repositoryId, refUpdates: $refUpdates}) { clientMutationId }
        }`,
        { repositoryId, refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: expected, afterOid: after, force: true }] },
      )
      return 'done'
    } catch (error) {
      if (error instanceof StoppedRequest) throw apiError(error, `update ${branch} in ${this.where}`, WRITE)
      // GitHub does not document its words for a broken lease: the branch itself says what happened.
      const now = (await this.head(branch))?.commit ?? ZERO_OID
      if (now === after) return 'done'
      if (now !== expected) return 'moved'
      core.debug(`updateRefs was refused (${errorMessage(error)}); ${branch} is updated without a lease.`)
      return 'unsupported'
    }
  }

  async update(branch: string, commit: string, expected: string | undefined, mode: UpdateMode): Promise<UpdateOutcome> {
    const what = `move ${branch} to ${commit.slice(0, 12)}`
    if (expected !== undefined && mode === 'force') {
      const leased = await this.leased(branch, expected, commit)
      if (leased !== 'unsupported') return { kind: leased === 'done' ? 'updated' : 'moved' }
    }
    try {
      if (expected === undefined) {
        await this.client.rest.git.createRef({ ...this.id, ref: `refs/heads/${branch}`, sha: commit })
      } else {
        // A fast-forward is refused unless the commit descends from the head: with `expected` its
        // parent, that is the lease. A forced update here has none (a host without updateRefs).
        await this.client.rest.git.updateRef({ ...this.id, ref: `heads/${branch}`, sha: commit, force: mode === 'force' })
      }
      return { kind: 'updated' }
    } catch (error) {
      const failure = httpFailure(error)
      if (failure && (failure.status === 422 || failure.status === 409) && isBranchMoved(failure.message)) return { kind: 'moved' }
      // Stopped by a bound (a host failure) or a refused redirect: said as such.
      if (error instanceof StoppedRequest) throw apiError(error, `${what} in ${this.where}`, WRITE)
      // Still failing after the client's own retries: the update may have landed; the publisher
      // learns whether from the branch.
      if (!failure || failure.status >= 500)
        throw new HostFailure(`GitHub failed to ${what} in ${this.where} (${errorMessage(error)}).`, 'Re-run the job later.')
      throw apiError(error, `${what} in ${this.where}`, WRITE)
    }
  }
}
