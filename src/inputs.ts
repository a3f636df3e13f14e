/**
 * Raw workflow inputs behind one small interface, so each stage's settings parser is a pure
 * function that tests can feed from a plain object. `settings.ts` binds it to `core.getInput`.
 */
import { InputError } from './errors.js'

export interface InputReader {
  /** Trimmed value; '' when unset. */
  get(name: string): string
}

export function required(inputs: InputReader, name: string, fix: string): string {
  const value = inputs.get(name)
  if (value === '') throw new InputError(name, 'is required but empty', fix)
  return value
}

export function booleanInput(inputs: InputReader, name: string, fallback: boolean): boolean {
  const value = inputs.get(name).toLowerCase()
  if (value === '') return fallback
  if (value === 'true') return true
  if (value === 'false') return false
  throw new InputError(name, `'${inputs.get(name)}' is not a boolean`, 'Use true or false.')
}

/** One entry a line; blank lines and `#` comment lines are ignored. Commas do not split. */
export function listInput(inputs: InputReader, name: string): string[] {
  return inputs
    .get(name)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

export function choiceInput<T extends string>(inputs: InputReader, name: string, choices: readonly T[], fallback: T): T {
  const value = inputs.get(name)
  if (value === '') return fallback
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new InputError(name, `'${value}' is not one of ${choices.join(', ')}`, `Set ${name} to one of: ${choices.join(', ')}.`)
}

export function integerInput(inputs: InputReader, name: string, fallback: number, min: number, max: number): number {
  const value = inputs.get(name)
  if (value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(name, `'${value}' is not a whole number from ${min} to ${max}`, `Set ${name} to a whole number from ${min} to ${max}.`)
  }
  return n
}

/** An InputReader over a plain record (tests, scripts). */
export function recordInputs(values: Record<string, string | undefined>): InputReader {
  return { get: (name) => (values[name] ?? '').trim() }
}
