/**
 * `npm run bench`: promotion cost against large infra monorepos served over smart HTTP.
 *
 * For 3,000 and 30,000 apps (each with a long history) it prints, side by side and as medians:
 *  (a) the action's publish path in-process (fetch, edit, ordering record, commit, push; no render
 *      check, no Node start-up), and the whole action as a runner starts it (`runAction`, entry src);
 *  (b) the seed-000 way: `git clone --depth=1` + edit the YAML + commit + push;
 * their ratio, the growth from the small to the large repo, and the makespan of 32 concurrent
 * promotions of different apps with their retries. Environment: BENCH_RUNS (default 3),
 * BENCH_COMMITS (history length, default 3000), BENCH_SIZES (default 3000,30000).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { runAction } from '../__tests__/support/action-runner.js'
import { startGitServer, type GitServer } from '../__tests__/support/git-server.js'
import { planPromotion } from '../src/promotion.js'
import { GitCommandManager } from '../src/publish/git-command.js'
import { gitAuthEnv } from '../src/publish/git-auth.js'
import { publishViaGit } from '../src/publish/git-publisher.js'
import { InfraRemote } from '../src/publish/git-remote.js'
import type { PublishResult } from '../src/publish/types.js'
import { appImage, cachedMonorepo, overlayPath } from './infra-monorepo.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const COMMITS = Number(process.env.BENCH_COMMITS ?? 3000)
const SIZES = (process.env.BENCH_SIZES ?? '3000,30000').split(',').map(Number)
const CONCURRENT = 32
const AUTHOR = { name: 'bench', email: 'bench@example.invalid' }

const execFileAsync = promisify(execFile)
let nextApp = 1
let nextTag = 1

/** Serves a copy of the cached repository (objects shared, so the copy is instant and pushes stay in it). */
async function serveCopy(server: GitServer, name: string, source: string): Promise<void> {
  await execFileAsync('git', ['clone', '--quiet', '--bare', '--shared', source, join(server.root, `${name}.git`)])
  for (const [key, value] of [
    ['uploadpack.allowFilter', 'true'],
    ['uploadpack.allowAnySHA1InWant', 'true'],
    ['http.receivepack', 'true'],
    ['receive.denyNonFastForwards', 'true'],
  ]) {
    await server.git(name, ['config', key, value])
  }
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

/** (a) The action's publish path, as src/main.ts wires it, without the render check. */
async function promoteWithPublisher(server: GitServer, name: string, app: number, tag: string): Promise<PublishResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-promote-'))
  try {
    const url = server.repoUrl(name)
    const git = new GitCommandManager(dir, gitAuthEnv(url, server.token))
    const remote = new InfraRemote(git, { url, token: server.token, branch: 'main' })
    await remote.init()
    const branch = await remote.resolveBranch()
    const desired = { name: appImage(app), tag }
    return await publishViaGit(remote, {
      plan: (files) =>
        planPromotion(files, {
          targets: [{ kind: 'kustomize', path: overlayPath(app) }],
          desired,
          stamp: { ref: `${desired.name}:${tag}`, repository: `bench/app-${app}`, commit: tag, runNumber: 1, runAttempt: 1 },
          allowDowngrade: false,
        }),
      message: () => `promote ${desired.name}:${tag} to ${overlayPath(app)}`,
      author: AUTHOR,
      branch,
      maxAttempts: 10,
      dryRun: false,
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** (b) The seed-000 pipeline: shallow clone with checkout, sed the tag, commit, push. */
async function promoteLikeSeed000(server: GitServer, name: string, app: number, tag: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-seed000-'))
  try {
    const url = server.repoUrl(name)
    const env = {
      ...gitAuthEnv(url, server.token),
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
    }
    const fail = (o: { stderr: string }) => new Error(o.stderr)
    await new GitCommandManager(dir, env).run(['clone', '--quiet', '--depth=1', '--single-branch', '--branch', 'main', url, 'infra'], fail)
    const work = new GitCommandManager(join(dir, 'infra'), env)
    const file = join(dir, 'infra', overlayPath(app), 'kustomization.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/newTag: \S+/, `newTag: ${tag}`))
    await work.run(['commit', '--quiet', '--all', '--message', `promote ${appImage(app)}:${tag}`], fail)
    await work.run(['push', '--quiet', 'origin', 'HEAD:main'], fail)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The whole action in a child Node process, as a runner starts it (sources through tsx). */
async function promoteWithAction(server: GitServer, name: string, app: number, tag: string): Promise<void> {
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
    { entry: 'dist', env: { GITHUB_REPOSITORY: `bench/app-${app}`, GITHUB_SHA: tag } },
  )
  if (run.exitCode !== 0 || run.outputs.changed !== 'true') throw new Error(`the action failed:\n${run.log}`)
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
  action: number
  seed000: number
}

interface ContentionRow {
  apps: number
  makespan: number
  retries: number
  landed: number
  linear: boolean
  /** Distinct reasons the runs that did not land gave. */
  failures: string[]
}

async function measureSize(server: GitServer, apps: number): Promise<SizeRow> {
  const name = `infra-${apps}`
  await serveCopy(server, name, await cachedMonorepo(apps, COMMITS))
  const promote = (how: typeof promoteWithPublisher | typeof promoteLikeSeed000) => (app: number, tag: string) => how(server, name, app, tag)
  await quietly(() => promoteWithPublisher(server, name, nextApp++, 'warm-up'))
  return {
    apps,
    publisher: await medianMs(promote(promoteWithPublisher)),
    seed000: await medianMs(promote(promoteLikeSeed000)),
    action: await medianMs(promote(promoteWithAction)),
  }
}

async function measureContention(server: GitServer, apps: number): Promise<ContentionRow> {
  const name = `contention-${apps}`
  await serveCopy(server, name, await cachedMonorepo(apps, COMMITS))
  const before = await server.commitCount(name, 'main')
  const tag = `burst-${nextTag++}`
  const burst = Array.from({ length: CONCURRENT }, (_, i) => 1 + i * 37)
  const { ms, value: results } = await quietly(() => timed(() => Promise.allSettled(burst.map((app) => promoteWithPublisher(server, name, app, tag)))))
  const landed = await Promise.all(
    burst.map(async (app) => (await server.readFile(name, 'main', `${overlayPath(app)}/kustomization.yaml`)).includes(`newTag: ${tag}`)),
  )
  const log = await server.log(name, 'main')
  return {
    apps,
    makespan: ms,
    retries: results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.attempts - 1 : 0), 0),
    landed: landed.filter(Boolean).length,
    linear: log.slice(0, log.length - before).every((c) => c.parents.length === 1),
    failures: [...new Set(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason).split('\n')[0]] : [])))],
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

function printTable(sizes: readonly SizeRow[], bursts: readonly ContentionRow[]): void {
  const rows = [['apps', '(a) publish path', '(a) whole action', '(b) seed-000 way', '(b)/(a) publish', '(b)/(a) action']]
  for (const r of sizes) {
    rows.push([
      r.apps.toLocaleString('en'),
      seconds(r.publisher),
      seconds(r.action),
      seconds(r.seed000),
      `${(r.seed000 / r.publisher).toFixed(1)}×`,
      `${(r.seed000 / r.action).toFixed(1)}×`,
    ])
  }
  const [small, large] = [sizes[0], sizes[sizes.length - 1]]
  if (small && large && small !== large) {
    const growth = (pick: (r: SizeRow) => number) => `${(pick(large) / pick(small)).toFixed(2)}× (+${seconds(pick(large) - pick(small))})`
    rows.push([`growth ${small.apps / 1000}k→${large.apps / 1000}k`, growth((r) => r.publisher), growth((r) => r.action), growth((r) => r.seed000), '', ''])
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)))
  const line = (row: readonly string[]) => row.map((cell, col) => cell.padEnd(widths[col])).join(' | ')
  console.log(`\nOne promotion, median of ${RUNS} (history: ${COMMITS} commits)`)
  console.log(line(rows[0]))
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
  rows.slice(1).forEach((row) => console.log(line(row)))
  console.log(`\n${CONCURRENT} concurrent promotions of different apps (publish path, max-attempts 10)`)
  for (const b of bursts) {
    console.log(
      `${b.apps.toLocaleString('en')} apps: makespan ${seconds(b.makespan)}, ${b.retries} retries, ${b.landed}/${CONCURRENT} landed, history ${b.linear ? 'linear' : 'NOT linear'}`,
    )
    b.failures.forEach((reason) => console.log(`  not landed: ${reason}`))
  }
}

async function main(): Promise<void> {
  const server = await startGitServer()
  try {
    const sizes: SizeRow[] = []
    const bursts: ContentionRow[] = []
    for (const apps of SIZES) {
      console.error(`${apps} apps: preparing the repository (generated once, then cached under ${tmpdir()})…`)
      sizes.push(await measureSize(server, apps))
      bursts.push(await measureContention(server, apps))
    }
    printTable(sizes, bursts)
  } finally {
    await server.close()
  }
}

await main()
