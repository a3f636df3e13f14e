/**
 * Git pack files: reading the packs a host sends (whole objects and deltas against objects in the
 * same pack), and writing the small pack of a promotion (undeltified, so it never depends on what the
 * host has). Pure.
 */
import { createHash } from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'
import { objectId, type GitObject, type ObjectType } from './git-objects.js'

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
const CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }
const OFS_DELTA = 6
const REF_DELTA = 7

/** Inflates the zlib stream at the start of `data`; returns the bytes and how many input bytes it used. */
function inflateAt(data: Buffer): { body: Buffer; used: number } {
  const { buffer, engine } = inflateSync(data, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } }
  return { body: buffer, used: engine.bytesWritten }
}

/** The objects of a pack by id. `known` resolves a REF_DELTA base the pack does not carry. */
export function readPack(pack: Buffer, known: (oid: string) => GitObject | undefined = () => undefined): Map<string, GitObject> {
  if (pack.length < 12 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('the host sent no pack')
  const count = pack.readUInt32BE(8)
  const byOffset = new Map<number, GitObject>()
  const objects = new Map<string, GitObject>()
  const pendingRef: { at: number; base: string; delta: Buffer }[] = []
  let at = 12
  for (let i = 0; i < count; i++) {
    const start = at
    let byte = pack[at++]
    const code = (byte >> 4) & 7
    while (byte & 0x80) byte = pack[at++]
    let base: GitObject | string | undefined
    if (code === OFS_DELTA) {
      byte = pack[at++]
      let offset = byte & 0x7f
      while (byte & 0x80) {
        byte = pack[at++]
        offset = ((offset + 1) << 7) | (byte & 0x7f)
      }
      base = byOffset.get(start - offset)
      if (!base) throw new Error('pack delta against an unknown offset')
    } else if (code === REF_DELTA) {
      base = pack.toString('hex', at, at + 20)
      at += 20
    } else if (!TYPES[code]) {
      throw new Error(`pack object of unknown type ${code}`)
    }
    const { body, used } = inflateAt(pack.subarray(at))
    at += used
    let object: GitObject | undefined
    if (base === undefined) object = { type: TYPES[code], body }
    else if (typeof base !== 'string') object = { type: base.type, body: applyDelta(base.body, body) }
    else {
      const found = objects.get(base) ?? known(base)
      if (found) object = { type: found.type, body: applyDelta(found.body, body) }
      else pendingRef.push({ at: start, base, delta: body })
    }
    if (object) {
      byOffset.set(start, object)
      objects.set(objectId(object), object)
    }
  }
  // A REF_DELTA may name a base that comes later in the pack.
  for (let progress = true; pendingRef.length > 0 && progress;) {
    progress = false
    for (const [i, entry] of [...pendingRef.entries()].reverse()) {
      const found = objects.get(entry.base) ?? known(entry.base)
      if (!found) continue
      const object = { type: found.type, body: applyDelta(found.body, entry.delta) }
      objects.set(objectId(object), object)
      pendingRef.splice(i, 1)
      progress = true
    }
  }
  if (pendingRef.length > 0) throw new Error(`pack delta against an object not sent (${pendingRef[0].base})`)
  return objects
}

/** Applies a git delta to `base`. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let at = 0
  const size = () => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = delta[at++]
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  if (size() !== base.length) throw new Error('pack delta does not fit its base')
  const out = Buffer.alloc(size())
  let written = 0
  while (at < delta.length) {
    const op = delta[at++]
    if (op & 0x80) {
      let offset = 0
      let length = 0
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += delta[at++] * 2 ** (8 * bit)
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) length += delta[at++] * 2 ** (8 * bit)
      written += base.copy(out, written, offset, offset + (length || 0x10000))
    } else if (op > 0) {
      written += delta.copy(out, written, at, at + op)
      at += op
    } else {
      throw new Error('pack delta with a reserved instruction')
    }
  }
  if (written !== out.length) throw new Error('pack delta of the wrong size')
  return out
}

/** A version 2 pack of whole objects. */
export function writePack(objects: readonly GitObject[]): Buffer {
  const header = Buffer.alloc(12)
  header.write('PACK', 0, 'latin1')
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(objects.length, 8)
  const parts = [header]
  for (const object of objects) {
    let size = object.body.length
    const bytes = [(CODES[object.type] << 4) | (size & 0x0f)]
    size = Math.floor(size / 16)
    while (size > 0) {
      bytes[bytes.length - 1] |= 0x80
      bytes.push(size & 0x7f)
      size = Math.floor(size / 128)
    }
    parts.push(Buffer.from(bytes), deflateSync(object.body))
  }
  const body = Buffer.concat(parts)
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}
