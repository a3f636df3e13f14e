/** Settings of the wait for Argo CD: pure, from inputs. Absent when no Argo CD input is set. */
import { InputError } from '../errors.js'
import { integerInput, listInput, type InputReader } from '../inputs.js'
import { parseNetworkBounds, type NetworkBounds } from '../network.js'

/** An Argo CD application: `name` in Argo CD's own namespace, or `namespace/name` (apps in any namespace). */
export interface ArgoCdApp {
  readonly name: string
  /** Undefined: Argo CD's own namespace (no `appNamespace` is sent). */
  readonly namespace?: string
}

export interface ArgoCdSettings {
  /** The API base: scheme, host and any root path (`--rootpath`), without a trailing slash. */
  readonly server: string
  readonly token: string
  readonly apps: readonly ArgoCdApp[]
  /** How long to wait for every application to be synced and healthy at the promotion commit. */
  readonly timeoutSeconds: number
  /** How long a request to Argo CD may stall, and take. */
  readonly network: NetworkBounds
}

export const DEFAULT_ARGOCD_TIMEOUT_SECONDS = 300

/** A Kubernetes object name (DNS-1123 subdomain), which an Application's name is. */
const APP_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/
/** A namespace (DNS-1123 label). */
const NAMESPACE = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function appLabel(app: ArgoCdApp): string {
  return app.namespace ? `${app.namespace}/${app.name}` : app.name
}

export function parseArgoCdSettings(inputs: InputReader): ArgoCdSettings | undefined {
  const server = inputs.get('argocd-server')
  const token = inputs.get('argocd-token')
  const apps = listInput(inputs, 'argocd-app')
  if (server === '' && token === '' && apps.length === 0) return undefined
  if (server === '') {
    throw new InputError(
      'argocd-server',
      'is required with argocd-app and argocd-token',
      "Set argocd-server to Argo CD's URL, e.g. https://argocd.example.com.",
    )
  }
  if (token === '') {
    throw new InputError(
      'argocd-token',
      'is required with argocd-server',
      'Set argocd-token from a secret holding an Argo CD API token (argocd account generate-token) whose role may get the applications.',
    )
  }
  if (apps.length === 0) {
    throw new InputError('argocd-app', 'is required with argocd-server', 'List the Argo CD applications that deploy the promoted targets, one a line.')
  }
  return {
    server: parseServer(server),
    token,
    apps: apps.map(parseApp),
    timeoutSeconds: integerInput(inputs, 'argocd-timeout', DEFAULT_ARGOCD_TIMEOUT_SECONDS, 1, 21_600),
    network: parseNetworkBounds(inputs),
  }
}

function parseServer(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new InputError('argocd-server', `'${raw}' is not a URL`, "Give Argo CD's URL, e.g. https://argocd.example.com.")
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('argocd-server', `the ${url.protocol} scheme is not supported`, "Give Argo CD's https:// URL (the one its web UI answers on).")
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError('argocd-server', 'the URL carries credentials', 'Remove them from the URL and pass an API token in argocd-token (from a secret).')
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InputError(
      'argocd-server',
      `'${raw}' has a query or a fragment`,
      "Give Argo CD's base URL only, e.g. https://argocd.example.com or https://example.com/argocd.",
    )
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function parseApp(entry: string): ArgoCdApp {
  const parts = entry.split('/')
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]]
  if (parts.length > 2 || !APP_NAME.test(name ?? '') || (namespace !== undefined && !NAMESPACE.test(namespace))) {
    throw new InputError(
      'argocd-app',
      `'${entry}' is not an application name`,
      'Give each application as name, or namespace/name for one outside Argo CD\'s own namespace: lower-case letters, digits, "-" and ".".',
    )
  }
  return { name, ...(namespace ? { namespace } : {}) }
}
