/**
 * Generates the README's input and output tables from action.yml, and its workflow examples from
 * the files under examples/ (which CI lints), so neither can drift.
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
    ([name, input]) =>
      `| \`${name}\` | ${input.required ? 'yes' : 'no'} | ${input.default ? `\`${cell(String(input.default))}\`` : ''} | ${cell(input.description)} |`,
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

/** `<!-- example: examples/x.yml -->` … `<!-- example:end -->` holds that file, fenced. */
const EXAMPLE = /(<!-- example: (\S+) -->\n)[\s\S]*?(<!-- example:end -->)/g

export function updateReadme(readme: string, actionYml: string, readExample: (path: string) => string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1) throw new Error(`README.md lacks the ${START} … ${END} markers`)
  const withTables = `${readme.slice(0, start + START.length)}\n${renderTables(actionYml)}\n${readme.slice(end)}`
  return withTables.replace(
    EXAMPLE,
    (_, open: string, path: string, close: string) => `${open}\n\`\`\`yaml\n${readExample(path).trimEnd()}\n\`\`\`\n\n${close}`,
  )
}

export function readmePaths(root: string) {
  return { root, readme: join(root, 'README.md'), action: join(root, 'action.yml') }
}
