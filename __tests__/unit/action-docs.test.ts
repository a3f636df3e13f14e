import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { readmePaths, updateReadme } from '../../scripts/action-docs.js'
import { PROJECT_ROOT } from '../support/action-runner.js'

describe('action.yml and README', () => {
  const paths = readmePaths(PROJECT_ROOT)
  const actionYml = readFileSync(paths.action, 'utf8')

  it('README tables and examples equal a fresh `npm run docs`', () => {
    const readme = readFileSync(paths.readme, 'utf8')
    expect(updateReadme(readme, actionYml, (path) => readFileSync(join(PROJECT_ROOT, path), 'utf8'))).toBe(readme)
  })

  it('runs on node24 from the bundle, and every input and output is described', () => {
    const meta = parse(actionYml) as {
      runs: { using: string; main: string }
      inputs: Record<string, { description?: string }>
      outputs: Record<string, { description?: string }>
    }
    expect(meta.runs).toMatchObject({ using: 'node24', main: 'dist/index.js' })
    for (const [name, entry] of [...Object.entries(meta.inputs), ...Object.entries(meta.outputs)]) {
      expect([name, (entry.description ?? '').length > 10]).toEqual([name, true])
    }
  })
})
