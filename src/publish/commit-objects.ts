/**
 * Files of a commit read straight from git objects, walking the trees along each path. Every tree and
 * blob goes through `fetch` first: against a filtering server that fetches exactly those objects, so a
 * promotion reads a handful of objects whatever the size of the repository. `prefetch` walks several
 * paths at once, one fetch per directory level for all of them, so the number of round trips is the
 * depth of the deepest path, not the number of objects. Objects are cached by id, so after a lost race
 * only what changed on the new tip is fetched again.
 */
import { GitError, TargetError } from '../errors.js'
import type { RepoFiles } from '../edit/plan.js'
import { repoPath } from '../edit/targets.js'
import { GitCommandManager, gitErrorLines, type GitOutput } from './git-command.js'

export interface TreeEntry {
  readonly mode: string
  readonly type: string
  readonly oid: string
}

/** Makes the given objects present locally (a no-op when the whole tip was fetched). */
export type ObjectFetcher = (oids: readonly string[]) => Promise<void>

const SYMLINK = '120000'
const readFailure = (what: string) => (o: GitOutput) => new GitError(`git could not read ${what}: ${gitErrorLines(o)}.`, 'Re-run the job; nothing was pushed.')

/** Parses `git ls-tree -z` output. */
export function parseTree(listing: string): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>()
  for (const record of listing.split('\0')) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(record)
    if (match) entries.set(match[4], { mode: match[1], type: match[2], oid: match[3] })
  }
  return entries
}

export class CommitObjects {
  private readonly git: GitCommandManager
  private readonly fetch: ObjectFetcher
  private readonly trees = new Map<string, Promise<Map<string, TreeEntry>>>()
  private readonly blobs = new Map<string, Promise<string>>()
  private readonly roots = new Map<string, Promise<string>>()
  /** Objects made present (or being fetched), by id. */
  private readonly present = new Map<string, Promise<void>>()

  constructor(git: GitCommandManager, fetch: ObjectFetcher) {
    this.git = git
    this.fetch = fetch
  }

  /** The root tree of `commit` (which must be present), read from the commit itself: peeling with `^{tree}` would make git fetch the whole tree. */
  rootTree(commit: string): Promise<string> {
    return this.cached(
      this.roots,
      commit,
      async () => {
        const header = await this.git.run(['cat-file', 'commit', commit], readFailure(`commit ${commit}`))
        const tree = /^tree ([0-9a-f]+)$/m.exec(header)?.[1]
        if (!tree) throw new GitError(`git could not read commit ${commit}: it names no tree.`, 'Re-run the job; nothing was pushed.')
        return tree
      },
      false,
    )
  }

  tree(oid: string): Promise<Map<string, TreeEntry>> {
    return this.cached(this.trees, oid, async () => parseTree(await this.git.run(['ls-tree', '-z', oid], readFailure(`tree ${oid}`))))
  }

  private blob(oid: string, path: string): Promise<string> {
    return this.cached(this.blobs, oid, () => this.git.run(['cat-file', 'blob', oid], readFailure(path)))
  }

  /** `load` once per id; by default after making the object present. */
  private cached<T>(cache: Map<string, Promise<T>>, oid: string, load: () => Promise<T>, fetch = true): Promise<T> {
    let value = cache.get(oid)
    if (!value) {
      value = fetch ? this.ensure([oid]).then(load) : load()
      forgetOnFailure(cache, oid, value)
      cache.set(oid, value)
    }
    return value
  }

  /** Makes `oids` present with one fetch for those not present or on their way already. */
  private ensure(oids: readonly string[]): Promise<unknown> {
    const missing = [...new Set(oids)].filter((oid) => !this.present.has(oid))
    const fetched = missing.length > 0 ? this.fetch(missing) : Promise.resolve()
    for (const oid of missing) {
      this.present.set(oid, fetched)
      forgetOnFailure(this.present, oid, fetched)
    }
    return Promise.all(oids.map((oid) => this.present.get(oid) ?? fetched))
  }

  /**
   * Makes the trees along each of `paths` in `commit` present, with what each path names: a file, or
   * a directory and the files directly in it. One fetch per level for all paths; paths that do not
   * exist are passed over (reading them later says so).
   */
  async prefetch(commit: string, paths: readonly string[]): Promise<void> {
    const root = await this.rootTree(commit)
    let level = paths.map((path) => ({ tree: root, rest: path.split('/').filter((part) => part !== '' && part !== '.') }))
    // Files found at one level travel with the next level's trees.
    let blobs: string[] = []
    while (level.length > 0 || blobs.length > 0) {
      await this.ensure([...level.map((step) => step.tree), ...blobs])
      const next: typeof level = []
      blobs = []
      for (const { tree, rest } of level) {
        const entries = await this.tree(tree)
        const found = rest.length === 0 ? undefined : entries.get(rest[0])
        if (rest.length === 0) blobs.push(...[...entries.values()].filter(isRegularFile).map((e) => e.oid))
        else if (found?.type === 'tree') next.push({ tree: found.oid, rest: rest.slice(1) })
        else if (found && rest.length === 1 && isRegularFile(found)) blobs.push(found.oid)
      }
      level = next
    }
  }

  /** The entry at `path` in the tree `root`; undefined when absent or when a directory on the way is not a tree (a symlink). */
  async entry(root: string, path: string): Promise<TreeEntry | undefined> {
    let tree = root
    const parts = path.split('/')
    for (const [i, part] of parts.entries()) {
      const found = (await this.tree(tree)).get(part)
      if (!found || i === parts.length - 1) return found
      if (found.type !== 'tree') return undefined
      tree = found.oid
    }
    return undefined
  }

  /**
   * The files of `commit`. Only regular files are read: a symlink is refused, and a path through a
   * symlinked directory does not exist, so nothing leads outside the repository.
   */
  files(commit: string): RepoFiles {
    return {
      prefetch: (paths) => this.prefetch(commit, paths),
      read: async (path) => {
        const safe = repoPath(path, (problem, fix) => new TargetError(path, undefined, problem, fix))
        const found = safe === '.' ? undefined : await this.entry(await this.rootTree(commit), safe)
        if (!found || found.type !== 'blob') return undefined
        if (found.mode === SYMLINK) {
          throw new TargetError(path, undefined, 'is a symbolic link', 'Point the target at the real file inside the repository.')
        }
        return this.blob(found.oid, path)
      },
    }
  }
}

const isRegularFile = (entry: TreeEntry) => entry.type === 'blob' && entry.mode !== SYMLINK

/** A failed fetch or read is not remembered: the next attempt asks again. */
function forgetOnFailure<T>(cache: Map<string, Promise<T>>, oid: string, value: Promise<unknown>): void {
  value.catch(() => {
    if (cache.get(oid) === value) cache.delete(oid)
  })
}

/** Objects read from the local store only (git itself fetches a missing one from a promisor remote). */
export function localObjects(git: GitCommandManager): CommitObjects {
  return new CommitObjects(git, () => Promise.resolve())
}
