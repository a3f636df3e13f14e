/**
 * The Docker stage end to end: the whole action (sources through tsx) builds with the real daemon,
 * pushes to a real registry (open, and htpasswd), checks the tag through the registry API, and
 * promotes exactly what was pushed into a fresh infra repo on the git smart-HTTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { githubContext, runAction, type ActionRun } from '../support/action-runner.js'
import {
  addStaticChecker,
  AUTH_PASSWORD,
  AUTH_REGISTRY,
  AUTH_USER,
  buildKitCliDir,
  buildKitCliUp,
  dockerDaemonUp,
  REGISTRY,
  registryDigest,
  registryUp,
  scratchContext,
  staticCompilerUp,
} from '../support/docker.js'
import { NOTE_BOOK_IMAGE, seed000Infra } from '../support/fixtures.js'
import { startGitServer, type GitServer } from '../support/git-server.js'
import { requireService } from '../support/services.js'

const PROD = 'deploy/note-book/overlays/prod'
const SOURCE_SHA = githubContext().GITHUB_SHA
const DIGEST = /^sha256:[a-f0-9]{64}$/

const haveServices = requireService('docker daemon and registries', () => dockerDaemonUp() && registryUp(REGISTRY) && registryUp(AUTH_REGISTRY))
/** The rendered-overlay checks need kubectl (CI has it); a loud skip of just those checks otherwise. */
const haveKubectl = () => requireService('kubectl', () => execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' }) !== undefined)

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function imageLabels(reference: string): Record<string, string> {
  return JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Labels}}', reference)) as Record<string, string>
}

const describeDocker = haveServices ? describe : describe.skip

describeDocker('Docker stage: build once, push, verify in the registry, promote what was pushed', () => {
  let server: GitServer
  let repo = 0
  const cleanup: string[] = []

  beforeAll(async () => {
    server = await startGitServer()
  })
  afterAll(async () => {
    await server?.close()
    cleanup.forEach((dir) => rmSync(dir, { recursive: true, force: true }))
  })

  /** A fresh infra repo, and an image repository and tag nobody else uses (latest included). */
  async function fresh(registry = REGISTRY) {
    const name = `infra-${++repo}`
    await server.createRepo(name, seed000Infra())
    const path = `it-${randomBytes(5).toString('hex')}/note-book`
    return { name, tip: await server.revParse(name, 'main'), path, image: `${registry}/${path}`, tag: randomBytes(20).toString('hex') }
  }

  /** The runner's own DOCKER_CONFIG, with only the given logins (`host → user:password`). */
  function runnerDockerConfig(auths: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'runner-docker-config-'))
    cleanup.push(dir)
    const entries = Object.fromEntries(Object.entries(auths).map(([host, auth]) => [host, { auth: Buffer.from(auth).toString('base64') }]))
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: entries }))
    return dir
  }

  function context(content: string, dockerfile?: string): string {
    const dir = scratchContext(content, dockerfile)
    cleanup.push(dir)
    return dir
  }

  function promote(name: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
    return runAction(
      {
        'infra-repo': server.repoUrl(name),
        'infra-token': server.token,
        'overlay-path': PROD,
        'kustomize-image-name': NOTE_BOOK_IMAGE,
        ...inputs,
      },
      { entry: 'src', env },
    )
  }

  function errorLine(run: ActionRun): string {
    expect(run.exitCode).not.toBe(0)
    const errors = run.log.split('\n').filter((l) => l.startsWith('::error'))
    expect(errors).toHaveLength(1)
    return errors[0]
  }

  async function expectNothingPromoted(name: string, tip: string, run: ActionRun): Promise<void> {
    expect(await server.revParse(name, 'main')).toBe(tip)
    expect(run.leftInTemp).toEqual([])
  }

  it("builds once, pushes image:tag and latest, pins tag@digest into the overlay, and the digest is the registry's", async () => {
    const { name, path, image, tag } = await fresh()
    const committed = '2026-01-05T10:00:00Z'
    const event = context('')
    writeFileSync(join(event, 'event.json'), JSON.stringify({ head_commit: { id: SOURCE_SHA, timestamp: committed } }))
    const run = await promote(
      name,
      { image, tag, context: context(`note-book ${tag}`), 'extra-tags': 'latest', pin: 'tag-and-digest' },
      { GITHUB_EVENT_PATH: join(event, 'event.json') },
    )
    expect(run.exitCode).toBe(0)

    const digest = await registryDigest(REGISTRY, path, tag)
    expect(digest).toMatch(DIGEST)
    expect(run.outputs.digest).toBe(digest)
    expect(await registryDigest(REGISTRY, path, 'latest')).toBe(digest)
    expect(run.outputs).toMatchObject({ tag, 'image-ref': `${image}:${tag}@${digest}`, changed: 'true' })
    // Built once, pushed twice (the classic path: this daemon has no buildx).
    expect(run.log.split('\n').filter((l) => l.startsWith('docker build '))).toHaveLength(1)
    expect(run.log.split('\n').filter((l) => l.startsWith('docker push '))).toEqual([`docker push ${image}:${tag}`, `docker push ${image}:latest`])
    expect(run.log).toContain(`${image}:${tag} is in the registry: ${digest}`)

    const kustomization = await server.readFile(name, 'main', `${PROD}/kustomization.yaml`)
    expect(kustomization).toContain(`newName: ${image}`)
    expect(kustomization).toContain(`newTag: "${tag}"`)
    expect(kustomization).toContain(`digest: ${digest}`)
    if (haveKubectl()) expect(await server.render(name, 'main', PROD)).toContain(`image: ${image}:${tag}@${digest}`)

    const labels = imageLabels(`${image}:${tag}`)
    expect(labels['org.opencontainers.image.source']).toBe('https://github.com/ani2fun/note-book')
    expect(labels['org.opencontainers.image.revision']).toBe(SOURCE_SHA)
    expect(Date.parse(labels['org.opencontainers.image.created'] ?? '')).not.toBeNaN()
    // The source commit's time, which orders this image against others.
    expect(labels['io.github.gitops-promote.committed']).toBe(committed)
    expect(run.leftInTemp).toEqual([])
  })

  it('honours docker/metadata-action style tags and labels (user labels win over the OCI defaults)', async () => {
    const { name, path, image, tag } = await fresh()
    const run = await promote(name, {
      image,
      tag,
      context: context(`metadata ${tag}`),
      tags: `${image}:main\n${image}:sha-${tag.slice(0, 7)}\n`,
      labels: 'org.opencontainers.image.title=note-book\norg.opencontainers.image.revision=from-metadata-action\norg.opencontainers.image.description=\n',
    })
    expect(run.exitCode).toBe(0)
    const digest = await registryDigest(REGISTRY, path, tag)
    expect(run.outputs.digest).toBe(digest)
    expect(await registryDigest(REGISTRY, path, 'main')).toBe(digest)
    expect(await registryDigest(REGISTRY, path, `sha-${tag.slice(0, 7)}`)).toBe(digest)
    // Only image:tag is promoted.
    expect(run.outputs['image-ref']).toBe(`${image}:${tag}`)
    expect(await server.readFile(name, 'main', `${PROD}/kustomization.yaml`)).toContain(`newTag: "${tag}"`)
    const labels = imageLabels(`${image}:${tag}`)
    expect(labels).toMatchObject({
      'org.opencontainers.image.title': 'note-book',
      'org.opencontainers.image.revision': 'from-metadata-action',
      'org.opencontainers.image.description': '',
      'org.opencontainers.image.source': 'https://github.com/ani2fun/note-book',
    })
  })

  it('build: false with a tag that is not in the registry fails and promotes nothing', async () => {
    const { name, tip, image, tag } = await fresh()
    const run = await promote(name, { image, tag, build: 'false' })
    const error = errorLine(run)
    expect(error).toContain(`${image}:${tag} not found in registry ${REGISTRY}`)
    expect(error).toContain('nothing was promoted')
    await expectNothingPromoted(name, tip, run)
  })

  it('build: false with an existing tag and no digest input takes the digest from the registry', async () => {
    const { name, path, image, tag } = await fresh()
    docker('build', '--quiet', '--tag', `${image}:${tag}`, context(`prebuilt ${tag}`))
    docker('push', `${image}:${tag}`)
    const digest = await registryDigest(REGISTRY, path, tag)

    const run = await promote(name, { image, tag, build: 'false', pin: 'digest' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe(digest)
    expect(run.outputs['image-ref']).toBe(`${image}@${digest}`)
    expect(run.log).not.toMatch(/^docker (build|push) /m)
    const kustomization = await server.readFile(name, 'main', `${PROD}/kustomization.yaml`)
    expect(kustomization).toContain(`digest: ${digest}`)
    expect(kustomization).not.toContain('newTag')
  })

  describe('the htpasswd registry', () => {
    it('a wrong registry-password: one clear error naming registry-password, nothing pushed anywhere', async () => {
      const { name, tip, path, image, tag } = await fresh(AUTH_REGISTRY)
      const wrong = `wrong-${randomBytes(6).toString('hex')}`
      const runnerConfig = runnerDockerConfig()
      const login = { 'registry-username': AUTH_USER, 'registry-password': wrong }
      const run = await promote(name, { image, tag, context: context(`auth ${tag}`), ...login }, { DOCKER_CONFIG: runnerConfig })
      const error = errorLine(run)
      expect(error).toContain(`docker login to ${AUTH_REGISTRY} failed`)
      expect(error).toContain('401 Unauthorized')
      expect(error).toContain('registry-password')
      expect(run.log).not.toContain(wrong)
      expect(run.log).not.toMatch(/^docker (build|push) /m)
      expect(await registryDigest(AUTH_REGISTRY, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD })).toBeNull()
      await expectNothingPromoted(name, tip, run)
    })

    it('logs in through a temporary DOCKER_CONFIG, pushes, verifies with Basic auth, and leaves no credentials behind', async () => {
      const { name, path, image, tag } = await fresh(AUTH_REGISTRY)
      const runnerConfig = runnerDockerConfig()
      const login = { 'registry-username': AUTH_USER, 'registry-password': AUTH_PASSWORD }
      const run = await promote(name, { image, tag, context: context(`auth ${tag}`), ...login, pin: 'tag-and-digest' }, { DOCKER_CONFIG: runnerConfig })
      expect(run.exitCode).toBe(0)
      const digest = await registryDigest(AUTH_REGISTRY, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD })
      expect(digest).toMatch(DIGEST)
      expect(run.outputs.digest).toBe(digest)
      expect(run.log).not.toContain(AUTH_PASSWORD)
      expect(run.log).not.toContain(Buffer.from(`${AUTH_USER}:${AUTH_PASSWORD}`).toString('base64'))
      // The temporary config lived under RUNNER_TEMP and is gone; the runner's own config is untouched.
      expect(run.leftInTemp).toEqual([])
      expect(readdirSync(runnerConfig)).toEqual(['config.json'])
      expect(JSON.parse(readFileSync(join(runnerConfig, 'config.json'), 'utf8'))).toEqual({ auths: {} })
    })

    /** The runner's DOCKER_CONFIG naming a credential helper for the registry, and a PATH with that helper answering `password`. */
    function credentialHelper(password: string): Record<string, string> {
      const dir = mkdtempSync(join(tmpdir(), 'credential-helper-'))
      cleanup.push(dir)
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ credHelpers: { [AUTH_REGISTRY]: 'promote-it' } }))
      const answer = JSON.stringify({ ServerURL: AUTH_REGISTRY, Username: AUTH_USER, Secret: password })
      const script = `#!/bin/sh\n[ "$1" = get ] || exit 1\n[ "$(cat)" = "${AUTH_REGISTRY}" ] || { echo "credentials not found in native keychain"; exit 1; }\necho '${answer}'\n`
      writeFileSync(join(dir, 'docker-credential-promote-it'), script)
      chmodSync(join(dir, 'docker-credential-promote-it'), 0o755)
      return { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` }
    }

    it('reads the credentials through the credential helper docker uses (credHelpers), to push and to verify', async () => {
      const { name, path, image, tag } = await fresh(AUTH_REGISTRY)
      const run = await promote(name, { image, tag, context: context(`helper ${tag}`), pin: 'tag-and-digest' }, credentialHelper(AUTH_PASSWORD))
      expect(run.exitCode).toBe(0)
      const digest = await registryDigest(AUTH_REGISTRY, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD })
      expect(digest).toMatch(DIGEST)
      expect(run.outputs.digest).toBe(digest)
      expect(run.log).toContain(`${image}:${tag} is in the registry: ${digest}`)
      expect(run.log).not.toContain(AUTH_PASSWORD)
      expect(run.leftInTemp).toEqual([])
    })

    it('a credential helper that returns wrong credentials: one error naming the helper, nothing promoted', async () => {
      const { name, tip, image, tag } = await fresh(AUTH_REGISTRY)
      const wrong = `wrong-${randomBytes(6).toString('hex')}`
      const run = await promote(name, { image, tag, build: 'false' }, credentialHelper(wrong))
      const error = errorLine(run)
      expect(error).toContain(`The registry ${AUTH_REGISTRY} refused access to ${image}:${tag} (HTTP 401)`)
      expect(error).toContain('docker-credential-promote-it')
      expect(run.log).not.toContain(wrong)
      await expectNothingPromoted(name, tip, run)
    })

    it("registry inputs log in inside the temporary config, not into the runner's credential helper", async () => {
      const { name, path, image, tag } = await fresh(AUTH_REGISTRY)
      // The helper answers wrong credentials and cannot store: only the given login may be used, and kept nowhere else.
      const runner = credentialHelper(`wrong-${randomBytes(6).toString('hex')}`)
      const login = { 'registry-username': AUTH_USER, 'registry-password': AUTH_PASSWORD }
      const run = await promote(name, { image, tag, context: context(`helper login ${tag}`), ...login }, runner)
      expect(run.exitCode).toBe(0)
      expect(run.outputs.digest).toBe(await registryDigest(AUTH_REGISTRY, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD }))
      expect(readdirSync(runner.DOCKER_CONFIG).sort()).toEqual(['config.json', 'docker-credential-promote-it'])
      expect(run.leftInTemp).toEqual([])
    })

    it("without registry inputs, uses the runner's existing docker login (docker/login-action)", async () => {
      const { name, path, image, tag } = await fresh(AUTH_REGISTRY)
      const runnerConfig = runnerDockerConfig({ [AUTH_REGISTRY]: `${AUTH_USER}:${AUTH_PASSWORD}` })
      const run = await promote(name, { image, tag, context: context(`runner login ${tag}`) }, { DOCKER_CONFIG: runnerConfig })
      expect(run.exitCode).toBe(0)
      expect(run.outputs.digest).toBe(await registryDigest(AUTH_REGISTRY, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD }))
      expect(run.leftInTemp).toEqual([])
    })
  })

  it("a Dockerfile error surfaces Docker's own message, and nothing is pushed", async () => {
    const { name, tip, path, image, tag } = await fresh()
    const run = await promote(name, { image, tag, context: context('broken', 'FRUM scratch\n') })
    const error = errorLine(run)
    expect(error).toContain('docker build failed')
    expect(error).toContain('unknown instruction: FRUM')
    expect(error).toContain('Fix the Dockerfile')
    expect(error).not.toContain('legacy builder')
    expect(error).not.toContain('Install the buildx component')
    expect(await registryDigest(REGISTRY, path, tag)).toBeNull()
    await expectNothingPromoted(name, tip, run)
  })

  describe('BuildKit through the classic builder (the docker CLI that comes with the daemon)', () => {
    const haveBuildKit = () =>
      requireService('a docker CLI with BuildKit built in, and gcc -static for a RUN step in a FROM scratch image', () => buildKitCliUp() && staticCompilerUp())
    let cliPath = ''
    beforeAll(() => {
      if (!haveBuildKit()) return
      const dir = buildKitCliDir()
      cleanup.push(dir)
      cliPath = `${dir}:${process.env.PATH}`
    })

    /** A context whose RUN step (no shell in FROM scratch: a static /check) reads `file`. */
    function runContext(content: string, run: string): string {
      const dir = context(content, `FROM scratch\nCOPY check /check\nCOPY release.txt /release.txt\n${run}\n`)
      addStaticChecker(dir)
      return dir
    }

    it('build secrets (secrets and secret-files) reach RUN --mount=type=secret and are nowhere in the image, the log or the temp directory', async () => {
      if (!cliPath) return
      const { name, image, tag } = await fresh()
      const secret = `s3cr3t-${randomBytes(8).toString('hex')}`
      const fileSecret = `f1l3-${randomBytes(12).toString('hex')}`
      const secretDir = context('secret file')
      writeFileSync(join(secretDir, 'aws-credentials'), fileSecret)
      const dir = runContext(
        `secret ${tag}`,
        'RUN --mount=type=secret,id=npm_token ["/check", "/run/secrets/npm_token", "/proof"]\nRUN --mount=type=secret,id=aws ["/check", "/run/secrets/aws", "/proof-file"]',
      )
      const run = await promote(
        name,
        { image, tag, context: dir, secrets: `npm_token=${secret}`, 'secret-files': `aws=${join(secretDir, 'aws-credentials')}`, network: 'none' },
        { PATH: cliPath },
      )
      expect(run.exitCode).toBe(0)
      expect(run.log).toMatch(/^docker build .*--secret id=aws,src=\S+aws-credentials --secret id=npm_token,src=\S+ --network none /m)
      expect(run.log).not.toContain(secret)
      expect(run.leftInTemp).toEqual([])
      // The RUN steps read them: the proofs say how many bytes each had.
      const container = docker('create', `${image}:${tag}`, '/check').trim()
      try {
        const proof = (file: string) => execFileSync('docker', ['cp', `${container}:${file}`, '-'], { encoding: 'utf8' })
        expect(proof('/proof')).toContain(`/run/secrets/npm_token: ${secret.length} bytes`)
        expect(proof('/proof-file')).toContain(`/run/secrets/aws: ${fileSecret.length} bytes`)
      } finally {
        docker('rm', container)
      }
      for (const value of [secret, fileSecret]) {
        expect(docker('history', '--no-trunc', `${image}:${tag}`)).not.toContain(value)
        expect(docker('image', 'inspect', `${image}:${tag}`)).not.toContain(value)
      }
    })

    it('a second build reuses the inline cache pushed to the registry: the expensive step is cached', async () => {
      if (!cliPath) return
      const first = await fresh()
      const dir = runContext('cached', 'RUN ["/check", "/release.txt", "/slow", "3"]')
      const cacheImage = `${first.image}:${first.tag}`
      const built = await promote(
        first.name,
        { image: first.image, tag: first.tag, context: dir, network: 'none', 'cache-to': 'type=inline' },
        { PATH: cliPath },
      )
      expect(built.exitCode).toBe(0)
      expect(built.log).toMatch(/^docker build .*--build-arg BUILDKIT_INLINE_CACHE=1 /m)
      // Only the registry has the cache now: the local build cache is emptied.
      docker('builder', 'prune', '--all', '--force')
      docker('image', 'rm', cacheImage)

      const second = await fresh()
      const run = await promote(
        second.name,
        { image: second.image, tag: second.tag, context: dir, network: 'none', 'cache-from': cacheImage },
        { PATH: cliPath },
      )
      expect(run.exitCode).toBe(0)
      expect(run.log).toContain(`importing cache manifest from ${cacheImage}`)
      // BuildKit's plain progress: `#7 [3/3] RUN [...]`, later `#7 CACHED`.
      const step = /^(#\d+) \[\d\/\d\] RUN \["\/check", "\/release.txt", "\/slow", "3"\]$/m.exec(run.log)?.[1]
      expect(step).toBeDefined()
      expect(run.log.split('\n')).toContain(`${step} CACHED`)
    })
  })

  it('a secret file that is not there is refused before anything is built or pushed', async () => {
    const { name, tip, path, image, tag } = await fresh()
    const dir = context(`secret file ${tag}`)
    const run = await promote(name, { image, tag, context: dir, 'secret-files': `aws=${join(dir, 'missing')}` })
    const error = errorLine(run)
    expect(error).toContain(`Input 'secret-files': line 1: secret aws has no file at ${join(dir, 'missing')}`)
    expect(run.log).not.toMatch(/^docker (build|push) /m)
    expect(await registryDigest(REGISTRY, path, tag)).toBeNull()
    await expectNothingPromoted(name, tip, run)
  })

  it('cache-to type=gha without buildx is refused before anything is built or pushed', async () => {
    const { name, tip, path, image, tag } = await fresh()
    const run = await promote(name, { image, tag, context: context(`gha ${tag}`), 'cache-to': 'type=gha,mode=max' })
    const error = errorLine(run)
    expect(error).toContain("Input 'cache-to': 'type=gha,mode=max' needs docker buildx")
    expect(error).toContain('docker/setup-buildx-action')
    expect(run.log).not.toMatch(/^docker (build|push) /m)
    expect(await registryDigest(REGISTRY, path, tag)).toBeNull()
    await expectNothingPromoted(name, tip, run)
  })
})
