import { describe, expect, it } from '@jest/globals'
import { formatReference, imageNameProblem, isValidDigest, isValidTag, parseImageName, sameRepository, splitReference } from '../../src/image/reference.js'

describe('image names', () => {
  it.each([
    ['ani2fun/note-book', 'docker.io', 'ani2fun/note-book'],
    ['nginx', 'docker.io', 'library/nginx'],
    ['docker.io/nginx', 'docker.io', 'library/nginx'],
    ['ghcr.io/org/app', 'ghcr.io', 'org/app'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000', 'team/app'],
    ['localhost/app', 'localhost', 'app'],
  ])('%s → %s / %s', (name, registry, path) => {
    expect(parseImageName(name)).toEqual({ name, registry, path })
  })

  it.each([
    ['', 'empty'],
    ['app:1.0', 'carries a tag'],
    ['app@sha256:abc', 'carries a digest'],
    ['Org/App', 'lowercase'],
    ['org//app', 'lowercase'],
  ])('rejects %j (%s)', (name, problem) => {
    expect(imageNameProblem(name)).toContain(problem)
  })

  it('treats spellings of one Docker Hub repository as the same', () => {
    expect(sameRepository('nginx', 'docker.io/library/nginx')).toBe(true)
    expect(sameRepository('index.docker.io/ani2fun/note-book', 'ani2fun/note-book')).toBe(true)
    expect(sameRepository('ani2fun/notebook', 'ani2fun/note-book')).toBe(false)
    expect(sameRepository('ghcr.io/org/app', 'org/app')).toBe(false)
  })
})

describe('tags and digests', () => {
  it.each(['v1.2.3', '3f2c1ab', 'sha-3f2c1ab', '_x', 'a'.repeat(128)])('accepts tag %s', (tag) => expect(isValidTag(tag)).toBe(true))
  it.each(['', '-x', '.x', 'a/b', 'a:b', 'a'.repeat(129), 'v 1'])('rejects tag %j', (tag) => expect(isValidTag(tag)).toBe(false))
  it('accepts only sha256 digests of 64 hex digits', () => {
    expect(isValidDigest(`sha256:${'a'.repeat(64)}`)).toBe(true)
    expect(isValidDigest(`sha256:${'A'.repeat(64)}`)).toBe(false)
    expect(isValidDigest('sha256:abc')).toBe(false)
  })
})

describe('references', () => {
  it.each([
    ['app', { name: 'app' }],
    ['app:1', { name: 'app', tag: '1' }],
    ['127.0.0.1:5000/app', { name: '127.0.0.1:5000/app' }],
    ['127.0.0.1:5000/app:v2', { name: '127.0.0.1:5000/app', tag: 'v2' }],
    [`app@sha256:${'b'.repeat(64)}`, { name: 'app', digest: `sha256:${'b'.repeat(64)}` }],
    [`ghcr.io/o/app:v1@sha256:${'c'.repeat(64)}`, { name: 'ghcr.io/o/app', tag: 'v1', digest: `sha256:${'c'.repeat(64)}` }],
  ])('splits %s and formats it back', (ref, parts) => {
    expect(splitReference(ref)).toEqual(parts)
    expect(formatReference(splitReference(ref))).toBe(ref)
  })
})
