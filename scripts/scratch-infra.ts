/**
 * Serves a throwaway infra repository (seed 000's layout) over smart HTTP for the self-test
 * workflow, writes `url=` and `token=` to the file given as the first argument, and keeps serving
 * until the job ends.
 */
import { writeFile } from 'node:fs/promises'
import { seed000Infra } from '../__tests__/support/fixtures.js'
import { startGitServer } from '../__tests__/support/git-server.js'

const outputFile = process.argv[2]
if (!outputFile) throw new Error('usage: tsx scripts/scratch-infra.ts <output file>')
const server = await startGitServer()
await server.createRepo('infra', seed000Infra())
await writeFile(outputFile, `url=${server.repoUrl('infra')}\ntoken=${server.token}\n`)
console.log(`serving ${server.repoUrl('infra')}`)
