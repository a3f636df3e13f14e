/**
 * A local stand-in for the Argo CD API calls the action makes (get an application, with or without a
 * refresh; its resource tree), answering as Argo CD 3.x does: a Bearer token checked (401 "invalid
 * session" otherwise), an application that does not exist hidden behind 403 "permission denied"
 * unless `project` is given (then 404), `appNamespace` for applications in other namespaces. Every
 * request and response is checked against the OpenAPI (Swagger 2) description Argo CD 3.6 publishes
 * (`__tests__/fixtures/argocd/swagger.json`, or ARGOCD_SWAGGER): the operation, its path and query parameters,
 * the status and the response body. Each mismatch is recorded in `violations` (tests assert it stays
 * empty).
 *
 * An application follows a branch of a repository on a `startGitServer()` (or a pinned commit). A
 * refresh resolves the branch's tip there, as Argo CD's repo server would, and starts the
 * application's script over: each later read moves one state on, and the last state stays.
 *
 *   const argocd = await startArgoCdApi(gitServer)          // argocd.url → argocd-server
 *   argocd.addApp('note-book', { repo: 'infra-1', states: [...] })
 *   argocd.violations; argocd.requests
 *
 * No jest globals here.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { PROJECT_ROOT } from './action-runner.js'
import type { GitServer } from './git-server.js'

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form Swagger documents and bodies

export const ARGOCD_SWAGGER = process.env.ARGOCD_SWAGGER ?? join(PROJECT_ROOT, '__tests__', 'fixtures', 'argocd', 'swagger.json')

export const haveArgoCdDescription = (): boolean => existsSync(ARGOCD_SWAGGER)

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown'
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown'

export interface AppState {
  readonly sync: SyncStatus
  readonly health: HealthStatus
  readonly healthMessage?: string
  /** `resolved`: the revision found at the last refresh (default); `initial`: the one at the application's creation. */
  readonly at?: 'resolved' | 'initial'
  readonly operation?: { readonly phase: 'Running' | 'Succeeded' | 'Failed' | 'Error'; readonly message?: string }
  readonly conditions?: readonly { readonly type: string; readonly message: string }[]
  /** The Deployment's health in the resource tree; default, the application's health. */
  readonly deployment?: { readonly health: HealthStatus; readonly message?: string }
}

export interface AppScript {
  /** The repository on the git server the application's source points at. */
  readonly repo: string
  readonly branch?: string
  /** targetRevision pinned to this commit instead of the branch. */
  readonly pinned?: string
  /** The application's namespace; default, Argo CD's own (`argocd`). */
  readonly namespace?: string
  readonly project?: string
  /** An automated sync policy; default true. */
  readonly automated?: boolean
  /** The states after each refresh, one a read; the last one stays. */
  readonly states: readonly AppState[]
  /** Runs when a refresh is asked for, before the branch is resolved (another pipeline pushing meanwhile). */
  readonly beforeRefresh?: () => Promise<void>
}

export interface ArgoCdRequestRecord {
  readonly method: string
  readonly route: string
  readonly path: string
  readonly query: string
  readonly authorization: string
  readonly status: number
}

export interface ArgoCdStandIn {
  readonly url: string
  readonly token: string
  readonly violations: string[]
  readonly requests: ArgoCdRequestRecord[]
  addApp(name: string, script: AppScript): Promise<void>
  /** Answers the next `count` requests with 503, as Argo CD does while its server restarts. */
  failNext(count: number): void
  close(): Promise<void>
}

const OWN_NAMESPACE = 'argocd'
const ROUTES = ['/api/v1/applications/{name}', '/api/v1/applications/{applicationName}/resource-tree'] as const

/** The description, with a validator per schema compiled on first use. */
class SwaggerDescription {
  readonly spec: Json
  private readonly ajv: Ajv
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(spec: Json) {
    this.spec = spec
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false })
    ;(addFormatsModule as unknown as (ajv: Ajv) => void)(this.ajv)
    for (const format of ['int32', 'int64']) this.ajv.addFormat(format, { type: 'number', validate: Number.isInteger })
    this.ajv.addSchema({ $id: 'argocd', definitions: spec.definitions })
  }

  check(key: string, schema: Json, value: unknown): string[] {
    let validate = this.compiled.get(key)
    if (!validate) {
      validate = this.ajv.compile(pointInto(schema))
      this.compiled.set(key, validate)
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`)
  }
}

/** `#/definitions/…` references of a schema taken out of the description, pointed back into it. */
function pointInto(node: Json): Json {
  if (Array.isArray(node)) return node.map(pointInto)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `argocd${v}` : pointInto(v)]))
}

interface StandInApp {
  readonly name: string
  readonly script: AppScript
  readonly initial: string
  resolved: string
  step: number
  refreshedAt: string
}

export async function startArgoCdApi(git: GitServer): Promise<ArgoCdStandIn> {
  const description = new SwaggerDescription(JSON.parse(await readFile(ARGOCD_SWAGGER, 'utf8')))
  const token = `argocd_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
  const violations: string[] = []
  const requests: ArgoCdRequestRecord[] = []
  const apps = new Map<string, StandInApp>()
  let failures = 0
  const key = (namespace: string, name: string) => `${namespace}/${name}`
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

  const resolve = (script: AppScript) => (script.pinned ? Promise.resolve(script.pinned) : git.revParse(script.repo, script.branch ?? 'main'))
  const stateOf = (app: StandInApp): AppState =>
    app.step < 0 ? { sync: 'Synced', health: 'Healthy', at: 'initial' } : app.script.states[Math.min(app.step, app.script.states.length - 1)]

  const applicationBody = (app: StandInApp): Json => {
    const { script } = app
    const state = stateOf(app)
    const revision = state.at === 'initial' ? app.initial : app.resolved
    const namespace = script.namespace ?? OWN_NAMESPACE
    const source = { repoURL: git.repoUrl(script.repo), path: 'deploy/note-book/overlays/prod', targetRevision: script.pinned ?? script.branch ?? 'main' }
    const destination = { server: 'https://kubernetes.default.svc', namespace: 'note-book' }
    const started = app.refreshedAt
    return {
      metadata: { name: app.name, namespace, uid: `uid-${app.name}`, resourceVersion: String(1000 + app.step), creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        project: script.project ?? 'default',
        source,
        destination,
        ...(script.automated === false ? {} : { syncPolicy: { automated: { prune: true, selfHeal: true } } }),
      },
      status: {
        sync: { status: state.sync, revision, comparedTo: { source, destination } },
        health: { status: state.health, ...(state.healthMessage ? { message: state.healthMessage } : {}), lastTransitionTime: started },
        ...(state.conditions ? { conditions: state.conditions.map((c) => ({ ...c, lastTransitionTime: started })) } : {}),
        ...(state.operation
          ? {
              operationState: {
                phase: state.operation.phase,
                message: state.operation.message ?? (state.operation.phase === 'Succeeded' ? 'successfully synced (all tasks run)' : ''),
                startedAt: started,
                ...(state.operation.phase === 'Running' ? {} : { finishedAt: started }),
                operation: { sync: { revision }, initiatedBy: { automated: true } },
                syncResult: { revision, source, resources: [] },
              },
            }
          : {}),
        resources: [
          { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'note-book', name: 'note-book', status: state.sync, health: { status: state.health } },
        ],
        reconciledAt: started,
        observedAt: started,
        sourceType: 'Kustomize',
        summary: { images: ['ani2fun/note-book'] },
      },
    }
  }

  const treeBody = (app: StandInApp): Json => {
    const state = stateOf(app)
    const deployment = state.deployment ?? { health: state.health, ...(state.healthMessage ? { message: state.healthMessage } : {}) }
    const node = (kind: string, group: string, name: string, health: Json, parent?: Json) => ({
      group,
      version: 'v1',
      kind,
      namespace: 'note-book',
      name,
      uid: `uid-${kind}-${name}`,
      resourceVersion: '1',
      health,
      ...(parent ? { parentRefs: [parent] } : {}),
      createdAt: '2026-01-01T00:00:00Z',
    })
    const deploymentRef = { group: 'apps', kind: 'Deployment', namespace: 'note-book', name: 'note-book', uid: 'uid-Deployment-note-book' }
    return {
      nodes: [
        node('Service', '', 'note-book', { status: 'Healthy' }),
        node('Deployment', 'apps', 'note-book', { status: deployment.health, ...(deployment.message ? { message: deployment.message } : {}) }),
        node('ReplicaSet', 'apps', 'note-book-7d9f8', { status: deployment.health }, deploymentRef),
      ],
    }
  }

  const error = (status: number, message: string, code: number) => ({ status, body: { error: message, code, message } })

  const answer = (
    route: string,
    params: Record<string, string>,
    query: URLSearchParams,
  ): Promise<{ status: number; body: Json }> | { status: number; body: Json } => {
    const name = params.name ?? params.applicationName
    const app = apps.get(key(query.get('appNamespace') || OWN_NAMESPACE, name))
    if (!app) {
      // Argo CD 3.x: without a project, a missing application is "permission denied", so as not to tell it exists.
      return query.get('project') || query.getAll('projects').length > 0
        ? error(404, `applications.argoproj.io "${name}" not found`, 5)
        : error(403, 'permission denied', 7)
    }
    if (route === ROUTES[1]) return { status: 200, body: treeBody(app) }
    if (query.get('refresh')) {
      const before = app.script.beforeRefresh ?? (() => Promise.resolve())
      return before()
        .then(() => resolve(app.script))
        .then((revision) => {
          app.resolved = revision
          app.step = 0
          app.refreshedAt = now()
          return { status: 200, body: applicationBody(app) }
        })
    }
    if (app.step >= 0) app.step++
    return { status: 200, body: applicationBody(app) }
  }

  const match = (path: string): { route: string; params: Record<string, string> } | undefined => {
    const parts = path.split('/')
    for (const route of ROUTES) {
      const template = route.split('/')
      if (template.length !== parts.length) continue
      const params: Record<string, string> = {}
      if (
        template.every((segment, i) =>
          /^\{.+\}$/.test(segment) ? ((params[segment.slice(1, -1)] = decodeURIComponent(parts[i])), true) : segment === parts[i],
        )
      )
        return { route, params }
    }
    return undefined
  }

  /** Problems of the query and path parameters against the operation's. */
  const checkRequest = (operation: Json, params: Record<string, string>, query: URLSearchParams): string[] => {
    const problems: string[] = []
    const declared: Json[] = operation.parameters ?? []
    for (const parameter of declared) {
      if (parameter.in === 'path' && params[parameter.name] === undefined) problems.push(`missing path parameter ${parameter.name}`)
      if (parameter.in !== 'query') continue
      const values = query.getAll(parameter.name)
      if (values.length > 1 && parameter.type !== 'array') problems.push(`query parameter ${parameter.name} given ${values.length} times`)
    }
    for (const name of new Set(query.keys())) if (!declared.some((p) => p.in === 'query' && p.name === name)) problems.push(`unknown query parameter ${name}`)
    return problems
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    for await (const chunk of req) if ((chunk as Buffer).length > 0) violations.push(`${method} ${target.pathname}: a body was sent`)
    const authorization = req.headers.authorization ?? ''
    const send = (route: string, status: number, body: Json) => {
      requests.push({ method, route, path: target.pathname, query: target.search, authorization, status })
      if (route) {
        const responses = description.spec.paths[route][method.toLowerCase()].responses
        const declared = responses[String(status)] ?? responses.default
        violations.push(...description.check(`${route} ${status}`, declared.schema, body).map((p) => `${method} ${route} response ${status}: ${p}`))
      }
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const found = match(target.pathname)
    const operation = found && description.spec.paths[found.route]?.[method.toLowerCase()]
    if (!found || !operation) {
      violations.push(`${method} ${target.pathname}: no such operation in the stand-in or the description`)
      return send('', 404, { error: 'Not Found', code: 5, message: 'Not Found' })
    }
    const problems = checkRequest(operation, found.params, target.searchParams)
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `${method} ${found.route} request: ${p}`))
      const { status, body } = error(400, problems.join('; '), 3)
      return send(found.route, status, body)
    }
    if (authorization !== `Bearer ${token}`) {
      const { status, body } = error(401, authorization ? 'invalid session: token signature is invalid' : 'no session information', 16)
      return send(found.route, status, body)
    }
    if (failures > 0) {
      failures--
      const { status, body } = error(503, 'connection error: desc = "transport: error while dialing: dial tcp: connect: connection refused"', 14)
      return send(found.route, status, body)
    }
    const { status, body } = await answer(found.route, found.params, target.searchParams)
    send(found.route, status, body)
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((failure: Error) => {
      violations.push(`${req.method} ${req.url}: the stand-in failed: ${failure.message}`)
      res.writeHead(500).end()
    })
  })
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))

  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    token,
    violations,
    requests,
    async addApp(name, script) {
      const initial = await resolve({ ...script, pinned: undefined })
      apps.set(key(script.namespace ?? OWN_NAMESPACE, name), { name, script, initial, resolved: initial, step: -1, refreshedAt: now() })
    },
    failNext(count) {
      failures = count
    },
    async close() {
      http.closeAllConnections()
      await new Promise<void>((done) => http.close(() => done()))
    },
  }
}
