/** The edit stage's inputs: where the image lives in the infra repository, and the render check. Pure. */
import { InputError } from '../errors.js'
import { choiceInput, listInput, type InputReader } from '../inputs.js'
import { ENTRY_NAME_FIX, entryNameProblem } from './kustomize.js'
import { overlayTargets, parseTargets } from './targets.js'
import type { Target } from './types.js'

export type ValidateMode = 'auto' | 'true' | 'false'

export interface EditSettings {
  readonly targets: Target[]
  readonly validate: ValidateMode
  /** Where the promoted tags (and digests) are read, at the same tip as the edit; absent: they are given. */
  readonly from?: Target
}

export function parseEditSettings(inputs: InputReader): EditSettings {
  const imageName = inputs.get('kustomize-image-name') || undefined
  const problem = imageName === undefined ? undefined : entryNameProblem(imageName)
  if (problem) throw new InputError('kustomize-image-name', problem, ENTRY_NAME_FIX)
  // kustomize-image-name is the default entry name for every kustomize target that names none.
  const targets = [...overlayTargets(listInput(inputs, 'overlay-path'), imageName), ...parseTargets(inputs.get('targets'), 'targets')].map((target) =>
    target.kind === 'kustomize' && target.imageName === undefined && imageName !== undefined ? { ...target, imageName } : target,
  )
  if (targets.length === 0) {
    throw new InputError(
      'overlay-path',
      "is empty, and so is 'targets': there is nowhere to promote the image",
      'Set overlay-path to a Kustomize overlay directory (e.g. deploy/app/overlays/prod), or list targets (see the README).',
    )
  }
  const from = parseTargets(inputs.get('from'), 'from')
  if (from.length > 1) throw new InputError('from', `names ${from.length} targets`, 'Give one target line, e.g. kustomize deploy/app/overlays/dev.')
  return { targets, validate: choiceInput(inputs, 'validate', ['auto', 'true', 'false'] as const, 'auto'), ...(from[0] ? { from: from[0] } : {}) }
}
