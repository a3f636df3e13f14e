/**
 * The GitHub client against a tiny local API: a 5xx is sent again, a lost race (422) and a refusal
 * (403 without a rate limit) never are, and a short rate limit is waited out; every request is held
 * to the network bounds, and the token follows no redirect to another origin.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, HostFailure } from '../../src/errors.js'
import { StoppedRequest } from '../../src/github/bounded-fetch.js'
import { apiError, createGitHubClient } from '../../src/github/client.js'
import { DEFAULT_NETWORK_BOUNDS, type NetworkBounds } from '../../src/network.js'
import { startRecorder, type Recorder } from '../support/fault-proxy.js'

/**
 * Answers GET /repos/o/<name> with the scripted statuses in turn, then 200; `silent` never answers,
 * `half` sends its headers and the start of its body only, `flood` a body without end, `moved`
 * redirects to `renamed` on the same origin, `away` to another origin.
 */
const scripts: Record<string, { status: number; headers?: Record<string, string>; message?: string }[]> = {}
const seen: Record<string, number> = {}
const authorizations: Record<string, string | undefined> = {}
let server: Server
let url: string
let elsewhere: Recorder

beforeAll(async () => {
  elsewhere = await startRecorder()
  server = createServer((req, res) => {
    const name = (req.url ?? '').split('/')[3] ?? ''
    seen[name] = (seen[name] ?? 0) + 1
    authorizations[name] = req.headers.authorization
    if (name === 'silent') return
    if (name === 'half') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"name": "ha')
      return
    }
    if (name === 'flood') {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const more = () => {
        while (!res.destroyed && res.write(chunk));
      }
      res.on('drain', more)
      more()
      return
    }
    if (name === 'moved' || name === 'away') {
      res.writeHead(301, { location: name === 'moved' ? `${url}/repos/o/renamed` : `${elsewhere.url}/repos/o/away` })
      res.end()
      return
    }
    const next = scripts[name]?.shift()
    const status = next?.status ?? 200
    res.writeHead(status, { 'content-type': 'application/json', ...next?.headers })
    res.end(JSON.stringify(status === 200 ? { name, default_branch: 'main' } : { message: next?.message ?? 'failed' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await elsewhere.close()
})

const get = (name: string) => createGitHubClient('t0ken', { GITHUB_API_URL: url }, DEFAULT_NETWORK_BOUNDS).rest.repos.get({ owner: 'o', repo: name })

describe('GitHub client retries', () => {
  it('sends a request that failed with a 5xx again', async () => {
    scripts.flaky = [{ status: 502 }]
    expect((await get('flaky')).data.default_branch).toBe('main')
    expect(seen.flaky).toBe(2)
  })

  it.each([
    ['a lost race', 422, {}, 'Update is not a fast forward'],
    ['a refusal', 403, {}, 'Resource not accessible by integration'],
  ])('never sends %s again', async (_what, status, headers, message) => {
    const name = `once-${status}`
    scripts[name] = [{ status, headers, message }]
    await expect(get(name)).rejects.toMatchObject({ status })
    expect(seen[name]).toBe(1)
  })

  it('waits out a short rate limit', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1)
    scripts.limited = [{ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, message: 'API rate limit exceeded' }]
    expect((await get('limited')).data.name).toBe('limited')
    expect(seen.limited).toBe(2)
  })
})

describe('GitHub client bounds', () => {
  const bounds: NetworkBounds = { stallMs: 300, requestMs: 1200, maxAnswerBytes: 1024 ** 2 }
  const getBounded = (name: string) => createGitHubClient('t0ken', { GITHUB_API_URL: url }, bounds).rest.repos.get({ owner: 'o', repo: name })
  const host = () => new URL(url).host

  it.each([
    ['never answers', 'silent', 'did not answer within 0.3 s'],
    ['stops in the middle of its answer', 'half', 'stopped sending for 0.3 s'],
    ['answers without end', 'flood', 'sent more than 1 MiB in one answer'],
  ])('an API that %s fails within the bound, once, as a host failure naming it', async (_what, name, said) => {
    const started = performance.now()
    const error = await getBounded(name).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(error).toBeInstanceOf(StoppedRequest)
    expect(seen[name]).toBe(1)
    const typed = apiError(error, 'read the repository in o/infra', 'Contents: read')
    expect(typed).toBeInstanceOf(HostFailure)
    expect(typed.message).toBe(`the GitHub API at ${host()} ${said} while the action tried to read the repository in o/infra.`)
  })

  it('follows a redirect within the API origin, with the token', async () => {
    expect((await getBounded('moved')).data.name).toBe('renamed')
    expect(authorizations.renamed).toBe('token t0ken')
  })

  it('refuses a redirect to another origin: nothing reaches it, and it is not tried again', async () => {
    const error = await getBounded('away').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(elsewhere.requests).toEqual([])
    expect(seen.away).toBe(1)
    const typed = apiError(error, 'read the repository in o/infra', 'Contents: read')
    expect(typed).toBeInstanceOf(ApiError)
    expect(typed.message).toBe(
      `the GitHub API at ${host()} answered with a redirect (HTTP 301) to ${elsewhere.url}/repos/o/away, which is not followed, so that the token only goes to ${url}, when the action tried to read the repository in o/infra.`,
    )
  })
})
