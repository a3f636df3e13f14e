/**
 * Bounds on every request the action sends to a host (the infra repository's git host, the GitHub
 * API), in one place: a request must connect and then keep receiving, and must end within an overall
 * limit, so that a stalled host fails the run in seconds instead of holding the job for hours. Both
 * clients watch their requests with `RequestWatch`; `network-timeout-seconds` scales every bound.
 */
import { integerInput, type InputReader } from './inputs.js'

export interface NetworkBounds {
  /** Connecting, waiting for the answer, and every pause within it: longer than this is a stall. */
  readonly stallMs: number
  /** No request may take longer than this from start to end, however steadily it moves. */
  readonly requestMs: number
  /** No answer may be larger than this: it is held in memory whole. */
  readonly maxAnswerBytes: number
}

/**
 * git's own server programs, which GitHub, GitLab, Gitea and Bitbucket run, send a keep-alive packet
 * every 5 s while they prepare a pack or check a push, and GitHub Enterprise Server gives a
 * pre-receive hook 5 s: a working host is not silent for 15 s. Three tries of a stalled request (a
 * host failure is tried twice more, after 1 s and 3 s) then end in under a minute.
 */
export const DEFAULT_NETWORK_TIMEOUT_SECONDS = 15
/**
 * The overall limit, in stall limits: a request to these hosts takes well under a second, or a few
 * seconds for a whole tip from a host that does not filter; a host that keeps dripping bytes into an
 * answer that never ends is stopped at four stall limits (60 s by default).
 */
const REQUEST_LIMIT_IN_STALLS = 4

/**
 * What the action asks for is small: refs, a commit, the trees along a few paths, a few files, an API
 * answer. Even a host that does not filter, sending a whole tip of tens of thousands of apps, sends
 * tens of MiB. A host that sends more is stopped before the runner runs out of memory.
 */
export const MAX_ANSWER_BYTES = 512 * 1024 ** 2

export function networkBounds(seconds: number): NetworkBounds {
  return { stallMs: seconds * 1000, requestMs: seconds * 1000 * REQUEST_LIMIT_IN_STALLS, maxAnswerBytes: MAX_ANSWER_BYTES }
}

export const DEFAULT_NETWORK_BOUNDS = networkBounds(DEFAULT_NETWORK_TIMEOUT_SECONDS)

export function parseNetworkBounds(inputs: InputReader): NetworkBounds {
  return networkBounds(integerInput(inputs, 'network-timeout-seconds', DEFAULT_NETWORK_TIMEOUT_SECONDS, 1, 3600))
}

/** `512 MiB`, `0.5 MiB`. */
function mebibytes(bytes: number): string {
  return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`
}

/** `3 s`, `1.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`
}

/**
 * The bounds of one request, as timers: `expire` is called once, with what the host failed to do
 * ("did not answer within 15 s"), when a bound is crossed; the caller then stops the request. Every
 * sign of life from the host (a connection made, headers, any byte) restarts the stall timer; `finish`
 * clears everything. The timers never keep the process alive.
 */
export class RequestWatch {
  private readonly bounds: NetworkBounds
  private readonly expire: (reason: string) => void
  private stall: NodeJS.Timeout | undefined
  private overall: NodeJS.Timeout | undefined
  private connecting = false
  private answered = false
  private bytes = 0

  constructor(bounds: NetworkBounds, expire: (reason: string) => void) {
    this.bounds = bounds
    this.expire = expire
    this.overall = setTimeout(() => this.expired(`did not finish answering within ${seconds(bounds.requestMs)}`), bounds.requestMs).unref()
    this.restartStall()
  }

  /** A new connection is being made for the request (a reused one is not). */
  connectionStarted(): void {
    this.connecting = true
    this.restartStall()
  }

  connectionMade(): void {
    this.connecting = false
    this.restartStall()
  }

  /** Headers (no bytes) or bytes of the answer arrived. */
  received(bytes = 0): void {
    this.answered = true
    this.bytes += bytes
    if (this.bytes > this.bounds.maxAnswerBytes) return this.expired(`sent more than ${mebibytes(this.bounds.maxAnswerBytes)} in one answer`)
    this.restartStall()
  }

  finish(): void {
    clearTimeout(this.stall)
    clearTimeout(this.overall)
    this.stall = this.overall = undefined
  }

  private restartStall(): void {
    if (this.overall === undefined) return
    clearTimeout(this.stall)
    const limit = seconds(this.bounds.stallMs)
    this.stall = setTimeout(
      () =>
        this.expired(
          this.connecting ? `could not be connected to within ${limit}` : this.answered ? `stopped sending for ${limit}` : `did not answer within ${limit}`,
        ),
      this.bounds.stallMs,
    ).unref()
  }

  private expired(reason: string): void {
    // Once: bytes still in flight after a bound was crossed are not a second crossing.
    if (this.overall === undefined) return
    this.finish()
    this.expire(reason)
  }
}
