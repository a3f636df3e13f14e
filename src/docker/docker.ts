/**
 * Every docker CLI call of the image stage. With registry credentials it logs in into a fresh
 * DOCKER_CONFIG under the runner's temp directory (password on stdin) and removes it afterwards,
 * so nothing is left on a self-hosted runner; without, the runner's own login is used as is.
 */
import * as core from '@actions/core'
import { getExecOutput, type ExecOutput } from '@actions/exec'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ImageError } from '../errors.js'
import { configForLogin, runnerConfig } from '../image/docker-config.js'
import type { RegistryCredentials } from '../image/registry.js'
import { DOCKER_HUB } from '../image/reference.js'
import { dockerErrorLines } from './docker-args.js'

export class DockerCli {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** The temporary DOCKER_CONFIG to remove, when we made one. */
    private readonly tempConfig: string | undefined,
  ) {}

  /** A docker CLI; with `login`, logged in to `registry` through a temporary config. */
  static async open(
    login: { registry: string; credentials: RegistryCredentials; tempDir: string } | undefined,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<DockerCli> {
    if (!login) return new DockerCli({ ...env }, undefined)
    const dir = await mkdtemp(join(login.tempDir, 'docker-config-'))
    // Keep the runner's other logins (a private base image) working inside the temporary config.
    const config = await runnerConfig(env)
    if (config) await writeFile(join(dir, 'config.json'), configForLogin(config, login.registry), { mode: 0o600 })
    const cli = new DockerCli({ ...env, DOCKER_CONFIG: dir }, dir)
    try {
      const server = login.registry === DOCKER_HUB ? [] : [login.registry]
      const output = await cli.exec(['login', '--username', login.credentials.username, '--password-stdin', ...server], { input: login.credentials.password })
      if (output.exitCode !== 0) {
        throw new ImageError(
          `docker login to ${login.registry} failed: ${dockerErrorLines(output.stderr + output.stdout, 3)}`,
          'Check registry-username and registry-password (for GHCR, a token with write:packages; for Docker Hub, an access token).',
        )
      }
    } catch (error) {
      await cli.close()
      throw error
    }
    return cli
  }

  /** Removes the temporary Docker config (and the credentials in it). */
  async close(): Promise<void> {
    if (this.tempConfig) await rm(this.tempConfig, { recursive: true, force: true })
  }

  async hasBuildx(): Promise<boolean> {
    return (await this.exec(['buildx', 'version']).catch(() => ({ exitCode: 1 }))).exitCode === 0
  }

  /**
   * Runs docker (arguments as an array, secrets only on stdin or in files); with `stream`, each output
   * line goes to the log as it comes; `env` adds variables for this command.
   */
  exec(args: readonly string[], options: { input?: string; stream?: boolean; env?: Record<string, string> } = {}): Promise<ExecOutput> {
    const log = (line: string) => core.info(line)
    return getExecOutput('docker', [...args], {
      env: { ...Object.fromEntries(Object.entries(this.env).filter((entry): entry is [string, string] => entry[1] !== undefined)), ...options.env },
      ignoreReturnCode: true,
      silent: true,
      ...(options.input !== undefined ? { input: Buffer.from(options.input, 'utf8') } : {}),
      ...(options.stream ? { listeners: { stdline: log, errline: log } } : {}),
    }).catch((error: Error) => {
      if (/Unable to locate executable file/i.test(error.message))
        throw new ImageError(
          'docker is not installed on this runner.',
          'Use a runner with Docker (ubuntu-latest has it), or set build: false to promote an image built elsewhere.',
        )
      throw error
    })
  }

  /** Runs a docker command, streaming its output to the log; failure carries Docker's last error lines. */
  async run(args: readonly string[], what: string, fix: string, env: Record<string, string> = {}): Promise<string> {
    core.info(`docker ${args.join(' ')}`)
    const output = await this.exec(args, { stream: true, env })
    if (output.exitCode !== 0) {
      throw new ImageError(`${what} failed (docker exited ${output.exitCode}): ${dockerErrorLines(output.stderr || output.stdout)}`, fix)
    }
    return output.stdout + output.stderr
  }
}
