/**
 * `npm run bench`: promotion cost and landing under contention, against large infra monorepos served
 * over smart HTTP, printed side by side in one run.
 *
 * For 3,000 and 30,000 apps (each with a long history):
 *  - one promotion, as medians: (a) the action's publish path in-process (read, edit, commit, push;
 *    no render check, no Node start-up) and the whole action as a runner starts it (the committed
 *    dist/index.js); (b) by hand: `git clone --depth=1` + edit + commit + push; their ratio and the
 *    growth from the small to the large repo;
 *  - how long the host takes to answer one push (pack sent → answer): no push can land against a
 *    pusher whose commits come faster than that;
 *  - 16 and 32 concurrent promotions of different apps, each the whole action in its own process
 *    (no image build, no render check), while another pusher moves the branch (every 150 ms at 3,000
 *    apps; every 1 s at 30,000 apps, where the host's answer to a push alone takes longer than
 *    150 ms): the action's burst run 3 times by default (landed over all of them, the median
 *    makespan and the range, attempts), next to one burst of a `git pull --rebase && git push` loop
 *    of 5 tries (on a shallow clone with only the app's directory checked out), N × one uncontended
 *    whole-action promotion, how busy the machine's cores were during the median burst (racers,
 *    server and pusher share them), and the CPU time the racers' processes used against the rest
 *    (the git server's and the pusher's, which on GitHub run on other machines);
 *  - the retry window of the action's attempts after a lost race (tip read → push sent): median,
 *    p90 and the requests sent in it.
 * Environment: BENCH_RUNS (default 3), BENCH_COMMITS (history length, default 3000), BENCH_SIZES
 * (default 3000,30000), BENCH_BURSTS (default 16,32), BENCH_PUSHER_MS (the pusher's period for each
 * size in turn, default 150,1000; one value applies to every size), BENCH_BURST_RUNS (the action's
 * bursts per row, default 3).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { runAction } from '../__tests__/support/action-runner.js'
import { HOSTED_REPO_CONFIG, startGitServer, type GitServer } from '../__tests__/support/git-server.js'
import { startPusher } from '../__tests__/support/pusher.js'
import { planPromotion, promotionPaths } from '../src/promotion.js'
import { GitStore } from '../src/publish/git-store.js'
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_SECONDS } from '../src/publish/settings.js'
import { publish, type AttemptWindow } from '../src/publish/publisher.js'
import type { PublishResult } from '../src/publish/types.js'
import type { Target } from '../src/edit/types.js'
import { appImage, cachedMonorepo, overlayPath } from './infra-monorepo.js'
import { promoteWithPullRebaseLoop } from './pull-rebase-loop.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const COMMITS = Number(process.env.BENCH_COMMITS ?? 3000)
const SIZES = (process.env.BENCH_SIZES ?? '3000,30000').split(',').map(Number)
const BURSTS = (process.env.BENCH_BURSTS ?? '16,32').split(',').map(Number)
const PUSHER_MS = (process.env.BENCH_PUSHER_MS ?? '150,1000').split(',').map(Number)
const BURST_RUNS = Number(process.env.BENCH_BURST_RUNS ?? 3)
/** The pusher's period at the `index`-th size. */
const pusherMs = (index: number) => PUSHER_MS[Math.min(index, PUSHER_MS.length - 1)]
const AUTHOR = { name: 'bench', email: 'bench@example.invalid' }

const execFileAsync = promisify(execFile)
let nextApp = 1
let nextTag = 1

/** Serves a copy of the cached repository (objects shared, so the copy is instant and pushes stay in it). */
async function serveCopy(server: GitServer, name: string, source: string): Promise<void> {
  await execFileAsync('git', ['clone', '--quiet', '--bare', '--shared', source, join(server.root, `${name}.git`)])
  for (const [key, value] of HOSTED_REPO_CONFIG) await server.git(name, ['config', key, value])
}

/** Runs `work` with stdout silenced: the publisher logs through @actions/core. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = () => true
  try {
    return await work()
  } finally {
    process.stdout.write = write
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await work()
  return { ms: performance.now() - start, value }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** How long each push of the in-process publish path took, pack sent to the host's answer. */
const pushMs: number[] = []

/** (a) The action's publish path, as src/main.ts wires it, without the render check. */
async function promoteWithPublisher(server: GitServer, name: string, app: number, tag: string): Promise<PublishResult> {
  const store = new GitStore({ url: server.repoUrl(name), token: server.token, branch: 'main' })
  const update = store.update.bind(store)
  store.update = async (...args) => {
    const { ms, value } = await timed(() => update(...args))
    pushMs.push(ms)
    return value
  }
  try {
    const branch = await store.resolveBranch()
    const desired = { name: appImage(app), tag }
    const targets: Target[] = [{ kind: 'kustomize', path: overlayPath(app) }]
    return await publish(store, {
      plan: (files) =>
        planPromotion(files, {
          targets,
          images: [{ desired }],
        }),
      newerAt: async () => [],
      paths: promotionPaths(targets),
      message: () => `promote ${desired.name}:${tag} to ${overlayPath(app)}`,
      author: AUTHOR,
      branch,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
      dryRun: false,
    })
  } finally {
    store.close()
  }
}

/** (b) By hand, as a pipeline script does: shallow clone with checkout, sed the tag, commit, push. */
async function promoteByHand(server: GitServer, name: string, app: number, tag: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-by-hand-'))
  try {
    const url = server.repoUrl(name)
    const env = {
      ...process.env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${new URL(url).origin}/.extraheader`,
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${server.token}`).toString('base64')}`,
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
    }
    const git = (cwd: string, args: readonly string[]) => execFileAsync('git', args, { cwd, env })
    await git(dir, ['clone', '--quiet', '--depth=1', '--single-branch', '--branch', 'main', url, 'infra'])
    const file = join(dir, 'infra', overlayPath(app), 'kustomization.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/newTag: \S+/, `newTag: ${tag}`))
    await git(join(dir, 'infra'), ['commit', '--quiet', '--all', '--message', `promote ${appImage(app)}:${tag}`])
    await git(join(dir, 'infra'), ['push', '--quiet', 'origin', 'HEAD:main'])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The attempt windows the action reports in its debug lines (publisher.ts). */
const WINDOW_LINE = /^::debug::attempt (\d+): tip read → push sent in (\d+) ms, (\d+) requests$/gm

/** Runs Node and logs its process tree's CPU time (see the script). */
const NODE_CPU = join(import.meta.dirname, 'node-cpu.sh')

/** The times `times` printed (`<m>m<s>s` each: user and system, of each shell and its children), summed in seconds. */
function loggedCpuSeconds(log: string): number {
  return [...log.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, [, minutes, secs]) => sum + Number(minutes) * 60 + Number(secs), 0)
}

/**
 * The whole action in a child Node process, as a runner starts it (the committed dist/index.js).
 * With `cpuLog`, the CPU time of the process and its children is appended to that file.
 */
async function promoteWithAction(
  server: GitServer,
  name: string,
  app: number,
  tag: string,
  windows?: AttemptWindow[],
  cpuLog?: string,
): Promise<{ attempts: number }> {
  const run = await runAction(
    {
      image: appImage(app),
      tag,
      build: 'false',
      'verify-image': 'false',
      validate: 'false',
      'infra-repo': server.repoUrl(name),
      'infra-token': server.token,
      'overlay-path': overlayPath(app),
    },
    {
      entry: 'dist',
      env: {
        GITHUB_REPOSITORY: `bench/app-${app}`,
        GITHUB_SHA: tag,
        ...(cpuLog ? { BENCH_NODE: process.env.PROMOTE_NODE ?? process.execPath, BENCH_CPU_LOG: cpuLog } : {}),
      },
      ...(cpuLog ? { node: NODE_CPU } : {}),
    },
  )
  if (run.exitCode !== 0 || run.outputs.changed !== 'true') {
    throw new Error(run.log.split('\n').find((line) => line.startsWith('::error')) ?? `the action failed:\n${run.log}`)
  }
  for (const [, attempt, ms, requests] of run.log.matchAll(WINDOW_LINE)) {
    windows?.push({ attempt: Number(attempt), windowMs: Number(ms), requests: Number(requests) })
  }
  return { attempts: Number(run.outputs.attempts) }
}

async function medianMs(work: (app: number, tag: string) => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const tag = `bench-${nextTag++}`
    times.push((await quietly(() => timed(() => work(nextApp++, tag)))).ms)
  }
  return median(times)
}

interface SizeRow {
  apps: number
  publisher: number
  /** Median of the publish path's pushes: pack sent → the host's answer. */
  push: number
  action: number
  byHand: number
}

interface BurstRow {
  apps: number
  racers: number
  pusherMs: number
  /**
   * The action's publish path (default max-attempts), with the pusher running, over `runs` bursts:
   * landed and attempts over all of them; makespan, CPU busy and `cpu` (seconds of CPU the machine
   * spent, and the racers' share of it: their processes and children) from the median burst.
   */
  action: {
    runs: number
    landed: number
    makespan: number
    makespanRange: readonly [number, number]
    meanAttempts: number
    maxAttempts: number
    linear: boolean
    failures: string[]
    cpuBusy: number
    cpu: { total: number; racers: number }
  }
  /** The pull --rebase loop of 5 tries, with the pusher running. */
  loop: { landed: number; makespan: number }
  /** Windows of the action's attempts after a lost race. */
  retries: AttemptWindow[]
}

async function measureSize(server: GitServer, apps: number): Promise<SizeRow> {
  const name = `infra-${apps}`
  await serveCopy(server, name, await cachedMonorepo(apps, COMMITS))
  const promote = (how: (server: GitServer, name: string, app: number, tag: string) => Promise<unknown>) => (app: number, tag: string) =>
    how(server, name, app, tag)
  await quietly(() => promoteWithPublisher(server, name, nextApp++, 'warm-up'))
  pushMs.length = 0
  const publisher = await medianMs(promote(promoteWithPublisher))
  return {
    apps,
    publisher,
    push: median(pushMs),
    byHand: await medianMs(promote(promoteByHand)),
    action: await medianMs(promote(promoteWithAction)),
  }
}

/** The machine's CPU time so far, all cores, idle and in total, in ticks of 1/100 s (Linux's /proc/stat; undefined elsewhere). */
function cpuTimes(): { idle: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number)
    return { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) }
  } catch {
    return undefined
  }
}

/** `racers` promotions of different apps started together on a fresh copy, with the pusher running. */
async function race<T>(server: GitServer, apps: number, racers: number, everyMs: number, promote: (name: string, app: number, tag: string) => Promise<T>) {
  const name = `burst-${apps}-${racers}-${nextTag}`
  await serveCopy(server, name, await cachedMonorepo(apps, COMMITS))
  const before = await server.commitCount(name, 'main')
  const tag = `burst-${nextTag++}`
  const burst = Array.from({ length: racers }, (_, i) => 1 + ((i * 37) % apps))
  const pusher = startPusher(server, name, { everyMs, maxMs: 900_000 })
  let ms: number
  let results: PromiseSettledResult<T>[]
  const cpuBefore = cpuTimes()
  try {
    ;({ ms, value: results } = await quietly(() => timed(() => Promise.allSettled(burst.map((app) => promote(name, app, tag))))))
  } finally {
    await pusher.stop()
  }
  const cpuAfter = cpuTimes()
  const landed = await Promise.all(
    burst.map(async (app) => (await server.readFile(name, 'main', `${overlayPath(app)}/kustomization.yaml`)).includes(`newTag: ${tag}`)),
  )
  const log = await server.log(name, 'main')
  return {
    makespan: ms,
    cpuBusy: cpuBefore && cpuAfter ? 1 - (cpuAfter.idle - cpuBefore.idle) / (cpuAfter.total - cpuBefore.total) : NaN,
    cpuSeconds: cpuBefore && cpuAfter ? (cpuAfter.total - cpuAfter.idle - (cpuBefore.total - cpuBefore.idle)) / 100 : NaN,
    results,
    landed: landed.filter(Boolean).length,
    linear: log.slice(0, log.length - before).every((c) => c.parents.length === 1),
  }
}

async function measureBurst(server: GitServer, apps: number, racers: number, pusherMs: number): Promise<BurstRow> {
  const windows: AttemptWindow[] = []
  const runs = []
  for (let run = 0; run < BURST_RUNS; run++) {
    const cpuLog = join(tmpdir(), `bench-cpu-${process.pid}-${nextTag}`)
    await writeFile(cpuLog, '')
    const action = await race(server, apps, racers, pusherMs, (name, app, tag) => promoteWithAction(server, name, app, tag, windows, cpuLog))
    runs.push({ ...action, racersCpu: loggedCpuSeconds(await readFile(cpuLog, 'utf8')) })
    await rm(cpuLog, { force: true })
  }
  const byMakespan = [...runs].sort((a, b) => a.makespan - b.makespan)
  const middle = byMakespan[Math.floor((byMakespan.length - 1) / 2)]
  const results = runs.flatMap((r) => r.results)
  const attempts = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.attempts] : []))
  const loop = await race(server, apps, racers, pusherMs, (name, app, tag) => promoteWithPullRebaseLoop(server, name, app, tag, 5))
  return {
    apps,
    racers,
    pusherMs,
    action: {
      runs: runs.length,
      landed: runs.reduce((sum, r) => sum + r.landed, 0),
      makespan: middle.makespan,
      makespanRange: [byMakespan[0].makespan, byMakespan[byMakespan.length - 1].makespan],
      meanAttempts: attempts.reduce((a, b) => a + b, 0) / Math.max(1, attempts.length),
      maxAttempts: Math.max(0, ...attempts),
      linear: runs.every((r) => r.linear),
      cpuBusy: middle.cpuBusy,
      cpu: { total: middle.cpuSeconds, racers: middle.racersCpu },
      failures: [...new Set(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason).split('\n')[0]] : [])))],
    },
    loop: { landed: loop.landed, makespan: loop.makespan },
    retries: windows.filter((w) => w.attempt > 1),
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function printRows(title: string, rows: string[][]): void {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)))
  const line = (row: readonly string[]) => row.map((cell, col) => cell.padEnd(widths[col])).join(' | ')
  console.log(`\n${title}`)
  console.log(line(rows[0]))
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
  rows.slice(1).forEach((row) => console.log(line(row)))
}

function printTables(sizes: readonly SizeRow[], bursts: readonly BurstRow[]): void {
  const rows = [['apps', '(a) publish path', '(a) its push', '(a) whole action', '(b) clone, edit, push', '(b)/(a) publish', '(b)/(a) action']]
  for (const r of sizes) {
    rows.push([
      r.apps.toLocaleString('en'),
      seconds(r.publisher),
      `${r.push.toFixed(0)} ms`,
      seconds(r.action),
      seconds(r.byHand),
      `${(r.byHand / r.publisher).toFixed(1)}×`,
      `${(r.byHand / r.action).toFixed(1)}×`,
    ])
  }
  const [small, large] = [sizes[0], sizes[sizes.length - 1]]
  if (small && large && small !== large) {
    const growth = (pick: (r: SizeRow) => number) => `${(pick(large) / pick(small)).toFixed(2)}× (+${seconds(pick(large) - pick(small))})`
    rows.push([`growth ${small.apps / 1000}k→${large.apps / 1000}k`, growth((r) => r.publisher), '', growth((r) => r.action), growth((r) => r.byHand), '', ''])
  }
  printRows(`One promotion, median of ${RUNS} (history: ${COMMITS} commits)`, rows)

  const retryRows = [['apps', 'retries', 'window median', 'window p90', 'requests median', 'requests max']]
  for (const { apps } of sizes) {
    const retries = bursts.filter((b) => b.apps === apps).flatMap((b) => b.retries)
    const ms = retries.map((w) => w.windowMs)
    const requests = retries.map((w) => w.requests ?? NaN)
    retryRows.push([
      apps.toLocaleString('en'),
      String(retries.length),
      `${percentile(ms, 50).toFixed(0)} ms`,
      `${percentile(ms, 90).toFixed(0)} ms`,
      String(percentile(requests, 50)),
      String(Math.max(...requests)),
    ])
  }
  printRows(`Retry window after a lost race (tip read → push sent), over the bursts below`, retryRows)

  const burstRows = [
    [
      'apps',
      'pusher every',
      'N',
      'action landed',
      'makespan median (range)',
      'attempts mean/max',
      'N × uncontended',
      'CPU busy',
      'CPU: racers / server, pusher',
      'pull --rebase loop landed',
      'loop makespan',
    ],
  ]
  for (const b of bursts) {
    const uncontended = sizes.find((s) => s.apps === b.apps)?.action ?? NaN
    burstRows.push([
      b.apps.toLocaleString('en'),
      `${b.pusherMs} ms`,
      String(b.racers),
      `${b.action.landed}/${b.racers * b.action.runs}${b.action.linear ? '' : ' (history NOT linear)'}`,
      `${seconds(b.action.makespan)} (${(b.action.makespanRange[0] / 1000).toFixed(1)}–${(b.action.makespanRange[1] / 1000).toFixed(1)})`,
      `${b.action.meanAttempts.toFixed(1)} / ${b.action.maxAttempts}`,
      seconds(b.racers * uncontended),
      Number.isNaN(b.action.cpuBusy) ? 'n/a' : `${(b.action.cpuBusy * 100).toFixed(0)}%`,
      Number.isNaN(b.action.cpu.total) ? 'n/a' : `${seconds(b.action.cpu.racers * 1000)} / ${seconds((b.action.cpu.total - b.action.cpu.racers) * 1000)}`,
      `${b.loop.landed}/${b.racers}`,
      seconds(b.loop.makespan),
    ])
  }
  printRows('Concurrent promotions of different apps while another pusher moves the branch', burstRows)
  for (const b of bursts) b.action.failures.forEach((reason) => console.log(`  ${b.apps} apps, N=${b.racers}, not landed: ${reason}`))
}

async function main(): Promise<void> {
  const server = await startGitServer()
  try {
    const sizes: SizeRow[] = []
    const bursts: BurstRow[] = []
    for (const [index, apps] of SIZES.entries()) {
      console.error(`${apps} apps: preparing the repository (generated once, then cached under ${tmpdir()})…`)
      sizes.push(await measureSize(server, apps))
      for (const racers of BURSTS) {
        console.error(`${apps} apps: ${racers} concurrent promotions against a pusher every ${pusherMs(index)} ms…`)
        bursts.push(await measureBurst(server, apps, racers, pusherMs(index)))
      }
      // What is measured so far, so that a long run shows its first sizes early.
      if (apps !== SIZES[SIZES.length - 1]) printTables(sizes, bursts)
    }
    printTables(sizes, bursts)
  } finally {
    await server.close()
  }
}

await main()
