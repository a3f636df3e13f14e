/**
 * The infra repository as the API publishers see it, whatever the transport: branch heads, files of a
 * commit, commits built on a parent, and branch updates that report a lost race instead of failing.
 * Implemented over the GitHub Git Data API (api-store.ts) and over git (git-store.ts).
 */
import type { FileChange, RepoFiles } from '../edit/plan.js'
import type { CommitIdentity } from '../publish/types.js'

export interface BranchHead {
  readonly commit: string
  readonly tree: string
  readonly parents: readonly string[]
}

export interface BuiltCommit {
  readonly commit: string
  readonly tree: string
}

/**
 * `fast-forward`: land only if the branch still points at the commit's parent (never rewrites
 * history). `force`: replace whatever is there — only for branches the action owns.
 */
export type UpdateMode = 'fast-forward' | 'force'

export interface InfraStore {
  /** `owner/name` or the URL, for messages. */
  readonly where: string
  /** The branch to promote into: infra-branch, which must exist, or the default branch. */
  resolveBranch(): Promise<string>
  /** The branch's head; undefined when there is no such branch. */
  head(branch: string): Promise<BranchHead | undefined>
  files(commit: string): RepoFiles
  /** Creates (does not publish) a commit on `parent` with the files' new contents. */
  commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<BuiltCommit>
  /**
   * Points `branch` at `commit`. `expected` is the head the caller saw (undefined: no branch yet);
   * 'moved' means someone else moved it first and the caller should re-read and retry.
   */
  update(branch: string, commit: string, expected: string | undefined, mode: UpdateMode): Promise<'updated' | 'moved'>
}
