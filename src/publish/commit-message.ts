/** The promotion commit's message: a template with placeholders, and the default audit-trail form. Pure. */
import type { SourceContext } from '../source.js'

export interface MessageFacts {
  readonly image: string
  readonly tag: string
  readonly digest: string
  readonly imageRef: string
  /** Repository-relative paths of the files changed. */
  readonly targets: readonly string[]
  readonly branch: string
  readonly source: SourceContext
}

export const DEFAULT_TEMPLATE = `promote {image-ref} to {targets}

{target-list}

Promoted-Image: {image-ref}
Source-Repository: {source-repo}
Source-Commit: {source-sha}
Source-Run: {run-url}
Promoted-By: {actor}`

function placeholders(facts: MessageFacts): Record<string, string> {
  return {
    image: facts.image,
    tag: facts.tag,
    digest: facts.digest,
    'image-ref': facts.imageRef,
    targets: facts.targets.join(', '),
    'target-list': facts.targets.map((t) => `- ${t}`).join('\n'),
    'infra-branch': facts.branch,
    'source-repo': facts.source.repository,
    'source-sha': facts.source.sha,
    'source-short-sha': facts.source.sha.slice(0, 7),
    'run-url': facts.source.runUrl,
    actor: facts.source.actor,
  }
}

/**
 * Fills `{name}` placeholders; unknown ones are left as written. Trailer lines whose value came out
 * empty (outside Actions there is no run URL) are dropped so git still reads the trailer block.
 */
export function renderCommitMessage(template: string, facts: MessageFacts): string {
  const values = placeholders(facts)
  const filled = (template || DEFAULT_TEMPLATE).replace(/\{([a-z-]+)\}/g, (whole, name: string) => values[name] ?? whole)
  return filled
    .split('\n')
    .filter((line) => !/^[A-Z][A-Za-z-]*:\s*$/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
