/**
 * `npx tsx bench/contention-sim.ts`: a seeded discrete-event simulation of N runs racing to push onto
 * one branch, printing, for the retry-wait policy in src/publish/backoff.ts and for the policy it
 * replaced, how many runs land, how long the burst takes and how long runs wait.
 *
 * Model: every racer starts at t = 0 with a first attempt that reads and checks everything for F ms,
 * reading the tip once more one window W before it pushes at F (as the publisher does); each retry
 * reads the tip at t and pushes at t + W (F and W jittered ±30% on every try). A push
 * lands iff nothing else landed on the branch in (read, push]; otherwise the race is lost and the
 * racer waits the policy's delay before reading again. An optional background pusher lands a commit
 * every P ms and never backs off. A racer gives up after max-attempts pushes, or when its next read
 * would come after the time budget.
 */
import { pathToFileURL } from 'node:url'
import { backoffDelay } from '../src/publish/backoff.js'
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_SECONDS } from '../src/publish/settings.js'

/** A retry-wait policy as the contention loop calls it. */
export type RetryWait = (lost: number, windowMs: number, random: number) => number

export interface ContentionScenario {
  readonly racers: number
  /** Tip read to push of the first attempt (fetch, edit, commit): F. */
  readonly firstAttemptMs: number
  /** Tip read to push of a retry: W. */
  readonly windowMs: number
  /** A pusher that never backs off lands a commit this often; undefined: none. */
  readonly pusherEveryMs?: number
  readonly maxAttempts: number
  readonly budgetMs: number
}

export interface ContentionOutcome {
  readonly landed: number
  /** When the last racer landed or gave up. */
  readonly makespanMs: number
  /** Pushes made, per racer. */
  readonly attempts: readonly number[]
  /** Every wait any racer took. */
  readonly waitsMs: readonly number[]
}

/** mulberry32: a small seeded PRNG, so that every run of the bench prints the same table. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Racer {
  readAt: number
  pushAt: number
  /** Pushes so far; all but a landing one were lost races. */
  attempts: number
  done: boolean
}

export function simulateContention(scenario: ContentionScenario, wait: RetryWait, seed: number): ContentionOutcome {
  const random = seededRandom(seed)
  const jittered = (ms: number) => ms * (0.7 + 0.6 * random())
  const pusherPhase = scenario.pusherEveryMs === undefined ? 0 : random() * scenario.pusherEveryMs
  /** The background pusher's last landing at or before `t`, or -Infinity. */
  const pusherLandedBy = (t: number) =>
    scenario.pusherEveryMs === undefined || t < pusherPhase
      ? -Infinity
      : pusherPhase + Math.floor((t - pusherPhase) / scenario.pusherEveryMs) * scenario.pusherEveryMs
  const racers: Racer[] = Array.from({ length: scenario.racers }, () => {
    const pushAt = jittered(scenario.firstAttemptMs)
    return { readAt: Math.max(0, pushAt - jittered(scenario.windowMs)), pushAt, attempts: 0, done: false }
  })
  const waitsMs: number[] = []
  let racerLandedAt = -Infinity
  let landed = 0
  let makespanMs = 0

  for (let pending = racers.length; pending > 0;) {
    // Pushes are handled in time order, so every landing so far happened no later than this one.
    let racer = racers.find((r) => !r.done)!
    for (const r of racers) if (!r.done && r.pushAt < racer.pushAt) racer = r
    const now = racer.pushAt
    racer.attempts++
    if (Math.max(racerLandedAt, pusherLandedBy(now)) <= racer.readAt) {
      racerLandedAt = now
      landed++
      racer.done = true
    } else {
      const delay = wait(racer.attempts, now - racer.readAt, random())
      if (racer.attempts >= scenario.maxAttempts || now + delay > scenario.budgetMs) {
        racer.done = true
      } else {
        waitsMs.push(delay)
        racer.readAt = now + delay
        racer.pushAt = racer.readAt + jittered(scenario.windowMs)
      }
    }
    if (racer.done) {
      pending--
      makespanMs = now
    }
  }
  return { landed, makespanMs, attempts: racers.map((r) => r.attempts), waitsMs }
}

/** The policy src/publish/backoff.ts replaced: equal jitter under a ceiling of the whole attempt's length times 2.5 per lost race, up to 64 attempts or 60 s. */
export const oldBackoffDelay: RetryWait = (lost, attemptMs, random) => {
  const unit = Math.max(250, attemptMs)
  const ceiling = Math.min(60_000, unit * 64, unit * 2.5 ** (lost - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}

const SEEDS = 50
const MAX_ATTEMPTS = DEFAULT_MAX_ATTEMPTS
const BUDGET_MS = DEFAULT_TIMEOUT_SECONDS * 1000
/** A slow runner is slower at everything: its first attempt stays this many windows long. */
const FIRST_ATTEMPT_WINDOWS = 6

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

function scenarioRow(scenario: ContentionScenario, wait: RetryWait): string[] {
  const outcomes = Array.from({ length: SEEDS }, (_, seed) => simulateContention(scenario, wait, seed + 1))
  const attempts = outcomes.flatMap((o) => o.attempts)
  const waits = outcomes.flatMap((o) => o.waitsMs).sort((a, b) => a - b)
  const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length
  return [
    String(scenario.racers),
    `${scenario.windowMs} ms`,
    scenario.pusherEveryMs === undefined ? 'none' : `${scenario.pusherEveryMs} ms`,
    String(scenario.maxAttempts),
    `${mean(outcomes.map((o) => o.landed)).toFixed(1)}/${scenario.racers}`,
    `${outcomes.filter((o) => o.landed === scenario.racers).length}/${SEEDS}`,
    `${(mean(outcomes.map((o) => o.makespanMs)) / 1000).toFixed(1)} s`,
    `${((scenario.racers * scenario.firstAttemptMs) / 1000).toFixed(1)} s`,
    mean(attempts).toFixed(1),
    String(Math.max(...attempts)),
    `${Math.round(percentile(waits, 0.9))} ms`,
  ]
}

function printTable(title: string, wait: RetryWait, scenarios: readonly ContentionScenario[]): void {
  const header = ['racers', 'window', 'pusher', 'max-attempts', 'landed', 'all landed', 'makespan', 'N×attempt', 'attempts', 'max', 'wait p90']
  const rows = [header, ...scenarios.map((scenario) => scenarioRow(scenario, wait))]
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  const line = (row: readonly string[]) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')
  console.log(`\n${title}`)
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
  rows.slice(1).forEach((row) => console.log(line(row)))
}

function scenario(racers: number, windowMs: number, pusherEveryMs: number | undefined, maxAttempts = MAX_ATTEMPTS): ContentionScenario {
  return { racers, firstAttemptMs: FIRST_ATTEMPT_WINDOWS * windowMs, windowMs, pusherEveryMs, maxAttempts, budgetMs: BUDGET_MS }
}

function main(): void {
  const scenarios = [100, 1000].flatMap((windowMs) => [16, 64].flatMap((racers) => [undefined, 150, 1000].map((pusher) => scenario(racers, windowMs, pusher))))
  console.log(`Racers start together; first attempt ${FIRST_ATTEMPT_WINDOWS} windows, window ±30%; budget ${BUDGET_MS / 1000} s; mean of ${SEEDS} seeded runs.`)
  console.log('landed: mean racers landed; all landed: runs in which every racer landed; N×attempt: N uncontended first attempts back to back.')
  printTable('New policy (src/publish/backoff.ts DEFAULT_BACKOFF)', backoffDelay, scenarios)
  printTable(
    'Old policy at its default max-attempts (equal jitter, ceiling min(60 s, 64 attempts, attempt × 2.5^(lost-1)))',
    oldBackoffDelay,
    scenarios.map((s) => ({ ...s, maxAttempts: 10 })),
  )
  // Against a pusher every 150 ms a try lands at most 1 time in 3, so the hardest case needs more tries, not longer waits.
  printTable(
    'Hardest case with more attempts (new policy)',
    backoffDelay,
    [10, 30, 100].map((maxAttempts) => scenario(64, 100, 150, maxAttempts)),
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
