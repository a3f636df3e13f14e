/**
 * Runs the action exactly as a GitHub runner does: a child `node` process with `INPUT_*` and
 * `GITHUB_*` variables, `GITHUB_OUTPUT`/`GITHUB_STEP_SUMMARY` files, and `RUNNER_TEMP`. Used by the
 * integration tests, the demo and the benchmarks. No jest globals here.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface ActionRun {
  readonly exitCode: number
  /**
   * The runner log, stdout and stderr interleaved, less the `::add-mask::` commands the runner
   * consumes. Masks are *not* applied: a secret found here would be a leak.
   */
  readonly log: string
  readonly outputs: Readonly<Record<string, string>>
  readonly summary: string
  /** What was left in RUNNER_TEMP after the run (should be nothing). */
  readonly leftInTemp: readonly string[]
}

export interface ActionRunOptions {
  /** `dist` runs the committed bundle (what users run); `src` runs the sources through tsx. */
  readonly entry?: 'dist' | 'src'
  /** Extra or overriding environment (GITHUB_* context). */
  readonly env?: Readonly<Record<string, string>>
  /** Node binary; default `PROMOTE_NODE` (CI's Node 24) or the current one. */
  readonly node?: string
}

/** The GitHub context a push-triggered workflow run would have. */
export function githubContext(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_REPOSITORY: 'ani2fun/note-book',
    GITHUB_SHA: '3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1234567890',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'ani2fun',
    GITHUB_WORKFLOW: 'build-push-promote',
    ...overrides,
  }
}

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` … `delimiter`, or `name=value`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = /^([^<=]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i])
      outputs[heredoc[1]] = value.join('\n')
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return outputs
}

export async function runAction(inputs: Readonly<Record<string, string>>, options: ActionRunOptions = {}): Promise<ActionRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'promote-run-'))
  const runnerTemp = join(scratch, 'runner-temp')
  await mkdir(runnerTemp)
  const outputFile = join(scratch, 'output')
  const summaryFile = join(scratch, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...githubContext(options.env),
    RUNNER_TEMP: runnerTemp,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  const node = options.node ?? process.env.PROMOTE_NODE ?? process.execPath
  const args = options.entry === 'src' ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'index.ts')] : [join(PROJECT_ROOT, 'dist', 'index.js')]
  try {
    const { exitCode, log } = await new Promise<{ exitCode: number; log: string }>((resolve, reject) => {
      const child = spawn(node, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      const chunks: Buffer[] = []
      child.stdout.on('data', (c: Buffer) => chunks.push(c))
      child.stderr.on('data', (c: Buffer) => chunks.push(c))
      child.on('error', reject)
      child.on('close', (code) => resolve({ exitCode: code ?? 1, log: Buffer.concat(chunks).toString('utf8') }))
    })
    return {
      exitCode,
      log: log
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      leftInTemp: await readdir(runnerTemp),
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
