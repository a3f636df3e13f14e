/**
 * `npm run bench:startup`: how long `node dist/index.js` takes to reach its first stage (the
 * `::group::Image` line), against a bare `node -e ''` start, and the size of the bundle.
 * Targets: < 150 ms to the first stage, bundle < 2 MB.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../__tests__/support/action-runner.js'

const RUNS = 21
const bundle = join(PROJECT_ROOT, 'dist', 'index.js')
const temp = mkdtempSync(join(tmpdir(), 'startup-bench-'))

/** Milliseconds from spawn until `marker` appears on stdout (or the process exits, when no marker). */
function timeTo(args: string[], marker: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'ignore'] })
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (marker && out.includes(marker)) {
        resolve(elapsed())
        child.kill()
      }
    })
    child.on('error', reject)
    child.on('close', () => (marker && !out.includes(marker) ? reject(new Error(`never printed ${marker}:\n${out}`)) : resolve(elapsed())))
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

const env = {
  PATH: process.env.PATH,
  RUNNER_TEMP: temp,
  GITHUB_SHA: '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4',
  INPUT_IMAGE: 'ani2fun/note-book',
  INPUT_BUILD: 'false',
  'INPUT_VERIFY-IMAGE': 'false',
  'INPUT_INFRA-REPO': 'http://127.0.0.1:9/infra.git',
  'INPUT_OVERLAY-PATH': 'deploy/note-book/overlays/prod',
}
try {
  const bare: number[] = []
  const action: number[] = []
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timeTo(['-e', ''], undefined, env))
    action.push(await timeTo([bundle], '::group::Image', env))
  }
  const size = statSync(bundle).size
  // Chunks split off by dynamic import (the GitHub API client) load only in the modes that use them.
  const total = readdirSync(join(PROJECT_ROOT, 'dist'))
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + statSync(join(PROJECT_ROOT, 'dist', f)).size, 0)
  const rows = [
    ['node -e "" (process start)', `${median(bare).toFixed(0)} ms`, ''],
    ['dist/index.js to its first stage', `${median(action).toFixed(0)} ms`, '< 150 ms'],
    ['dist/index.js, loaded at start', `${(size / 1024 / 1024).toFixed(2)} MB`, ''],
    ['whole bundle (dist/*.js)', `${(total / 1024 / 1024).toFixed(2)} MB`, '< 2 MB'],
  ]
  console.log(`node ${process.version}, median of ${RUNS} runs\n`)
  console.log('| measure | value | target |\n|---|---|---|')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
} finally {
  rmSync(temp, { recursive: true, force: true })
}
