/**
 * The infra repository as the publisher sees it, whatever the transport: branch heads, files of a
 * commit, commits built on a parent, and branch updates by compare-and-swap that report a lost race
 * instead of failing. Implemented over git's smart HTTP protocol (git-store.ts) and over the GitHub
 * Git Data API (github/api-store.ts); tests add an in-memory one.
 */
import type { FileChange, RepoFiles } from '../edit/plan.js'
import { InputError } from '../errors.js'
import type { CommitIdentity } from './types.js'

/** The error for an infra-branch that the repository does not have. */
export function missingBranch(branch: string, where: string): InputError {
  return new InputError(
    'infra-branch',
    `branch '${branch}' does not exist in ${where}`,
    'Create the branch in the infra repository first, or fix infra-branch (leave it empty for the default branch).',
  )
}

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

/**
 * `moved`: someone else moved the branch first; `tip` is where it is now, when the host said so (the
 * next attempt then needs no ref read).
 */
export type UpdateOutcome = { readonly kind: 'updated' | 'moved' }

export interface InfraStore {
  /** `owner/name` or the URL, for messages. */
  readonly where: string
  /** The branch to promote into: infra-branch, which must exist, or the default branch. */
  resolveBranch(): Promise<string>
  /** The branch's head (undefined when there is no such branch). */
  head(branch: string): Promise<BranchHead | undefined>
  files(commit: string): RepoFiles
  /** Creates (does not publish) a commit on `parent` with the files' new contents. */
  commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<BuiltCommit>
  /**
   * Points `branch` at `commit` if it is still at `expected` (undefined: the branch must not exist).
   * A request whose answer was lost throws `HostFailure`: it may have landed.
   */
  update(branch: string, commit: string, expected: string | undefined, mode: UpdateMode): Promise<UpdateOutcome>
  /** Deletes `branch` if it is still at `expected` (the pull-request branch a closed request leaves); 'moved' if it is not. */
  deleteBranch(branch: string, expected: string): Promise<'deleted' | 'moved'>
  /** Requests sent to the host so far, where the store counts them (the bench reads it). */
  readonly requests?: number
  /**
   * A refused update costs the host far more than a ref read (a git push: the pack is received,
   * unpacked and checked for connectivity before the ref is compared), so a retry reads the branch
   * again just before it updates, and does not update a branch that has moved.
   */
  readonly readsBeforeRetry: boolean
}
