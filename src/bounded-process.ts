/**
 * Runs a program with its whole process tree bounded in time, memory and output. On Linux and macOS
 * the program leads a process group of its own, and the group is killed when the time or output limit
 * is crossed (and when the program ends, so nothing it started outlives it). Memory is capped by the
 * kernel's RLIMIT_DATA, set by `sh` before it execs the program and inherited by whatever it starts
 * (Linux enforces it on the anonymous mappings a heap is made of; macOS may not). RLIMIT_DATA, not
 * RLIMIT_AS: Go programs (kubectl, kustomize) reserve far more address space than they use, so an
 * address-space cap of 1 GiB stops kubectl at a quarter of that, and a small one stops it from
 * starting; a data cap stops it where its heap really reaches the ceiling. On Windows the program
 * alone is killed, and memory is not capped.
 */
import { spawn } from 'node:child_process'

export interface ProcessLimits {
  readonly timeoutMs: number
  readonly maxMemoryBytes: number
  readonly maxOutputBytes: number
}

/** What the program is given besides its arguments: text on stdin, its environment (default: this process's). */
export interface ProcessInput {
  readonly stdin?: string
  readonly env?: NodeJS.ProcessEnv
}

export type ProcessOutcome =
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string; readonly stderr: string }
  /** Killed, with every process it started: over the time limit, over the output limit. */
  | { readonly kind: 'timed-out' | 'too-much-output'; readonly stderr: string }
  /** Stopped by the memory ceiling (Go programs then say "out of memory" or "cannot allocate memory"). */
  | { readonly kind: 'out-of-memory'; readonly stderr: string }
  | { readonly kind: 'not-started'; readonly message: string }

const POSIX = process.platform !== 'win32'
/** `sh -c` script: cap the data segment (KiB), then become the program. */
const WITH_MEMORY_CEILING = 'ulimit -d "$1" 2>/dev/null; shift; exec "$@"'
const MAX_STDERR_BYTES = 64 * 1024

export function runBounded(file: string, args: readonly string[], limits: ProcessLimits, input: ProcessInput = {}): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const child = POSIX
      ? spawn('/bin/sh', ['-c', WITH_MEMORY_CEILING, 'sh', String(Math.floor(limits.maxMemoryBytes / 1024)), file, ...args], {
          detached: true,
          env: input.env,
          stdio: 'pipe',
        })
      : spawn(file, args, { env: input.env, stdio: 'pipe', windowsHide: true })
    // A program may exit without reading its input: that is its answer, not an error.
    child.stdin.on('error', () => undefined)
    child.stdin.end(input.stdin ?? '')
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let outputBytes = 0
    let stderrBytes = 0
    let stopped: 'timed-out' | 'too-much-output' | undefined
    const killTree = () => {
      try {
        if (POSIX && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        // already gone
      }
    }
    const stop = (why: 'timed-out' | 'too-much-output') => {
      stopped ??= why
      killTree()
    }
    const timer = setTimeout(() => stop('timed-out'), limits.timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length
      if (outputBytes > limits.maxOutputBytes) stop('too-much-output')
      else stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes < MAX_STDERR_BYTES) stderr.push(chunk)
      stderrBytes += chunk.length
    })
    // The program is done: whatever it left running in its group goes with it.
    child.on('exit', killTree)
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({ kind: 'not-started', message: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      const errors = Buffer.concat(stderr).toString('utf8')
      if (stopped) resolve({ kind: stopped, stderr: errors })
      else if (code !== 0 && /\bout of memory\b|cannot allocate memory/i.test(errors)) resolve({ kind: 'out-of-memory', stderr: errors })
      else resolve({ kind: 'exited', code: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: errors })
    })
  })
}
