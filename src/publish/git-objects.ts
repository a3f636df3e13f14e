/**
 * Git's object model as plain data: object ids, and trees and commits to and from their raw bytes.
 * Pure. It is what lets the action build a promotion commit in memory and push it without a git
 * process: the ids it computes are the ids git would.
 */
import { createHash } from 'node:crypto'

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

export interface GitObject {
  readonly type: ObjectType
  readonly body: Buffer
}

export interface TreeEntry {
  /** As git writes it: `100644`, `100755`, `120000` (symlink), `40000` (tree), `160000` (submodule). */
  readonly mode: string
  readonly oid: string
}

export const TREE_MODE = '40000'
export const SYMLINK_MODE = '120000'
export const ZERO_OID = '0'.repeat(40)

export const isTree = (entry: TreeEntry) => entry.mode === TREE_MODE
/** A file git would check out as a regular file (not a link, a directory or a submodule). */
export const isRegularFile = (entry: TreeEntry) => entry.mode === '100644' || entry.mode === '100755'

export function objectId(object: GitObject): string {
  return createHash('sha1').update(`${object.type} ${object.body.length}\0`).update(object.body).digest('hex')
}

/** Entries by name, in the order the tree holds them. */
export function parseTree(body: Buffer): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>()
  let at = 0
  while (at < body.length) {
    const space = body.indexOf(0x20, at)
    const nul = body.indexOf(0, space)
    if (space === -1 || nul === -1 || nul + 21 > body.length) throw new Error('malformed tree object')
    const mode = body.toString('latin1', at, space)
    entries.set(body.toString('utf8', space + 1, nul), { mode: mode === '040000' ? TREE_MODE : mode, oid: body.toString('hex', nul + 1, nul + 21) })
    at = nul + 21
  }
  return entries
}

/**
 * A tree's bytes, entries in git's order (a directory sorts as if its name ended in `/`). Entries
 * already in that order (a parsed tree with values replaced) are kept as they are: sorting a
 * 30,000-entry directory on every retry would cost more than the rest of the commit.
 */
export function serializeTree(entries: ReadonlyMap<string, TreeEntry>): Buffer {
  const keyed = [...entries].map(([name, entry]) => ({ key: Buffer.from(isTree(entry) ? `${name}/` : name, 'utf8'), name, entry }))
  if (keyed.some((e, i) => i > 0 && Buffer.compare(keyed[i - 1].key, e.key) > 0)) keyed.sort((a, b) => Buffer.compare(a.key, b.key))
  const parts: Buffer[] = []
  for (const { name, entry } of keyed) parts.push(Buffer.from(`${entry.mode} ${name}\0`, 'utf8'), Buffer.from(entry.oid, 'hex'))
  return Buffer.concat(parts)
}

export interface CommitHeader {
  readonly tree: string
  readonly parents: readonly string[]
}

/** A commit's tree, parents, and committer time (seconds since the epoch; 0 if unreadable). */
export function parseCommit(body: Buffer): CommitHeader & { readonly time: number } {
  const header = body.toString('utf8').split('\n\n', 1)[0].split('\n')
  const field = (name: string) => header.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1))
  const tree = field('tree')[0]
  if (!tree) throw new Error('malformed commit object: no tree')
  return { tree, parents: field('parent'), time: Number(/ (\d+) [-+]\d{4}$/.exec(field('committer')[0] ?? '')?.[1] ?? 0) }
}

export interface Signature {
  readonly name: string
  readonly email: string
}

/** A commit's bytes; the author is also the committer, at `time` (seconds since the epoch, UTC). */
export function serializeCommit(commit: CommitHeader & { readonly author: Signature; readonly message: string; readonly time: number }): Buffer {
  const person = `${commit.author.name} <${commit.author.email}> ${Math.floor(commit.time)} +0000`
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`), `author ${person}`, `committer ${person}`, '', commit.message]
  return Buffer.from(`${lines.join('\n').replace(/\n*$/, '')}\n`, 'utf8')
}
