/**
 * Whether a revision Argo CD reports contains the promotion commit — is that commit or a descendant
 * of it — answered from the infra repository's own history, read over git as the publish stage reads
 * it: commits only (`tree:0`), a batch of generations a request. Argo CD reports a revision, never its
 * ancestry, and neither a commit date nor the order of Argo CD's history proves descent.
 *
 * Two walks go back at once, from the revision (looking for the commit) and from the commit (looking
 * for the revision), so that the usual answers come from one request: the revision is the commit or
 * a little after it, or a little before it (Argo CD has not yet seen the push). Each walk is bounded;
 * a revision on unrelated history, or not in the repository at all, does not contain the commit.
 * Answers are kept: a commit's ancestry never changes.
 */
import { GitError, HostFailure } from '../errors.js'
import type { NetworkBounds } from '../network.js'
import { parseCommit } from '../publish/git-objects.js'
import { GitHttp } from '../publish/git-http.js'
import type { InfraRepo } from '../publish/settings.js'
import { SmartHttpRemote } from '../publish/smart-http.js'

/** Commits fetched a request, back from each commit asked for. */
const GENERATIONS_A_REQUEST = 100
/** Commits each walk visits at most: far more than land on an infra branch during a wait. */
const MAX_WALK = 1000

const OID = /^[0-9a-f]{40}$/

/** How the walks learn a commit's parents; undefined when the repository does not have it. */
export type ParentsSource = (oids: readonly string[]) => Promise<ReadonlyMap<string, readonly string[]>>

export class CommitHistory {
  private readonly parents = new Map<string, readonly string[] | null>()
  private readonly answers = new Map<string, boolean>()
  private readonly load: ParentsSource

  constructor(load: ParentsSource) {
    this.load = load
  }

  /** True when `revision` is `commit` or one of its descendants. */
  async contains(revision: string, commit: string): Promise<boolean> {
    if (revision === commit) return true
    if (!OID.test(revision)) return false
    const key = `${revision}..${commit}`
    let answer = this.answers.get(key)
    if (answer === undefined) {
      answer = await this.walk(revision, commit)
      this.answers.set(key, answer)
    }
    return answer
  }

  private async walk(revision: string, commit: string): Promise<boolean> {
    const down = new Walk(revision)
    const up = new Walk(commit)
    for (;;) {
      down.advance(this.parents)
      up.advance(this.parents)
      if (down.saw(commit)) return true
      if (up.saw(revision) || (down.over && up.over)) return false
      await this.fetch([...(down.over ? [] : down.waiting), ...(up.over ? [] : up.waiting)])
    }
  }

  private async fetch(oids: readonly string[]): Promise<void> {
    const wanted = [...new Set(oids)].filter((oid) => !this.parents.has(oid))
    const fetched = new Map<string, readonly string[]>()
    try {
      for (const [oid, parents] of await this.load(wanted)) fetched.set(oid, parents)
    } catch (error) {
      if (!isUnknownCommit(error)) throw error
      // The host refused the batch without naming the commit it lacks: each is asked for alone.
      for (const oid of wanted.length > 1 ? wanted : []) {
        const one = await this.load([oid]).catch((e: unknown) => {
          if (isUnknownCommit(e)) return new Map<string, readonly string[]>()
          throw e
        })
        for (const [found, parents] of one) fetched.set(found, parents)
      }
    }
    for (const [oid, parents] of fetched) this.parents.set(oid, parents)
    // What the host did not send, it does not have.
    for (const oid of wanted) if (!fetched.has(oid)) this.parents.set(oid, null)
  }
}

/** A host's refusal to send a commit it does not have ("not our ref"); a host failure is not one. */
function isUnknownCommit(error: unknown): boolean {
  return error instanceof GitError && !(error instanceof HostFailure)
}

/** One walk back through the parents, breadth first, bounded. */
class Walk {
  private readonly seen = new Set<string>()
  private frontier: string[]
  /** Commits to fetch before the walk can go on. */
  waiting: string[] = []

  constructor(start: string) {
    this.frontier = [start]
  }

  get over(): boolean {
    return (this.frontier.length === 0 && this.waiting.length === 0) || this.seen.size >= MAX_WALK
  }

  saw(oid: string): boolean {
    return this.seen.has(oid)
  }

  /** Walks as far as the known commits allow. */
  advance(known: ReadonlyMap<string, readonly string[] | null>): void {
    const next = [...this.waiting, ...this.frontier]
    this.waiting = []
    this.frontier = []
    while (next.length > 0 && this.seen.size < MAX_WALK) {
      const oid = next.shift()!
      if (this.seen.has(oid)) continue
      const parents = known.get(oid)
      if (parents === undefined) {
        this.waiting.push(oid)
        continue
      }
      this.seen.add(oid)
      if (parents) next.push(...parents)
    }
    this.frontier = next
  }
}

/** The history of the infra repository over git's smart HTTP, with infra-token. */
export function infraHistory(infra: InfraRepo, network: NetworkBounds): { readonly history: CommitHistory; readonly close: () => void } {
  const remote = new SmartHttpRemote(new GitHttp(infra, network))
  const load: ParentsSource = async (oids) => {
    const filter = (await remote.filters()) ? { filter: 'tree:0' } : {}
    const objects = await remote.fetch(oids, { depth: GENERATIONS_A_REQUEST, ...filter }, () => undefined)
    const parents = new Map<string, readonly string[]>()
    for (const [oid, object] of objects) if (object.type === 'commit') parents.set(oid, parseCommit(object.body).parents)
    return parents
  }
  return { history: new CommitHistory(load), close: () => remote.http.close() }
}
