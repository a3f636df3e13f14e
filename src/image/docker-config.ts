/**
 * Credentials the runner already has for a registry, read as docker reads them: from Docker's config
 * file (where `docker login` and docker/login-action put them), or from the credential helper it
 * names (`credHelpers`, `credsStore`: ECR, GCR, ACR setups), so the registry check needs no new inputs.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { runBounded, type ProcessLimits } from '../bounded-process.js'
import { ImageError, lastLines } from '../errors.js'
import { DOCKER_HUB } from './reference.js'
import type { RegistryCredentials } from './registry.js'

export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(homedir(), '.docker')
}

/** The `auths` keys Docker uses for a registry host. */
function authKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
  return [registry, `https://${registry}`, `http://${registry}`]
}

interface DockerConfig {
  readonly auths?: Record<string, { auth?: string; username?: string; password?: string }>
  readonly credsStore?: string
  readonly credHelpers?: Record<string, string>
}

function parseConfig(configJson: string): DockerConfig {
  try {
    const config = JSON.parse(configJson) as unknown
    return typeof config === 'object' && config !== null ? config : {}
  } catch {
    return {}
  }
}

/**
 * The credential helper docker asks for a registry: its `credHelpers` entry (an empty one means the
 * config file itself, as in docker), else `credsStore`; undefined for none.
 */
export function credentialHelper(configJson: string, registry: string): string | undefined {
  const config = parseConfig(configJson)
  const key = authKeys(registry).find((name) => typeof config.credHelpers?.[name] === 'string')
  return (key !== undefined ? config.credHelpers?.[key] : config.credsStore) || undefined
}

/**
 * The runner's Docker config for a temporary login to `registry`: its other logins and helpers kept
 * (a private base image), but this registry's login kept in the file, which is removed afterwards,
 * instead of in a credential helper that would outlive the step.
 */
export function configForLogin(configJson: string, registry: string): string {
  const config = parseConfig(configJson)
  return JSON.stringify({ ...config, credHelpers: { ...config.credHelpers, ...Object.fromEntries(authKeys(registry).map((key) => [key, ''])) } })
}

/** Credentials stored inline (`auths.<host>.auth`); undefined when none (or only a credential helper). */
export function credentialsFromConfig(configJson: string, registry: string): RegistryCredentials | undefined {
  const config = parseConfig(configJson)
  for (const key of authKeys(registry)) {
    const entry = config.auths?.[key]
    if (entry?.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
    }
    if (entry?.username && entry.password) return { username: entry.username, password: entry.password }
  }
  return undefined
}

/** The runner's Docker config file as text; '' when there is none. */
export function runnerConfig(env: NodeJS.ProcessEnv): Promise<string> {
  return readFile(join(dockerConfigDir(env), 'config.json'), 'utf8').catch(() => '')
}

export async function runnerCredentials(registry: string, env: NodeJS.ProcessEnv, helperLimits = HELPER_LIMITS): Promise<RegistryCredentials | undefined> {
  const text = await runnerConfig(env)
  if (!text) return undefined
  const helper = credentialHelper(text, registry)
  return helper ? helperCredentials(helper, registry, env, helperLimits) : credentialsFromConfig(text, registry)
}

/**
 * A helper asks a cloud's API for a token (ECR, GCR, ACR): a second or two. One that waits on a
 * stalled API or a prompt nobody answers fails the step, as a stalled registry does, instead of
 * holding the job.
 */
export const HELPER_LIMITS: ProcessLimits = { timeoutMs: 30_000, maxMemoryBytes: 1024 ** 3, maxOutputBytes: 1024 ** 2 }

/** What the shell says when it finds no such program. */
const NOT_FOUND_EXIT = 127

/**
 * Runs `docker-credential-<helper> get` with the registry on stdin, as docker does, bounded in time
 * and output. A helper that has nothing for the registry means no credentials (anonymous access),
 * like docker.
 */
async function helperCredentials(helper: string, registry: string, env: NodeJS.ProcessEnv, limits: ProcessLimits): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${helper}`
  const server = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry
  const where = `the credential helper ${program} (named in ${join(dockerConfigDir(env), 'config.json')})`
  const install = 'Install the credential helper (or run the step that sets it up) before this step, or remove it from the Docker config.'
  // Found on this process's PATH, as docker finds its helpers.
  const outcome = await runBounded(program, ['get'], limits, { stdin: server, env: { PATH: process.env.PATH, ...env } })
  if (outcome.kind === 'not-started') throw new ImageError(`Could not run ${where} for ${registry}: ${outcome.message}.`, install)
  if (outcome.kind !== 'exited') {
    const stopped = {
      'timed-out': `did not answer within ${limits.timeoutMs / 1000} s`,
      'too-much-output': `answered with more than ${limits.maxOutputBytes / 1024 ** 2} MiB`,
      'out-of-memory': `went over ${limits.maxMemoryBytes / 1024 ** 3} GiB of memory`,
    }[outcome.kind]
    throw new ImageError(
      `${where} ${stopped} for ${registry}, and was stopped${outcome.stderr.trim() ? `: ${lastLines(outcome.stderr, 3)}` : ''}.`,
      `Check that ${program} can reach its cloud's API from the runner and does not prompt (run its login step before this one), or remove it from the Docker config.`,
    )
  }
  if (outcome.code === NOT_FOUND_EXIT && /not found/i.test(outcome.stderr)) {
    throw new ImageError(`Could not run ${where} for ${registry}: ${program} is not on PATH.`, install)
  }
  if (outcome.code !== 0) {
    if (/credentials not found/i.test(outcome.stdout + outcome.stderr)) return undefined
    throw new ImageError(
      `${where} failed for ${registry} (exit ${outcome.code}): ${lastLines(outcome.stderr || outcome.stdout, 3)}`,
      `Check that ${program} is logged in to ${registry} (run its login step before this one).`,
    )
  }
  let answer: { Username?: unknown; Secret?: unknown }
  try {
    answer = JSON.parse(outcome.stdout) as typeof answer
  } catch {
    answer = {}
  }
  if (typeof answer.Username !== 'string' || typeof answer.Secret !== 'string' || answer.Secret === '') {
    throw new ImageError(`${where} answered for ${registry} without a Username and Secret.`, `Check that ${program} is logged in to ${registry}.`)
  }
  return { username: answer.Username, password: answer.Secret, helper: program }
}
