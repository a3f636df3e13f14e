/**
 * The real Docker daemon and registries of the Docker stage tests (started by
 * .ci/services-docker.sh), and fixture build contexts that need no base image from outside:
 * `FROM scratch` plus a file.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NOTE_BOOK_IMAGE } from './fixtures.js'

/** Open registry (no auth) and htpasswd registry, as .ci/services-docker.sh starts them. */
export const REGISTRY = process.env.PROMOTE_REGISTRY ?? '127.0.0.1:5000'
export const AUTH_REGISTRY = process.env.PROMOTE_AUTH_REGISTRY ?? '127.0.0.1:5001'
export const AUTH_USER = process.env.PROMOTE_AUTH_REGISTRY_USER ?? 'ci'
export const AUTH_PASSWORD = process.env.PROMOTE_AUTH_REGISTRY_PASSWORD ?? 'ci-registry-password'

/** True when a Docker daemon answers. */
export function dockerDaemonUp(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 })
    return true
  } catch {
    return false
  }
}

/** True when a registry answers its v2 API root (200, or 401 for one that wants auth). */
export function registryUp(host: string): boolean {
  const script = `fetch('http://${host}/v2/').then(r => process.exit([200, 401].includes(r.status) ? 0 : 1), () => process.exit(1))`
  try {
    execFileSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

/** A build context with a `FROM scratch` Dockerfile; `dockerfile` replaces it (e.g. a broken one). */
export function scratchContext(content: string, dockerfile = 'FROM scratch\nCOPY release.txt /release.txt\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'promote-context-'))
  writeFileSync(join(dir, 'Dockerfile'), dockerfile)
  writeFileSync(join(dir, 'release.txt'), `${content}\n`)
  return dir
}

/**
 * The docker CLI that comes with the daemon (Debian's docker.io 20.10, BuildKit built in): the
 * preinstalled 28.x client refuses DOCKER_BUILDKIT=1 without buildx.
 */
export const BUILDKIT_DOCKER = process.env.PROMOTE_BUILDKIT_DOCKER ?? '/usr/bin/docker'

/** A directory holding only `docker` → the BuildKit CLI, to put first on the action's PATH. */
export function buildKitCliDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'buildkit-cli-'))
  symlinkSync(BUILDKIT_DOCKER, join(dir, 'docker'))
  return dir
}

export function buildKitCliUp(): boolean {
  return existsSync(BUILDKIT_DOCKER) && execFileSync(BUILDKIT_DOCKER, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' }).startsWith('20.')
}

/**
 * Compiles into `dir` a static `/check` for `FROM scratch` images, which have no shell for RUN:
 * `check <file> <out> [seconds]` sleeps, then writes to <out> how many bytes <file> has (never the
 * bytes), and fails when <file> is missing.
 */
export function addStaticChecker(dir: string): void {
  const source = join(dir, 'check.c')
  writeFileSync(
    source,
    '#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\nint main(int c, char **v) {\n  FILE *f = fopen(v[1], "r");\n  if (!f) return 3;\n  long n = 0;\n  while (fgetc(f) != EOF) n++;\n  if (c > 3) sleep(atoi(v[3]));\n  FILE *o = fopen(v[2], "w");\n  fprintf(o, "%s: %ld bytes\\n", v[1], n);\n  return fclose(o);\n}\n',
  )
  execFileSync('gcc', ['-static', '-O1', '-o', join(dir, 'check'), source], { stdio: 'pipe' })
  rmSync(source)
}

export function staticCompilerUp(): boolean {
  execFileSync('gcc', ['--version'], { stdio: 'ignore' })
  return true
}

/** The registry's digest for name:tag, read with curl-free fetch (what a cluster would pull). */
export async function registryDigest(host: string, path: string, tag: string, auth?: { user: string; password: string }): Promise<string | null> {
  const response = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
      ...(auth ? { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } : {}),
    },
  })
  return response.ok ? response.headers.get('docker-content-digest') : null
}

export interface DemoImage {
  readonly name: string
  readonly tag: string
  readonly build: boolean
  readonly verify: boolean
  readonly context?: string
  /** What the demo does about Docker, said plainly. */
  readonly note: string
}

/** The demo builds into the local registry when Docker and a registry are up; otherwise it says what it skipped. */
export function demoImage(tag: string): DemoImage {
  if (dockerDaemonUp() && registryUp(REGISTRY)) {
    return {
      name: `${REGISTRY}/ani2fun/note-book`,
      tag,
      build: true,
      verify: true,
      context: scratchContext(`note-book ${tag}`),
      note: `Docker daemon and registry ${REGISTRY} are up: building once, pushing ${REGISTRY}/ani2fun/note-book:${tag} and :latest, checking it in the registry`,
    }
  }
  return {
    name: NOTE_BOOK_IMAGE,
    tag,
    build: false,
    verify: false,
    note: `SKIPPED the Docker stage: no Docker daemon or no registry at ${REGISTRY} (.ci/services-docker.sh starts both). Promoting the existing tag ${NOTE_BOOK_IMAGE}:${tag} without building or checking the registry`,
  }
}
