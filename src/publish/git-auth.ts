/**
 * Hands the infra token to git without it ever appearing in argv, logs or a config file: git reads
 * `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` from the environment of each call, so
 * nothing is written to `.git/config` and there is nothing to remove afterwards.
 */
import * as core from '@actions/core'

/** Basic credentials as GitHub accepts an installation or personal token. */
export function basicAuthHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`
}

/**
 * Environment entries that configure git for `remoteUrl`: the auth header scoped to the remote's
 * origin, and no credential helper (a runner's stored credentials must not be used instead).
 * Entries already in `baseEnv` (`GIT_CONFIG_COUNT`) are kept: ours are appended after them.
 */
export function gitAuthEnv(remoteUrl: string, token: string, baseEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const entries: [string, string][] = [['credential.helper', '']]
  if (token !== '') {
    const header = basicAuthHeader(token)
    core.setSecret(token)
    core.setSecret(header.slice('AUTHORIZATION: basic '.length))
    entries.push([`http.${new URL(remoteUrl).origin}/.extraheader`, header])
  }
  const start = Number.parseInt(baseEnv.GIT_CONFIG_COUNT ?? '0', 10) || 0
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(start + entries.length) }
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${start + i}`] = key
    env[`GIT_CONFIG_VALUE_${start + i}`] = value
  })
  return env
}
