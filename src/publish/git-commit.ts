/**
 * Builds the promotion commit with plumbing, straight from the fetched tip: only the trees along the
 * changed paths are rewritten, so no checkout is needed and the cost does not grow with the repo.
 */
import { GitError } from '../errors.js'
import type { FileChange } from '../edit/plan.js'
import { CommitObjects, localObjects, type TreeEntry } from './commit-objects.js'
import { GitCommandManager, gitErrorLines, type GitOutput } from './git-command.js'
import type { CommitIdentity } from './types.js'

const fail = (what: string) => (o: GitOutput) => new GitError(`git could not ${what}: ${gitErrorLines(o)}.`, 'Re-run the job; nothing was pushed.')

/** Returns the id of `tree` with `blobs` (path → blob id) written in, creating directories as needed. */
async function rewriteTree(git: GitCommandManager, objects: CommitObjects, tree: string | undefined, blobs: ReadonlyMap<string, string>): Promise<string> {
  const entries = new Map<string, TreeEntry>(tree === undefined ? [] : await objects.tree(tree))
  const below = new Map<string, Map<string, string>>()
  for (const [path, oid] of blobs) {
    const slash = path.indexOf('/')
    if (slash === -1) {
      const mode = entries.get(path)?.mode
      entries.set(path, { mode: mode === '100755' ? mode : '100644', type: 'blob', oid })
    } else {
      const dir = path.slice(0, slash)
      const sub = below.get(dir) ?? new Map<string, string>()
      sub.set(path.slice(slash + 1), oid)
      below.set(dir, sub)
    }
  }
  for (const [dir, sub] of below) {
    const existing = entries.get(dir)
    const oid = await rewriteTree(git, objects, existing?.type === 'tree' ? existing.oid : undefined, sub)
    entries.set(dir, { mode: '040000', type: 'tree', oid })
  }
  const listing = [...entries].map(([name, e]) => `${e.mode} ${e.type} ${e.oid}\t${name}\0`).join('')
  // --missing: siblings in a partial clone are not local, and need not be.
  return (await git.run(['mktree', '-z', '--missing'], fail('write a tree'), { input: listing })).trim()
}

/**
 * Creates (does not push) a commit on `parent` with the files' new contents. `objects` reads the
 * trees along the changed paths (by default from the local object store); subtrees left alone are
 * referenced by id and need not be present.
 */
export async function createCommit(
  git: GitCommandManager,
  parent: string,
  files: readonly FileChange[],
  message: string,
  author: CommitIdentity,
  objects = localObjects(git),
): Promise<string> {
  const blobs = new Map<string, string>()
  for (const file of files) {
    blobs.set(file.path, (await git.run(['hash-object', '-w', '--stdin'], fail(`store ${file.path}`), { input: file.after })).trim())
  }
  const tree = await rewriteTree(git, objects, await objects.rootTree(parent), blobs)
  const identity = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  }
  return (await git.run(['commit-tree', tree, '-p', parent, '-F', '-'], fail('create the commit'), { input: `${message}\n`, env: identity })).trim()
}

/** The unified diff of a commit against its parent, for dry runs and logs. */
export function commitDiff(git: GitCommandManager, commit: string): Promise<string> {
  return git.run(['diff', '--no-color', '--no-ext-diff', `${commit}^`, commit], fail('diff the commit'))
}
