/**
 * The `targets` input: one target a line, `<kind> <path> [argument] [option=value]`. Pure.
 *
 *   kustomize <overlay dir or kustomization file> [name=<images entry name>]
 *   yaml      <file> <key path> [as=tag|name|digest|reference]
 *   flux      <file> [<namespace>:<policy>]
 *   manifest  <file>
 *
 * Key paths are dot-separated keys with list indexes (`image.tag`, `containers[0].image`); a key
 * holding dots or brackets is quoted (`annotations."example.com/image"`, `"image.tag"`: one key).
 * Tokens holding spaces are double-quoted. Blank lines and lines starting with `#` are ignored.
 */
import { InputError } from '../errors.js'
import { repoPath } from './files.js'
import { kindByWord, kindOf, TARGET_KINDS } from './kinds.js'
import type { Target } from './types.js'

const GRAMMAR = `Write one target a line: ${Object.values(TARGET_KINDS)
  .map((kind) => `\`${kind.grammar}\``)
  .join(', ')}.`

export function parseTargets(text: string, input: string): Target[] {
  const targets: Target[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const fail = (problem: string, fix = GRAMMAR) => new InputError(input, `line ${index + 1} (${line}): ${problem}`, fix)
    targets.push(parseTargetLine(tokenize(line, fail), fail))
  })
  return targets
}

/** Targets from the `overlay-path` input: each line an overlay directory or kustomization file. */
export function overlayTargets(paths: readonly string[], imageName: string | undefined): Target[] {
  return paths.map((path) => {
    const safe = repoPath(path, (problem, fix) => new InputError('overlay-path', `'${path}' ${problem}`, fix))
    return imageName ? { kind: 'kustomize', path: safe, imageName } : { kind: 'kustomize', path: safe }
  })
}

type Fail = (problem: string, fix?: string) => InputError

/** A token of a `targets` line: as written (quotes kept, for key paths) and unquoted. */
interface Token {
  readonly raw: string
  readonly text: string
}

function parseTargetLine(tokens: Token[], fail: Fail): Target {
  const [word, path] = tokens.map((token) => token.text)
  const kind = kindByWord(word)
  if (!kind)
    throw fail(
      `'${word}' is not a target kind (${Object.values(TARGET_KINDS)
        .map((k) => k.word)
        .join(', ')})`,
    )
  if (path === undefined) throw fail(`${word} needs a path`)
  const file = repoPath(path, (problem, fix) => fail(`'${path}' ${problem}`, fix))
  const options = new Map<string, string>()
  const positional: Token[] = []
  for (const token of tokens.slice(2)) {
    const eq = token.text.indexOf('=')
    if (eq > 0 && /^[a-z]+$/.test(token.text.slice(0, eq))) options.set(token.text.slice(0, eq), token.text.slice(eq + 1))
    else positional.push(token)
  }
  return kind.parse(file, {
    positional: positional.map((token) => token.text),
    written: positional.map((token) => token.raw),
    options,
    expect(names, max) {
      const unknown = [...options.keys()].find((name) => !names.includes(name))
      if (unknown) throw fail(`${word} takes no option '${unknown}'`)
      if (positional.length > max) throw fail(`unexpected '${positional[max].text}'`)
    },
    fail,
  })
}

/**
 * Whitespace-separated tokens; `"…"` (JSON string syntax) may hold spaces. A token wholly in quotes
 * reads as its contents; a key path keeps its quotes, which mark a key as one key.
 */
function tokenize(line: string, fail: Fail): Token[] {
  return [...line.matchAll(/(?:"(?:[^"\\]|\\.)*"|[^\s"])+|"/g)].map(([raw]) => {
    if (raw === '"') throw fail('a quote is not closed')
    if (!/^"(?:[^"\\]|\\.)*"$/.test(raw)) return { raw, text: raw }
    try {
      return { raw, text: JSON.parse(raw) as string }
    } catch {
      throw fail(`${raw} is not a valid quoted string`)
    }
  })
}

/** How a target is shown in messages. */
export function describeTarget(target: Target): string {
  return kindOf(target).describe(target)
}
