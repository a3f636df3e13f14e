/**
 * An infra repository in memory behind the publisher's store interface, so the landing loop is
 * unit-tested without a server: commits are file maps, the branch moves only by compare-and-swap, and
 * tests script what happens at each update (a neighbour landing first, a lost answer). No jest
 * globals here.
 */
import type { FileChange, RepoFiles } from '../../src/edit/plan.js'
import { HostFailure } from '../../src/errors.js'
import type { BranchHead, BuiltCommit, InfraStore, UpdateMode, UpdateOutcome } from '../../src/publish/store.js'
import type { CommitIdentity } from '../../src/publish/types.js'

interface MemoryCommit {
  readonly files: ReadonlyMap<string, string>
  readonly parents: readonly string[]
  readonly message: string
}

/** What happens when the publisher asks to move a branch: as asked, or a scripted event first. */
export type UpdateEvent =
  /** Another writer lands a commit changing these files just before the update. */
  | { readonly neighbour: Readonly<Record<string, string>> }
  /** The update lands but its answer is lost. */
  | 'lost-answer'
  /** The update never reaches the store. */
  | 'unreached'

export class MemoryStore implements InfraStore {
  readonly where = 'memory/infra'
  readsBeforeRetry = false
  readonly commits = new Map<string, MemoryCommit>()
  readonly branches = new Map<string, string>()
  /** Consumed one per update, in order. */
  readonly events: UpdateEvent[] = []
  requests = 0
  private next = 0

  constructor(files: Readonly<Record<string, string>>, branch = 'main') {
    this.branches.set(branch, this.add(new Map(Object.entries(files)), [], 'initial'))
  }

  private add(files: ReadonlyMap<string, string>, parents: readonly string[], message: string): string {
    const id = (++this.next).toString(16).padStart(40, '0')
    this.commits.set(id, { files, parents, message })
    return id
  }

  /** The files on `branch` now. */
  tip(branch = 'main'): ReadonlyMap<string, string> {
    return this.commits.get(this.branches.get(branch)!)!.files
  }

  /** The branch's commits, newest first. */
  log(branch = 'main'): string[] {
    const ids: string[] = []
    for (let id = this.branches.get(branch); id; id = this.commits.get(id)!.parents[0]) ids.push(id)
    return ids
  }

  land(files: Readonly<Record<string, string>>, branch = 'main'): string {
    const parent = this.branches.get(branch)!
    const id = this.add(new Map([...this.commits.get(parent)!.files, ...Object.entries(files)]), [parent], 'neighbour')
    this.branches.set(branch, id)
    return id
  }

  async resolveBranch(): Promise<string> {
    return 'main'
  }

  async head(branch: string): Promise<BranchHead | undefined> {
    this.requests++
    const commit = this.branches.get(branch)
    return commit === undefined ? undefined : { commit, tree: `tree-of-${commit}`, parents: this.commits.get(commit)!.parents }
  }

  files(commit: string): RepoFiles {
    const files = this.commits.get(commit)!.files
    return { read: async (path) => files.get(path) }
  }

  async commit(parent: string, files: readonly FileChange[], message: string, _author: CommitIdentity): Promise<BuiltCommit> {
    const tree = new Map(this.commits.get(parent)!.files)
    for (const file of files) {
      if (file.after === null) tree.delete(file.path)
      else tree.set(file.path, file.after)
    }
    const commit = this.add(tree, [parent], message)
    return { commit, tree: `tree-of-${commit}` }
  }

  async update(branch: string, commit: string, expected: string | undefined, _mode: UpdateMode): Promise<UpdateOutcome> {
    this.requests++
    const event = this.events.shift()
    if (event === 'unreached') throw new HostFailure('memory/infra failed (HTTP 502: Bad gateway).', 'Re-run later.')
    if (event !== undefined && event !== 'lost-answer') this.land(event.neighbour, branch)
    const current = this.branches.get(branch)
    if (current !== expected) return current === commit ? { kind: 'updated' } : { kind: 'moved' }
    this.branches.set(branch, commit)
    if (event === 'lost-answer') throw new HostFailure('memory/infra failed (HTTP 502: Bad gateway).', 'Re-run later.')
    return { kind: 'updated' }
  }

  async deleteBranch(branch: string, expected: string): Promise<'deleted' | 'moved'> {
    this.requests++
    if (this.branches.get(branch) !== expected) return 'moved'
    this.branches.delete(branch)
    return 'deleted'
  }
}
