/**
 * The pure parts of the in-process git client against git itself: object ids and tree bytes equal
 * git's, packs written here are read by `git index-pack` and packs git writes (deltas included) are
 * read here, and pkt-line / side-band framing round-trips.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { objectId, parseCommit, parseTree, serializeCommit, serializeTree, type GitObject } from '../../src/publish/git-objects.js'
import { applyDelta, readPack, writePack } from '../../src/publish/pack.js'
import { FLUSH, pktLine, readPackets, readSideBand } from '../../src/publish/pkt-line.js'

const git = (dir: string, args: string[], input?: string | Buffer) => execFileSync('git', ['-C', dir, ...args], { input: input ?? '', maxBuffer: 64 << 20 })

function withRepo<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'git-protocol-'))
  try {
    git(dir, ['init', '--quiet', '--bare'])
    return work(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('git objects', () => {
  it('hashes blobs, trees and commits as git does', () =>
    withRepo((dir) => {
      const blob: GitObject = { type: 'blob', body: Buffer.from('images:\n  - name: app\n    newTag: v1 # pinned\n') }
      const blobId = git(dir, ['hash-object', '-w', '--stdin'], blob.body).toString().trim()
      expect(objectId(blob)).toBe(blobId)

      // git orders a directory as if its name ended in '/': 'a-b' (blob) sorts before 'a' (tree) here.
      const entries = new Map([
        ['a', { mode: '40000', oid: git(dir, ['mktree'], '').toString().trim() }],
        ['a-b', { mode: '100644', oid: blobId }],
        ['run.sh', { mode: '100755', oid: blobId }],
      ])
      const tree: GitObject = { type: 'tree', body: serializeTree(entries) }
      const listing = [...entries].map(([name, e]) => `${e.mode === '40000' ? '040000 tree' : `${e.mode} blob`} ${e.oid}\t${name}`).join('\n')
      expect(objectId(tree)).toBe(git(dir, ['mktree'], `${listing}\n`).toString().trim())
      expect(parseTree(tree.body)).toEqual(entries)

      const body = serializeCommit({
        tree: objectId(tree),
        parents: [],
        author: { name: 'A U Thor', email: 'a@example.invalid' },
        message: 'promote\n',
        time: 1_700_000_000,
      })
      const env = {
        ...process.env,
        GIT_AUTHOR_NAME: 'A U Thor',
        GIT_AUTHOR_EMAIL: 'a@example.invalid',
        GIT_COMMITTER_NAME: 'A U Thor',
        GIT_COMMITTER_EMAIL: 'a@example.invalid',
        GIT_AUTHOR_DATE: '1700000000 +0000',
        GIT_COMMITTER_DATE: '1700000000 +0000',
      }
      const commitId = execFileSync('git', ['-C', dir, 'commit-tree', objectId(tree), '-m', 'promote'], { env })
        .toString()
        .trim()
      expect(objectId({ type: 'commit', body })).toBe(commitId)
      expect(parseCommit(body)).toEqual({ tree: objectId(tree), parents: [], time: 1700000000 })
    }))
})

describe('packs', () => {
  it('writes packs that git indexes, and reads back what it wrote', () =>
    withRepo((dir) => {
      const objects: GitObject[] = [
        { type: 'blob', body: Buffer.from('x'.repeat(5000)) },
        { type: 'blob', body: Buffer.alloc(0) },
        { type: 'tree', body: serializeTree(new Map([['f', { mode: '100644', oid: objectId({ type: 'blob', body: Buffer.alloc(0) }) }]])) },
      ]
      const pack = writePack(objects)
      const verified = git(dir, ['index-pack', '--stdin', '--strict'], pack).toString()
      expect(verified).toMatch(/^pack\s+[0-9a-f]{40}/)
      expect([...readPack(pack).keys()].sort()).toEqual(objects.map(objectId).sort())
    }))

  it('reads the deltas git writes', () =>
    withRepo((dir) => {
      const base = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'y'.repeat(i % 40)}`).join('\n')
      const ids = [base, base.replace('line 7:', 'line seven:'), `${base}\nappended`].map((text) =>
        git(dir, ['hash-object', '-w', '--stdin'], text).toString().trim(),
      )
      const pack = git(dir, ['pack-objects', '--stdout', '--window=10', '--depth=5'], `${ids.join('\n')}\n`)
      const read = readPack(pack)
      expect([...read.keys()].sort()).toEqual([...ids].sort())
      for (const [oid, object] of read) expect(objectId(object)).toBe(oid)
    }))

  it('applies copy and insert instructions', () => {
    // base "hello world", result "hello there world": copy 6, insert "there ", copy 5 from 6.
    const delta = Buffer.from([11, 17, 0x90, 6, 6, ...Buffer.from('there '), 0x91, 6, 5])
    expect(applyDelta(Buffer.from('hello world'), delta).toString()).toBe('hello there world')
  })
})

describe('pkt-lines', () => {
  it('frames and unframes data, flushes and side bands', () => {
    const framed = Buffer.concat([
      pktLine('# service=git-upload-pack\n'),
      FLUSH,
      pktLine(Buffer.from([1, 80, 65])),
      pktLine(Buffer.from('\u0002remote: hello\n')),
      FLUSH,
    ])
    const packets = [...readPackets(framed)]
    expect(packets.map((p) => p.kind)).toEqual(['data', 'flush', 'data', 'data', 'flush'])
    expect(readSideBand(packets.slice(2))).toEqual({ data: Buffer.from('PA'), messages: ['remote: hello'] })
  })

  it('refuses what is not git protocol data', () => {
    expect(() => [...readPackets(Buffer.from('<!DOCTYPE html><html>'))]).toThrow(/not git protocol data/)
  })
})
