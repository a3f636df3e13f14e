/**
 * Every git call goes through here: one place that sets the non-interactive environment, hides the
 * credentials from argv, and turns a failing call into a typed result.
 */
import * as core from '@actions/core'
import { lastLines, runProcess, type ProcessOutput } from '../process.js'

export type GitOutput = ProcessOutput

export interface GitCallOptions {
  /** Text written to git's stdin. */
  readonly input?: string
  /** Extra environment for this call only (e.g. GIT_INDEX_FILE). */
  readonly env?: Readonly<Record<string, string>>
}

export class GitCommandManager {
  readonly dir: string
  private readonly env: NodeJS.ProcessEnv

  /** `env` is added to the process environment for every call: the auth config lives there. */
  constructor(dir: string, env: Readonly<Record<string, string>>) {
    this.dir = dir
    this.env = {
      ...process.env,
      ...env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      SSH_ASKPASS: '',
      GCM_INTERACTIVE: 'never',
      LC_ALL: 'C',
    }
  }

  /** Runs git and resolves whatever its exit code; the caller decides what a failure means. */
  exec(args: readonly string[], options: GitCallOptions = {}): Promise<GitOutput> {
    core.debug(`git ${args.join(' ')}`)
    return runProcess('git', args, {
      cwd: this.dir,
      env: options.env ? { ...this.env, ...options.env } : this.env,
      ...(options.input !== undefined ? { input: options.input } : {}),
    })
  }

  /** Runs git and returns stdout; a non-zero exit throws `onFailure(output)`. */
  async run(args: readonly string[], onFailure: (output: GitOutput) => Error, options: GitCallOptions = {}): Promise<string> {
    const output = await this.exec(args, options)
    if (output.exitCode !== 0) throw onFailure(output)
    return output.stdout
  }
}

/** The last meaningful lines of git's stderr, for error messages. */
export function gitErrorLines(output: GitOutput, max = 4): string {
  return lastLines(output.stderr, max, (line) => line.startsWith('hint:'))
}
