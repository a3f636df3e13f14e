/**
 * The only reader of `core.getInput`: every input is parsed once, here, into one typed Settings
 * object, by the stages' own pure parsers.
 */
import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { parseArgoCdSettings, type ArgoCdSettings } from './argocd/settings.js'
import { parsePromotedImages, type ImageSettings } from './docker/settings.js'
import { parseEditSettings, type EditSettings } from './edit/settings.js'
import type { PinMode } from './image/desired.js'
import { choiceInput, type InputReader } from './inputs.js'
import { checkGitHubReach, parseGitHubPublishSettings, type GitHubPublishSettings } from './github/settings.js'
import { parsePublishSettings, type PublishSettings } from './publish/settings.js'
import { withoutCredentials } from './redact.js'
import { readSourceContext, type SourceContext } from './source.js'

export interface Settings {
  /** The images to promote, in the order given; the first is the one `image` names. */
  readonly images: readonly ImageSettings[]
  readonly pin: PinMode
  readonly edit: EditSettings
  readonly publish: PublishSettings
  /** How the promotion reaches the infra repository: push or pull request, by git or the API. */
  readonly delivery: GitHubPublishSettings
  readonly source: SourceContext
  /** Where the action may create (and must remove) temporary files. */
  readonly tempDir: string
  /** The wait for Argo CD after the promotion lands; undefined when not asked for. */
  readonly argocd: ArgoCdSettings | undefined
}

/** Every input, parsed and checked: a bad one fails here, before anything is built, pushed or fetched. */
export function parseSettings(inputs: InputReader, env: NodeJS.ProcessEnv): Settings {
  const publish = parsePublishSettings(inputs, env)
  const delivery = parseGitHubPublishSettings(inputs)
  const source = readSourceContext(env)
  checkGitHubReach(delivery, publish.infra, source.serverUrl)
  const edit = parseEditSettings(inputs)
  return {
    images: parsePromotedImages(inputs, env, edit.from !== undefined),
    pin: choiceInput(inputs, 'pin', ['tag', 'digest', 'tag-and-digest'] as const, 'tag'),
    edit,
    publish,
    delivery,
    source,
    tempDir: env.RUNNER_TEMP || tmpdir(),
    argocd: parseArgoCdSettings(inputs),
  }
}

/** The runner's inputs, with a debug line per value read (tokens are masked by the runner). */
export function runnerInputs(): InputReader {
  return {
    get(name) {
      const value = core.getInput(name)
      core.debug(`input ${name}=${/token|password|^secrets$/.test(name) && value ? '***' : withoutCredentials(JSON.stringify(value))}`)
      return value
    },
  }
}
