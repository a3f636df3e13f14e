/**
 * A steady stream of unrelated commits onto a branch of a test server's repository, as a bot or
 * another pipeline produces them, so promotions can be measured against a moving tip.
 *
 *   const pusher = startPusher(server, 'infra', { everyMs: 150 })
 *   …promote…
 *   const landed = await pusher.stop()
 *
 * Commits are made server-side with plumbing in the bare repository (no clone, no push): one
 * `churn/` file changes per commit, the root tree is rebuilt from its `ls-tree` with only the `churn`
 * entry replaced, so a commit costs the same handful of git processes in a 30,000-app repository as
 * in a small one. No jest globals here: tsx bench scripts import it too.
 */
import type { GitServer } from './git-server.js'

export interface Pusher {
  /** Stops pushing once the commit in flight lands; resolves with how many commits it landed. Rejects if the pusher had failed. */
  stop(): Promise<number>
}

/** The bot's identity, so its commits are told apart from promotions in a log. */
const BOT = {
  GIT_AUTHOR_NAME: 'churn-bot',
  GIT_AUTHOR_EMAIL: 'churn-bot@example.invalid',
  GIT_COMMITTER_NAME: 'churn-bot',
  GIT_COMMITTER_EMAIL: 'churn-bot@example.invalid',
}

/** The bot rotates over this many files, so `churn/` stays small however long it runs. */
const CHURN_FILES = 8

const DEFAULT_MAX_MS = 10 * 60 * 1000

/** One `ls-tree -z` entry: `<mode> <type> <sha>\t<name>`. */
interface TreeEntry {
  readonly line: string
  readonly name: string
  readonly sha: string
}

function parseTree(listing: string): TreeEntry[] {
  return listing
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t')
      return { line, name: line.slice(tab + 1), sha: line.slice(0, tab).split(' ')[2] }
    })
}

/** `update-ref`'s answer when the ref moved under it or another writer holds its lock: try again on the new tip. */
const lostRace = (error: unknown) => error instanceof Error && /cannot lock ref/i.test(error.message)

/**
 * Moves `branch` of repo `name` on `server` every `everyMs`, as a bot or another pipeline would: each
 * commit changes one file under `churn/` (never a file a promotion edits) and lands by
 * compare-and-swap on the ref; it never backs off. Bounded: stops itself after `maxMs` (default 10 min).
 */
export function startPusher(server: GitServer, name: string, options: { everyMs: number; branch?: string; maxMs?: number }): Pusher {
  const ref = `refs/heads/${options.branch ?? 'main'}`
  const git = (args: readonly string[], input?: string) => server.git(name, args, input, BOT).then((out) => out.trim())
  const started = performance.now()
  const deadline = started + (options.maxMs ?? DEFAULT_MAX_MS)
  let landed = 0
  let stopping = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined

  // The churn tree this pusher wrote last and its entries: while nobody else writes churn/, the next
  // commit needs no `ls-tree` of it.
  let known: { sha: string; entries: TreeEntry[] } | undefined

  const churnEntries = async (sha: string | undefined): Promise<TreeEntry[]> => {
    if (sha === undefined) return []
    if (known?.sha === sha) return known.entries
    return parseTree(await git(['ls-tree', '-z', sha]))
  }

  /** Lands commit number `k` on the branch; on a lost compare-and-swap rebuilds on the new tip at once. */
  const landOne = async (k: number) => {
    const file = `tick-${k % CHURN_FILES}.txt`
    const blob = await git(['hash-object', '-w', '--stdin'], `churn commit ${k} at ${new Date().toISOString()}\n`)
    for (;;) {
      const parent = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
      const root = parseTree(await git(['ls-tree', '-z', parent]))
      const churnSha = root.find((e) => e.name === 'churn')?.sha
      const entries = [...(await churnEntries(churnSha)).filter((e) => e.name !== file), { line: `100644 blob ${blob}\t${file}`, name: file, sha: blob }]
      const churn = await git(['mktree', '-z'], entries.map((e) => `${e.line}\0`).join(''))
      known = { sha: churn, entries }
      const rootLines = [...root.filter((e) => e.name !== 'churn').map((e) => e.line), `040000 tree ${churn}\tchurn`]
      const tree = await git(['mktree', '-z'], rootLines.map((line) => `${line}\0`).join(''))
      const commit = await git(['commit-tree', tree, '-p', parent, '-m', `churn: ${file} (${k})`])
      try {
        await git(['update-ref', ref, commit, parent])
        return
      } catch (error) {
        if (!lostRace(error)) throw error
      }
    }
  }

  /** Waits until `at` (a `performance.now()` time), or not at all if it has passed or we are stopping. */
  const sleepUntil = (at: number) =>
    new Promise<void>((resolve) => {
      const ms = at - performance.now()
      if (ms <= 0 || stopping) return resolve()
      wake = resolve
      timer = setTimeout(resolve, ms)
    })

  const loop = (async () => {
    try {
      // Commit k is due at start + k·everyMs by the clock: a slow commit makes the next one start
      // at once instead of shifting every later one, so the rate holds.
      for (let k = 1; ; k++) {
        const due = started + k * options.everyMs
        if (due > deadline) return
        await sleepUntil(due)
        if (stopping) return
        await landOne(k)
        landed++
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error('the pusher failed', { cause: error })
    }
  })()

  return {
    async stop() {
      stopping = true
      clearTimeout(timer)
      wake?.()
      await loop
      if (failure !== undefined) throw new Error(`the pusher failed after ${landed} commits: ${failure.message}`, { cause: failure })
      return landed
    },
  }
}
