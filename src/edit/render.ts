/**
 * The render check: after the edit, each Kustomize overlay must still render (`kubectl kustomize`
 * or `kustomize build`), some field kustomize's image transformer reads must hold the new image, and
 * an edit of the overlay's `images:` must change what renders — otherwise the edit was a silent
 * no-op (say, an images entry whose name matches no container). Without a renderer, an entry is
 * added only when the overlay's files use the image. The one impure part of the edit stage; the
 * judging is pure and exported for tests.
 */
import { constants } from 'node:fs'
import { createHash } from 'node:crypto'
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, posix } from 'node:path'
import { InputError, TargetError } from '../errors.js'
import { formatReference, sameRepository, splitReference } from '../image/reference.js'
import { runBounded, type ProcessLimits } from '../bounded-process.js'
import { overlayClosure } from './closure.js'
import { kindOf } from './kinds.js'
import { workTreeFiles, type RepoFiles } from './files.js'
import { transformerImages } from './image-fields.js'
import { closureImageFieldSpecs, closureImageUse, matchesEntryName, type ImageUse } from './image-usage.js'
import { addedEntryName, imagesEntries, resolveEntryName } from './kustomize.js'
import { targetFile, type FileChange } from './plan.js'
import type { ValidateMode } from './settings.js'
import { didYouMean, quoteList } from './suggest.js'
import type { DesiredImage, Target } from './types.js'

type OverlayTarget = Extract<Target, { kind: 'kustomize' }>
import { yamlHazard } from './yaml-limits.js'
import { lineAt, YamlSource } from './yaml-source.js'

export type { ValidateMode } from './settings.js'

/** A program that renders an overlay directory to YAML on stdout. */
export interface Renderer {
  /** Its name, for messages. */
  readonly command: string
  readonly args: (dir: string) => string[]
  /** Where it was found: that file is run, whatever the process's own PATH says. */
  readonly file?: string
}

export interface RenderReport {
  /** For the job log (e.g. no renderer with validate: auto). */
  readonly warnings: string[]
  /** The images each rendered overlay uses (every field kustomize's image transformer reads). */
  readonly rendered: { target: string; images: string[] }[]
}

/**
 * Rendering one overlay takes well under a second and under 100 MiB; these bound a hang, a blow-up
 * the alias check does not see, or an overlay that renders gigabytes, and stay far above a large real
 * render. 2 GiB leaves most of a hosted runner's memory (7 GB and up) to the job.
 */
const RENDER_LIMITS: ProcessLimits = { timeoutMs: 120_000, maxMemoryBytes: 2 * 1024 ** 3, maxOutputBytes: 64 * 1024 ** 2 }

const RENDERERS = [
  { command: 'kubectl', args: (dir: string) => ['kustomize', dir] },
  { command: 'kustomize', args: (dir: string) => ['build', dir] },
] as const

/**
 * Renders every Kustomize target's overlay under `root` (a directory holding the edited files) and
 * checks it uses the desired image. `before`: the same files before the edit, and the targets whose
 * `images:` edit must change what renders. Throws TargetError when an overlay does not render,
 * ignores the image or the edit; InputError when validate is 'true' and there is no renderer.
 * `searchPath`: where to look for kubectl / kustomize (PATH).
 */
export async function checkRendered(
  root: string,
  targets: readonly Target[],
  desired: DesiredImage,
  mode: ValidateMode,
  searchPath = process.env.PATH ?? '',
  before?: { readonly root: string; readonly targets: ReadonlySet<Target> },
): Promise<RenderReport> {
  const overlays = targets.filter((t): t is OverlayTarget => kindOf(t).renders)
  if (mode === 'false' || overlays.length === 0) return { warnings: [], rendered: [] }
  const renderer = await findRenderer(searchPath)
  if (!renderer) return withoutRenderer(mode)
  const files = workTreeFiles(root)
  const rendered: RenderReport['rendered'] = []
  for (const target of overlays) {
    const file = await targetFile(files, target)
    const dir = posix.dirname(file)
    const output = await render(renderer, join(root, dir), root)
    if ('problem' in output) throw new TargetError(file, undefined, output.problem, output.fix)
    const specs = closureImageFieldSpecs(await overlayClosure(files, dir, new Map()))
    const kustomization = new YamlSource(file, (await files.read(file)) ?? '')
    const images = transformerImages(output.stdout, specs)
    checkUsesImage(kustomization, target.imageName, desired, images)
    if (before?.targets.has(target)) {
      const previous = await render(renderer, join(before.root, dir), before.root)
      // An overlay that did not render before the edit has nothing to compare with.
      if (!('problem' in previous)) checkChangesImages(kustomization, target.imageName, desired, transformerImages(previous.stdout, specs), images)
    }
    rendered.push({ target: dir, images })
  }
  return { warnings: [], rendered }
}

/** No renderer: an InputError with validate: true, else a warning. */
function withoutRenderer(mode: ValidateMode): RenderReport {
  const problem = 'neither kubectl nor kustomize is on PATH, so the edited overlays cannot be rendered to check them'
  if (mode === 'true')
    throw new InputError('validate', `is true, but ${problem}`, 'Install kubectl or kustomize on the runner before this step, or set validate: auto.')
  return {
    warnings: [
      `Not checked: ${problem} (an images entry was added only where the overlay's files use the image). Install kubectl or kustomize to check them, or set validate: false to silence this.`,
    ],
    rendered: [],
  }
}

/** The render check of one plan: the files it edited on top of the tip's files. */
export type PlanRenderCheck = (files: RepoFiles, edited: readonly FileChange[]) => Promise<RenderReport>

/**
 * The render check against RepoFiles, for every plan of one promotion: writes each overlay's closure
 * with the edited files in place into a scratch directory under `tempDir`, checks it, and removes it.
 * The verdict is kept by the closure's contents: a retry whose overlays read the same files (the
 * branch moved elsewhere) reuses it instead of rendering again. `searchPath`: where to look for
 * kubectl / kustomize (PATH).
 */
export function planRenderCheck(
  targets: readonly Target[],
  desired: DesiredImage,
  mode: ValidateMode,
  tempDir: string,
  searchPath = process.env.PATH ?? '',
): PlanRenderCheck {
  let last: { key: string; report: RenderReport } | undefined
  return async (files, edited) => {
    const overlays = targets.filter((t): t is OverlayTarget => kindOf(t).renders)
    if (mode === 'false' || overlays.length === 0) return { warnings: [], rendered: [] }
    const overrides = new Map(edited.map((f) => [f.path, f.after]))
    const after = new Map<string, string>()
    const before = new Map<string, string>()
    const compared = new Set<Target>()
    for (const target of overlays) {
      const file = await targetFile(files, target)
      await overlayClosure(files, posix.dirname(file), overrides, after)
      if (overrides.has(file) && (await mayEditNothing(files, file, target, desired))) {
        compared.add(target)
        await overlayClosure(files, posix.dirname(file), new Map(), before)
      }
    }
    refuseHostileYaml(after)
    if (!(await findRenderer(searchPath))) {
      if (mode === 'auto') await checkFromFiles(files, overlays, desired)
      return withoutRenderer(mode)
    }
    const key = `${closureHash(after)}:${closureHash(before)}`
    if (last?.key === key) return last.report
    const scratch = await mkdtemp(join(tempDir, 'render-check-'))
    try {
      await writeClosure(join(scratch, 'after'), after)
      await writeClosure(join(scratch, 'before'), before)
      const report = await checkRendered(join(scratch, 'after'), overlays, desired, mode, searchPath, { root: join(scratch, 'before'), targets: compared })
      last = { key, report }
      return report
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }
}

function closureHash(closure: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256')
  for (const [path, text] of [...closure].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`${path}\0${text.length}\0${text}`)
  return hash.digest('hex')
}

async function writeClosure(dir: string, closure: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (const [path, text] of closure) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
}

/**
 * Whether the target's own edit of its kustomization may change nothing that renders, so that the
 * overlay is rendered before the edit too: it changes the kustomization, and the entry it edits is
 * named after no image the overlay's files show. (An entry the files use changes what renders; the
 * render before is spared.)
 */
async function mayEditNothing(files: RepoFiles, file: string, target: OverlayTarget, desired: DesiredImage): Promise<boolean> {
  const text = await files.read(file)
  if (text === undefined) return false
  const kustomization = new YamlSource(file, text)
  if (kindOf(target).splices(kustomization, target, desired).length === 0) return false
  const name = resolveEntryName(kustomization, target.imageName, desired)
  const use = closureImageUse(await overlayClosure(files, posix.dirname(file), new Map()))
  return !use.images.some((image) => matchesEntryName(image, name))
}

/**
 * Without a renderer, from the files themselves: an images entry is added only when the overlay's
 * closure uses the image it names (by name, or as another entry's newName).
 */
async function checkFromFiles(files: RepoFiles, overlays: readonly OverlayTarget[], desired: DesiredImage): Promise<void> {
  for (const target of overlays) {
    const file = await targetFile(files, target)
    const text = await files.read(file)
    const kustomization = new YamlSource(file, text ?? '')
    const name = text === undefined ? undefined : addedEntryName(kustomization, target.imageName, desired)
    if (name === undefined) continue
    checkEntryUsed(kustomization, name, closureImageUse(await overlayClosure(files, posix.dirname(file), new Map())))
  }
}

/** Pure: throws when nothing the overlay's files show uses the image a new images entry named `name` would set. */
export function checkEntryUsed(kustomization: YamlSource, name: string, use: ImageUse): void {
  if (use.images.some((image) => matchesEntryName(image, name))) return
  const names = [...new Set(use.images.map((image) => splitReference(image).name))]
  const entries = imagesEntries(kustomization)
  const existing = entries.length ? ` (its images entries: ${quoteList(entries.map((e) => e.name ?? '?'))})` : ''
  const used = names.length ? `its files use ${quoteList(names)}${didYouMean(name, names)}` : 'its files use no image'
  const unseen = use.unseen.length ? `; it also renders ${use.unseen.join(', ')}, which only a renderer can read` : ''
  throw new TargetError(
    kustomization.file,
    undefined,
    `no image of the overlay is named '${name}', so an images entry with that name would change nothing: ${used}${unseen}`,
    `Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use${existing}${
      use.unseen.length ? ', or install kubectl or kustomize on the runner so the render check can read the whole overlay' : ''
    }. Nothing was committed.`,
  )
}

/** Pure: throws when an edit of the overlay's images entry leaves every rendered image as it was. */
export function checkChangesImages(
  kustomization: YamlSource,
  imageName: string | undefined,
  desired: DesiredImage,
  before: readonly string[],
  after: readonly string[],
): void {
  if (before.length !== after.length || before.some((image, i) => image !== after[i])) return
  const entryName = resolveEntryName(kustomization, imageName, desired)
  const entries = imagesEntries(kustomization)
  const names = [...new Set(after.map((image) => splitReference(image).name))]
  throw new TargetError(
    kustomization.file,
    entries.find((e) => e.name === entryName)?.line,
    `the edit of the images entry named '${entryName}' changes nothing the overlay renders: it renders ${quoteList([...new Set(after)])} before and after${didYouMean(entryName, names)}`,
    `Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use (its images entries: ${quoteList(
      entries.map((e) => e.name ?? '?'),
    )}). Nothing was committed.`,
  )
}

/** Pure: throws when no rendered container uses the desired image, naming what is there instead. */
export function checkUsesImage(kustomization: YamlSource, imageName: string | undefined, desired: DesiredImage, images: readonly string[]): void {
  if (images.some((image) => usesDesired(image, desired))) return
  const entryName = resolveEntryName(kustomization, imageName, desired)
  const entries = imagesEntries(kustomization)
  const entry = entries.find((e) => e.name === entryName)
  const existing = entries.length ? ` (its images entries: ${quoteList(entries.map((e) => e.name ?? '?'))})` : ''
  const fix = `Set kustomize-image-name (or name= on the kustomize target) to the image name the base's containers use${existing}.`
  if (images.length === 0) {
    throw new TargetError(
      kustomization.file,
      entry?.line,
      `the rendered overlay has no containers (nor any other field kustomize's image transformer reads), so nothing would run ${desired.name}`,
      'Point the target at the overlay that renders the workload.',
    )
  }
  const names = images.map((image) => splitReference(image).name)
  const matched = images.filter((image) => sameRepository(splitReference(image).name, entryName))
  if (matched.length > 0) {
    // The entry names a container, yet something else (a patch, a component) set another image.
    throw new TargetError(
      kustomization.file,
      entry?.line,
      `the rendered overlay still runs ${quoteList(matched)}, not the promoted ${formatReference(desired)}`,
      'Look for a patch, component or second images entry that overrides the image, and remove it.',
    )
  }
  throw new TargetError(
    kustomization.file,
    entry?.line,
    `no container matches the images entry named '${entryName}': the rendered overlay uses ${quoteList(images)}${didYouMean(entryName, names)}`,
    fix,
  )
}

function usesDesired(image: string, desired: DesiredImage): boolean {
  const ref = splitReference(image)
  return (
    sameRepository(ref.name, desired.name) &&
    (desired.tag === undefined || ref.tag === desired.tag) &&
    (desired.digest === undefined || ref.digest === desired.digest)
  )
}

/** The first lines of a renderer's error, without the scratch directory's paths. */
function cleanRenderError(stderr: string, root: string): string {
  const text = stderr
    .split(`${root}/`)
    .join('')
    .split(root)
    .join('.')
    // kubectl's klog prefix: `E1122 14:31:08.403657 6228 run.go:72] "command failed" err=`.
    .replace(/^[EWI]\d{4} [\d:.]+\s+\d+ \S+\] (?:"command failed" err=)?/gm, '')
    .trim()
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .join(' ')
  return lines.length > 600 ? `${lines.slice(0, 600)}…` : lines || 'no message'
}

/** The first renderer found on `path`. */
export async function findRenderer(path: string): Promise<Renderer | undefined> {
  for (const renderer of RENDERERS) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const ok = await access(join(dir, renderer.command), constants.X_OK).then(
        () => true,
        () => false,
      )
      if (ok) return { ...renderer, file: join(dir, renderer.command) }
    }
  }
  return undefined
}

/**
 * The files the renderer will read are held to the limits of the files the action edits, before it
 * runs: an alias bomb of a few hundred bytes in a base would otherwise take kubectl to its memory
 * ceiling (and, without one, the runner past its memory).
 */
function refuseHostileYaml(closure: ReadonlyMap<string, string>): void {
  for (const [path, text] of closure) {
    const hazard = yamlHazard(text)
    if (hazard) {
      throw new TargetError(
        path,
        lineAt(text, hazard.offset),
        `${hazard.problem}, and the overlay being promoted renders it`,
        'Remove the mass aliasing (or the nesting) from the file: the render check will not hand it to kubectl. Nothing was committed.',
      )
    }
  }
}

/**
 * Runs the renderer on one directory, bounded (bounded-process.ts); never throws. A failed render is
 * a problem to report on the overlay's kustomization, with its fix.
 */
async function render(renderer: Renderer, dir: string, root: string): Promise<{ stdout: string } | { problem: string; fix: string }> {
  const outcome = await runBounded(renderer.file ?? renderer.command, renderer.args(dir), RENDER_LIMITS)
  if (outcome.kind === 'exited' && outcome.code === 0) return { stdout: outcome.stdout }
  if (outcome.kind === 'exited' || outcome.kind === 'not-started') {
    return {
      problem: `the overlay does not render after the edit (${renderer.command} said: ${cleanRenderError(outcome.kind === 'exited' ? outcome.stderr : outcome.message, root)})`,
      fix: 'Fix the overlay so that it renders (try `kubectl kustomize` on it); nothing was committed. If it needs renderer options the check does not pass (such as --enable-helm), set validate: false.',
    }
  }
  const stopped = {
    'timed-out': `did not finish rendering the overlay within ${RENDER_LIMITS.timeoutMs / 1000} s`,
    'out-of-memory': `went over the render check's memory ceiling of ${RENDER_LIMITS.maxMemoryBytes / 1024 ** 3} GiB rendering the overlay`,
    'too-much-output': `rendered more than ${RENDER_LIMITS.maxOutputBytes / 1024 ** 2} MiB from the overlay`,
  }[outcome.kind]
  return {
    problem: `${renderer.command} ${stopped}, and was stopped`,
    fix: 'Look for what makes the overlay this costly to render (mass YAML aliases, a generator of huge output); nothing was committed. If it is meant to be this large, set validate: false.',
  }
}
