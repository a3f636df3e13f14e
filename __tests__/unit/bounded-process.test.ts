/**
 * The render check's process bounds, on real processes: the time limit kills the whole process tree,
 * nothing the program started outlives it, output is capped, and the memory ceiling stops kubectl
 * itself (a Go program) where its heap reaches it.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBounded, type ProcessLimits } from '../../src/bounded-process.js'
import { aliasBombConfigMap } from '../support/fixtures.js'

const POSIX = process.platform !== 'win32'
const posixIt = POSIX ? it : it.skip
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const kubectlIt = POSIX && kubectl ? it : it.skip
if (!kubectl) console.warn('\n*** kubectl is not installed: the memory ceiling was not tried on it. ***\n')

const LIMITS: ProcessLimits = { timeoutMs: 10_000, maxMemoryBytes: 1024 ** 3, maxOutputBytes: 1024 ** 2 }

/** Whether a process runs (a zombie, killed but not reaped by a container's init, does not). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return !alive(pid)
}

async function withScratch<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bounded-'))
  try {
    return await use(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('bounded process', () => {
  it('returns what the program printed and its exit code', async () => {
    expect(await runBounded('node', ['-e', 'console.log("out"); console.error("err"); process.exit(3)'], LIMITS)).toEqual({
      kind: 'exited',
      code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    })
  })

  posixIt('kills the whole process tree at the time limit', async () => {
    await withScratch(async (dir) => {
      const pidFile = join(dir, 'pid')
      const started = performance.now()
      const outcome = await runBounded('/bin/sh', ['-c', `sleep 300 & echo $! > ${pidFile}; sleep 300`], { ...LIMITS, timeoutMs: 500 })
      expect(outcome.kind).toBe('timed-out')
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(await gone(Number(await readFile(pidFile, 'utf8')))).toBe(true)
    })
  })

  posixIt('leaves nothing the program started running after it ends', async () => {
    const outcome = await runBounded('/bin/sh', ['-c', 'sleep 300 & echo $!'], LIMITS)
    expect(outcome).toMatchObject({ kind: 'exited', code: 0 })
    expect(await gone(Number((outcome as { stdout: string }).stdout))).toBe(true)
  })

  it('stops a program that prints more than the output limit', async () => {
    const outcome = await runBounded('node', ['-e', 'const b = "x".repeat(65536); const write = () => process.stdout.write(b, write); write()'], LIMITS)
    expect(outcome.kind).toBe('too-much-output')
  })

  kubectlIt('stops kubectl at the memory ceiling, where an alias bomb would take it far past it', async () => {
    await withScratch(async (dir) => {
      // 6 levels, not 8: a broken ceiling costs 900 MiB, not the machine.
      await mkdir(join(dir, 'overlay'))
      await writeFile(join(dir, 'overlay', 'kustomization.yaml'), 'resources:\n  - bomb.yaml\n')
      await writeFile(join(dir, 'overlay', 'bomb.yaml'), aliasBombConfigMap(6))
      const started = performance.now()
      const outcome = await runBounded('kubectl', ['kustomize', join(dir, 'overlay')], { ...LIMITS, maxMemoryBytes: 256 * 1024 ** 2 })
      expect(outcome).toMatchObject({ kind: 'out-of-memory' })
      expect(performance.now() - started).toBeLessThan(10_000)
      // Under the same ceiling, an ordinary overlay renders.
      await writeFile(join(dir, 'overlay', 'bomb.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata:\n  a: b\n')
      const small = await runBounded('kubectl', ['kustomize', join(dir, 'overlay')], { ...LIMITS, maxMemoryBytes: 256 * 1024 ** 2 })
      expect(small).toMatchObject({ kind: 'exited', code: 0 })
    })
  })
})
