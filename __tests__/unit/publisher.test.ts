/**
 * The landing loop on an in-memory store: a lost race re-applies the edit on the new tip and never
 * reverts the neighbour, a lost answer is confirmed from the tip and not pushed twice, host failures
 * are retried a bounded number of times and named as such, and the loop stops on attempts and on time.
 */
import { describe, expect, it } from '@jest/globals'
import { HostFailure } from '../../src/errors.js'
import { publish } from '../../src/publish/publisher.js'
import type { Promotion, PromotionPlan } from '../../src/publish/types.js'
import { MemoryStore } from '../support/memory-store.js'

const FILE = 'apps/web/values.yaml'

/** Sets `tag:` in FILE; a plan of no files when it already holds it. */
function promotion(tag: string, overrides: Partial<Promotion> = {}): Promotion {
  return {
    plan: async (files): Promise<PromotionPlan> => {
      const before = (await files.read(FILE)) ?? ''
      const after = before.replace(/tag: \S+/, `tag: ${tag}`)
      return after === before
        ? { files: [], changes: [], stale: [], unordered: [] }
        : { files: [{ path: FILE, before, after }], changes: [{ file: FILE, line: 1, before: 'old', after: tag }], stale: [], unordered: [] }
    },
    newerAt: async () => [],
    paths: [FILE],
    message: () => `promote ${tag}`,
    author: { name: 'test', email: 'test@example.invalid' },
    branch: 'main',
    maxAttempts: 5,
    timeoutSeconds: 60,
    dryRun: false,
    ...overrides,
  }
}

const fast = { sleep: () => Promise.resolve() }
const infra = () => new MemoryStore({ [FILE]: 'image:\n  tag: v1\n', 'apps/api/values.yaml': 'tag: a1\n' })

describe('the landing loop', () => {
  it('lands on the tip it read, with one push', async () => {
    const store = infra()
    const result = await publish(store, promotion('v2'), fast)
    expect(result).toMatchObject({ changed: true, attempts: 1 })
    expect(store.tip().get(FILE)).toBe('image:\n  tag: v2\n')
    expect(store.log()[0]).toBe(result.commitSha)
  })

  it('after a lost race re-applies the edit on the new tip, keeping the neighbour', async () => {
    const store = infra()
    store.events.push({ neighbour: { 'apps/api/values.yaml': 'tag: a2\n' } }, { neighbour: { 'other.txt': 'x' } })
    const result = await publish(store, promotion('v2'), fast)
    expect(result).toMatchObject({ changed: true, attempts: 3 })
    expect(store.tip().get('apps/api/values.yaml')).toBe('tag: a2\n')
    expect(store.tip().get(FILE)).toBe('image:\n  tag: v2\n')
    expect(store.log()).toHaveLength(4)
  })

  it('confirms a push whose answer was lost from the tip, without pushing again', async () => {
    const store = infra()
    store.events.push('lost-answer')
    const result = await publish(store, promotion('v2'), fast)
    expect(result).toMatchObject({ changed: true, attempts: 1, commitSha: store.log()[0] })
    expect(store.log()).toHaveLength(2)
  })

  it('confirms it too when another writer landed on top of it meanwhile', async () => {
    const store = infra()
    store.events.push('lost-answer')
    const ours = publish(store, promotion('v2'), {
      sleep: async () => {
        store.land({ 'other.txt': 'y' })
      },
    })
    const result = await ours
    expect(result).toMatchObject({ changed: true, attempts: 1, commitSha: store.log()[1] })
  })

  it('pushes again when the push never arrived, counting both', async () => {
    const store = infra()
    store.events.push('unreached')
    expect(await publish(store, promotion('v2'), fast)).toMatchObject({ changed: true, attempts: 2 })
    expect(store.log()).toHaveLength(2)
  })

  it('gives up on a host that keeps failing after two more tries, naming the host failure', async () => {
    const store = infra()
    store.events.push('unreached', 'unreached', 'unreached', 'unreached')
    const waits: number[] = []
    await expect(publish(store, promotion('v2'), { sleep: async (ms) => void waits.push(ms) })).rejects.toThrow(HostFailure)
    expect(waits).toEqual([1000, 3000])
    expect(store.log()).toHaveLength(1)
  })

  it('gives up after max-attempts lost races, saying the branch kept moving', async () => {
    const store = infra()
    for (let i = 0; i < 5; i++) store.events.push({ neighbour: { 'other.txt': `n${i}` } })
    await expect(publish(store, promotion('v2', { maxAttempts: 5 }), fast)).rejects.toThrow(/lost 5 races in .* other pushes kept landing first/)
    expect(store.tip().get(FILE)).toBe('image:\n  tag: v1\n')
  })

  it('gives up rather than start a wait past the time budget', async () => {
    const store = infra()
    store.events.push({ neighbour: { 'other.txt': 'n' } })
    await expect(publish(store, promotion('v2', { timeoutSeconds: 0 }), fast)).rejects.toThrow(/lost 1 race in/)
  })

  it('reports up-to-date, with nothing pushed, when the tip already holds the image', async () => {
    const store = infra()
    const result = await publish(store, promotion('v1'), fast)
    expect(result).toMatchObject({ changed: false, skippedReason: 'up-to-date', attempts: 1 })
    expect(store.log()).toHaveLength(1)
  })

  it('makes no commit at all in a dry run', async () => {
    const store = infra()
    const result = await publish(store, promotion('v2', { dryRun: true }), fast)
    expect(result.diff).toContain('+  tag: v2')
    expect(store.log()).toHaveLength(1)
  })
})
