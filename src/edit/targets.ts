/**
 * The `targets` input: one target a line, `<kind> <path> [argument] [option=value]`. Pure.
 *
 *   kustomize <overlay dir or kustomization file> [name=<images entry name>]
 *   yaml      <file> <key path> [as=tag|name|digest|reference]
 *   flux      <file> [<namespace>:<policy>]
 *   manifest  <file>
 *
 * Key paths are dot-separated keys with list indexes (`image.tag`, `containers[0].image`); a key
 * holding dots or brackets is quoted (`annotations."example.com/image"`). Tokens holding spaces are
 * double-quoted. Blank lines and lines starting with `#` are ignored.
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

function parseTargetLine(tokens: string[], fail: Fail): Target {
  const [word, path, ...rest] = tokens
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
  const positional: string[] = []
  for (const token of rest) {
    const eq = token.indexOf('=')
    if (eq > 0 && /^[a-z]+$/.test(token.slice(0, eq))) options.set(token.slice(0, eq), token.slice(eq + 1))
    else positional.push(token)
  }
  return kind.parse(file, {
    positional,
    options,
    expect(names, max) {
      const unknown = [...options.keys()].find((name) => !names.includes(name))
      if (unknown) throw fail(`${word} takes no option '${unknown}'`)
      if (positional.length > max) throw fail(`unexpected '${positional[max]}'`)
    },
    fail,
  })
}

/** Whitespace-separated tokens; a token wholly in `"…"` (JSON string syntax) may hold spaces. */
function tokenize(line: string, fail: Fail): string[] {
  return [...line.matchAll(/("(?:[^"\\]|\\.)*")(?=\s|$)|\S+/g)].map((match) => {
    if (match[1] === undefined) return match[0]
    try {
      return JSON.parse(match[1]) as string
    } catch {
      throw fail(`${match[1]} is not a valid quoted string`)
    }
  })
}

/** How a target is shown in messages. */
export function describeTarget(target: Target): string {
  return kindOf(target).describe(target)
}
