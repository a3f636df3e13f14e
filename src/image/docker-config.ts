/**
 * Credentials the runner already has for a registry, read as docker reads them: from Docker's config
 * file (where `docker login` and docker/login-action put them), or from the credential helper it
 * names (`credHelpers`, `credsStore`: ECR, GCR, ACR setups), so the registry check needs no new inputs.
 */
import { getExecOutput } from '@actions/exec'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
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

export async function runnerCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const text = await runnerConfig(env)
  if (!text) return undefined
  const helper = credentialHelper(text, registry)
  return helper ? helperCredentials(helper, registry, env) : credentialsFromConfig(text, registry)
}

/**
 * Runs `docker-credential-<helper> get` with the registry on stdin, as docker does. A helper that has
 * nothing for the registry means no credentials (anonymous access), like docker.
 */
async function helperCredentials(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${helper}`
  const server = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry
  const where = `the credential helper ${program} (named in ${join(dockerConfigDir(env), 'config.json')})`
  const output = await getExecOutput(program, ['get'], {
    input: Buffer.from(server, 'utf8'),
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    silent: true,
    ignoreReturnCode: true,
  }).catch((error: Error) => {
    throw new ImageError(
      `Could not run ${where} for ${registry}: ${/Unable to locate executable/i.test(error.message) ? `${program} is not on PATH` : error.message}.`,
      'Install the credential helper (or run the step that sets it up) before this step, or remove it from the Docker config.',
    )
  })
  if (output.exitCode !== 0) {
    if (/credentials not found/i.test(output.stdout + output.stderr)) return undefined
    throw new ImageError(
      `${where} failed for ${registry} (exit ${output.exitCode}): ${lastLines(output.stderr || output.stdout, 3)}`,
      `Check that ${program} is logged in to ${registry} (run its login step before this one).`,
    )
  }
  let answer: { Username?: unknown; Secret?: unknown }
  try {
    answer = JSON.parse(output.stdout) as typeof answer
  } catch {
    answer = {}
  }
  if (typeof answer.Username !== 'string' || typeof answer.Secret !== 'string' || answer.Secret === '') {
    throw new ImageError(`${where} answered for ${registry} without a Username and Secret.`, `Check that ${program} is logged in to ${registry}.`)
  }
  return { username: answer.Username, password: answer.Secret, helper: program }
}
