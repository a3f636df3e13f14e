/**
 * Git's pkt-line framing and side-band multiplexing, as the smart HTTP protocol uses them. Pure.
 */
export type Packet = { readonly kind: 'data'; readonly data: Buffer } | { readonly kind: 'flush' | 'delim' | 'end' }

export const FLUSH = Buffer.from('0000')
export const DELIM = Buffer.from('0001')

export function pktLine(data: string | Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, '0')), bytes])
}

/** What is not pkt-line framed: a host that answered with something other than git. */
export class NotGitData extends Error {}

/** The packets of a buffer, in order. Throws NotGitData on a length that is not hex or runs past the end. */
export function* readPackets(buffer: Buffer): Generator<Packet> {
  let at = 0
  while (at < buffer.length) {
    const head = buffer.toString('latin1', at, at + 4)
    const length = /^[0-9a-f]{4}$/i.test(head) ? Number.parseInt(head, 16) : NaN
    if (Number.isNaN(length) || (length > 2 && length < 4) || at + Math.max(length, 4) > buffer.length) {
      throw new NotGitData(`not git protocol data (starts with ${JSON.stringify(buffer.toString('latin1', at, at + 40))})`)
    }
    if (length < 4) yield { kind: length === 0 ? 'flush' : length === 1 ? 'delim' : 'end' }
    else yield { kind: 'data', data: buffer.subarray(at + 4, at + length) }
    at += Math.max(length, 4)
  }
}

/** A data packet as text, without its trailing newline. */
export const packetText = (packet: Packet) => (packet.kind === 'data' ? packet.data.toString('utf8').replace(/\n$/, '') : '')

export interface SideBand {
  /** Band 1: the payload (a pack, or a nested report). */
  readonly data: Buffer
  /** Band 2 (progress and `remote:` messages) and band 3 (a fatal error), as lines. */
  readonly messages: string[]
  readonly fatal?: string
}

/** Demultiplexes side-band packets (up to a flush) into the payload and the host's messages. */
export function readSideBand(packets: Iterable<Packet>): SideBand {
  const data: Buffer[] = []
  let text = ''
  let fatal: string | undefined
  for (const packet of packets) {
    if (packet.kind !== 'data') break
    const band = packet.data[0]
    const payload = packet.data.subarray(1)
    if (band === 1) data.push(payload)
    else if (band === 2) text += payload.toString('utf8')
    else if (band === 3) fatal = payload.toString('utf8').trim()
  }
  const messages = text
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  return { data: Buffer.concat(data), messages, ...(fatal !== undefined ? { fatal } : {}) }
}
