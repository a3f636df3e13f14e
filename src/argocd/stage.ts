/**
 * The stage after publish: which commit Argo CD must deploy, if any, and the wait for it. Only a
 * promotion on infra-branch is waited for; a pull request deploys nothing until it is merged, and a
 * dry run pushed nothing.
 */
import * as core from '@actions/core'
import type { PublishMode } from '../github/settings.js'
import type { InfraRepo } from '../publish/settings.js'
import type { PublishResult } from '../publish/types.js'
import { infraHistory } from './history.js'
import type { ArgoCdSettings } from './settings.js'
import { awaitDeployment, type Deployment } from './wait.js'

export interface Landing {
  readonly mode: PublishMode
  readonly dryRun: boolean
  readonly result: PublishResult
}

/**
 * `commit`: wait for it. `tip`: the branch already referenced the image (a re-run, or another run
 * promoted it): wait for the branch's current head, which holds it. `skip`: why not to wait.
 */
export type WaitFor = { readonly commit: string } | { readonly tip: true } | { readonly skip: string }

export function waitFor(landing: Landing): WaitFor {
  if (landing.mode === 'pull-request') return { skip: 'in pull-request mode nothing is deployed until the pull request is merged' }
  if (landing.dryRun) return { skip: 'a dry run pushes nothing' }
  const { result } = landing
  if (result.commitSha) return { commit: result.commitSha }
  if (result.skippedReason === 'stale') return { skip: 'the targets already reference a newer image, which is what Argo CD deploys' }
  return { tip: true }
}

/** Waits for Argo CD as `waitFor` says; undefined when it says not to. */
export async function runArgoCdStage(
  settings: ArgoCdSettings,
  landing: Landing,
  infra: InfraRepo,
  branchHead: () => Promise<string | undefined>,
): Promise<Deployment | undefined> {
  const wanted = waitFor(landing)
  if ('skip' in wanted) {
    core.notice(`Not waiting for Argo CD: ${wanted.skip}.`)
    return undefined
  }
  const commit = 'commit' in wanted ? wanted.commit : await branchHead()
  if (commit === undefined) return undefined
  const { history, close } = infraHistory(infra, settings.network)
  try {
    return await awaitDeployment(settings, commit, history)
  } finally {
    close()
  }
}
