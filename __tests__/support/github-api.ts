/**
 * A local stand-in for the GitHub REST endpoints the action uses (Git Data API, pulls, labels,
 * reviewers, the repository) plus the GraphQL mutations it sends (enablePullRequestAutoMerge, and
 * updateRefs for a leased update or delete of the pull-request branch),
 * backed by the real bare repositories of a `startGitServer()` — so `git push` and the API see the
 * same refs. Every request and response is checked against GitHub's published OpenAPI description
 * (`@octokit/openapi`, api.github.com): method and path, path and query parameters, the JSON body,
 * the status and the response body. Each mismatch is recorded in `violations` (tests assert it stays
 * empty) and an invalid request is refused with 422, as GitHub would.
 *
 * A ref update without force is a true compare-and-swap (`git update-ref <new> <old>`), refused
 * with 422 "Update is not a fast forward" when the branch moved. Responses are GitHub's own examples
 * from the description, with the fields that matter set from the repository's state.
 *
 *   const api = await startGitHubApi(gitServer)   // api.url → GITHUB_API_URL
 *   api.deny('POST', '/repos/{owner}/{repo}/pulls')  // next such calls get 403
 *   api.lackMutation('updateRefs', 2)                // as a server whose schema has no updateRefs
 *   api.pullRequests('acme/infra'); api.violations; api.requests
 *
 * No jest globals here.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { GitServer } from './git-server.js'

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form OpenAPI documents and bodies

export interface ApiRequestRecord {
  readonly method: string
  /** The operation's path template, e.g. `/repos/{owner}/{repo}/git/refs/{ref}`. */
  readonly route: string
  readonly path: string
  readonly status: number
  readonly body?: Json
}

export interface StandInPullRequest {
  readonly number: number
  readonly nodeId: string
  state: 'open' | 'closed'
  title: string
  body: string
  readonly head: string
  readonly base: string
  readonly draft: boolean
  labels: string[]
  reviewers: string[]
  teams: string[]
  assignees: string[]
  autoMerge?: string
}

export interface GitHubApiStandIn {
  readonly url: string
  /** Every request or response that did not match the OpenAPI description; must stay empty. */
  readonly violations: string[]
  readonly requests: ApiRequestRecord[]
  /** Answers the next `times` calls of this operation with 403 "Resource not accessible by integration". */
  deny(method: string, route: string, times?: number): void
  /** Answers the next `times` requests of this GraphQL mutation as a server whose schema lacks it does (an older GitHub Enterprise Server). */
  lackMutation(name: string, times?: number): void
  pullRequests(slug: string): StandInPullRequest[]
  close(): Promise<void>
}

const require = createRequire(import.meta.url)
const DOCS = 'https://docs.github.com/rest'
const ZERO = '0'.repeat(40)

/** A repository's GraphQL id in the stand-in: its slug, readable back. */
const repositoryNodeId = (slug: string) => `R_${Buffer.from(slug).toString('base64url')}`

/** The OpenAPI description, compiled lazily per schema; shared by every stand-in of a test file. */
class Description {
  private readonly spec: Json
  private readonly ajv: Ajv
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(spec: Json) {
    this.spec = spec
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, formats: { timestamp: true } })
    ;(addFormatsModule as unknown as (ajv: Ajv) => void)(this.ajv)
    this.ajv.addSchema({ $id: 'gh', components: typedNullables(spec.components) })
  }

  operation(method: string, route: string): Json {
    return this.spec.paths[route]?.[method.toLowerCase()]
  }

  /** Follows a `#/components/...` reference. */
  resolve(node: Json): Json {
    if (!node?.$ref) return node
    return (node.$ref as string)
      .slice(2)
      .split('/')
      .reduce((at: Json, key: string) => at[key], this.spec)
  }

  example(name: string): Json {
    return structuredClone(this.spec.components.examples[name].value)
  }

  /** Problems of `value` against `schema` (a node of the description); empty when it conforms. */
  check(key: string, schema: Json, value: unknown): string[] {
    let validate = this.compiled.get(key)
    if (!validate) {
      validate = this.ajv.compile(rebase(schema))
      this.compiled.set(key, validate)
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
  }
}

/**
 * OpenAPI 3.0's `nullable` without a `type` (an `allOf` or a `$ref` that may be null, as in the
 * issue schema) is not JSON Schema: ajv refuses it. It means "this, or null".
 */
function typedNullables(node: Json): Json {
  if (Array.isArray(node)) return node.map(typedNullables)
  if (node === null || typeof node !== 'object') return node
  const mapped = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, typedNullables(v)]))
  if (mapped.nullable !== true || 'type' in mapped) return mapped
  const { nullable: _nullable, ...rest } = mapped
  return { anyOf: [rest, { type: 'null' }] }
}

/** Points `#/…` references of a schema taken out of the description back into it. */
function rebase(node: Json): Json {
  if (Array.isArray(node)) return node.map(rebase)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `gh${v}` : rebase(v)]))
}

let description: Promise<Description> | undefined
function loadDescription(): Promise<Description> {
  description ??= readFile(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8').then((text) => new Description(JSON.parse(text)))
  return description
}

class HttpError extends Error {
  readonly status: number
  readonly body: Json
  constructor(status: number, message: string, extra: Json = {}) {
    super(message)
    this.status = status
    this.body = { message, documentation_url: DOCS, status: String(status), ...extra }
  }
}

interface Call {
  readonly params: Record<string, string>
  readonly query: URLSearchParams
  readonly body: Json
  readonly slug: string
}

type Handler = (call: Call) => Promise<{ status: number; body: Json }>

function git(dir: string, args: readonly string[], options: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', dir, ...args],
      { env: { ...process.env, ...options.env }, encoding: 'buffer', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`git ${args.join(' ')}: ${stderr.toString() || error.message}`)) : resolve(stdout)),
    )
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(options.input ?? '')
  })
}
const gitText = async (dir: string, args: readonly string[], options?: Parameters<typeof git>[2]) => (await git(dir, args, options)).toString('utf8').trim()

export async function startGitHubApi(server: GitServer, options: { serverUrl?: string } = {}): Promise<GitHubApiStandIn> {
  const spec = await loadDescription()
  const violations: string[] = []
  const requests: ApiRequestRecord[] = []
  const denied = new Map<string, number>()
  const lacking = new Map<string, number>()
  const pulls = new Map<string, StandInPullRequest[]>()
  const serverUrl = options.serverUrl ?? server.url
  let url = ''
  let nextNumber = 1

  const dirOf = (slug: string) => join(server.root, `${slug}.git`)
  const revParse = (slug: string, ref: string) => gitText(dirOf(slug), ['rev-parse', '--verify', '--quiet', ref]).catch(() => undefined)
  const notFound = () => new HttpError(404, 'Not Found')
  const apiUrl = (slug: string, rest: string) => `${url}/repos/${slug}/${rest}`

  const refBody = (slug: string, ref: string, sha: string) => ({
    ref,
    node_id: `REF_${Buffer.from(ref).toString('base64url')}`,
    url: apiUrl(slug, `git/${ref}`),
    object: { type: 'commit', sha, url: apiUrl(slug, `git/commits/${sha}`) },
  })

  const commitBody = async (slug: string, sha: string, verified: boolean) => {
    const raw = (
      await git(dirOf(slug), ['cat-file', 'commit', sha]).catch(() => {
        throw notFound()
      })
    ).toString('utf8')
    const [header, ...message] = raw.split('\n\n')
    const field = (name: string) =>
      header
        .split('\n')
        .filter((l) => l.startsWith(`${name} `))
        .map((l) => l.slice(name.length + 1))
    const person = (line: string) => {
      const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(line)!
      return { name: m[1], email: m[2], date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }
    }
    const tree = field('tree')[0]
    return {
      ...spec.example('git-commit'),
      sha,
      node_id: `C_${sha}`,
      url: apiUrl(slug, `git/commits/${sha}`),
      html_url: `${serverUrl}/${slug}/commit/${sha}`,
      author: person(field('author')[0]),
      committer: person(field('committer')[0]),
      message: message.join('\n\n').replace(/\n$/, ''),
      tree: { sha: tree, url: apiUrl(slug, `git/trees/${tree}`) },
      parents: field('parent').map((p) => ({ sha: p, url: apiUrl(slug, `git/commits/${p}`), html_url: `${serverUrl}/${slug}/commit/${p}` })),
      verification: { verified, reason: verified ? 'valid' : 'unsigned', signature: null, payload: null, verified_at: null },
    }
  }

  const treeBody = async (slug: string, sha: string) => {
    const tree = await gitText(dirOf(slug), ['rev-parse', '--verify', '--quiet', `${sha}^{tree}`]).catch(() => {
      throw notFound()
    })
    const listing = await gitText(dirOf(slug), ['ls-tree', '-l', '-z', tree])
    const entries = listing
      .split('\0')
      .filter(Boolean)
      .map((record) => {
        const [meta, path] = record.split('\t') as [string, string]
        const [mode, type, oid, size] = meta.split(/\s+/) as [string, string, string, string]
        return { path, mode, type, sha: oid, ...(type === 'blob' ? { size: Number(size) } : {}), url: apiUrl(slug, `git/${type}s/${oid}`) }
      })
    return { sha: tree, url: apiUrl(slug, `git/trees/${tree}`), tree: entries, truncated: false }
  }

  const user = (login: string) => ({ ...spec.example('simple-user'), login, html_url: `${serverUrl}/${login}` })
  const team = (slug: string) => ({ ...spec.example('team-items')[0], slug, name: slug, parent: null, type: 'organization' })

  const pullBody = async (slug: string, pr: StandInPullRequest, form: 'pull-request' | 'pull-request-simple') => {
    const example = form === 'pull-request' ? spec.example('pull-request') : spec.example('pull-request-simple-items')[0]
    const [owner] = slug.split('/')
    const end = async (side: Json, ref: string) => ({ ...side, ref, label: `${owner}:${ref}`, sha: (await revParse(slug, `refs/heads/${ref}`)) ?? ZERO })
    return {
      ...example,
      id: pr.number,
      node_id: pr.nodeId,
      number: pr.number,
      state: pr.state,
      title: pr.title,
      body: pr.body,
      draft: pr.draft,
      url: apiUrl(slug, `pulls/${pr.number}`),
      html_url: `${serverUrl}/${slug}/pull/${pr.number}`,
      head: await end(example.head, pr.head),
      base: await end(example.base, pr.base),
      labels: pr.labels.map((name, i) => ({ ...spec.example('label'), id: i + 1, name })),
      requested_reviewers: pr.reviewers.map(user),
      requested_teams: pr.teams.map(team),
      assignee: pr.assignees.length > 0 ? user(pr.assignees[0]) : null,
      assignees: pr.assignees.map(user),
      auto_merge: pr.autoMerge ? { enabled_by: user('promoter'), merge_method: pr.autoMerge, commit_title: pr.title, commit_message: '' } : null,
    }
  }

  const pullOf = (call: Call) => {
    const pr = (pulls.get(call.slug) ?? []).find((p) => p.number === Number(call.params.pull_number ?? call.params.issue_number))
    if (!pr) throw notFound()
    return pr
  }

  /** Moves a ref by compare-and-swap; `expected` undefined means "must not exist yet". */
  const casRef = (slug: string, ref: string, sha: string, expected: string | undefined) =>
    git(dirOf(slug), ['update-ref', ref, sha, expected ?? ZERO]).then(
      () => true,
      () => false,
    )

  const routes: [string, string, Handler][] = [
    [
      'GET',
      '/repos/{owner}/{repo}',
      async ({ slug }) => {
        const head = await gitText(dirOf(slug), ['symbolic-ref', '--short', 'HEAD']).catch(() => {
          throw notFound()
        })
        const [owner, name] = slug.split('/') as [string, string]
        const example = spec.example('full-repository')
        return {
          status: 200,
          body: {
            ...example,
            has_discussions: false,
            name,
            full_name: slug,
            node_id: repositoryNodeId(slug),
            default_branch: head,
            owner: { ...example.owner, login: owner },
            html_url: `${serverUrl}/${slug}`,
            url: `${url}/repos/${slug}`,
          },
        }
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/git/ref/{ref}',
      async ({ slug, params }) => {
        const sha = await revParse(slug, `refs/${params.ref}`)
        if (!sha) throw notFound()
        return { status: 200, body: refBody(slug, `refs/${params.ref}`, sha) }
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/git/commits/{commit_sha}',
      async ({ slug, params }) => ({ status: 200, body: await commitBody(slug, params.commit_sha, false) }),
    ],
    ['GET', '/repos/{owner}/{repo}/git/trees/{tree_sha}', async ({ slug, params }) => ({ status: 200, body: await treeBody(slug, params.tree_sha) })],
    [
      'GET',
      '/repos/{owner}/{repo}/git/blobs/{file_sha}',
      async ({ slug, params }) => {
        const content = await git(dirOf(slug), ['cat-file', 'blob', params.file_sha]).catch(() => {
          throw notFound()
        })
        const sha = params.file_sha
        return {
          status: 200,
          body: {
            content: content.toString('base64'),
            encoding: 'base64',
            url: apiUrl(slug, `git/blobs/${sha}`),
            sha,
            size: content.length,
            node_id: `B_${sha}`,
          },
        }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/git/blobs',
      async ({ slug, body }) => {
        const sha = await gitText(dirOf(slug), ['hash-object', '-w', '--stdin'], {
          input: Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8'),
        })
        return { status: 201, body: { url: apiUrl(slug, `git/blobs/${sha}`), sha } }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/git/trees',
      async ({ slug, body }) => {
        const scratch = await mkdtemp(join(tmpdir(), 'api-index-'))
        const env = { GIT_INDEX_FILE: join(scratch, 'index') }
        try {
          if (body.base_tree) await git(dirOf(slug), ['read-tree', body.base_tree], { env })
          for (const entry of body.tree as Json[]) {
            if (entry.sha === null) await git(dirOf(slug), ['update-index', '--force-remove', entry.path], { env })
            else await git(dirOf(slug), ['update-index', '--add', '--cacheinfo', `${entry.mode},${entry.sha},${entry.path}`], { env })
          }
          return { status: 201, body: await treeBody(slug, await gitText(dirOf(slug), ['write-tree'], { env })) }
        } catch (error) {
          throw new HttpError(422, `Invalid tree info: ${(error as Error).message.split('\n')[0]}`)
        } finally {
          await rm(scratch, { recursive: true, force: true })
        }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/git/commits',
      async ({ slug, body }) => {
        // As GitHub does: no committer given, GitHub commits and signs (Verified).
        const signed = body.committer === undefined
        const author = body.author ?? { name: 'promoter', email: 'promoter@users.noreply.github.com' }
        const committer = body.committer ?? { name: 'GitHub', email: 'noreply@github.com' }
        const env = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: committer.name, GIT_COMMITTER_EMAIL: committer.email }
        const parents = (body.parents as string[]).flatMap((p) => ['-p', p])
        const sha = await gitText(dirOf(slug), ['commit-tree', body.tree, ...parents, '-F', '-'], { input: body.message, env }).catch((error: Error) => {
          throw new HttpError(422, `Invalid commit: ${error.message.split('\n')[0]}`)
        })
        return { status: 201, body: await commitBody(slug, sha, signed) }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/git/refs',
      async ({ slug, body }) => {
        if (!(await casRef(slug, body.ref, body.sha, undefined))) throw new HttpError(422, 'Reference already exists')
        return { status: 201, body: refBody(slug, body.ref, body.sha) }
      },
    ],
    [
      'PATCH',
      '/repos/{owner}/{repo}/git/refs/{ref}',
      async ({ slug, params, body }) => {
        const ref = `refs/${params.ref}`
        const current = await revParse(slug, ref)
        if (!current) throw new HttpError(422, 'Reference does not exist')
        if (!body.force) {
          const fastForward = await git(dirOf(slug), ['merge-base', '--is-ancestor', current, body.sha]).then(
            () => true,
            () => false,
          )
          if (!fastForward || !(await casRef(slug, ref, body.sha, current))) throw new HttpError(422, 'Update is not a fast forward')
        } else {
          await git(dirOf(slug), ['update-ref', ref, body.sha])
        }
        return { status: 200, body: refBody(slug, ref, body.sha) }
      },
    ],
    [
      'DELETE',
      '/repos/{owner}/{repo}/git/refs/{ref}',
      async ({ slug, params }) => {
        const ref = `refs/${params.ref}`
        if (!(await revParse(slug, ref))) throw new HttpError(422, 'Reference does not exist')
        await git(dirOf(slug), ['update-ref', '-d', ref])
        return { status: 204, body: undefined }
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/pulls',
      async ({ slug, query }) => {
        const state = query.get('state') ?? 'open'
        const found = (pulls.get(slug) ?? []).filter(
          (p) =>
            (state === 'all' || p.state === state) &&
            (!query.get('head') || `${slug.split('/')[0]}:${p.head}` === query.get('head')) &&
            (!query.get('base') || p.base === query.get('base')),
        )
        return { status: 200, body: await Promise.all(found.map((p) => pullBody(slug, p, 'pull-request-simple'))) }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/pulls',
      async ({ slug, body }) => {
        const list = pulls.get(slug) ?? []
        if (!(await revParse(slug, `refs/heads/${body.head}`)) || !(await revParse(slug, `refs/heads/${body.base}`))) {
          throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] })
        }
        if (list.some((p) => p.state === 'open' && p.head === body.head && p.base === body.base)) {
          throw new HttpError(422, 'Validation Failed', {
            errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${slug.split('/')[0]}:${body.head}.` }],
          })
        }
        const number = nextNumber++
        const pr: StandInPullRequest = {
          number,
          nodeId: `PR_${Buffer.from(`${slug}#${number}`).toString('base64url')}`,
          state: 'open',
          title: body.title,
          body: body.body ?? '',
          head: body.head,
          base: body.base,
          draft: body.draft ?? false,
          labels: [],
          reviewers: [],
          teams: [],
          assignees: [],
        }
        pulls.set(slug, [...list, pr])
        return { status: 201, body: await pullBody(slug, pr, 'pull-request') }
      },
    ],
    [
      'PATCH',
      '/repos/{owner}/{repo}/pulls/{pull_number}',
      async (call) => {
        const pr = pullOf(call)
        if (call.body.title !== undefined) pr.title = call.body.title
        if (call.body.body !== undefined) pr.body = call.body.body
        if (call.body.state !== undefined) pr.state = call.body.state
        return { status: 200, body: await pullBody(call.slug, pr, 'pull-request') }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      async (call) => {
        const pr = pullOf(call)
        const names = (call.body.labels as (string | { name: string })[]).map((l) => (typeof l === 'string' ? l : l.name))
        pr.labels = [...new Set([...pr.labels, ...names])]
        return { status: 200, body: pr.labels.map((name, i) => ({ ...spec.example('label'), id: i + 1, name })) }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/assignees',
      async (call) => {
        const pr = pullOf(call)
        const names = (call.body.assignees as (string | { login: string })[]).map((a) => (typeof a === 'string' ? a : a.login))
        pr.assignees = [...new Set([...pr.assignees, ...names])]
        const issue = spec.example('issue')
        return {
          status: 201,
          body: { ...issue, number: pr.number, title: pr.title, state: pr.state, assignee: user(pr.assignees[0]), assignees: pr.assignees.map(user) },
        }
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      async (call) => {
        const pr = pullOf(call)
        pr.reviewers = [...new Set([...pr.reviewers, ...(call.body.reviewers ?? [])])]
        pr.teams = [...new Set([...pr.teams, ...(call.body.team_reviewers ?? [])])]
        return { status: 201, body: await pullBody(call.slug, pr, 'pull-request-simple') }
      },
    ],
  ]

  /** The GraphQL mutations the action sends, each checked by shape: the document, its variable types and values. */
  const graphql = async (body: Json): Promise<Json> => {
    const query = String(body?.query ?? '')
    const variables = body?.variables ?? {}
    const lacked = [...lacking.keys()].find((name) => lacking.get(name)! > 0 && new RegExp(`\\b${name}\\(`).test(query))
    if (lacked) lacking.set(lacked, lacking.get(lacked)! - 1)
    if (lacked)
      return {
        errors: [
          {
            path: ['mutation', lacked],
            extensions: { code: 'undefinedField', typeName: 'Mutation', fieldName: lacked },
            message: `Field '${lacked}' doesn't exist on type 'Mutation'`,
          },
        ],
      }
    if (/\bupdateRefs\b/.test(query)) return updateRefs(query, variables)
    const shape =
      /^\s*mutation\b[^(]*\(\s*\$pullRequestId:\s*ID!\s*,\s*\$mergeMethod:\s*PullRequestMergeMethod!\s*\)\s*\{\s*enablePullRequestAutoMerge\(\s*input:\s*\{\s*pullRequestId:\s*\$pullRequestId\s*,\s*mergeMethod:\s*\$mergeMethod\s*\}\s*\)\s*\{\s*pullRequest\s*\{\s*autoMergeRequest\s*\{\s*mergeMethod\s*\}\s*\}\s*\}\s*\}\s*$/
    if (!shape.test(query)) violations.push(`POST /graphql: not the enablePullRequestAutoMerge mutation the stand-in knows: ${query}`)
    if (!['MERGE', 'SQUASH', 'REBASE'].includes(variables.mergeMethod))
      violations.push(`POST /graphql: mergeMethod ${JSON.stringify(variables.mergeMethod)} is not a PullRequestMergeMethod`)
    const pr = [...pulls.values()].flat().find((p) => p.nodeId === variables.pullRequestId)
    if (!pr)
      return {
        data: { enablePullRequestAutoMerge: null },
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['enablePullRequestAutoMerge'],
            message: `Could not resolve to a node with the global id of '${variables.pullRequestId}'`,
          },
        ],
      }
    pr.autoMerge = String(variables.mergeMethod).toLowerCase()
    return { data: { enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: variables.mergeMethod } } } } }
  }

  /**
   * `updateRefs`: every update applied only while its ref is at `beforeOid`, all or none, as GitHub
   * documents it; a non-forced one only as a fast-forward. A refusal is a GraphQL error.
   */
  const updateRefs = async (query: string, variables: Json): Promise<Json> => {
    const shape =
      /^\s*mutation\b[^(]*\(\s*\$repositoryId:\s*ID!\s*,\s*\$refUpdates:\s*\[RefUpdate!\]!\s*\)\s*\{\s*updateRefs\(\s*input:\s*\{\s*repositoryId:\s*\$repositoryId\s*,\s*refUpdates:\s*\$refUpdates\s*\}\s*\)\s*\{\s*clientMutationId\s*\}\s*\}\s*$/
    if (!shape.test(query)) violations.push(`POST /graphql: not the updateRefs mutation the stand-in knows: ${query}`)
    const updates: Json[] = Array.isArray(variables.refUpdates) ? variables.refUpdates : []
    if (updates.length === 0) violations.push('POST /graphql: updateRefs without refUpdates')
    for (const u of updates) {
      const known = ['name', 'afterOid', 'beforeOid', 'force']
      if (typeof u?.name !== 'string' || !u.name.startsWith('refs/'))
        violations.push(`POST /graphql: RefUpdate.name ${JSON.stringify(u?.name)} is not a GitRefname`)
      if (!/^[0-9a-f]{40}$/.test(u?.afterOid)) violations.push(`POST /graphql: RefUpdate.afterOid ${JSON.stringify(u?.afterOid)} is not a GitObjectID`)
      if (u?.beforeOid !== undefined && !/^[0-9a-f]{40}$/.test(u.beforeOid))
        violations.push(`POST /graphql: RefUpdate.beforeOid ${JSON.stringify(u.beforeOid)} is not a GitObjectID`)
      if (u?.force !== undefined && typeof u.force !== 'boolean') violations.push('POST /graphql: RefUpdate.force is not a Boolean')
      for (const key of Object.keys(u ?? {})) if (!known.includes(key)) violations.push(`POST /graphql: RefUpdate has no field ${key}`)
    }
    const id = String(variables.repositoryId ?? '')
    const named = id.startsWith('R_') ? Buffer.from(id.slice(2), 'base64url').toString('utf8') : ''
    const slug = /^[\w.-]+\/[\w.-]+$/.test(named) && existsSync(dirOf(named)) ? named : undefined
    const refused = (message: string) => ({ data: { updateRefs: null }, errors: [{ type: 'UNPROCESSABLE', path: ['updateRefs'], message }] })
    if (!slug)
      return {
        data: { updateRefs: null },
        errors: [{ type: 'NOT_FOUND', path: ['updateRefs'], message: `Could not resolve to a node with the global id of '${variables.repositoryId}'` }],
      }
    for (const u of updates) {
      const current = (await revParse(slug, u.name)) ?? ZERO
      if (u.beforeOid !== undefined && current !== u.beforeOid) return refused(`${u.name} is at ${current}, not ${u.beforeOid}`)
      if (!u.force && current !== ZERO && u.afterOid !== ZERO) {
        const fastForward = await git(dirOf(slug), ['merge-base', '--is-ancestor', current, u.afterOid]).then(
          () => true,
          () => false,
        )
        if (!fastForward) return refused(`${u.name}: not a fast forward`)
      }
    }
    const commands = updates.map((u) => (u.afterOid === ZERO ? `delete ${u.name} ${u.beforeOid ?? ''}` : `update ${u.name} ${u.afterOid} ${u.beforeOid ?? ''}`))
    const applied = await git(dirOf(slug), ['update-ref', '--stdin'], { input: `start\n${commands.join('\n')}\nprepare\ncommit\n` }).then(
      () => true,
      () => false,
    )
    return applied ? { data: { updateRefs: { clientMutationId: null } } } : refused('a ref moved during the update')
  }

  const match = (method: string, path: string): { route: string; handler: Handler; params: Record<string, string> } | undefined => {
    const parts = path.split('/').slice(1)
    for (const [m, route, handler] of routes) {
      const template = route.split('/').slice(1)
      const last = template.length - 1
      // A ref is the rest of the path, slashes included (octokit sends them encoded, others may not).
      const greedy = template[last] === '{ref}'
      if (m !== method || (greedy ? parts.length < template.length : parts.length !== template.length)) continue
      const params: Record<string, string> = {}
      const ok = template.every((segment, i) => {
        const name = /^\{(.+)\}$/.exec(segment)?.[1]
        const value = greedy && i === last ? parts.slice(i).join('/') : parts[i]
        if (name) params[name] = decodeURIComponent(value)
        return name !== undefined || value === segment
      })
      if (ok) return { route, handler, params }
    }
    return undefined
  }

  /** Problems of a request against the operation's parameters and request body. */
  const checkRequest = (method: string, route: string, params: Record<string, string>, query: URLSearchParams, body: Json): string[] => {
    const operation = spec.operation(method, route)
    if (!operation) return [`${method} ${route} is not in the description`]
    const problems: string[] = []
    const declared = (operation.parameters ?? []).map((p: Json) => spec.resolve(p))
    for (const parameter of declared) {
      const raw = parameter.in === 'path' ? params[parameter.name] : parameter.in === 'query' ? query.get(parameter.name) : undefined
      if (parameter.in !== 'path' && parameter.in !== 'query') continue
      if (raw === undefined || raw === null) {
        if (parameter.required) problems.push(`missing ${parameter.in} parameter ${parameter.name}`)
        continue
      }
      const value = ['integer', 'number'].includes(parameter.schema?.type)
        ? Number(raw)
        : parameter.schema?.type === 'boolean'
          ? raw === 'true'
            ? true
            : raw === 'false'
              ? false
              : raw
          : raw
      problems.push(
        ...spec.check(`${method} ${route} ${parameter.name}`, parameter.schema ?? {}, value).map((p) => `${parameter.in} parameter ${parameter.name}: ${p}`),
      )
    }
    for (const name of query.keys()) {
      if (!declared.some((p: Json) => p.in === 'query' && p.name === name)) problems.push(`unknown query parameter ${name}`)
    }
    const requestBody = spec.resolve(operation.requestBody)
    const schema = requestBody?.content?.['application/json']?.schema
    if (body === undefined) {
      if (requestBody?.required) problems.push('missing request body')
    } else if (!schema) {
      problems.push('a body was sent to an operation that takes none')
    } else {
      problems.push(...spec.check(`${method} ${route} body`, schema, body).map((p) => `body${p}`))
    }
    return problems
  }

  const checkResponse = (method: string, route: string, status: number, body: Json): string[] => {
    const declared = spec.resolve(spec.operation(method, route)?.responses?.[String(status)])
    if (!declared) return [`status ${status} is not a declared response`]
    const schema = declared.content?.['application/json']?.schema
    return schema ? spec.check(`${method} ${route} ${status}`, schema, body).map((p) => `response ${status}${p}`) : []
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const send = (route: string, status: number, body: Json, requestBody?: Json) => {
      requests.push({ method, route, path: target.pathname, status, ...(requestBody !== undefined ? { body: requestBody } : {}) })
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json' })
      res.end(JSON.stringify(body))
    }
    let body: Json
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      violations.push(`${method} ${target.pathname}: the body is not JSON`)
      return send('', 400, { message: 'Problems parsing JSON', documentation_url: DOCS })
    }
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    if (auth !== server.token) {
      violations.push(`${method} ${target.pathname}: ${auth ? 'an unknown token' : 'no token'}`)
      return send('', 401, { message: 'Bad credentials', documentation_url: DOCS })
    }
    if (method === 'POST' && target.pathname === '/graphql') return send('/graphql', 200, await graphql(body), body)
    const found = match(method, target.pathname)
    if (!found) {
      violations.push(`${method} ${target.pathname}: no such operation in the stand-in`)
      return send('', 404, { message: 'Not Found', documentation_url: DOCS })
    }
    const { route, handler, params } = found
    const problems = checkRequest(method, route, params, target.searchParams, body)
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `${method} ${route} request: ${p}`))
      return send(route, 422, { message: `Invalid request: ${problems.join('; ')}`, documentation_url: DOCS }, body)
    }
    const key = `${method} ${route}`
    let status: number
    let answer: Json
    if ((denied.get(key) ?? 0) > 0) {
      denied.set(key, denied.get(key)! - 1)
      ;[status, answer] = [403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' }]
    } else {
      try {
        ;({ status, body: answer } = await handler({ params, query: target.searchParams, body, slug: `${params.owner}/${params.repo}` }))
      } catch (error) {
        if (!(error instanceof HttpError)) throw error
        ;[status, answer] = [error.status, error.body]
      }
    }
    violations.push(...checkResponse(method, route, status, answer).map((p) => `${key}: ${p}`))
    send(route, status, answer, body)
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      violations.push(`${req.method} ${req.url}: the stand-in failed: ${error.message}`)
      res.writeHead(500).end()
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  return {
    url,
    violations,
    requests,
    deny(method, route, times = Number.POSITIVE_INFINITY) {
      denied.set(`${method} ${route}`, times)
    },
    lackMutation(name, times = Number.POSITIVE_INFINITY) {
      lacking.set(name, times)
    },
    pullRequests: (slug) => pulls.get(slug) ?? [],
    async close() {
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
