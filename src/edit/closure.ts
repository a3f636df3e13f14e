/**
 * What an overlay needs on disk to render: the kustomization and, recursively, every file and
 * directory it refers to. The promotion never checks out the repository, so the render check copies
 * just this closure (with the edits applied) into a scratch directory.
 */
import { posix } from 'node:path'
import { parse } from 'yaml'
import type { RepoFiles } from './files.js'

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const

/** An overlay's closure is bounded: a kustomization that pulls in more is not a promotion target. */
const MAX_FILES = 2000

export const isRemote = (ref: string) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(ref) || ref.startsWith('git@')

export const isKustomizationFile = (path: string) => (KUSTOMIZATION_FILES as readonly string[]).includes(posix.basename(path))

/** A kustomization's fields; undefined when it does not parse as a mapping. Pure. */
export function parseKustomization(text: string): Record<string, unknown> | undefined {
  let doc: unknown
  try {
    doc = parse(text, { maxAliasCount: 100 })
  } catch {
    return undefined
  }
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined
}

/** Paths (relative to the kustomization's directory) that a kustomization refers to. Pure. */
export function kustomizationReferences(text: string): string[] {
  const k = parseKustomization(text)
  if (!k) return []
  const refs: string[] = []
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
  for (const field of ['resources', 'bases', 'components', 'crds', 'patchesStrategicMerge', 'generators', 'transformers', 'validators', 'configurations']) {
    refs.push(...strings(k[field]))
  }
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    if (Array.isArray(k[field])) {
      for (const entry of k[field] as unknown[]) {
        const path = (entry as { path?: unknown } | null)?.path
        if (typeof path === 'string') refs.push(path)
      }
    }
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    if (Array.isArray(k[field])) {
      for (const entry of k[field] as Record<string, unknown>[]) {
        // `files` entries may be `key=path`.
        refs.push(...strings(entry?.files).map((f) => f.slice(f.indexOf('=') + 1)), ...strings(entry?.envs))
        if (typeof entry?.env === 'string') refs.push(entry.env)
      }
    }
  }
  const openapi = (k.openapi as { path?: unknown } | undefined)?.path
  if (typeof openapi === 'string') refs.push(openapi)
  // Patches may also be inline YAML in the string fields above; only path-like entries are files.
  return refs.filter((ref) => !isRemote(ref) && !ref.includes('\n'))
}

/**
 * The closure of the overlay `dir` (path → text), with `overrides` (the edited files) taking the
 * place of what `files` holds, added to `into`.
 */
export async function overlayClosure(
  files: RepoFiles,
  dir: string,
  overrides: ReadonlyMap<string, string | null>,
  into = new Map<string, string>(),
): Promise<Map<string, string>> {
  // A removed file (null) reads as missing.
  const read = async (path: string) => (overrides.has(path) ? (overrides.get(path) ?? undefined) : await files.read(path))
  const visited = new Set<string>()
  const put = (path: string, text: string) => {
    if (into.size >= MAX_FILES) throw new Error(`the overlay ${dir} refers to more than ${MAX_FILES} files`)
    into.set(path, text)
  }
  const visitDirectory = async (directory: string): Promise<boolean> => {
    if (visited.has(directory)) return true
    visited.add(directory)
    for (const name of KUSTOMIZATION_FILES) {
      const path = posix.join(directory, name)
      const text = await read(path)
      if (text === undefined) continue
      put(path, text)
      for (const ref of kustomizationReferences(text)) {
        const target = posix.normalize(posix.join(directory, ref))
        if (target.startsWith('../') || target === '..') continue // outside the repository: kustomize reports it
        const file = await read(target)
        if (file !== undefined) put(target, file)
        else await visitDirectory(target)
      }
      return true
    }
    return false
  }
  await visitDirectory(dir)
  return into
}
