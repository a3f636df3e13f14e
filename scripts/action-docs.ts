/**
 * Generates the README's input and output tables from action.yml, so the two cannot drift.
 * `npm run docs` rewrites README.md; the test `__tests__/unit/action-docs.test.ts` fails when it is stale.
 */
import { join } from 'node:path'
import { parse } from 'yaml'

interface ActionInput {
  description: string
  required?: boolean
  default?: string
}

interface ActionMetadata {
  inputs: Record<string, ActionInput>
  outputs: Record<string, { description: string }>
}

const cell = (text: string) => text.trim().replace(/\|/g, '\\|').replace(/\n+/g, '<br>')

export function renderTables(actionYml: string): string {
  const meta = parse(actionYml) as ActionMetadata
  const inputs = Object.entries(meta.inputs).map(
    ([name, input]) => `| \`${name}\` | ${input.required ? 'yes' : 'no'} | ${input.default ? `\`${cell(String(input.default))}\`` : ''} | ${cell(input.description)} |`,
  )
  const outputs = Object.entries(meta.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`)
  return [
    '### Inputs',
    '',
    '| name | required | default | description |',
    '| --- | --- | --- | --- |',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| name | description |',
    '| --- | --- |',
    ...outputs,
  ].join('\n')
}

const START = '<!-- action-docs:start (generated from action.yml by `npm run docs`) -->'
const END = '<!-- action-docs:end -->'

export function updateReadme(readme: string, actionYml: string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1) throw new Error(`README.md lacks the ${START} … ${END} markers`)
  return `${readme.slice(0, start + START.length)}\n${renderTables(actionYml)}\n${readme.slice(end)}`
}

export function readmePaths(root: string) {
  return { readme: join(root, 'README.md'), action: join(root, 'action.yml') }
}
