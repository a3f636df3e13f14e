/**
 * Git's smart HTTP protocol over `GitHttp`: listing refs, fetching objects by id (with the depth and
 * tree filters GitHub serves), and pushing a pack with a compare-and-swap ref update. Protocol v2 for
 * reads where the host speaks it, v0 otherwise; pushes are v0 (there is no v2 push). Each call is one
 * request once the host's capabilities are known; they are read once per run.
 */
import { GitError } from '../errors.js'
import { ZERO_OID, type GitObject } from './git-objects.js'
import { GitHttp, notGit } from './git-http.js'
import { readPack } from './pack.js'
import { DELIM, FLUSH, NotGitData, packetText, pktLine, readPackets, readSideBand, type Packet } from './pkt-line.js'

const AGENT = 'agent=gitops-promote'

export interface RefListing {
  /** Full ref name → commit id. */
  readonly refs: ReadonlyMap<string, string>
  /** The branch HEAD points at, when asked for and known. */
  readonly head?: string
}

export interface FetchOptions {
  /** `deepen`: 1 fetches the wanted commits without their history. */
  readonly depth?: number
  /**
   * `tree:0` (no trees or blobs beyond those wanted) or `blob:none` (and every tree). Never a deeper
   * `tree:<n>`: GitHub serves tree filters of depth 0 only.
   */
  readonly filter?: string
  /** `deepen-since`: the wanted commits and those after this time (seconds since the epoch). */
  readonly since?: number
  /** Commits held here: nothing reachable from them is sent. */
  readonly have?: readonly string[]
}

/** The host's answer to a ref update. */
export interface PushReport {
  readonly ok: boolean
  /** The host's reason for refusing (`failed to update ref`, `pre-receive hook declined`). */
  readonly reason?: string
  /** Every `remote:` line the host sent (hook output, lock errors). */
  readonly messages: readonly string[]
}

interface Advertisement {
  readonly version: 0 | 2
  readonly capabilities: ReadonlySet<string>
  /** v0 only: the refs advertised with the capabilities. */
  readonly refs: Map<string, string>
  readonly head?: string
  /** v0 only: not yet read as a ref listing (a later listing must ask again: refs move). */
  fresh: boolean
}

export class SmartHttpRemote {
  readonly http: GitHttp
  private uploadPack?: Promise<Advertisement>
  private receivePack?: Promise<Advertisement>

  constructor(http: GitHttp) {
    this.http = http
  }

  /** Whether the host serves the tree filters that make reads independent of the repository's size. */
  async filters(): Promise<boolean> {
    const ad = await this.upload()
    return ad.version === 2 ? [...ad.capabilities].some((c) => /^fetch=.*\bfilter\b/.test(c)) : ad.capabilities.has('filter')
  }

  async listRefs(names: readonly string[]): Promise<RefListing> {
    const ad = await this.upload()
    if (ad.version === 0) {
      // v0 has no ref listing of its own: the advertisement is it, read afresh unless just read.
      if (!ad.fresh) this.uploadPack = undefined
      const fresh = ad.fresh ? ad : await this.upload()
      fresh.fresh = false
      return { refs: new Map([...fresh.refs].filter(([name]) => names.includes(name))), ...(fresh.head ? { head: fresh.head } : {}) }
    }
    const body = Buffer.concat([
      pktLine('command=ls-refs\n'),
      pktLine(`${AGENT}\n`),
      DELIM,
      pktLine('symrefs\n'),
      ...names.map((name) => pktLine(`ref-prefix ${name}\n`)),
      FLUSH,
    ])
    const doing = 'read the branches of'
    const answer = await this.post('git-upload-pack', body, doing)
    return this.parse(answer, doing, () => {
      const refs = new Map<string, string>()
      let head: string | undefined
      for (const packet of readPackets(answer)) {
        const [oid, name, ...attributes] = packetText(packet).split(' ')
        if (!oid || !name || !names.includes(name)) continue
        refs.set(name, oid)
        const target = attributes.find((a) => a.startsWith('symref-target:'))
        if (name === 'HEAD' && target) head = target.slice('symref-target:'.length)
      }
      return { refs, ...(head ? { head } : {}) }
    })
  }

  /** The wanted objects (and what the options bring with them), by id. */
  async fetch(wants: readonly string[], options: FetchOptions, known: (oid: string) => GitObject | undefined): Promise<Map<string, GitObject>> {
    const ad = await this.upload()
    const answer = ad.version === 2 ? await this.post('git-upload-pack', fetchV2(wants, options), 'fetch from') : await this.fetchV0(ad, wants, options)
    const band = this.parse(answer, 'fetch from', () => readSideBand(packPackets(answer, ad.version)))
    if (band.fatal !== undefined) throw new GitError(`the host refused to send objects: ${band.fatal}.`, 'Re-run the job; nothing was pushed.')
    return readPack(band.data, known)
  }

  private fetchV0(ad: Advertisement, wants: readonly string[], options: FetchOptions): Promise<Buffer> {
    const offered = ['multi_ack_detailed', 'side-band-64k', 'ofs-delta', 'no-progress', 'shallow', 'deepen-since', 'filter'].filter((c) =>
      ad.capabilities.has(c),
    )
    const body = Buffer.concat([
      ...wants.map((oid, i) => pktLine(`want ${oid}${i === 0 ? ` ${[...offered, AGENT].join(' ')}` : ''}\n`)),
      ...scopeLines(options),
      FLUSH,
      ...haveLines(options),
      pktLine('done\n'),
    ])
    return this.post('git-upload-pack', body, 'fetch from')
  }

  /** Sends `pack` with the update of `ref` from `old` to `update` (both full ids); the host applies it only if `ref` is still at `old`. */
  async push(ref: string, old: string, update: string, pack: Buffer): Promise<PushReport> {
    const ad = await this.receive()
    const wanted = ['report-status', 'side-band-64k', 'quiet', 'object-format=sha1', ...(update === ZERO_OID ? ['delete-refs'] : [])].filter((c) =>
      ad.capabilities.has(c),
    )
    const body = Buffer.concat([pktLine(`${old} ${update} ${ref}\0${[...wanted, AGENT].join(' ')}`), FLUSH, pack])
    const answer = await this.post('git-receive-pack', body, 'push to')
    const sideBand = wanted.includes('side-band-64k')
    const { band, report } = this.parse(answer, 'push to', () => {
      const band = sideBand ? readSideBand(readPackets(answer)) : { data: answer, messages: [] as string[] }
      return { band, report: [...readPackets(band.data)].map(packetText).filter(Boolean) }
    })
    const messages = [...band.messages, ...('fatal' in band && band.fatal !== undefined ? [band.fatal] : [])]
    const unpack = report.find((line) => line.startsWith('unpack '))
    const line = report.find((l) => l.startsWith(`ok ${ref}`) || l.startsWith(`ng ${ref} `))
    if (unpack === 'unpack ok' && line?.startsWith('ok ')) return { ok: true, messages }
    const reason = line?.startsWith('ng ') ? line.slice(`ng ${ref} `.length) : unpack && unpack !== 'unpack ok' ? unpack : messages.at(-1)
    return { ok: false, ...(reason ? { reason } : {}), messages }
  }

  /** `read(answer)`, with an answer that is not pkt-line framed said to be no git answer. */
  private parse<T>(answer: Buffer, doing: string, read: () => T): T {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof NotGitData)) throw error
      throw notGit(this.http.where, doing, `its answer is not git data (${error.message})`, answer)
    }
  }

  private post(service: 'git-upload-pack' | 'git-receive-pack', body: Buffer, doing: string): Promise<Buffer> {
    return this.http.request({
      path: service,
      body,
      headers: {
        'Content-Type': `application/x-${service}-request`,
        Accept: `application/x-${service}-result`,
        ...(service === 'git-upload-pack' && this.uploadVersion === 2 ? { 'Git-Protocol': 'version=2' } : {}),
      },
      expect: `application/x-${service}-result`,
      doing,
    })
  }

  private uploadVersion: 0 | 2 = 2

  private upload(): Promise<Advertisement> {
    this.uploadPack ??= this.advertise('git-upload-pack', 'read').then((ad) => {
      this.uploadVersion = ad.version
      return ad
    })
    this.uploadPack.catch(() => (this.uploadPack = undefined))
    return this.uploadPack
  }

  private receive(): Promise<Advertisement> {
    this.receivePack ??= this.advertise('git-receive-pack', 'push to')
    this.receivePack.catch(() => (this.receivePack = undefined))
    return this.receivePack
  }

  private async advertise(service: 'git-upload-pack' | 'git-receive-pack', doing: string): Promise<Advertisement> {
    const answer = await this.http.request({
      path: `info/refs?service=${service}`,
      headers: service === 'git-upload-pack' ? { 'Git-Protocol': 'version=2' } : {},
      expect: `application/x-${service}-advertisement`,
      doing,
    })
    let lines = this.parse(answer, doing, () =>
      [...readPackets(answer)].map((p) => (p.kind === 'data' ? p.data.toString('utf8').replace(/\n$/, '') : `#${p.kind}`)),
    )
    if (lines[0]?.startsWith('# service=')) lines = lines.slice(2)
    if (lines[0] === 'version 2') return { version: 2, capabilities: new Set(lines.slice(1).filter((l) => !l.startsWith('#'))), refs: new Map(), fresh: false }
    const refs = new Map<string, string>()
    let capabilities = new Set<string>()
    for (const [i, line] of lines.entries()) {
      if (line.startsWith('#')) break
      const [ref, caps] = line.split('\0')
      const [oid, name] = ref.split(' ')
      if (i === 0 && caps !== undefined) capabilities = new Set(caps.split(' ').filter(Boolean))
      if (name && name !== 'capabilities^{}') refs.set(name, oid)
    }
    const head = [...capabilities].find((c) => c.startsWith('symref=HEAD:'))?.slice('symref=HEAD:'.length)
    return { version: 0, capabilities, refs, ...(head ? { head } : {}), fresh: true }
  }
}

function fetchV2(wants: readonly string[], options: FetchOptions): Buffer {
  return Buffer.concat([
    pktLine('command=fetch\n'),
    pktLine(`${AGENT}\n`),
    DELIM,
    pktLine('no-progress\n'),
    pktLine('ofs-delta\n'),
    ...wants.map((oid) => pktLine(`want ${oid}\n`)),
    ...scopeLines(options),
    ...haveLines(options),
    pktLine('done\n'),
    FLUSH,
  ])
}

/** How much history to send (a depth, or since a time), and the filter. */
function scopeLines(options: FetchOptions): Buffer[] {
  return [
    ...(options.depth ? [pktLine(`deepen ${options.depth}\n`)] : []),
    ...(options.since !== undefined ? [pktLine(`deepen-since ${options.since}\n`)] : []),
    ...(options.filter ? [pktLine(`filter ${options.filter}\n`)] : []),
  ]
}

const haveLines = (options: FetchOptions) => (options.have ?? []).map((oid) => pktLine(`have ${oid}\n`))

/** The side-band packets of the pack in a fetch answer: after `packfile` (v2), or after the NAK (v0). */
function* packPackets(answer: Buffer, version: 0 | 2): Generator<Packet> {
  let inPack = false
  for (const packet of readPackets(answer)) {
    if (inPack) yield packet
    else if (packet.kind === 'data') {
      const text = packetText(packet)
      // v0: the pack follows the final answer to `done` (NAK, or ACK of the last common commit), not
      // the `ACK <id> common` lines of the held commits before it.
      if (version === 2 ? text === 'packfile' : text === 'NAK' || /^ACK [0-9a-f]+$/.test(text)) inPack = true
      else if (text.startsWith('ERR ')) throw new GitError(`the host refused to send objects: ${text.slice(4)}.`, 'Re-run the job; nothing was pushed.')
    }
  }
}
