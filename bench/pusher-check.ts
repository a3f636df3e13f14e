/**
 * `npx tsx bench/pusher-check.ts`: checks the test pusher keeps its rate (one commit every 150 ms
 * for 5 s on a 200-app repo), then races 4 concurrent pull-rebase-loop promotions against it and
 * prints which landed and how long they took. Bounded: a watchdog ends the run after two minutes.
 */
import { startGitServer } from '../__tests__/support/git-server.js'
import { startPusher } from '../__tests__/support/pusher.js'
import { appFiles, overlayPath } from './infra-monorepo.js'
import { promoteWithPullRebaseLoop } from './pull-rebase-loop.js'

const APPS = 200
const EVERY_MS = 150
const RATE_CHECK_MS = 5000
const PROMOTIONS = 4
const WATCHDOG_MS = 120_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const rate = (commits: number, ms: number) => `${commits} commits in ${(ms / 1000).toFixed(2)} s = ${((commits * 1000) / ms).toFixed(2)} commits/s`

async function main(): Promise<void> {
  const server = await startGitServer()
  try {
    const files = Object.assign({}, ...Array.from({ length: APPS }, (_, app) => appFiles(app))) as Record<string, string>
    await server.createRepo('infra', files)

    let start = performance.now()
    let landed = await (async () => {
      const pusher = startPusher(server, 'infra', { everyMs: EVERY_MS, maxMs: 60_000 })
      await sleep(RATE_CHECK_MS)
      return pusher.stop()
    })()
    const target = (RATE_CHECK_MS / EVERY_MS).toFixed(1)
    console.log(`pusher alone, every ${EVERY_MS} ms for ${RATE_CHECK_MS / 1000} s (target ${target}): ${rate(landed, performance.now() - start)}`)

    const before = await server.commitCount('infra', 'main')
    const tag = `check-${Date.now().toString(36)}`
    const apps = Array.from({ length: PROMOTIONS }, (_, i) => 1 + i * 37)
    start = performance.now()
    const pusher = startPusher(server, 'infra', { everyMs: EVERY_MS, maxMs: 60_000 })
    const results = await Promise.allSettled(apps.map((app) => promoteWithPullRebaseLoop(server, 'infra', app, tag)))
    landed = await pusher.stop()
    console.log(`pusher during the promotions: ${rate(landed, performance.now() - start)}`)

    results.forEach((result, i) => {
      const label = `app-${apps[i]}`
      if (result.status === 'rejected') console.log(`  ${label}: failed: ${String(result.reason)}`)
      else
        console.log(
          `  ${label}: ${result.value.landed ? 'landed' : 'NOT landed'} after ${result.value.tries} tries in ${(result.value.ms / 1000).toFixed(2)} s`,
        )
    })
    const onMain = await Promise.all(
      apps.map(async (app) => (await server.readFile('infra', 'main', `${overlayPath(app)}/kustomization.yaml`)).includes(`newTag: ${tag}`)),
    )
    const claimed = results.filter((r) => r.status === 'fulfilled' && r.value.landed).length
    const log = await server.log('infra', 'main')
    const linear = log.slice(0, log.length - before).every((c) => c.parents.length === 1)
    console.log(
      `pull-rebase loop: ${claimed}/${PROMOTIONS} landed (${onMain.filter(Boolean).length}/${PROMOTIONS} tags on main), history ${linear ? 'linear' : 'NOT linear'}`,
    )
  } finally {
    await server.close()
  }
}

// Never hang a terminal or CI job: a stuck git call ends the run with an error instead.
setTimeout(() => {
  console.error(`pusher-check: still running after ${WATCHDOG_MS / 1000} s; giving up`)
  process.exit(1)
}, WATCHDOG_MS).unref()

await main()
