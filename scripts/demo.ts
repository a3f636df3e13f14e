/**
 * `npm run demo`: the action end to end on this machine. A throwaway infra repo (an Argo CD app with
 * Kustomize overlays) is served by git's own smart-HTTP backend with a token on loopback; the committed bundle
 * `dist/index.js` runs exactly as a runner runs it (INPUT_* and GITHUB_* env, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files); then the outputs, the pushed commit and the rendered prod overlay are
 * shown. The runner's debug lines are shown with DEMO_DEBUG=1. Everything is removed afterwards.
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { runAction } from '../__tests__/support/action-runner.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../__tests__/support/fixtures.js'
import { startGitServer } from '../__tests__/support/git-server.js'
import { demoImage } from '../__tests__/support/docker.js'

const PROD = 'deploy/note-book/overlays/prod'
/** Stands in for the app repository's commit SHA (GITHUB_SHA). */
const DEMO_TAG = '7d9e4c1f0a2b3c4d5e6f708192a3b4c5d6e7f809'
const heading = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`)

const server = await startGitServer()
let context: string | undefined
try {
  await server.createRepo('infra', seed000Infra())
  heading(`infra repo served at ${server.repoUrl('infra')} (Basic auth, uploadpack.allowFilter on)`)
  console.log(await server.readFile('infra', 'main', `${PROD}/kustomization.yaml`))

  // Build and push into a local registry when a Docker daemon and registry are reachable; else
  // promote an existing tag without building, and say so.
  const image = demoImage(DEMO_TAG)
  context = image.context
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
  const debug = process.env.DEMO_DEBUG === '1'
  console.log(
    run.log
      .split('\n')
      .filter((line) => debug || !line.startsWith('::debug::'))
      .join('\n')
      .trimEnd(),
  )
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
  if (context) rmSync(context, { recursive: true, force: true })
}
