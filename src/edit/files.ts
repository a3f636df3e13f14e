/**
 * Read access to the infra repository's files, whatever holds them (a work tree here; a commit or
 * the GitHub API elsewhere). Every implementation refuses paths that leave the repository.
 */
import { lstat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TargetError } from '../errors.js'
import { MAX_YAML_BYTES } from './yaml-source.js'
import { repoPath } from './targets.js'

export interface RepoFiles {
  /** The file's text; undefined when no file is there (absent, or a directory). Rejects symlinks and paths leaving the repository with TargetError. */
  read(path: string): Promise<string | undefined>
  /**
   * A hint that these files or directories will be read, so that a store that fetches on demand can
   * fetch them together. Paths that do not exist or are not allowed are passed over: `read` reports them.
   */
  prefetch?(paths: readonly string[]): Promise<void>
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
        if (stat.isSymbolicLink()) {
          throw new TargetError(
            path,
            undefined,
            `${i === parts.length - 1 ? 'is' : `goes through ${parts.slice(0, i + 1).join('/')}, which is`} a symbolic link`,
            'Point the target at the real file inside the repository; the action does not follow links.',
          )
        }
        if (i === parts.length - 1) {
          if (!stat.isFile()) return undefined
          if (stat.size > MAX_YAML_BYTES) {
            throw new TargetError(
              path,
              undefined,
              `is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB`,
              'Promote into a smaller file; a file this large is not hand-maintained configuration.',
            )
          }
        }
      }
      return readFile(current, 'utf8')
    },
  }
}
