/**
 * Credentials the runner already has for a registry, read from Docker's config file (where
 * `docker login` and docker/login-action put them), so the registry check works without new inputs.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
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

/** Credentials stored inline (`auths.<host>.auth`); undefined when none (or only a credential helper). */
export function credentialsFromConfig(configJson: string, registry: string): RegistryCredentials | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> }
  try {
    config = JSON.parse(configJson) as typeof config
  } catch {
    return undefined
  }
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

export async function runnerCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const text = await readFile(join(dockerConfigDir(env), 'config.json'), 'utf8').catch(() => '')
  return text ? credentialsFromConfig(text, registry) : undefined
}
