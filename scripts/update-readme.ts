/** `npm run docs`: rewrites the README's generated parts (input/output tables, example workflows). */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readmePaths, updateReadme } from './action-docs.js'

const paths = readmePaths(process.cwd())
const readExample = (path: string) => readFileSync(join(paths.root, path), 'utf8')
writeFileSync(paths.readme, updateReadme(readFileSync(paths.readme, 'utf8'), readFileSync(paths.action, 'utf8'), readExample))
