/**
 * The infra repository over git's smart HTTP protocol, with no git process and no clone. The first
 * branch head read is its commit alone (depth 1, `tree:0`); files are read by fetching, by id, only the
 * trees and blobs along the paths asked for, level by level and all paths of a level in one request.
 * Objects are kept by id, and a later head comes with the trees that changed since the last one
 * (`blob:none`, that head held, history cut at its time): after a lost race one request brings what
 * changed on the new tip.
 * A commit is built in memory (new blobs, the trees along the changed paths, the commit) and pushed
 * as a small pack with a compare-and-swap update of the branch. Against a host that does not filter,
 * a head brings the whole tip instead.
 */
import type { FileChange, RepoFiles } from '../edit/plan.js'
import { isTreeMode, treeFiles, type StoredEntry } from '../edit/files.js'
import { GitError, HostFailure, InputError } from '../errors.js'
import { DEFAULT_NETWORK_BOUNDS, type NetworkBounds } from '../network.js'
import { isTree, objectId, parseCommit, parseTree, serializeCommit, serializeTree, TREE_MODE, ZERO_OID, type GitObject, type TreeEntry } from './git-objects.js'
import { GitHttp } from './git-http.js'
import { writePack } from './pack.js'
import { judgeRefusal, lockedAt } from './push-answers.js'
import type { InfraRepo } from './settings.js'
import { SmartHttpRemote, type FetchOptions } from './smart-http.js'
import { missingBranch, type BranchHead, type BuiltCommit, type InfraStore, type UpdateMode, type UpdateOutcome } from './store.js'
import type { CommitIdentity } from './types.js'

/** Commits this much older than the last head still count as after it: clocks differ between writers. */
const CLOCK_MARGIN_S = 600

/** Parsed trees kept: every tree along a few paths, for a few tips. */
const MAX_PARSED_TREES = 256

export class GitStore implements InfraStore {
  readonly where: string
  readonly readsBeforeRetry = true
  private readonly infra: InfraRepo
  private readonly remote: SmartHttpRemote
  /** Every object fetched or made, by id. */
  private readonly objects = new Map<string, GitObject>()
  /** Fetches on their way, by object id, so that concurrent reads ask once. */
  private readonly fetching = new Map<string, Promise<void>>()
  private readonly trees = new Map<string, Map<string, TreeEntry>>()
  /** The objects each built commit adds, to send with it. */
  private readonly built = new Map<string, GitObject[]>()
  /** The last head read from the host: its trees along the paths read are here. */
  private lastHead?: string

  constructor(infra: InfraRepo, network: NetworkBounds = DEFAULT_NETWORK_BOUNDS) {
    this.infra = infra
    this.where = infra.slug ?? infra.url
    this.remote = new SmartHttpRemote(new GitHttp(infra, network))
  }

  get requests(): number {
    return this.remote.http.requests
  }

  /** Bytes the host has sent so far. */
  get received(): number {
    return this.remote.http.received
  }

  close(): void {
    this.remote.http.close()
  }

  async resolveBranch(): Promise<string> {
    const wanted = this.infra.branch
    if (wanted === '') {
      const { head } = await this.remote.listRefs(['HEAD'])
      if (!head?.startsWith('refs/heads/')) {
        throw new InputError(
          'infra-branch',
          `the infra repository ${this.where} has no default branch (is it empty?)`,
          'Push an initial commit to the infra repository, or set infra-branch.',
        )
      }
      return head.slice('refs/heads/'.length)
    }
    if (!(await this.remote.listRefs([`refs/heads/${wanted}`])).refs.has(`refs/heads/${wanted}`)) {
      throw missingBranch(wanted, this.where)
    }
    return wanted
  }

  async head(branch: string): Promise<BranchHead | undefined> {
    const ref = `refs/heads/${branch}`
    const commit = (await this.remote.listRefs([ref])).refs.get(ref)
    if (commit === undefined) return undefined
    const held = this.lastHead !== undefined && this.lastHead !== commit ? this.lastHead : undefined
    if (held) {
      // With the trees that changed since the last head: blob:none, that head held, and history cut
      // at its time (less a margin for clocks) — `deepen 1` would cut it off, and everything be sent.
      const since = parseCommit(this.object(held, 'commit').body).time - CLOCK_MARGIN_S
      await this.ensure([commit], { since, have: [held], filter: 'blob:none' }).catch((error: unknown) => {
        // A host failure is the loop's to retry; anything else (no commit that recent: a clock far
        // behind, a branch moved back) is read the plain way below.
        if (error instanceof HostFailure) throw error
      })
    }
    // The commit alone (tree:0); from a host that does not filter, the whole tip.
    await this.ensure([commit], { depth: 1, filter: 'tree:0' })
    this.lastHead = commit
    const header = parseCommit(this.object(commit, 'commit').body)
    return { commit, tree: header.tree, parents: header.parents }
  }

  files(commit: string): RepoFiles {
    return treeFiles({
      root: async () => parseCommit((await this.need(commit, 'commit')).body).tree,
      tree: async (oid) => this.tree(oid),
      blob: async (oid) => (await this.need(oid, 'blob')).body,
      prefetch: (paths) => this.prefetch(commit, paths),
    })
  }

  async commit(parent: string, files: readonly FileChange[], message: string, author: CommitIdentity): Promise<BuiltCommit> {
    const added: GitObject[] = []
    const put = (object: GitObject) => {
      const oid = objectId(object)
      this.objects.set(oid, object)
      added.push(object)
      return oid
    }
    // Each path's new blob, or null for a removed file.
    const blobs = new Map(files.map((file) => [file.path, file.after === null ? null : put({ type: 'blob', body: Buffer.from(file.after, 'utf8') })]))
    /** The tree with `changes` made, or undefined when nothing is left in it (git keeps no empty trees). */
    const rewrite = async (tree: string | undefined, changes: ReadonlyMap<string, string | null>): Promise<string | undefined> => {
      const entries = new Map(tree === undefined ? [] : await this.tree(tree))
      const below = new Map<string, Map<string, string | null>>()
      for (const [path, oid] of changes) {
        const [name, ...rest] = path.split('/')
        if (rest.length > 0) below.set(name, (below.get(name) ?? new Map<string, string | null>()).set(rest.join('/'), oid))
        else if (oid === null) entries.delete(name)
        else entries.set(name, { mode: entries.get(name)?.mode === '100755' ? '100755' : '100644', oid })
      }
      for (const [name, sub] of below) {
        const existing = entries.get(name)
        const oid = await rewrite(existing && isTree(existing) ? existing.oid : undefined, sub)
        if (oid === undefined) entries.delete(name)
        else entries.set(name, { mode: TREE_MODE, oid })
      }
      return entries.size === 0 ? undefined : put({ type: 'tree', body: serializeTree(entries) })
    }
    const parentTree = parseCommit((await this.need(parent, 'commit')).body).tree
    const tree = (await rewrite(parentTree, blobs)) ?? put({ type: 'tree', body: serializeTree(new Map()) })
    const commit = put({
      type: 'commit',
      body: serializeCommit({ tree, parents: [parent], author, message, time: Date.now() / 1000 }),
    })
    this.built.set(commit, added)
    return { commit, tree }
  }

  async update(branch: string, commit: string, expected: string | undefined, mode: UpdateMode): Promise<UpdateOutcome> {
    const pack = writePack(this.built.get(commit) ?? [])
    const answer = await this.remote.push(`refs/heads/${branch}`, expected ?? ZERO_OID, commit, pack)
    if (answer.ok) return { kind: 'updated' }
    const tip = lockedAt(answer.messages)
    // Our own commit already there: an earlier push of it landed and its answer was lost.
    if (tip === commit) return { kind: 'updated' }
    const judged = judgeRefusal(answer, branch, this.where, mode)
    if (judged !== 'moved') throw judged
    return { kind: 'moved' }
  }

  async deleteBranch(branch: string, expected: string): Promise<'deleted' | 'moved'> {
    // A delete alone carries no pack; the host deletes only if the branch is still at `expected`.
    const answer = await this.remote.push(`refs/heads/${branch}`, expected, ZERO_OID, Buffer.alloc(0))
    if (answer.ok) return 'deleted'
    const judged = judgeRefusal(answer, branch, this.where, 'force')
    if (judged !== 'moved') throw judged
    return 'moved'
  }

  private object(oid: string, type: GitObject['type']): GitObject {
    const object = this.objects.get(oid)
    if (object?.type !== type) {
      throw new GitError(`${this.where} did not send the ${type} ${oid} it was asked for.`, 'Re-run the job; nothing was pushed.')
    }
    return object
  }

  private async need(oid: string, type: GitObject['type']): Promise<GitObject> {
    await this.ensure([oid])
    return this.object(oid, type)
  }

  private async tree(oid: string): Promise<ReadonlyMap<string, StoredEntry>> {
    let entries = this.trees.get(oid)
    if (entries) this.trees.delete(oid)
    else entries = parseTree((await this.need(oid, 'tree')).body)
    // Most recently used last; a long contention on a large directory must not keep every version parsed.
    this.trees.set(oid, entries)
    if (this.trees.size > MAX_PARSED_TREES) this.trees.delete(this.trees.keys().next().value!)
    return entries
  }

  /** Makes `oids` present: one request (`tree:0` by default) for those not present and not on their way already. */
  private async ensure(oids: readonly string[], options: FetchOptions = { filter: 'tree:0' }): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => !this.objects.has(oid) && !this.fetching.has(oid))
    if (missing.length > 0) {
      const fetched = this.receive(missing, options)
      for (const oid of missing) this.fetching.set(oid, fetched)
      // Forgotten either way: a failed fetch is asked again by the next attempt.
      void fetched.then(
        () => missing.forEach((oid) => this.fetching.delete(oid)),
        () => missing.forEach((oid) => this.fetching.delete(oid)),
      )
    }
    await Promise.all(oids.map((oid) => this.fetching.get(oid) ?? Promise.resolve()))
  }

  private async receive(wants: readonly string[], options: FetchOptions): Promise<void> {
    const filtering = options.filter !== undefined && (await this.remote.filters())
    const { filter, ...unfiltered } = options
    const objects = await this.remote.fetch(wants, filtering || filter === undefined ? options : unfiltered, (oid) => this.objects.get(oid))
    for (const [oid, object] of objects) this.objects.set(oid, object)
  }

  /**
   * Makes the trees along each of `paths` in `commit` present, with what each path names: a file, or
   * a directory and the files directly in it. One request per level for all paths; paths that do not
   * exist are passed over (reading them later says so).
   */
  private async prefetch(commit: string, paths: readonly string[]): Promise<void> {
    const root = parseCommit((await this.need(commit, 'commit')).body).tree
    let level = paths.map((path) => ({ tree: root, rest: path.split('/').filter((part) => part !== '' && part !== '.') }))
    // Files found at one level travel with the next level's trees.
    let blobs: string[] = []
    while (level.length > 0 || blobs.length > 0) {
      await this.ensure([...level.map((step) => step.tree), ...blobs])
      const next: typeof level = []
      blobs = []
      for (const { tree, rest } of level) {
        const entries = await this.tree(tree)
        if (rest.length === 0) {
          blobs.push(...[...entries.values()].filter(isFile).map((e) => e.oid))
          continue
        }
        const found = entries.get(rest[0])
        if (found && isTreeMode(found.mode)) next.push({ tree: found.oid, rest: rest.slice(1) })
        else if (found && rest.length === 1 && isFile(found)) blobs.push(found.oid)
      }
      level = next
    }
  }
}

const isFile = (entry: StoredEntry) => entry.mode === '100644' || entry.mode === '100755'
