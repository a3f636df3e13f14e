/**
 * Stage 1: build the image once and push it (build: true), then — whatever built it — make sure
 * `image:tag` is really in the registry before anything is promoted, and learn its digest.
 */
import * as core from '@actions/core'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { errorMessage, ImageError, InputError } from '../errors.js'
import { runnerCredentials } from '../image/docker-config.js'
import { identityFromLabels, type IdentityLookup, type ImageIdentity, type UnknownIdentity } from '../image/identity.js'
import { imageNameProblem, parseImageName } from '../image/reference.js'
import { imageIdentity, manifestDigest, type RegistryCredentials } from '../image/registry.js'
import type { SourceContext } from '../source.js'
import { builderProblem, buildxArgs, classicBuildArgs, mergeLabels, needsBuildKit, ociLabels, pushedDigest, type BuildRequest } from './docker-args.js'
import { DockerCli } from './docker.js'
import type { BuildSecret, BuildSettings, ImageSettings } from './settings.js'

export interface ImageResult {
  readonly tag: string
  /** Registry manifest digest (the index digest for multi-platform), when known. */
  readonly digest: string | undefined
  readonly built: boolean
  readonly pushed: boolean
  /** True when the registry confirmed image:tag exists. */
  readonly verified: boolean
  /** What orders the image against others (its source commit time, its build time), or why unknown. */
  readonly identity: ImageIdentity | UnknownIdentity
}

export interface ImageStageContext {
  readonly tempDir: string
  readonly source: SourceContext
  readonly env?: NodeJS.ProcessEnv
  /** Build time, for the `created` label (tests fix it). */
  readonly now?: Date
  /** Committer time of the source commit, for the label that orders images; undefined when unknown. */
  readonly committed?: string
}

export async function runImageStage(settings: ImageSettings, context: ImageStageContext): Promise<ImageResult> {
  const env = context.env ?? process.env
  const reference = `${settings.image.name}:${settings.tag}`
  let digest = settings.digest
  let built = false
  let pushed = false
  let identity: ImageIdentity | UnknownIdentity = { unknown: `verify-image is false, so the registry was not asked about ${reference}` }
  // Masked whether it goes to docker login or only to the registry check.
  if (settings.login) core.setSecret(settings.login.password)
  for (const secret of settings.build?.secrets ?? []) core.setSecret(secret.value)
  if (settings.build) {
    const docker = await DockerCli.open(
      settings.login ? { registry: settings.image.registry, credentials: settings.login, tempDir: context.tempDir } : undefined,
      env,
    )
    try {
      const buildx = await docker.hasBuildx()
      const refused = builderProblem(settings.build, buildx, env)
      if (refused) throw refused
      const request = await buildRequest(settings, settings.build, context)
      digest = await withSecretFiles(settings.build.secrets, context.tempDir, (valueFiles) =>
        buildAndPush(docker, { ...request, secretFiles: [...request.secretFiles, ...valueFiles] }, settings.push, context.tempDir, buildx),
      )
      identity = identityFromLabels(
        Object.fromEntries(request.labels.map((label) => [label.slice(0, label.indexOf('=')), label.slice(label.indexOf('=') + 1)])),
      )
      built = true
      pushed = settings.push
    } finally {
      await docker.close()
    }
  }
  if (!settings.verify) {
    core.info(`verify-image is false: ${reference} was not checked in the registry.`)
    return { tag: settings.tag, digest, built, pushed, verified: false, identity }
  }
  const credentials = await registryCredentials(settings, settings.image.registry, env)
  const registryDigest = await manifestDigest(settings.image, settings.tag, credentials)
  if (registryDigest === undefined) {
    throw new ImageError(
      `Image ${reference} not found in registry ${settings.image.registry}; nothing was promoted.`,
      settings.build && !settings.push
        ? 'push is false: push the image first, or set push: true.'
        : 'Check image and tag (the tag must have been pushed before this step), or set verify-image: false for a registry the runner cannot reach.',
    )
  }
  if (digest !== undefined && digest !== registryDigest) {
    throw new ImageError(
      `Image ${reference} in registry ${settings.image.registry} has digest ${registryDigest}, not ${digest}; nothing was promoted.`,
      settings.build
        ? 'Another push replaced the tag while this one ran: promote immutable tags only (e.g. the commit SHA).'
        : "Check the digest input, or leave it empty to use the registry's.",
    )
  }
  core.info(`${reference} is in the registry: ${registryDigest}`)
  if (!built) identity = await identityOr(() => imageIdentity(settings.image, registryDigest, credentials))
  return { tag: settings.tag, digest: registryDigest, built, pushed, verified: true, identity }
}

/**
 * Reads, from its registry, the identity of an image a target references, with the credentials the
 * image check uses; without verify-image, registries are not asked.
 */
export function registryIdentities(settings: ImageSettings, env: NodeJS.ProcessEnv): IdentityLookup {
  return async (image) => {
    if (!settings.verify) return { unknown: 'verify-image is false, so registries are not asked' }
    const problem = imageNameProblem(image.name)
    if (problem) return { unknown: `'${image.name}' is not an image repository: ${problem}` }
    const name = parseImageName(image.name)
    const credentials = await registryCredentials(settings, name.registry, env)
    return identityOr(() => imageIdentity(name, image.digest ?? image.tag ?? 'latest', credentials))
  }
}

/** The given login for the promoted image's registry, else what the runner's Docker config holds. */
async function registryCredentials(settings: ImageSettings, registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const credentials = (registry === settings.image.registry ? settings.login : undefined) ?? (await runnerCredentials(registry, env))
  // A credential helper's secret is as secret as a given password.
  if (credentials) core.setSecret(credentials.password)
  return credentials
}

async function identityOr(read: () => Promise<ImageIdentity>): Promise<ImageIdentity | UnknownIdentity> {
  try {
    return await read()
  } catch (error) {
    return { unknown: errorMessage(error) }
  }
}

async function buildRequest(settings: ImageSettings, build: BuildSettings, context: ImageStageContext): Promise<BuildRequest> {
  const inWorkspace = (path: string) => (isAbsolute(path) ? path : resolve(settings.workspace, path))
  const contextDir = inWorkspace(build.context)
  if (
    !(await stat(contextDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new InputError(
      'context',
      `build context '${build.context}' is not a directory (looked at ${contextDir})`,
      'Set context to the directory to build, relative to the repository root, and check out the repository before this step.',
    )
  }
  const file = build.file ? inWorkspace(build.file) : ''
  const dockerfile = file || join(contextDir, 'Dockerfile')
  if (
    !(await stat(dockerfile).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    throw new InputError(
      build.file ? 'file' : 'context',
      `no Dockerfile at ${dockerfile}`,
      "Set file to the Dockerfile's path, or context to the directory that holds it.",
    )
  }
  const secretFiles = build.secretFiles.map((secret) => ({ id: secret.id, value: inWorkspace(secret.value) }))
  for (const [index, secret] of secretFiles.entries()) {
    if (
      !(await stat(secret.value).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      throw new InputError(
        'secret-files',
        `line ${index + 1}: secret ${secret.id} has no file at ${secret.value}`,
        'Give each secret file as id=path, relative to the workspace, and create the file before this step.',
      )
  }
  const { source } = context
  const labels = mergeLabels(
    ociLabels({
      url: source.repository ? `${source.serverUrl}/${source.repository}` : '',
      revision: source.sha,
      created: (context.now ?? new Date()).toISOString(),
      committed: context.committed,
    }),
    build.labels,
  )
  return {
    settings: build,
    references: [`${settings.image.name}:${settings.tag}`, ...build.extraReferences],
    labels,
    context: contextDir,
    file,
    secretFiles,
  }
}

/** Runs `use` with each secret's value in its own file (owner-only) under the runner's temp directory, removed afterwards. */
async function withSecretFiles<T>(secrets: readonly BuildSecret[], tempDir: string, use: (files: BuildSecret[]) => Promise<T>): Promise<T> {
  if (secrets.length === 0) return use([])
  const dir = await mkdtemp(join(tempDir, 'build-secrets-'))
  try {
    const files: BuildSecret[] = []
    for (const [index, secret] of secrets.entries()) {
      const path = join(dir, String(index))
      await writeFile(path, secret.value, { mode: 0o600 })
      files.push({ id: secret.id, value: path })
    }
    return await use(files)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Builds once and pushes every reference; returns the pushed digest when there was a push. */
async function buildAndPush(docker: DockerCli, request: BuildRequest, push: boolean, tempDir: string, buildx: boolean): Promise<string | undefined> {
  const buildFix = "Fix the Dockerfile or build inputs; the lines above are Docker's own output."
  if (buildx) {
    const metadataFile = join(tempDir, `build-metadata-${process.pid}-${Date.now()}.json`)
    try {
      await docker.run(buildxArgs(request, push, metadataFile), 'docker buildx build', buildFix)
      const metadata = JSON.parse(await readFile(metadataFile, 'utf8').catch(() => '{}')) as Record<string, unknown>
      const digest = metadata['containerimage.digest']
      return push && typeof digest === 'string' ? digest : undefined
    } finally {
      await rm(metadataFile, { force: true })
    }
  }
  // Secrets, ssh and the inline cache are BuildKit's: the classic CLI uses it when asked to.
  const buildKit = needsBuildKit(request.settings)
  await docker.run(
    classicBuildArgs(request),
    'docker build',
    buildKit ? `${buildFix} Secrets, ssh and the cache need BuildKit: where this docker CLI refuses it, add docker/setup-buildx-action.` : buildFix,
    buildKit ? { DOCKER_BUILDKIT: '1' } : {},
  )
  if (!push) return undefined
  let digest: string | undefined
  for (const [i, reference] of request.references.entries()) {
    const output = await docker.run(
      ['push', reference],
      `docker push ${reference}`,
      'Check that the runner is logged in to the registry with push rights (registry-username/registry-password or docker/login-action).',
    )
    if (i === 0) digest = pushedDigest(output)
  }
  return digest
}
