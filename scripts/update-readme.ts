/** `npm run docs`: rewrites the README's generated input/output tables from action.yml. */
import { readFileSync, writeFileSync } from 'node:fs'
import { readmePaths, updateReadme } from './action-docs.js'

const paths = readmePaths(process.cwd())
writeFileSync(paths.readme, updateReadme(readFileSync(paths.readme, 'utf8'), readFileSync(paths.action, 'utf8')))
