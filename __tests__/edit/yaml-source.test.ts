import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { TargetError } from '../../src/errors.js'
import { editKustomization } from '../../src/edit/kustomize.js'
import { formatInStyle, isPlainSafe, MAX_YAML_BYTES, YamlSource } from '../../src/edit/yaml-source.js'

describe('scalar formatting', () => {
  // Each of these would be read as a number, boolean, null, timestamp… by some YAML reader.
  it.each([
    '1234',
    '3.2e2',
    'true',
    '0x1F',
    '1_000',
    'null',
    '1e3',
    '0o17',
    '.inf',
    '~',
    'yes',
    'y',
    'N',
    'on',
    'Off',
    '1:20',
    '2024-01-01',
    '0b101',
    '+12',
    '-.5',
    '.NaN',
    '012',
    '1.0',
    '',
    'a b',
    '-x',
    'x:',
    '@x',
    '#x',
    'a #b',
  ])('quotes %j', (value) => {
    expect(isPlainSafe(value)).toBe(false)
    const plain = formatInStyle(value, 'plain')
    expect(plain.startsWith('"')).toBe(true)
    for (const version of ['1.1', '1.2'] as const) expect(parse(`k: ${plain}`, { version })).toEqual({ k: value })
  })

  it.each(['v1.2.3', 'sha-abc123', 'abc1234', 'latest', 'ghcr.io/org/app:v1', `app@sha256:${'a'.repeat(64)}`, '127.0.0.1:5000/team/app:1.0', '3f2c1ab'])(
    'leaves %j plain',
    (value) => {
      expect(isPlainSafe(value)).toBe(true)
      for (const version of ['1.1', '1.2'] as const) expect(parse(`k: ${value}`, { version })).toEqual({ k: value })
    },
  )

  it('keeps the quoting style of the value it replaces', () => {
    expect(formatInStyle("it's", 'single')).toBe("'it''s'")
    expect(formatInStyle('v1', 'double')).toBe('"v1"')
    expect(formatInStyle('a\nb', 'single')).toBe('"a\\nb"')
  })
})

describe('hostile and invalid YAML', () => {
  const desired = { name: 'x', tag: '1' }
  const refuse = (text: string, message: RegExp) => {
    const run = () => editKustomization('k.yaml', text, undefined, desired)
    expect(run).toThrow(TargetError)
    expect(run).toThrow(message)
  }

  it('refuses a billion-laughs alias bomb without expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 10; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      )
    refuse(`${levels.join('\n')}\nimages: []\n`, /an alias bomb/)
  })

  it('edits a file with a few aliases (they are never expanded)', () => {
    const text = 'a: &a [1, 2]\nb: [*a, *a, *a]\nimages: []\n'
    expect(editKustomization('k.yaml', text, undefined, desired).text).toBe('a: &a [1, 2]\nb: [*a, *a, *a]\nimages: [{name: x, newTag: "1"}]\n')
  })

  it('refuses deep flow nesting', () => refuse(`x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /nests deeper than 200 levels/))

  it('refuses deep block nesting', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i)}k${i}:`)
    refuse(`${lines.join('\n')} v\n`, /nests deeper than 200 levels/)
  })

  it('refuses a file over the size cap', () => refuse(`images: []\n#${'x'.repeat(MAX_YAML_BYTES)}\n`, /larger than 4 MiB/))

  it('refuses duplicate keys (ambiguous: which one would a reader take?)', () => refuse('images: []\nimages: []\n', /not valid YAML/))

  it('names the line of a syntax error', () => {
    expect(() => new YamlSource('v.yaml', 'a: 1\nb: "unterminated\nc: 3\n')).toThrow(/^v.yaml:\d+: is not valid YAML/)
  })
})

describe('explicit tags', () => {
  it('keeps !!str and refuses a tag that would not read a string', () => {
    expect(editKustomization('k.yaml', 'images:\n- name: x\n  newTag: !!str 1.0\n', undefined, { name: 'x', tag: '2.0' }).text).toBe(
      'images:\n- name: x\n  newTag: !!str "2.0"\n',
    )
    expect(() => editKustomization('k.yaml', 'images:\n- name: x\n  newTag: !!float 1.0\n', undefined, { name: 'x', tag: '2.0' })).toThrow(
      /^k.yaml:3: images entry field newTag carries the tag tag:yaml.org,2002:float/,
    )
  })
})
