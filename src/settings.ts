/**
 * The only reader of `core.getInput`: every input is parsed once, here, into one typed Settings
 * object, by the stages' own pure parsers.
 */
import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { parseImageSettings, type ImageSettings } from './build/settings.js'
import { parseEditSettings, type EditSettings } from './edit/settings.js'
import type { PinMode } from './edit/types.js'
import { choiceInput, type InputReader } from './inputs.js'
import { parseGitHubPublishSettings, type GitHubPublishSettings } from './github/settings.js'
import { parsePublishSettings, type PublishSettings } from './publish/settings.js'
import { readSourceContext, type SourceContext } from './source.js'

export interface Settings {
  readonly image: ImageSettings
  readonly pin: PinMode
  readonly edit: EditSettings
  readonly publish: PublishSettings
  /** How the promotion reaches the infra repository: push or pull request, by git or the API. */
  readonly delivery: GitHubPublishSettings
  readonly source: SourceContext
  /** Where the action may create (and must remove) temporary files. */
  readonly tempDir: string
}

export function parseSettings(inputs: InputReader, env: NodeJS.ProcessEnv): Settings {
  return {
    image: parseImageSettings(inputs, env),
    pin: choiceInput(inputs, 'pin', ['tag', 'digest', 'tag-and-digest'] as const, 'tag'),
    edit: parseEditSettings(inputs),
    publish: parsePublishSettings(inputs, env),
    delivery: parseGitHubPublishSettings(inputs),
    source: readSourceContext(env),
    tempDir: env.RUNNER_TEMP || tmpdir(),
  }
}

/** The runner's inputs, with a debug line per value read (tokens are masked by the runner). */
export function runnerInputs(): InputReader {
  return {
    get(name) {
      const value = core.getInput(name)
      core.debug(`input ${name}=${/token|password/.test(name) && value ? '***' : JSON.stringify(value)}`)
      return value
    },
  }
}
