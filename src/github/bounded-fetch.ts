/**
 * The fetch every GitHub API request goes through: held to the network bounds (network.ts), with the
 * token kept on the API's own origin. A redirect is followed only within that origin and only for a
 * read; one to another origin is refused, not followed, so the Authorization header never leaves it
 * (whatever the fetch underneath would do with it). The answer is read whole here, under the bounds,
 * so a stall in the body is caught as surely as one before the headers.
 */
import { RequestWatch, type NetworkBounds } from '../network.js'

type Fetch = typeof globalThis.fetch

/**
 * A request the client stopped itself: a bound crossed (`stalled`), or a redirect refused. It is
 * named AbortError, as an aborted fetch's error is: Octokit passes such an error on as it is, and its
 * retry plugin does not send the request again — the bound has already waited long enough, and a
 * refused redirect would only be refused again.
 */
export class StoppedRequest extends Error {
  readonly stalled: boolean

  constructor(message: string, stalled: boolean) {
    super(message)
    this.name = 'AbortError'
    this.stalled = stalled
  }
}

const MAX_REDIRECTS = 3
/** Statuses whose answer has no body (a Response with one cannot be made). */
const NO_BODY = new Set([204, 205, 304])

export function boundedFetch(fetch: Fetch, bounds: NetworkBounds): Fetch {
  return async (input, init = {}) => {
    let url = new URL(input instanceof Request ? input.url : String(input))
    const origin = url.origin
    const read = ['GET', 'HEAD'].includes((init.method ?? 'GET').toUpperCase())
    for (let redirects = 0; ; redirects++) {
      const controller = new AbortController()
      const watch = new RequestWatch(bounds, (reason) => controller.abort(new StoppedRequest(`${url.host} ${reason}`, true)))
      const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal
      try {
        const response = await fetch(url, { ...init, redirect: 'manual', signal })
        watch.received()
        const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null
        if (location !== null) {
          await response.body?.cancel()
          const target = new URL(location, url)
          if (target.origin === origin && read && redirects < MAX_REDIRECTS) {
            url = target
            continue
          }
          throw new StoppedRequest(
            `${url.host} answered with a redirect (HTTP ${response.status}) to ${target.origin}${target.pathname}, which is not followed, so that the token only goes to ${origin}`,
            false,
          )
        }
        const body = await readWhole(response, watch)
        const answer = new Response(NO_BODY.has(response.status) ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        })
        Object.defineProperty(answer, 'url', { value: url.href })
        return answer
      } catch (error) {
        throw controller.signal.aborted ? controller.signal.reason : error
      } finally {
        watch.finish()
      }
    }
  }
}

/** The whole body, each chunk a sign of life for the watch. */
async function readWhole(response: Response, watch: RequestWatch): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader()
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) {
    watch.received(chunk.value.length)
    chunks.push(chunk.value)
  }
  return Buffer.concat(chunks)
}
