/**
 * `npm run demo`: the action end to end on this machine. A throwaway infra repo in seed 000's layout
 * is served by git's own smart-HTTP backend with a token on loopback; the committed bundle
 * `dist/index.js` runs exactly as a runner runs it (INPUT_* and GITHUB_* env, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files); then the outputs, the pushed commit and the rendered prod overlay are
 * shown. Everything is removed afterwards.
 */
import { execFileSync } from 'node:child_process'
import { runAction } from '../__tests__/support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../__tests__/support/fixtures.js'
import { startGitServer } from '../__tests__/support/git-server.js'
import { demoImage } from '../__tests__/support/docker.js'

const PROD = 'deploy/note-book/overlays/prod'
/** Stands in for the app repository's commit SHA (GITHUB_SHA). */
const DEMO_TAG = '7d9e4c1f0a2b3c4d5e6f708192a3b4c5d6e7f809'
const heading = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`)

const server = await startGitServer()
try {
  await server.createRepo('infra', seed000Infra())
  heading(`infra repo served at ${server.repoUrl('infra')} (Basic auth, uploadpack.allowFilter on)`)
  console.log(await server.readFile('infra', 'main', `${PROD}/kustomization.yaml`))

  // Build and push into a local registry when a Docker daemon and registry are reachable; else
  // promote an existing tag without building, and say so.
  const image = demoImage(DEMO_TAG)
  heading(image.note)

  heading('running dist/index.js as a GitHub runner does')
  const run = await runAction(
    {
      image: image.name,
      tag: image.tag,
      build: image.build ? 'true' : 'false',
      'verify-image': image.verify ? 'true' : 'false',
      // The base's containers say ani2fun/note-book: the overlay maps that name to the local registry.
      ...(image.context ? { context: image.context, 'extra-tags': 'latest', pin: 'tag-and-digest', 'kustomize-image-name': NOTE_BOOK_IMAGE } : {}),
      'infra-repo': server.repoUrl('infra'),
      'infra-token': server.token,
      'overlay-path': PROD,
    },
    { entry: 'dist' },
  )
  console.log(run.log.trimEnd())
  if (run.exitCode !== 0) throw new Error(`the action failed with exit code ${run.exitCode}`)

  heading('outputs (GITHUB_OUTPUT)')
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}=${value}`)

  heading('the commit pushed to the infra repo')
  console.log(await server.show('infra', 'main'))

  heading('job summary (GITHUB_STEP_SUMMARY)')
  console.log(run.summary.trim() || '(empty)')

  heading(`kubectl kustomize ${PROD}`)
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
    console.log(await server.render('infra', 'main', PROD))
  } catch {
    console.log('kubectl is not installed: skipped rendering the overlay.')
  }
  if (image.name !== NOTE_BOOK_IMAGE) console.log(`(the demo promoted ${image.name}, pushed to the local registry)`)
} finally {
  await server.close()
}
