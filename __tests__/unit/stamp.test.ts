import { describe, expect, it } from '@jest/globals'
import { compareStamps, readRecord, recordPath, writeRecord, type PromotionStamp } from '../../src/record/stamp.js'

const base: PromotionStamp = {
  ref: 'ani2fun/note-book:b',
  repository: 'ani2fun/note-book',
  commit: 'b'.repeat(40),
  commitTime: '2026-11-22T10:00:00Z',
  workflow: 'ani2fun/note-book/.github/workflows/ci.yml',
  runNumber: 42,
  runAttempt: 1,
}

describe('ordering two builds of one source', () => {
  it.each<[string, Partial<PromotionStamp>, string]>([
    ['an older commit', { commit: 'a'.repeat(40), commitTime: '2026-11-22T09:00:00Z', runNumber: 43 }, 'older'],
    ['a newer commit', { commit: 'c'.repeat(40), commitTime: '2026-11-22T11:00:00Z', runNumber: 41 }, 'newer'],
    ['the same commit (a re-run)', { runNumber: 44 }, 'same'],
    ['a lower run number without commit times', { commit: 'a'.repeat(40), commitTime: undefined, runNumber: 41 }, 'older'],
    ['a later attempt of the same run', { commit: 'a'.repeat(40), commitTime: undefined, runAttempt: 2 }, 'newer'],
    ['another workflow without commit times', { commit: 'a'.repeat(40), commitTime: undefined, workflow: 'x/y/.github/workflows/z.yml' }, 'unordered'],
    ['another source repository', { repository: 'other/app', commit: 'a'.repeat(40), commitTime: '2020-01-01T00:00:00Z' }, 'unordered'],
  ])('%s is %s', (_what, ours, order) => {
    expect(compareStamps({ ...base, ...ours }, base)).toBe(order)
  })
})

describe('record files', () => {
  it('live under .gitops-promote/ mirroring the promoted file', () => {
    expect(recordPath('deploy/a/overlays/prod/kustomization.yaml')).toBe('.gitops-promote/deploy/a/overlays/prod/kustomization.yaml.json')
  })

  it('are written with sorted keys so a re-application is byte-identical, keeping other images', () => {
    const first = writeRecord(undefined, 'ani2fun/note-book', base)
    const withOther = writeRecord(first, 'ani2fun/api', { ...base, ref: 'ani2fun/api:1' })
    expect(writeRecord(withOther, 'ani2fun/note-book', base)).toBe(withOther)
    expect(Object.keys(readRecord(withOther))).toEqual(['ani2fun/api', 'ani2fun/note-book'])
    expect(first.endsWith('}\n')).toBe(true)
  })

  it.each([undefined, '', 'not json', '[1]', 'null'])('treat %j as no record rather than blocking', (text) => {
    expect(readRecord(text)).toEqual({})
  })
})
