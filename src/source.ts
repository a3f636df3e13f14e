/** Where the promotion comes from: the app repository's commit and workflow run. Pure, from env. */

export interface SourceContext {
  /** `owner/name` of the app repository; '' outside Actions. */
  readonly repository: string
  readonly sha: string
  readonly serverUrl: string
  readonly runId: string
  readonly runNumber: number
  readonly runAttempt: number
  readonly actor: string
  /** Link to the workflow run; '' when unknown. */
  readonly runUrl: string
  /** Link to the source commit; '' when unknown. */
  readonly commitUrl: string
}

export function readSourceContext(env: NodeJS.ProcessEnv): SourceContext {
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
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
    runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : '',
    commitUrl: repository && sha ? `${serverUrl}/${repository}/commit/${sha}` : '',
  }
}
