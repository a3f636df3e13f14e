/**
 * Generates a large infra monorepo for the benchmarks with `git fast-import`: `apps` apps in the
 * seed-000 layout (deploy/app-N/{base,overlays/dev,overlays/prod}) and `commits` later commits, each
 * bumping one app's prod tag, so the repo has both breadth and a long history.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export function appImage(app: number): string {
  return `example/app-${app}`
}

export function overlayPath(app: number, env: 'dev' | 'prod' = 'prod'): string {
  return `deploy/app-${app}/overlays/${env}`
}

const deployment = (app: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${app}
spec:
  selector:
    matchLabels: {app: app-${app}}
  template:
    metadata:
      labels: {app: app-${app}}
    spec:
      containers:
        - name: app
          image: ${appImage(app)}:latest
`

const overlay = (app: number, env: string, tag: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps-${env}
resources:
  - ../../base
images:
  - name: ${appImage(app)}
    newTag: ${tag} # set by the promotion pipeline
`

/** The files of one app, path → content, with both overlays at `tag`. */
export function appFiles(app: number, tag = 'v0'): Record<string, string> {
  return {
    [`deploy/app-${app}/base/deployment.yaml`]: deployment(app),
    [`deploy/app-${app}/base/kustomization.yaml`]: 'resources:\n  - deployment.yaml\n',
    [`${overlayPath(app, 'dev')}/kustomization.yaml`]: overlay(app, 'dev', tag),
    [`${overlayPath(app, 'prod')}/kustomization.yaml`]: overlay(app, 'prod', tag),
  }
}

/** Streams the fast-import commands into a new branch `main` of the bare repository `gitDir`. */
export async function generateMonorepo(gitDir: string, apps: number, commits: number): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: gitDir, stdio: ['pipe', 'inherit', 'inherit'] })
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? 1))
  })
  let chunk = ''
  const write = async (text: string) => {
    chunk += text
    if (chunk.length > 1 << 20) {
      const full = chunk
      chunk = ''
      if (!child.stdin.write(full)) await new Promise((resolve) => child.stdin.once('drain', resolve))
    }
  }
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`
  const file = (path: string, text: string) => `M 100644 inline ${path}\n${data(text)}`
  await write(`commit refs/heads/main\ncommitter bench <bench@example.invalid> 1700000000 +0000\n${data(`${apps} apps`)}`)
  for (let app = 0; app < apps; app++) {
    await write(
      Object.entries(appFiles(app))
        .map(([path, text]) => file(path, text))
        .join(''),
    )
  }
  for (let c = 1; c <= commits; c++) {
    const app = (c * 7919) % apps
    await write(
      `commit refs/heads/main\ncommitter bench <bench@example.invalid> ${1700000000 + c} +0000\n${data(`bump app-${app} to v${c}`)}` +
        file(`${overlayPath(app)}/kustomization.yaml`, overlay(app, 'prod', `v${c}`)),
    )
  }
  await write('done\n')
  child.stdin.end(chunk)
  const code = await exited
  if (code !== 0) throw new Error(`git fast-import exited with ${code}`)
}

/**
 * A generated bare monorepo, built once per size under the temp dir and reused by later runs (the
 * 30,000-app one takes minutes: every commit rewrites the large deploy/ tree).
 */
export async function cachedMonorepo(apps: number, commits: number, root = join(tmpdir(), 'gitops-promote-bench')): Promise<string> {
  const dir = join(root, `apps-${apps}-commits-${commits}.git`)
  if (existsSync(dir)) return dir
  const building = `${dir}.${process.pid}.tmp`
  await mkdir(root, { recursive: true })
  await rm(building, { recursive: true, force: true })
  await promisify(execFile)('git', ['init', '--quiet', '--bare', '--initial-branch=main', building])
  await generateMonorepo(building, apps, commits)
  await rename(building, dir)
  return dir
}
