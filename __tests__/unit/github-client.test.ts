/**
 * The GitHub client's retries against a tiny local API: a 5xx is sent again, a lost race (422) and a
 * refusal (403 without a rate limit) never are, and a short rate limit is waited out.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGitHubClient } from '../../src/github/client.js'

/** Answers GET /repos/o/<name> with the scripted statuses in turn, then 200. */
const scripts: Record<string, { status: number; headers?: Record<string, string>; message?: string }[]> = {}
const seen: Record<string, number> = {}
let server: Server
let url: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '').split('/')[3] ?? ''
    seen[name] = (seen[name] ?? 0) + 1
    const next = scripts[name]?.shift()
    const status = next?.status ?? 200
    res.writeHead(status, { 'content-type': 'application/json', ...next?.headers })
    res.end(JSON.stringify(status === 200 ? { name, default_branch: 'main' } : { message: next?.message ?? 'failed' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const get = (name: string) => createGitHubClient('t0ken', { GITHUB_API_URL: url }).rest.repos.get({ owner: 'o', repo: name })

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
