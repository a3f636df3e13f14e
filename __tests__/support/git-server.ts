/**
 * A real git smart-HTTP server for tests, the demo and the benchmarks: git's own
 * `git-http-backend` CGI behind a small Node HTTP server on loopback, with Basic auth as GitHub does
 * it (any user name, the token as password; or one user name only, as GitLab and Bitbucket check it),
 * filters on but, as GitHub serves them, trees only to depth 0 (`tree:0`, `blob:none`), and protocol v2.
 *
 *   const server = await startGitServer()
 *   await server.createRepo('infra', { 'path/file.yaml': '…' })   // bare repo with one commit on main
 *   server.repoUrl('infra')            // http://127.0.0.1:PORT/infra.git
 *   server.token / server.readOnlyToken // push allowed / read only (push → 403)
 *   await server.readFile('infra', 'main', 'path/file.yaml'); await server.log('infra', 'main')
 *   await server.setHook('infra', 'pre-receive', '#!/bin/sh\n…')  // server-side hooks
 *   server.requests                     // what clients asked for (service, status)
 *   server.failNext(1, { service: 'git-receive-pack', method: 'POST', after: true })  // a lost answer
 *   await server.close()
 *
 * No jest globals here: plain tsx scripts import it too.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'

const BACKEND = '/usr/lib/git-core/git-http-backend'

/** A served repository's settings, as GitHub's: filters to tree depth 0, objects fetched by id, pushes fast-forward only. */
export const HOSTED_REPO_CONFIG: readonly (readonly [string, string])[] = [
  ['uploadpack.allowFilter', 'true'],
  ['uploadpackfilter.tree.maxDepth', '0'],
  ['uploadpack.allowAnySHA1InWant', 'true'],
  ['http.receivepack', 'true'],
  ['receive.denyNonFastForwards', 'true'],
]

export interface CommitInfo {
  readonly sha: string
  readonly parents: readonly string[]
  readonly message: string
}

export interface RequestRecord {
  readonly method: string
  readonly path: string
  readonly service: string
  readonly status: number
}

/** Requests to answer with a server error, as a proxy or an overloaded host would. */
export interface Fault {
  readonly service: string
  readonly method?: string
  /** Serve the request first (a push lands) and lose the answer; default: refuse it unseen. */
  readonly after?: boolean
  readonly status?: number
}

export interface GitServer {
  readonly url: string
  readonly root: string
  readonly token: string
  readonly readOnlyToken: string
  readonly requests: RequestRecord[]
  repoUrl(name: string): string
  createRepo(name: string, files: Readonly<Record<string, string>>, branch?: string): Promise<void>
  /** Runs git in the bare repository. */
  git(name: string, args: readonly string[], input?: string, env?: Readonly<Record<string, string>>): Promise<string>
  revParse(name: string, ref: string): Promise<string>
  readFile(name: string, ref: string, path: string): Promise<string>
  log(name: string, ref: string): Promise<CommitInfo[]>
  commitCount(name: string, ref: string): Promise<number>
  /** The last commit with its patch, as `git show` prints it. */
  show(name: string, ref: string): Promise<string>
  /** Lands a commit changing `files` on `branch`, as another pipeline would (compare-and-swap on the ref). */
  commitFiles(name: string, files: Readonly<Record<string, string>>, message: string, branch?: string): Promise<string>
  /** Adds a symbolic link to the branch. */
  addSymlink(name: string, path: string, target: string, branch?: string): Promise<void>
  setHook(name: string, hook: 'pre-receive' | 'update', script: string): Promise<void>
  /** Answers the next `count` requests matching `fault` with a 5xx. */
  failNext(count: number, fault: Fault): void
  /** Forgets the faults not used yet. */
  clearFaults(): void
  /** `kubectl kustomize` of a directory at a ref. */
  render(name: string, ref: string, dir: string): Promise<string>
  close(): Promise<void>
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Infra Admin',
  GIT_AUTHOR_EMAIL: 'admin@example.invalid',
  GIT_COMMITTER_NAME: 'Infra Admin',
  GIT_COMMITTER_EMAIL: 'admin@example.invalid',
}

function run(file: string, args: readonly string[], options: { cwd?: string; input?: string; env?: Readonly<Record<string, string>> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: { ...process.env, ...IDENTITY, ...options.env }, maxBuffer: 256 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => (error ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)),
    )
    // git may exit before reading stdin (a failing rev-parse): that is its answer, not an error.
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(options.input ?? '')
  })
}

/** The Basic credentials a request carries, or none. */
function credentials(req: IncomingMessage): { readonly user: string; readonly password: string } | undefined {
  const header = req.headers.authorization ?? ''
  const match = /^basic\s+(.+)$/i.exec(header)
  if (!match) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  return { user: decoded.slice(0, decoded.indexOf(':')), password: decoded.slice(decoded.indexOf(':') + 1) }
}

export interface GitServerOptions {
  readonly anonymousRead?: boolean
  /** false: answer in protocol v0 only, as hosts that do not speak v2 do. */
  readonly protocolV2?: boolean
  /** The only Basic-auth user name accepted with a token, as GitLab (`oauth2`) or Bitbucket checks it; default, any. */
  readonly username?: string
}

export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'git-server-'))
  const token = `tok_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
  const readOnlyToken = `${token}_ro`
  const requests: RequestRecord[] = []
  const faults: Fault[] = []

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const service = url.searchParams.get('service') ?? url.pathname.split('/').pop() ?? ''
    const pushing = service === 'git-receive-pack'
    const given = credentials(req)
    const record = (status: number) => requests.push({ method: req.method ?? 'GET', path: url.pathname, service, status })
    const refuse = (status: number, text: string) => {
      record(status)
      res.writeHead(status, status === 401 ? { 'WWW-Authenticate': 'Basic realm="GitHub"' } : {})
      res.end(text)
    }
    if (given === undefined && !(options.anonymousRead && !pushing)) return refuse(401, 'Authentication required\n')
    if (given !== undefined && given.password !== token && given.password !== readOnlyToken) return refuse(401, 'Invalid username or token.\n')
    if (given !== undefined && options.username !== undefined && given.user !== options.username) return refuse(401, 'HTTP Basic: Access denied.\n')
    if (pushing && given?.password !== token) return refuse(403, 'Permission to repository denied.\n')
    const faultAt = faults.findIndex((f) => f.service === service && (f.method ?? req.method) === req.method)
    const fault = faultAt === -1 ? undefined : faults.splice(faultAt, 1)[0]
    if (fault && !fault.after) return refuse(fault.status ?? 502, 'Bad gateway\n')

    const cgi = spawn(BACKEND, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: given?.user || 'anonymous',
        REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] && options.protocolV2 !== false ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    req.pipe(cgi.stdin)
    let head = Buffer.alloc(0)
    let headersDone = false
    if (fault) {
      cgi.stdout.resume()
      cgi.on('close', () => refuse(fault.status ?? 502, 'Bad gateway\n'))
      return
    }
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        if (!res.write(chunk)) {
          cgi.stdout.pause()
          res.once('drain', () => cgi.stdout.resume())
        }
        return
      }
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      headersDone = true
      let status = 200
      const headers: Record<string, string> = {}
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':')
        const key = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10)
        else headers[key] = value
      }
      record(status)
      res.writeHead(status, headers)
      res.write(head.subarray(end + 4))
    })
    cgi.on('close', () => {
      if (!headersDone) {
        record(500)
        res.writeHead(500)
      }
      res.end()
    })
    cgi.on('error', () => res.destroy())
  }

  const server: Server = createServer(handle)
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const gitDir = (name: string) => join(root, `${name}.git`)

  const git: GitServer['git'] = (name, args, input, env) => run('git', ['--git-dir', gitDir(name), ...args], { input: input ?? '', env: env ?? {} })

  /** Writes files onto the branch tip with plumbing (a temporary index) and moves the ref by CAS. */
  const commitOnto = async (name: string, branch: string, entries: readonly { path: string; mode: string; content: string }[], message: string) => {
    const ref = `refs/heads/${branch}`
    const parent = (await git(name, ['rev-parse', '--verify', '--quiet', ref]).catch(() => '')).trim()
    const scratch = await mkdtemp(join(tmpdir(), 'git-index-'))
    const env = { GIT_INDEX_FILE: join(scratch, 'index') }
    try {
      if (parent) await git(name, ['read-tree', parent], '', env)
      for (const entry of entries) {
        const blob = (await git(name, ['hash-object', '-w', '--stdin'], entry.content)).trim()
        await git(name, ['update-index', '--add', '--cacheinfo', `${entry.mode},${blob},${entry.path}`], '', env)
      }
      const tree = (await git(name, ['write-tree'], '', env)).trim()
      const commit = (await git(name, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])).trim()
      await git(name, ['update-ref', ref, commit, parent || '0'.repeat(40)])
      return commit
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }

  const api: GitServer = {
    url,
    root,
    token,
    readOnlyToken,
    requests,
    repoUrl: (name) => `${url}/${name}.git`,
    git,
    async createRepo(name, files, branch = 'main') {
      await run('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, gitDir(name)])
      for (const [key, value] of HOSTED_REPO_CONFIG) await git(name, ['config', key, value])
      await commitOnto(
        name,
        branch,
        Object.entries(files).map(([path, content]) => ({ path, mode: '100644', content })),
        'initial infra layout',
      )
    },
    revParse: async (name, ref) => (await git(name, ['rev-parse', ref])).trim(),
    readFile: (name, ref, path) => git(name, ['show', `${ref}:${path}`]),
    async log(name, ref) {
      const out = await git(name, ['log', '--format=%H%x00%P%x00%B%x1e', ref])
      return out
        .split('\x1e')
        .map((r) => r.replace(/^\n/, ''))
        .filter((r) => r !== '')
        .map((r) => {
          const [sha, parents, message] = r.split('\0')
          return { sha: sha, parents: parents.split(' ').filter(Boolean), message: message.trim() }
        })
    },
    commitCount: async (name, ref) => Number((await git(name, ['rev-list', '--count', ref])).trim()),
    show: (name, ref) => git(name, ['show', '--stat', '--patch', '--format=fuller', ref]),
    commitFiles: (name, files, message, branch = 'main') =>
      commitOnto(
        name,
        branch,
        Object.entries(files).map(([path, content]) => ({ path, mode: '100644', content })),
        message,
      ),
    async addSymlink(name, path, target, branch = 'main') {
      await commitOnto(name, branch, [{ path, mode: '120000', content: target }], `link ${path}`)
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault)
    },
    clearFaults() {
      faults.length = 0
    },
    async setHook(name, hook, script) {
      const dir = join(gitDir(name), 'hooks')
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, hook), script)
      await chmod(join(dir, hook), 0o755)
    },
    async render(name, ref, dir) {
      const scratch = await mkdtemp(join(tmpdir(), 'git-render-'))
      try {
        await run('git', ['--git-dir', gitDir(name), `--work-tree=${scratch}`, 'checkout', ref, '--', '.'], {
          env: { GIT_INDEX_FILE: join(scratch, '.index') },
        })
        return await run('kubectl', ['kustomize', join(scratch, dir)])
      } finally {
        await rm(scratch, { recursive: true, force: true })
      }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(root, { recursive: true, force: true })
    },
  }
  return api
}
