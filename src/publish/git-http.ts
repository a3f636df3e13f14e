/**
 * The HTTP side of git's smart protocol: one request at a time to the infra repository's own origin,
 * over keep-alive connections, with the token in a Basic Authorization header and nowhere else. No
 * redirect to another origin is followed (the header would go with it), every request is bounded by an
 * idle timeout, and every answer that is not git data becomes one typed error carrying the host's
 * own words: `HostFailure` for what may pass (a 5xx, a dropped connection, a timeout), an input error
 * for refused credentials or a missing repository, a git error for the rest.
 */
import * as core from '@actions/core'
import http from 'node:http'
import https from 'node:https'
import { GitError, HostFailure, InputError } from '../errors.js'
import type { InfraRepo } from './settings.js'

/** A request that sends or receives nothing for this long has stalled. */
export const IDLE_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 3
const USER_AGENT = 'git/2.45 (gitops-promote)'

export interface GitRequest {
  /** Relative to the repository URL: `info/refs?service=git-upload-pack`, `git-receive-pack`. */
  readonly path: string
  readonly body?: Buffer
  readonly headers?: Readonly<Record<string, string>>
  /** The content type a git answer carries; anything else is not git talking. */
  readonly expect: string
  /** What the action was doing, for messages ("read the branches of"). */
  readonly doing: string
}

/** Basic credentials as GitHub accepts an installation or personal token. */
export function basicAuthorization(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`
}

export class GitHttp {
  readonly infra: InfraRepo
  /** Requests sent so far (the bench counts them). */
  requests = 0
  private base: URL
  private readonly authorization: string | undefined
  private readonly agent: http.Agent
  private readonly idleTimeoutMs: number

  constructor(infra: InfraRepo, idleTimeoutMs = IDLE_TIMEOUT_MS) {
    this.infra = infra
    this.base = new URL(infra.url.replace(/\/*$/, '/'))
    this.idleTimeoutMs = idleTimeoutMs
    if (infra.token !== '') {
      this.authorization = basicAuthorization(infra.token)
      core.setSecret(infra.token)
      core.setSecret(this.authorization.slice('Basic '.length))
    }
    // proxyEnv: Node 24 sends through HTTPS_PROXY / HTTP_PROXY (and honours NO_PROXY) as git would.
    const options = { keepAlive: true, maxSockets: 4, proxyEnv: process.env } as http.AgentOptions
    this.agent = this.base.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
  }

  private get where(): string {
    return this.infra.slug ?? this.infra.url
  }

  async request(request: GitRequest): Promise<Buffer> {
    for (let redirects = 0; ; redirects++) {
      const url = new URL(request.path, this.base)
      const answer = await this.send(url, request)
      if (answer.status >= 300 && answer.status < 400) {
        const location = answer.location ? new URL(answer.location, url) : undefined
        // Only a same-origin move of the repository itself (a renamed repository) is followed, and only
        // for a read: the token never leaves the origin named in infra-repo.
        if (request.body === undefined && location?.origin === this.base.origin && location.href.endsWith(request.path) && redirects < MAX_REDIRECTS) {
          this.base = new URL(location.href.slice(0, -request.path.length))
          continue
        }
        throw new GitError(
          `${this.where} answered the request to ${request.doing} it with a redirect (HTTP ${answer.status}) to ${location?.origin ?? 'nowhere'}${location?.pathname ?? ''}.`,
          'Set infra-repo to the repository URL the host redirects to; the action does not follow a redirect to another host, so that the token only goes where you sent it.',
        )
      }
      if (answer.status !== 200) throw this.refusal(answer.status, answer.body, request.doing)
      if (!answer.contentType.startsWith(request.expect)) {
        throw new GitError(
          `${this.where} did not answer as a git server when asked to ${request.doing} it: it sent ${answer.contentType || 'no content type'} (${firstWords(answer.body)}).`,
          'Check infra-repo: it must be the git URL of the repository (a login page or a proxy answered instead).',
        )
      }
      return answer.body
    }
  }

  private send(url: URL, request: GitRequest): Promise<{ status: number; contentType: string; location?: string; body: Buffer }> {
    this.requests++
    core.debug(`git-http: ${request.body ? 'POST' : 'GET'} ${url.pathname}${url.search}`)
    const client = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const failed = (error: Error) =>
        reject(
          new HostFailure(
            `the connection to ${url.origin} failed while trying to ${request.doing} ${this.where} (${error.message}).`,
            'This is a network or host problem; nothing was pushed unless the action says so. Re-run the job later.',
          ),
        )
      const req = client.request(
        url,
        {
          method: request.body ? 'POST' : 'GET',
          agent: this.agent,
          headers: {
            'User-Agent': USER_AGENT,
            ...(this.authorization ? { Authorization: this.authorization } : {}),
            ...(request.body ? { 'Content-Length': String(request.body.length) } : {}),
            ...request.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', failed)
          res.on('aborted', () => failed(new Error('the answer was cut off')))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              ...(res.headers.location ? { location: res.headers.location } : {}),
              body: Buffer.concat(chunks),
            }),
          )
        },
      )
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(new Error(`no data for ${this.idleTimeoutMs / 1000} s`)))
      req.on('error', failed)
      req.end(request.body)
    })
  }

  /** The typed error for a refused request, with the host's words. */
  private refusal(status: number, body: Buffer, doing: string): Error {
    const said = firstWords(body)
    const detail = `HTTP ${status}${said ? `: ${said}` : ''}`
    if (status >= 500 || status === 429 || status === 408) {
      return new HostFailure(`${this.where} failed while the action tried to ${doing} it (${detail}).`, 'This is a problem on the host; re-run the job later.')
    }
    if (status === 401) {
      return new InputError(
        'infra-token',
        `the infra repository ${this.where} refused the credentials while the action tried to ${doing} it (${detail})`,
        'Check that infra-token is set from a secret holding a valid token (fine-grained PAT or GitHub App token) that has not expired.',
      )
    }
    if (status === 403) {
      return new InputError(
        'infra-token',
        `the token may not ${doing} ${this.where} (${detail})`,
        'Give the token Contents: read and write on the infra repository (and nothing else).',
      )
    }
    if (status === 404) {
      return new InputError(
        'infra-repo',
        `${this.where} was not found (${detail})`,
        'Check the owner/name spelling, and that infra-token can see the repository (a token without access gets "not found").',
      )
    }
    return new GitError(`${this.where} refused to let the action ${doing} it (${detail}).`, 'Check infra-repo and infra-token; nothing was pushed.')
  }

  close(): void {
    this.agent.destroy()
  }
}

/** The start of a host's answer as one line of text (an HTML page's tags dropped). */
function firstWords(body: Buffer): string {
  const text = body
    .subarray(0, 2000)
    .toString('utf8')
    .replace(/<(script|style)[^]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}
