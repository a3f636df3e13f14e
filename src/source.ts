/** Where the promotion comes from: the app repository's commit and workflow run. */
import { getExecOutput } from '@actions/exec'
import { readFile } from 'node:fs/promises'

export interface SourceContext {
  /** `owner/name` of the app repository; '' outside Actions. */
  readonly repository: string
  readonly sha: string
  readonly serverUrl: string
  readonly runId: string
  readonly runNumber: number
  readonly runAttempt: number
  readonly actor: string
  /** Workflow file of the run (`owner/repo/.github/workflows/x.yml`), without its ref. */
  readonly workflow: string
  /** Link to the workflow run; '' when unknown. */
  readonly runUrl: string
  /** Link to the source commit; '' when unknown. */
  readonly commitUrl: string
}

/** The GitHub host of the run (GitHub Enterprise Server included), without a trailing slash. */
export function serverUrlOf(env: NodeJS.ProcessEnv): string {
  return (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
}

export function readSourceContext(env: NodeJS.ProcessEnv): SourceContext {
  const serverUrl = serverUrlOf(env)
  const repository = env.GITHUB_REPOSITORY ?? ''
  const sha = env.GITHUB_SHA ?? ''
  const runId = env.GITHUB_RUN_ID ?? ''
  return {
    repository,
    sha,
    serverUrl,
    runId,
    runNumber: Number.parseInt(env.GITHUB_RUN_NUMBER ?? '0', 10) || 0,
    runAttempt: Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? '1', 10) || 1,
    actor: env.GITHUB_ACTOR ?? '',
    workflow: (env.GITHUB_WORKFLOW_REF ?? '').replace(/@.*$/, ''),
    runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : '',
    commitUrl: repository && sha ? `${serverUrl}/${repository}/commit/${sha}` : '',
  }
}

/**
 * Committer time of the source commit, which the image built from it carries as a label so that
 * images are ordered by their source: from the push event's payload, else from the checked-out
 * workspace; undefined when neither knows it.
 */
export async function readSourceCommitTime(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as { head_commit?: { id?: string; timestamp?: string } }
      if (event.head_commit?.id === env.GITHUB_SHA && event.head_commit?.timestamp) return event.head_commit.timestamp
    } catch {
      // No readable payload: fall through to the workspace.
    }
  }
  if (!env.GITHUB_WORKSPACE || !env.GITHUB_SHA) return undefined
  const out = await getExecOutput('git', ['-C', env.GITHUB_WORKSPACE, 'log', '-1', '--format=%cI', env.GITHUB_SHA], {
    silent: true,
    ignoreReturnCode: true,
  }).catch(() => undefined)
  return (out?.exitCode === 0 && out.stdout.trim()) || undefined
}
