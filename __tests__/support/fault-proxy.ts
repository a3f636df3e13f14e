/**
 * A fault-injecting HTTP proxy for tests, in front of a real server (the git server of
 * git-server.ts): it forwards every request as it is, except those of a phase with a fault armed,
 * which it answers the way a misbehaving host or network does. And a recorder: a second origin that
 * only notes what reaches it, to show what a redirect to another host would carry.
 *
 *   const proxy = await startFaultProxy(server.url)
 *   proxy.repoUrl('infra')                          // the repository, through the proxy
 *   proxy.inject('push', { kind: 'silent' })        // every push: taken, never answered
 *   proxy.inject('fetch', { kind: 'stall-body' }, 1) // the next fetch: headers, then nothing
 *   proxy.inject('fetch', { kind: 'flood' })        // every fetch: headers, then bytes without end
 *   proxy.requests                                  // phase, method, path, authorized: each request seen
 *   const elsewhere = await startRecorder()         // elsewhere.url; elsewhere.requests (with authorization)
 *
 * No jest globals here.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** Where in git's smart HTTP a request is: the advertisement, a ref listing, a fetch, a push. */
export type Phase = 'info/refs' | 'ls-refs' | 'fetch' | 'push'

export type Fault =
  /** The request is taken and never answered. */
  | { readonly kind: 'silent' }
  /** The server's status and headers go through, then nothing more. */
  | { readonly kind: 'stall-body' }
  /** The server's status and headers, then one byte of the body every `everyMs`, forever. */
  | { readonly kind: 'drip'; readonly everyMs: number }
  /** The server's status and headers, then a body without end, as fast as the client takes it. */
  | { readonly kind: 'flood' }
  /** The connection is dropped. */
  | { readonly kind: 'reset' }
  /** A redirect to where `location` sends the request's path and query. */
  | { readonly kind: 'redirect'; readonly location: (path: string) => string; readonly status?: number }
  /** An answer of the proxy's own (a login page, a JSON error). */
  | { readonly kind: 'answer'; readonly status: number; readonly contentType: string; readonly body: string }

export interface ProxyRecord {
  readonly phase: Phase | 'other'
  readonly method: string
  readonly path: string
  readonly authorized: boolean
}

export interface FaultProxy {
  readonly url: string
  readonly requests: ProxyRecord[]
  repoUrl(name: string): string
  /** Arms `fault` for the next `times` requests of `phase` (default: all of them). */
  inject(phase: Phase, fault: Fault, times?: number): void
  clear(): void
  close(): Promise<void>
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly authorization?: string
}

export interface Recorder {
  readonly url: string
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

function phaseOf(method: string, url: URL, body: Buffer): Phase | 'other' {
  if (method === 'GET' && url.pathname.endsWith('/info/refs')) return 'info/refs'
  if (method === 'POST' && url.pathname.endsWith('/git-receive-pack')) return 'push'
  if (method === 'POST' && url.pathname.endsWith('/git-upload-pack')) return body.includes('command=ls-refs') ? 'ls-refs' : 'fetch'
  return 'other'
}

async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const armed: { phase: Phase; fault: Fault; left: number }[] = []
  const requests: ProxyRecord[] = []
  const timers = new Set<NodeJS.Timeout>()

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, fault: Fault | undefined) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      if (fault?.kind === 'stall-body' || fault?.kind === 'drip' || fault?.kind === 'flood') {
        res.flushHeaders()
        answer.resume()
        if (fault.kind === 'flood') {
          const chunk = Buffer.alloc(64 * 1024, 0x30)
          const more = () => {
            while (!res.destroyed && res.write(chunk));
          }
          res.on('drain', more)
          more()
        }
        if (fault.kind === 'drip') {
          const timer = setInterval(() => res.write('0'), fault.everyMs)
          timers.add(timer)
          res.on('close', () => {
            clearInterval(timer)
            timers.delete(timer)
          })
        }
        return
      }
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    upstream.end(body)
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const url = new URL(req.url ?? '/', 'http://proxy')
      const phase = phaseOf(req.method ?? 'GET', url, body)
      requests.push({ phase, method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authorized: req.headers.authorization !== undefined })
      const at = armed.findIndex((a) => a.phase === phase)
      const fault = at === -1 ? undefined : armed[at].fault
      if (at !== -1 && --armed[at].left === 0) armed.splice(at, 1)
      switch (fault?.kind) {
        case 'silent':
          return
        case 'reset':
          return req.socket.destroy()
        case 'redirect':
          res.writeHead(fault.status ?? 302, { Location: fault.location(`${url.pathname}${url.search}`) })
          return res.end()
        case 'answer':
          res.writeHead(fault.status, { 'Content-Type': fault.contentType })
          return res.end(fault.body)
        default:
          return forward(req, body, res, fault)
      }
    })
  })
  const listening = await listen(server)
  return {
    url: listening.url,
    requests,
    repoUrl: (name) => `${listening.url}/${name}.git`,
    inject(phase, fault, times = Infinity) {
      armed.push({ phase, fault, left: times })
    },
    clear() {
      armed.length = 0
    },
    async close() {
      for (const timer of timers) clearInterval(timer)
      await listening.close()
    },
  }
}

export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) })
    res.writeHead(404, { 'Content-Type': 'text/plain' })
    res.end('nothing here\n')
  })
  const listening = await listen(server)
  return { url: listening.url, requests, close: listening.close }
}
