/**
 * The one place that spawns a program: arguments as an array (never a shell), secrets only on
 * stdin or in the environment, output captured and optionally streamed line by line to the log.
 */
import { spawn } from 'node:child_process'

export interface ProcessOutput {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface ProcessOptions {
  readonly cwd?: string
  readonly env: NodeJS.ProcessEnv
  /** Text written to stdin (then closed). */
  readonly input?: string
  /** Called with each complete line of stdout and stderr as it arrives (for long builds). */
  readonly onLine?: (line: string) => void
}

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const stream = (sink: Buffer[]) => {
      let pending = ''
      return {
        data: (chunk: Buffer) => {
          sink.push(chunk)
          if (!options.onLine) return
          const lines = (pending + chunk.toString('utf8')).split('\n')
          pending = lines.pop() ?? ''
          lines.forEach((line) => options.onLine?.(line))
        },
        end: () => {
          if (pending && options.onLine) options.onLine(pending)
        },
      }
    }
    const stdout = stream(out)
    const stderr = stream(err)
    child.stdout.on('data', stdout.data)
    child.stderr.on('data', stderr.data)
    child.on('error', reject)
    child.on('close', (code) => {
      stdout.end()
      stderr.end()
      resolve({ exitCode: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    // A program that exits without reading stdin closes the pipe; that is not our error.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** The last meaningful lines of a program's output, for one-line error messages. */
export function lastLines(text: string, max: number, skip: (line: string) => boolean = () => false): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !skip(line))
    .slice(-max)
    .join(' | ')
}
