/**
 * The few calls of Argo CD's REST API the wait makes: get an application (asking for a refresh), and
 * its resource tree. The token goes in a Bearer Authorization header, to argocd-server's origin only
 * (the bounded fetch follows no redirect off it), every request is held to the network bounds, and
 * every failure becomes one typed error with Argo CD's own words: `ArgoCdUnavailable` for what may
 * pass (a 5xx, a dropped connection, a stall), an input error or a deployment error for the rest.
 */
import * as core from '@actions/core'
import { DeploymentError, InputError } from '../errors.js'
import { boundedFetch, StoppedRequest } from '../github/bounded-fetch.js'
import { appLabel, type ArgoCdApp, type ArgoCdSettings } from './settings.js'

/** The parts of a `v1alpha1Application` the wait reads. */
export interface Application {
  readonly spec?: {
    readonly source?: ApplicationSource
    readonly sources?: readonly ApplicationSource[]
    readonly syncPolicy?: { readonly automated?: object }
  }
  readonly status?: {
    readonly sync?: { readonly status?: string; readonly revision?: string; readonly revisions?: readonly string[] }
    readonly health?: { readonly status?: string; readonly message?: string }
    readonly conditions?: readonly { readonly type?: string; readonly message?: string }[]
    readonly operationState?: {
      readonly phase?: string
      readonly message?: string
      readonly operation?: { readonly sync?: { readonly revision?: string; readonly revisions?: readonly string[] } }
      readonly syncResult?: { readonly revision?: string; readonly revisions?: readonly string[] }
    }
  }
}

export interface ApplicationSource {
  readonly repoURL?: string
  readonly targetRevision?: string
}

/** A live resource of the application (a `v1alpha1ResourceNode`). */
export interface ResourceNode {
  readonly group?: string
  readonly kind?: string
  readonly namespace?: string
  readonly name?: string
  readonly health?: { readonly status?: string; readonly message?: string }
}

/** A failure that may pass (Argo CD restarting, a proxy in trouble): worth asking again until the deadline. */
export class ArgoCdUnavailable extends DeploymentError {}

const FIX_UNAVAILABLE = 'This is a network or Argo CD problem: re-run the job later, or raise network-timeout-seconds if Argo CD is slow but working.'

export class ArgoCdClient {
  private readonly server: string
  private readonly host: string
  private readonly authorization: string
  private readonly fetch: typeof globalThis.fetch

  constructor(settings: ArgoCdSettings, fetch: typeof globalThis.fetch = globalThis.fetch) {
    core.setSecret(settings.token)
    this.server = settings.server
    this.host = new URL(settings.server).host
    this.authorization = `Bearer ${settings.token}`
    this.fetch = boundedFetch(fetch, settings.network)
  }

  /** The application; `refresh` asks Argo CD to compare it with its source again first. */
  application(app: ArgoCdApp, signal: AbortSignal, refresh = false): Promise<Application> {
    return this.get(app, `/api/v1/applications/${encodeURIComponent(app.name)}`, { ...(refresh ? { refresh: 'normal' } : {}) }, signal)
  }

  /** The live resources, each with its health. */
  async resourceTree(app: ArgoCdApp, signal: AbortSignal): Promise<readonly ResourceNode[]> {
    const tree = await this.get<{ nodes?: ResourceNode[] }>(app, `/api/v1/applications/${encodeURIComponent(app.name)}/resource-tree`, {}, signal)
    return tree.nodes ?? []
  }

  private async get<T>(app: ArgoCdApp, path: string, query: Record<string, string>, signal: AbortSignal): Promise<T> {
    const url = new URL(`${this.server}${path}`)
    for (const [name, value] of Object.entries({ ...query, ...(app.namespace ? { appNamespace: app.namespace } : {}) })) url.searchParams.set(name, value)
    const what = `get application ${appLabel(app)}`
    core.debug(`argocd: GET ${url.pathname}${url.search}`)
    let response: Response
    try {
      response = await this.fetch(url, { headers: { Authorization: this.authorization, Accept: 'application/json' }, signal })
    } catch (error) {
      // The wait's own deadline: its reason says so.
      if (signal.aborted) throw signal.reason
      throw this.unreachable(error, what)
    }
    const text = await response.text()
    const json = parseJson(text)
    const contentType = response.headers.get('content-type') ?? ''
    if (response.ok && json !== undefined && /json/i.test(contentType)) return json as T
    const said = (json as { message?: unknown } | undefined)?.message
    const detail = `HTTP ${response.status}${typeof said === 'string' && said ? `: ${said}` : ''}`
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new ArgoCdUnavailable(`Argo CD at ${this.host} failed to ${what} (${detail}).`, FIX_UNAVAILABLE)
    }
    if (json === undefined || !/json/i.test(contentType)) {
      throw new InputError(
        'argocd-server',
        `${this.host} did not answer as Argo CD's API when asked to ${what} (HTTP ${response.status}, ${contentType || 'no content type'}: "${oneLine(text)}")`,
        "Set argocd-server to Argo CD's base URL (the one its web UI answers on, with its root path if it has one); a login page or a proxy answered instead.",
      )
    }
    switch (response.status) {
      case 401:
        throw new InputError(
          'argocd-token',
          `Argo CD at ${this.host} rejected the token when asked to ${what} (${detail})`,
          'Set argocd-token from a secret holding a valid, unexpired Argo CD API token (argocd account generate-token --account <account>).',
        )
      case 403:
      case 404:
        // Argo CD answers "permission denied" for an application that does not exist as well, so as not to say which.
        throw new InputError(
          'argocd-app',
          `Argo CD at ${this.host} found no application ${appLabel(app)} that the token may see (${detail})`,
          `Check the name (namespace/name for an application outside Argo CD's own namespace), and that the token's account may get it: a policy line such as "p, role:ci, applications, get, <project>/${app.name}, allow" in argocd-rbac-cm.`,
        )
      default:
        throw new DeploymentError(`Argo CD at ${this.host} refused to ${what} (${detail}).`, 'Check argocd-server and argocd-app.')
    }
  }

  private unreachable(error: unknown, what: string): Error {
    if (error instanceof StoppedRequest && !error.stalled) {
      return new InputError(
        'argocd-server',
        `${error.message}, when asked to ${what}`,
        'Set argocd-server to the URL Argo CD redirects to; the action sends the token to no other origin.',
      )
    }
    if (error instanceof StoppedRequest) return new ArgoCdUnavailable(`Argo CD at ${error.message} while the action tried to ${what}.`, FIX_UNAVAILABLE)
    const cause = (error as { cause?: { message?: string } } | null)?.cause?.message
    const message = error instanceof Error ? error.message : String(error)
    return new ArgoCdUnavailable(`could not reach Argo CD at ${this.host} to ${what} (${cause ?? message}).`, FIX_UNAVAILABLE)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** Longest excerpt of an answer that is not Argo CD's in a message. */
const MAX_EXCERPT = 200

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_EXCERPT ? `${line.slice(0, MAX_EXCERPT)}…` : line
}
