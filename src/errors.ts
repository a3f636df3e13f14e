/**
 * Typed errors. Every error the action raises on purpose says what went wrong *and* what the user
 * should do next; `main.ts` turns it into exactly one `core.setFailed` (plus an annotation when the
 * error points at a file in the infra repo).
 */
import { withoutCredentials } from './redact.js'

export class ActionError extends Error {
  /** What the user should do about it, one sentence. */
  readonly fix: string

  constructor(message: string, fix: string) {
    // An error may quote an input or a host's words: a URL there may carry a credential.
    super(withoutCredentials(message))
    this.name = new.target.name
    this.fix = withoutCredentials(fix)
  }

  /** The one line shown to the user. */
  get report(): string {
    return this.fix ? `${this.message} ${this.fix}` : this.message
  }
}

/** A workflow input is missing or malformed. */
export class InputError extends ActionError {
  readonly input: string

  constructor(input: string, problem: string, fix: string) {
    super(`Input '${input}': ${problem}.`, fix)
    this.input = input
  }
}

/** A target file in the infra repo cannot be edited as asked. Points at the place. */
export class TargetError extends ActionError {
  readonly file: string
  readonly line: number | undefined

  constructor(file: string, line: number | undefined, problem: string, fix: string) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}.`, fix)
    this.file = file
    this.line = line
  }
}

/** git, the infra remote or its credentials failed. */
export class GitError extends ActionError {}

/**
 * The infra host failed in a way that may pass: a 5xx, a dropped connection, a timeout. Worth trying
 * again a bounded number of times; never a sign that the branch moved.
 */
export class HostFailure extends GitError {}

/** Building or pushing the image, or checking it in the registry, failed. */
export class ImageError extends ActionError {}

/** The GitHub API refused or failed. */
export class ApiError extends ActionError {}

/** Argo CD refused, failed, or reported that the promoted commit did not deploy. */
export class DeploymentError extends ActionError {}

export function errorMessage(error: unknown): string {
  if (error instanceof ActionError) return error.report
  return withoutCredentials(error instanceof Error ? error.message : String(error))
}

/** The last meaningful lines of a program's output, on one line: the host's own words for an error message. */
export function lastLines(text: string, max: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-max)
    .join(' | ')
}
