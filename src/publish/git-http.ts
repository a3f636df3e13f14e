/**
 * The HTTP side of git's smart protocol: one request at a time to the infra repository's own origin,
 * over keep-alive connections, with the token in a Basic Authorization header and nowhere else. No
 * redirect to another origin is followed (the header would go with it), every request is held to the
 * network bounds (network.ts), and every answer that is not git data becomes one typed error carrying
 * the host's own words: `HostFailure` for what may pass (a 5xx, a dropped connection, a stall), an
 * input error for refused credentials or a missing repository, a git error for the rest.
 */
import * as core from '@actions/core'
import http from 'node:http'
import https from 'node:https'
import { GitError, HostFailure, InputError } from '../errors.js'
import { RequestWatch, type NetworkBounds } from '../network.js'
import type { InfraRepo } from './settings.js'

const MAX_REDIRECTS = 3
const USER_AGENT = 'git/2.45 (gitops-promote)'
const NETWORK_FIX = 'This is a network or host problem; nothing was pushed unless the action says so. Re-run the job later'

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

/** The Basic-auth user name GitHub takes with an installation or personal token (any name works there). */
const DEFAULT_INFRA_USERNAME = 'x-access-token'

/** Basic credentials: the token as the password of `username`. */
export function basicAuthorization(token: string, username = DEFAULT_INFRA_USERNAME): string {
  return `Basic ${Buffer.from(`${username}:${token}`, 'utf8').toString('base64')}`
}

export class GitHttp {
  readonly infra: InfraRepo
  /** Requests sent so far (the bench counts them). */
  requests = 0
  /** Bytes of answers received so far. */
  received = 0
  private base: URL
  private readonly authorization: string | undefined
  private readonly agent: http.Agent
  private readonly bounds: NetworkBounds

  constructor(infra: InfraRepo, bounds: NetworkBounds) {
    this.infra = infra
    this.base = new URL(infra.url.replace(/\/*$/, '/'))
    this.bounds = bounds
    if (infra.token !== '') {
      this.authorization = basicAuthorization(infra.token, infra.username)
      core.setSecret(infra.token)
      core.setSecret(this.authorization.slice('Basic '.length))
    }
    // proxyEnv: Node 24 sends through HTTPS_PROXY / HTTP_PROXY (and honours NO_PROXY) as git would.
    const options = { keepAlive: true, maxSockets: 4, proxyEnv: process.env } as http.AgentOptions
    this.agent = this.base.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
  }

  /** The repository, for messages. */
  get where(): string {
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
      if (!answer.contentType.startsWith(request.expect))
        throw notGit(this.where, request.doing, `it sent ${describeContent(answer.contentType)}`, answer.body, answer.contentType)
      return answer.body
    }
  }

  private send(url: URL, request: GitRequest): Promise<{ status: number; contentType: string; location?: string; body: Buffer }> {
    this.requests++
    core.debug(`git-http: ${request.body ? 'POST' : 'GET'} ${url.pathname}${url.search}`)
    const client = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        watch.finish()
        reject(new HostFailure(`the connection to ${url.origin} failed while trying to ${request.doing} ${this.where} (${error.message}).`, `${NETWORK_FIX}.`))
      }
      const watch = new RequestWatch(this.bounds, (reason) => {
        reject(
          new HostFailure(
            `${url.host} ${reason} while the action tried to ${request.doing} ${this.where}.`,
            `${NETWORK_FIX}, or raise network-timeout-seconds if the host is slow but working.`,
          ),
        )
        req.destroy()
      })
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
          watch.received()
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => {
            watch.received(chunk.length)
            this.received += chunk.length
            chunks.push(chunk)
          })
          res.on('error', failed)
          res.on('aborted', () => failed(new Error('the answer was cut off')))
          res.on('end', () => {
            watch.finish()
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              ...(res.headers.location ? { location: res.headers.location } : {}),
              body: Buffer.concat(chunks),
            })
          })
        },
      )
      req.on('socket', (socket) => {
        // A kept-alive connection is already made; a new one must be made within the stall limit.
        if (!socket.connecting) return
        watch.connectionStarted()
        socket.once('connect', () => watch.connectionMade())
      })
      req.on('error', failed)
      req.end(request.body)
    })
  }

  /** The typed error for a refused request, with the host's words. */
  private refusal(status: number, body: Buffer, doing: string): Error {
    const said = hostExcerpt(body)
    const detail = `HTTP ${status}${said ? `: ${said}` : ''}`
    if (status >= 500 || status === 429 || status === 408) {
      return new HostFailure(`${this.where} failed while the action tried to ${doing} it (${detail}).`, 'This is a problem on the host; re-run the job later.')
    }
    if (status === 401) {
      return new InputError(
        'infra-token',
        `the infra repository ${this.where} refused the credentials while the action tried to ${doing} it (${detail})`,
        'Check that infra-token is set from a secret holding a valid token (fine-grained PAT or GitHub App token) that has not expired, and, on a host other than GitHub, that infra-username is the user name it expects with a token (GitLab: oauth2, Bitbucket: x-token-auth).',
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

/** The error for an answer that is not git data: what came instead, in the host's own words. */
export function notGit(where: string, doing: string, problem: string, body: Buffer, contentType?: string): GitError {
  const said = hostExcerpt(body, contentType)
  return new GitError(
    `${where} did not answer as a git server when asked to ${doing} it: ${problem}${said ? `, saying "${said}"` : ''}.`,
    'Check infra-repo: it must be the git URL of the repository. A login or single sign-on page, or a proxy, answered instead of git: make sure the runner reaches the git host itself.',
  )
}

/** What a content type is, in words. */
function describeContent(contentType: string): string {
  if (/^text\/html/i.test(contentType)) return `a web page (${contentType})`
  if (/json/i.test(contentType)) return `a JSON document (${contentType})`
  return contentType ? `${contentType}, not git data` : 'no content type, and no git data'
}

/** Longest excerpt of a host's words in a message. */
const MAX_EXCERPT = 300

/**
 * The start of a host's answer as one line: a JSON error's message, or the text of a web page
 * without its tags.
 */
function hostExcerpt(body: Buffer, contentType = ''): string {
  const head = body.subarray(0, 4000).toString('utf8')
  if (/json/i.test(contentType) || /^\s*\{/.test(head)) {
    try {
      const data = JSON.parse(head) as Record<string, unknown>
      const said = [data.message, data.error_description, data.error].find((value) => typeof value === 'string')
      if (typeof said === 'string') return oneLine(said)
    } catch {
      // not JSON after all (or longer than the excerpt): shown as text
    }
  }
  return oneLine(head.replace(/<(script|style)[^]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' '))
}

function oneLine(text: string): string {
  const line = text
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return line.length > MAX_EXCERPT ? `${line.slice(0, MAX_EXCERPT)}…` : line
}
