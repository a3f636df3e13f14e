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
import { posix } from 'node:path'
import { InputError } from '../errors.js'
import type { Target } from './types.js'

type ValuePart = Extract<Target, { kind: 'yaml' }>['part']
const PARTS: readonly ValuePart[] = ['tag', 'name', 'digest', 'reference']
const KINDS = ['kustomize', 'yaml', 'flux', 'manifest'] as const
const GRAMMAR =
  'Write one target a line: `kustomize <overlay dir> [name=<entry>]`, `yaml <file> <key.path> [as=tag|name|digest|reference]`, `flux <file> [<namespace>:<policy>]` or `manifest <file>`.'
/** A Flux ImagePolicy reference: Kubernetes namespace and object names. */
const POLICY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

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
  const [kind, path, ...rest] = tokens
  if (!(KINDS as readonly string[]).includes(kind)) throw fail(`'${kind}' is not a target kind (${KINDS.join(', ')})`)
  if (path === undefined) throw fail(`${kind} needs a path`)
  const file = repoPath(path, (problem, fix) => fail(`'${path}' ${problem}`, fix))
  const options = new Map<string, string>()
  const positional: string[] = []
  for (const token of rest) {
    const eq = token.indexOf('=')
    if (eq > 0 && /^[a-z]+$/.test(token.slice(0, eq))) options.set(token.slice(0, eq), token.slice(eq + 1))
    else positional.push(token)
  }
  const allowOptions = (...names: string[]) => {
    const unknown = [...options.keys()].find((name) => !names.includes(name))
    if (unknown) throw fail(`${kind} takes no option '${unknown}'`)
  }
  const allowPositional = (max: number) => {
    if (positional.length > max) throw fail(`unexpected '${positional[max]}'`)
  }
  switch (kind as (typeof KINDS)[number]) {
    case 'kustomize': {
      allowOptions('name')
      allowPositional(0)
      const name = options.get('name')
      if (name === '') throw fail('name= is empty')
      return name === undefined ? { kind: 'kustomize', path: file } : { kind: 'kustomize', path: file, imageName: name }
    }
    case 'yaml': {
      allowOptions('as')
      allowPositional(1)
      if (positional[0] === undefined) throw fail('yaml needs a key path after the file, e.g. `image.tag`')
      const keyPath = parseKeyPath(positional[0], fail)
      const as = options.get('as')
      if (as !== undefined && !(PARTS as readonly string[]).includes(as)) throw fail(`as=${as} is not one of ${PARTS.join(', ')}`)
      return { kind: 'yaml', file, keyPath, part: (as as ValuePart | undefined) ?? inferPart(keyPath) }
    }
    case 'flux': {
      allowOptions()
      allowPositional(1)
      const policy = positional[0]
      if (policy !== undefined && !POLICY.test(policy))
        throw fail(`'${policy}' is not an image policy as <namespace>:<name>`, 'Name the ImagePolicy as in its setter markers, e.g. `flux-system:app`.')
      return policy === undefined ? { kind: 'flux-setter', file } : { kind: 'flux-setter', file, policy }
    }
    case 'manifest':
      allowOptions()
      allowPositional(0)
      return { kind: 'manifest', file }
  }
}

/** What a key path's value holds, from its last key: `tag` → tag, `repository` → name, `digest` → digest. */
function inferPart(keyPath: readonly (string | number)[]): ValuePart {
  const last = [...keyPath].reverse().find((k): k is string => typeof k === 'string')
  if (last === 'tag' || last === 'newTag') return 'tag'
  if (last === 'repository' || last === 'repo' || last === 'newName') return 'name'
  if (last === 'digest') return 'digest'
  return 'reference'
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

/** `image.tag`, `spec.values.image`, `containers[0].image`, `annotations."a.b/c"`, `a["x.y"]`. */
export function parseKeyPath(text: string, fail: Fail): (string | number)[] {
  const keys: (string | number)[] = []
  let i = 0
  const quoted = () => {
    const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))
    if (!match) throw fail(`key path '${text}' has an unterminated quote`)
    i += match[0].length
    return JSON.parse(match[0]) as string
  }
  while (i < text.length) {
    if (text[i] === '[') {
      const index = /^\[(\d+)\]/.exec(text.slice(i))
      if (index) {
        keys.push(Number(index[1]))
        i += index[0].length
      } else if (text[i + 1] === '"') {
        i++
        keys.push(quoted())
        if (text[i] !== ']') throw fail(`key path '${text}': expected ] at position ${i + 1}`)
        i++
      } else {
        throw fail(`key path '${text}': a list index is a whole number in brackets, like [0]`)
      }
    } else {
      if (keys.length > 0) {
        if (text[i] !== '.') throw fail(`key path '${text}': expected . or [ at position ${i + 1}`)
        i++
      }
      if (text[i] === '"') {
        keys.push(quoted())
      } else {
        const key = /^[^.[\]"]+/.exec(text.slice(i))?.[0]
        if (!key) throw fail(`key path '${text}' has an empty key at position ${i + 1}`)
        keys.push(key)
        i += key.length
      }
    }
  }
  if (keys.length === 0) throw fail('the key path is empty')
  return keys
}

/** A repository-relative path, normalized; refuses anything that could leave the repository. */
export function repoPath(path: string, fail: (problem: string, fix: string) => Error): string {
  const fix = 'Give a path relative to the infra repository root, without `..`, e.g. deploy/app/overlays/prod.'
  if (path === '') throw fail('is empty', fix)
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) throw fail('is not a relative path inside the repository', fix)
  if (path.includes('\0')) throw fail('holds a NUL character', fix)
  if (path.split('/').includes('..')) throw fail('leads out of the repository (`..`)', fix)
  const normal = posix.normalize(path).replace(/\/+$/, '')
  if (normal === '.' || normal === '') return '.'
  if (normal.split('/')[0] === '.git') throw fail('points into .git', fix)
  return normal
}

/** How a target is shown in messages. */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'kustomize':
      return `kustomize ${target.path}${target.imageName ? ` name=${target.imageName}` : ''}`
    case 'yaml':
      return `yaml ${target.file} ${formatKeyPath(target.keyPath)}`
    case 'flux-setter':
      return `flux ${target.file}${target.policy ? ` ${target.policy}` : ''}`
    case 'manifest':
      return `manifest ${target.file}`
  }
}

export function formatKeyPath(keyPath: readonly (string | number)[]): string {
  return keyPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${/^[^.[\]"]+$/.test(key) ? key : JSON.stringify(key)}`)).join('')
}
