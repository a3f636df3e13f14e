/**
 * Jest wiring shared by the GitHub API tests: one git server and one API stand-in per file, and the
 * stand-in's OpenAPI violations checked after every test.
 */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals'
import type { ActionRun } from './action-runner.js'
import { startGitHubApi, type GitHubApiStandIn } from './github-api.js'
import { startGitServer, type GitServer } from './git-server.js'

export interface GitHubSuite {
  readonly server: GitServer
  readonly api: GitHubApiStandIn
}

/** Call at the top of a describe block; the fields are there once beforeAll ran. */
export function useGitHubStandIn(): GitHubSuite {
  const suite = {} as { server: GitServer; api: GitHubApiStandIn }
  beforeAll(async () => {
    suite.server = await startGitServer()
    suite.api = await startGitHubApi(suite.server)
  })
  afterAll(async () => {
    await suite.api?.close()
    await suite.server?.close()
  })
  afterEach(() => {
    expect(suite.api.violations.splice(0)).toEqual([])
  })
  return suite
}

/** The run failed with exactly one error annotation, holding every fragment, and never showed the token. */
export function expectOneError(run: ActionRun, token: string, ...fragments: string[]): void {
  expect(run.exitCode).not.toBe(0)
  expect(run.log).not.toContain(token)
  const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
  expect(errors).toHaveLength(1)
  for (const fragment of fragments) expect(errors[0]).toContain(fragment)
}
