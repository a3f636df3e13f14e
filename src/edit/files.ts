/**
 * Read access to the infra repository's files, whatever holds them: a work tree, or the trees of a
 * commit (read over git or the GitHub API). The one place that says what may be read: paths that
 * leave the repository, symbolic links (or paths through them) and files over the size limit are
 * refused the same way for every store.
 */
import { lstat, readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { TargetError } from '../errors.js'
import { MAX_YAML_BYTES } from './yaml-source.js'

export interface RepoFiles {
  /** The file's text; undefined when no file is there (absent, or a directory). Rejects symlinks and paths leaving the repository with TargetError. */
  read(path: string): Promise<string | undefined>
  /**
   * A hint that these files or directories will be read, so that a store that fetches on demand can
   * fetch them together. Paths that do not exist or are not allowed are passed over: `read` reports them.
   */
  prefetch?(paths: readonly string[]): Promise<void>
}

/** A tree entry as a store lists it: git's mode (`100644`, `100755`, `120000`, `40000`/`040000`, `160000`) and object id. */
export interface StoredEntry {
  readonly mode: string
  readonly oid: string
  /** The blob's size, when the listing says (the API's does). */
  readonly size?: number
}

/** The trees and blobs of one commit, as a store reads them (fetching what it lacks). */
export interface TreeSource {
  /** The commit's root tree. */
  root(): Promise<string>
  tree(oid: string): Promise<ReadonlyMap<string, StoredEntry>>
  blob(oid: string): Promise<Buffer>
  prefetch?(paths: readonly string[]): Promise<void>
}

export const isTreeMode = (mode: string) => mode === '40000' || mode === '040000'
export const SYMLINK_MODE = '120000'

const symlinkRefused = (path: string, through?: string) =>
  new TargetError(
    path,
    undefined,
    through === undefined ? 'is a symbolic link' : `goes through ${through}, which is a symbolic link`,
    'Point the target at the real file inside the repository; the action does not follow links.',
  )

const tooLarge = (path: string) =>
  new TargetError(
    path,
    undefined,
    `is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB`,
    'Promote into a smaller file; a file this large is not hand-maintained configuration.',
  )

/** The files of a commit's trees, with the same refusals as a work tree. */
export function treeFiles(source: TreeSource): RepoFiles {
  return {
    ...(source.prefetch ? { prefetch: (paths: readonly string[]) => source.prefetch!(paths) } : {}),
    async read(path) {
      const safe = repoPath(path, (problem, fix) => new TargetError(path, undefined, problem, fix))
      if (safe === '.') return undefined
      const parts = safe.split('/')
      let tree = await source.root()
      for (const [i, part] of parts.entries()) {
        const entry = (await source.tree(tree)).get(part)
        if (!entry) return undefined
        if (entry.mode === SYMLINK_MODE) throw symlinkRefused(path, i === parts.length - 1 ? undefined : parts.slice(0, i + 1).join('/'))
        if (i < parts.length - 1) {
          if (!isTreeMode(entry.mode)) return undefined
          tree = entry.oid
          continue
        }
        if (entry.mode !== '100644' && entry.mode !== '100755') return undefined
        if ((entry.size ?? 0) > MAX_YAML_BYTES) throw tooLarge(path)
        const blob = await source.blob(entry.oid)
        if (blob.length > MAX_YAML_BYTES) throw tooLarge(path)
        return blob.toString('utf8')
      }
      return undefined
    },
  }
}

/** Files of a checked-out work tree at `root`. Symlinks anywhere on the path are refused. */
export function workTreeFiles(root: string): RepoFiles {
  return {
    async read(path) {
      const safe = repoPath(path, (problem, fix) => new TargetError(path, undefined, problem, fix))
      let current = root
      const parts = safe.split('/')
      for (const [i, part] of parts.entries()) {
        current = join(current, part)
        const stat = await lstat(current).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
          throw error
        })
        if (!stat) return undefined
        if (stat.isSymbolicLink()) throw symlinkRefused(path, i === parts.length - 1 ? undefined : parts.slice(0, i + 1).join('/'))
        if (i === parts.length - 1) {
          if (!stat.isFile()) return undefined
          if (stat.size > MAX_YAML_BYTES) throw tooLarge(path)
        }
      }
      return readFile(current, 'utf8')
    },
  }
}

/** A repository-relative path, normalized; refuses anything that could leave the repository. */
export function repoPath(path: string, fail: (problem: string, fix: string) => Error): string {
  const fix = 'Give a path relative to the infra repository root, without `..`, e.g. deploy/app/overlays/prod.'
  if (path === '') throw fail('is empty', fix)
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) throw fail('is not a relative path inside the repository', fix)
  if (path.includes('\0')) throw fail('holds a NUL character', fix)
  if (path.split('/').includes('..')) throw fail('leads out of the repository (`..`)', fix)
  const normal = posix.normalize(path).replace(/\/+$/, '')
  if (normal === '.' || normal === '') return '.'
  if (normal.split('/')[0] === '.git') throw fail('points into .git', fix)
  return normal
}
