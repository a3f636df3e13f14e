export const id = 812;
export const ids = [812];
export const modules = {

/***/ 3879:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   A: () => (/* binding */ boundedFetch),
/* harmony export */   x: () => (/* binding */ StoppedRequest)
/* harmony export */ });
/* harmony import */ var _network_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9473);
/**
 * The fetch every GitHub API request goes through: held to the network bounds (network.ts), with the
 * token kept on the API's own origin. A redirect is followed only within that origin and only for a
 * read; one to another origin is refused, not followed, so the Authorization header never leaves it
 * (whatever the fetch underneath would do with it). The answer is read whole here, under the bounds,
 * so a stall in the body is caught as surely as one before the headers.
 */

/**
 * A request the client stopped itself: a bound crossed (`stalled`), or a redirect refused. It is
 * named AbortError, as an aborted fetch's error is: Octokit passes such an error on as it is, and its
 * retry plugin does not send the request again — the bound has already waited long enough, and a
 * refused redirect would only be refused again.
 */
class StoppedRequest extends Error {
    stalled;
    constructor(message, stalled) {
        super(message);
        this.name = 'AbortError';
        this.stalled = stalled;
    }
}
const MAX_REDIRECTS = 3;
/** Statuses whose answer has no body (a Response with one cannot be made). */
const NO_BODY = new Set([204, 205, 304]);
function boundedFetch(fetch, bounds) {
    return async (input, init = {}) => {
        let url = new URL(input instanceof Request ? input.url : String(input));
        const origin = url.origin;
        const read = ['GET', 'HEAD'].includes((init.method ?? 'GET').toUpperCase());
        for (let redirects = 0;; redirects++) {
            const controller = new AbortController();
            const watch = new _network_js__WEBPACK_IMPORTED_MODULE_0__/* .RequestWatch */ .bp(bounds, (reason) => controller.abort(new StoppedRequest(`${url.host} ${reason}`, true)));
            const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
            try {
                const response = await fetch(url, { ...init, redirect: 'manual', signal });
                watch.received();
                const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
                if (location !== null) {
                    await response.body?.cancel();
                    const target = new URL(location, url);
                    if (target.origin === origin && read && redirects < MAX_REDIRECTS) {
                        url = target;
                        continue;
                    }
                    throw new StoppedRequest(`${url.host} answered with a redirect (HTTP ${response.status}) to ${target.origin}${target.pathname}, which is not followed, so that the token only goes to ${origin}`, false);
                }
                const body = await readWhole(response, watch);
                const answer = new Response(NO_BODY.has(response.status) ? null : body, {
                    status: response.status,
                    statusText: response.statusText,
                    headers: response.headers,
                });
                Object.defineProperty(answer, 'url', { value: url.href });
                return answer;
            }
            catch (error) {
                throw controller.signal.aborted ? controller.signal.reason : error;
            }
            finally {
                watch.finish();
            }
        }
    };
}
/** The whole body, each chunk a sign of life for the watch. */
async function readWhole(response, watch) {
    const chunks = [];
    const reader = response.body?.getReader();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader.read()) {
        watch.received(chunk.value.length);
        chunks.push(chunk.value);
    }
    return Buffer.concat(chunks);
}


/***/ }),

/***/ 1812:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  connectGitHub: () => (/* binding */ connectGitHub)
});

// EXTERNAL MODULE: ./src/publish/publisher.ts
var publisher = __webpack_require__(7915);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 11 modules
var core = __webpack_require__(3360);
// EXTERNAL MODULE: ./src/edit/files.ts
var files = __webpack_require__(9171);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/publish/git-objects.ts
var git_objects = __webpack_require__(3018);
// EXTERNAL MODULE: ./src/publish/push-answers.ts
var push_answers = __webpack_require__(7901);
// EXTERNAL MODULE: ./src/publish/store.ts
var store = __webpack_require__(1146);
// EXTERNAL MODULE: ./src/github/bounded-fetch.ts
var bounded_fetch = __webpack_require__(3879);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js
var github = __webpack_require__(1351);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/utils.js + 19 modules
var utils = __webpack_require__(5555);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-retry/dist-bundle/index.js
var dist_bundle = __webpack_require__(9735);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-throttling/dist-bundle/index.js
var plugin_throttling_dist_bundle = __webpack_require__(6856);
// EXTERNAL MODULE: ./node_modules/bottleneck/lib/index.js
var lib = __webpack_require__(2203);
var lib_default = /*#__PURE__*/__webpack_require__.n(lib);
// EXTERNAL MODULE: ./src/source.ts
var source = __webpack_require__(4998);
;// CONCATENATED MODULE: ./src/github/client.ts
/**
 * The GitHub API client: Octokit from @actions/github, aimed at the runner's API (GitHub Enterprise
 * Server included), with every request held to the network bounds, transient failures and rate
 * limits retried, and every failure turned into one typed error that names the permission the token
 * lacks. The token is only ever in the Authorization header, and only to the API's origin.
 */








/** The REST base URL: GITHUB_API_URL, else derived from GITHUB_SERVER_URL as Actions does. */
function apiBaseUrl(env) {
    if (env.GITHUB_API_URL)
        return env.GITHUB_API_URL.replace(/\/+$/, '');
    const server = (0,source/* serverUrlOf */.Gh)(env);
    return server === 'https://github.com' ? 'https://api.github.com' : `${server}/api/v3`;
}
/** A rate limit longer than this is not waited out: the run fails and says so. */
const MAX_RATE_LIMIT_WAIT_S = 60;
/** Requests refused by a rate limit are sent again this many times. */
const RATE_LIMIT_RETRIES = 2;
function createGitHubClient(token, env, bounds) {
    // The fetch @actions/github would use (through HTTPS_PROXY when the runner sets one), bounded.
    const fetch = (0,bounded_fetch/* boundedFetch */.A)(utils/* defaults */.NT.request?.fetch ?? globalThis.fetch, bounds);
    // Writes go one at a time but without the plugin's default spacing (1 s, 3 s for notifications):
    // a promotion makes a handful of writes, and spacing them would widen every retry window by seconds.
    const unspaced = () => new (lib_default()).Group({ maxConcurrent: 1, minTime: 0 });
    const waitOut = (retryAfter, _options, _octokit, retryCount) => retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_S;
    return (0,github/* getOctokit */.Q)(token, {
        baseUrl: apiBaseUrl(env),
        request: { fetch },
        // 5xx and dropped connections: sent again 3 times. 409 and 422 answer a lost race: never.
        retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
        throttle: { write: unspaced(), notifications: unspaced(), onRateLimit: waitOut, onSecondaryRateLimit: waitOut },
    }, dist_bundle/* retry */.L, plugin_throttling_dist_bundle/* throttling */.A);
}
/** The status, GitHub's message and headers of an Octokit RequestError; undefined for anything else. */
function httpFailure(error) {
    // Octokit gives a stopped request a status of 500; the host never said so.
    if (error instanceof bounded_fetch/* StoppedRequest */.x)
        return undefined;
    if (typeof error !== 'object' || error === null || typeof error.status !== 'number')
        return undefined;
    const { status, message, response } = error;
    const data = response?.data;
    return { status, message: typeof data?.message === 'string' ? data.message : message, headers: response?.headers ?? {} };
}
/**
 * The typed error for a failed call: `what` says what was being done ("create the pull request in
 * acme/infra"), `permission` what the token needs for it.
 */
function apiError(error, what, permission) {
    if (error instanceof bounded_fetch/* StoppedRequest */.x) {
        return error.stalled
            ? new errors/* HostFailure */.A0(`the GitHub API at ${error.message} while the action tried to ${what}.`, 'This is a network or host problem; re-run the job later, or raise network-timeout-seconds if the host is slow but working.')
            : new errors/* ApiError */.hD(`the GitHub API at ${error.message}, when the action tried to ${what}.`, 'Set GITHUB_API_URL to the API address the host redirects to; the action sends the token to no other host.');
    }
    const failure = httpFailure(error);
    const graphqlErrors = error?.errors;
    if (!failure && Array.isArray(graphqlErrors)) {
        return new errors/* ApiError */.hD(`GitHub refused to ${what}: ${graphqlErrors.map((e) => e.message).join('; ')}.`, 'Check the repository settings the message names (auto-merge must be allowed in the infra repository for pr-auto-merge).');
    }
    if (!failure)
        return new errors/* ApiError */.hD(`could not reach the GitHub API to ${what}: ${error instanceof Error ? error.message : String(error)}.`, 'Check GITHUB_API_URL and the network, then re-run the job.');
    const detail = `HTTP ${failure.status}: ${failure.message}`;
    switch (failure.status) {
        case 401:
            return new errors/* InputError */.dz('infra-token', `GitHub rejected the token while trying to ${what} (${detail})`, 'Set infra-token from a secret holding a valid, unexpired token (fine-grained PAT or GitHub App installation token).');
        case 403:
            return new errors/* InputError */.dz('infra-token', `the token may not ${what} (${detail})`, `Give infra-token ${permission} on the infra repository (fine-grained PAT or GitHub App permission).`);
        case 404:
            return new errors/* InputError */.dz('infra-repo', `GitHub found nothing while trying to ${what} (${detail})`, `Check the owner/name spelling, and that infra-token can see the repository with ${permission} (a token without access gets "not found").`);
        default:
            return new errors/* ApiError */.hD(`GitHub failed to ${what} (${detail}).`, 'If GitHub is having problems, re-run the job later.');
    }
}

;// CONCATENATED MODULE: ./src/github/api-store.ts
/**
 * The infra repository over the GitHub Git Data API: no clone at all. Files are read by walking the
 * trees along their paths (one listing per directory, cached) and fetching only the blobs edited;
 * commits are built blobs → tree (on the parent's tree) → commit, with no committer given so GitHub
 * signs them (Verified). A fast-forward ref update is GitHub's compare-and-swap: a commit whose parent
 * is no longer the head is refused with 422 "Update is not a fast forward". REST has no lease for a
 * forced update or a delete (the pull-request branch): those go through GraphQL's `updateRefs`, which
 * applies them only while the branch is where it was read.
 */








function repoId(slug) {
    const [owner, repo] = slug.split('/');
    return { owner, repo };
}
const READ = 'Contents: read';
const WRITE = 'Contents: read and write';
class ApiStore {
    where;
    /** A refused update is one cheap request, as is a ref read. */
    readsBeforeRetry = false;
    client;
    id;
    /** Directory listings by tree id: trees are immutable, so every commit shares them. */
    listings = new Map();
    /** Root tree of each commit read. */
    treeOf = new Map();
    /** infra-branch; empty for the default branch. */
    configuredBranch;
    repositoryId;
    constructor(client, slug, configuredBranch) {
        this.client = client;
        this.id = repoId(slug);
        this.where = slug;
        this.configuredBranch = configuredBranch;
    }
    /** Runs one API call, turning its failure into the typed error for `what`. */
    async call(what, permission, request) {
        try {
            return (await request()).data;
        }
        catch (error) {
            throw apiError(error, `${what} in ${this.where}`, permission);
        }
    }
    async resolveBranch() {
        const configured = this.configuredBranch;
        if (configured === '') {
            return (await this.call('read the repository', READ, () => this.client.rest.repos.get({ ...this.id }))).default_branch;
        }
        if (!(await this.head(configured))) {
            throw (0,store/* missingBranch */.f)(configured, this.where);
        }
        return configured;
    }
    async head(branch) {
        let sha;
        try {
            sha = (await this.client.rest.git.getRef({ ...this.id, ref: `heads/${branch}` })).data.object.sha;
        }
        catch (error) {
            if (httpFailure(error)?.status === 404)
                return undefined;
            throw apiError(error, `read branch ${branch} in ${this.where}`, READ);
        }
        const commit = await this.call(`read commit ${sha}`, READ, () => this.client.rest.git.getCommit({ ...this.id, commit_sha: sha }));
        return { commit: sha, tree: commit.tree.sha, parents: commit.parents.map((p) => p.sha) };
    }
    listing(tree) {
        let listed = this.listings.get(tree);
        if (!listed) {
            listed = this.call(`list tree ${tree}`, READ, () => this.client.rest.git.getTree({ ...this.id, tree_sha: tree })).then((data) => data.tree.map((e) => ({
                path: e.path ?? '',
                mode: e.mode ?? '',
                type: e.type ?? '',
                sha: e.sha ?? '',
                ...(e.size !== undefined ? { size: e.size } : {}),
            })));
            this.listings.set(tree, listed);
            listed.catch(() => this.listings.delete(tree));
        }
        return listed;
    }
    /** The tree entry at `path` in `tree`, walking one directory listing per path component. */
    async entry(tree, path) {
        let current = tree;
        const parts = path.split('/');
        for (const [i, part] of parts.entries()) {
            const found = (await this.listing(current)).find((e) => e.path === part);
            if (!found || i === parts.length - 1)
                return found;
            if (found.type !== 'tree')
                return undefined;
            current = found.sha;
        }
        return undefined;
    }
    rootTree(commit) {
        let tree = this.treeOf.get(commit);
        if (!tree) {
            tree = this.call(`read commit ${commit}`, READ, () => this.client.rest.git.getCommit({ ...this.id, commit_sha: commit })).then((c) => c.tree.sha);
            this.treeOf.set(commit, tree);
        }
        return tree;
    }
    files(commit) {
        return (0,files/* treeFiles */.CU)({
            root: () => this.rootTree(commit),
            tree: async (oid) => new Map((await this.listing(oid)).map((e) => [
                e.path,
                e.size === undefined ? { mode: e.mode, oid: e.sha } : { mode: e.mode, oid: e.sha, size: e.size },
            ])),
            blob: async (oid) => {
                const blob = await this.call(`read blob ${oid}`, READ, () => this.client.rest.git.getBlob({ ...this.id, file_sha: oid }));
                return Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8');
            },
        });
    }
    async commit(parent, files, message, author) {
        const baseTree = await this.rootTree(parent);
        const entries = await Promise.all(files.map(async (file) => {
            const mode = (await this.entry(baseTree, file.path))?.mode === '100755' ? '100755' : '100644';
            // A null sha removes the path from the base tree.
            if (file.after === null)
                return { path: file.path, mode, type: 'blob', sha: null };
            const { after } = file;
            const blob = await this.call(`store ${file.path}`, WRITE, () => this.client.rest.git.createBlob({ ...this.id, content: Buffer.from(after, 'utf8').toString('base64'), encoding: 'base64' }));
            return { path: file.path, mode, type: 'blob', sha: blob.sha };
        }));
        const tree = await this.call('write the tree', WRITE, () => this.client.rest.git.createTree({ ...this.id, base_tree: baseTree, tree: entries }));
        // No committer: GitHub commits (and signs) as the token's identity, so the commit shows as Verified.
        const commit = await this.call('create the commit', WRITE, () => this.client.rest.git.createCommit({ ...this.id, message, tree: tree.sha, parents: [parent], author: { name: author.name, email: author.email } }));
        return { commit: commit.sha, tree: tree.sha };
    }
    async deleteBranch(branch, expected) {
        const leased = await this.leased(branch, expected, git_objects/* ZERO_OID */.as);
        if (leased !== 'unsupported')
            return leased === 'done' ? 'deleted' : 'moved';
        // Without updateRefs (an older GitHub Enterprise Server): `leased` has just read the branch at `expected`.
        await this.call(`delete the branch ${branch}`, WRITE, () => this.client.rest.git.deleteRef({ ...this.id, ref: `heads/${branch}` }));
        return 'deleted';
    }
    /** The repository's GraphQL id, read once. */
    nodeId() {
        this.repositoryId ??= this.call('read the repository', READ, () => this.client.rest.repos.get({ ...this.id })).then((repo) => repo.node_id);
        this.repositoryId.catch(() => (this.repositoryId = undefined));
        return this.repositoryId;
    }
    /**
     * Points `branch` at `after` (a delete: the zero id) only while it is at `expected`, through
     * GraphQL's `updateRefs`. 'unsupported': the host refused the mutation and the branch is still at
     * `expected` (a server without it); the caller then does without the lease.
     */
    async leased(branch, expected, after) {
        const repositoryId = await this.nodeId();
        try {
            await this.client.graphql(`mutation UpdateRefs($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
          updateRefs(input: {repositoryId: $repositoryId, refUpdates: $refUpdates}) { clientMutationId }
        }`, { repositoryId, refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: expected, afterOid: after, force: true }] });
            return 'done';
        }
        catch (error) {
            if (error instanceof bounded_fetch/* StoppedRequest */.x)
                throw apiError(error, `update ${branch} in ${this.where}`, WRITE);
            // GitHub does not document its words for a broken lease: the branch itself says what happened.
            const now = (await this.head(branch))?.commit ?? git_objects/* ZERO_OID */.as;
            if (now === after)
                return 'done';
            if (now !== expected)
                return 'moved';
            core/* debug */.Yz(`updateRefs was refused (${(0,errors/* errorMessage */.gJ)(error)}); ${branch} is updated without a lease.`);
            return 'unsupported';
        }
    }
    async update(branch, commit, expected, mode) {
        const what = `move ${branch} to ${commit.slice(0, 12)}`;
        if (expected !== undefined && mode === 'force') {
            const leased = await this.leased(branch, expected, commit);
            if (leased !== 'unsupported')
                return { kind: leased === 'done' ? 'updated' : 'moved' };
        }
        try {
            if (expected === undefined) {
                await this.client.rest.git.createRef({ ...this.id, ref: `refs/heads/${branch}`, sha: commit });
            }
            else {
                // A fast-forward is refused unless the commit descends from the head: with `expected` its
                // parent, that is the lease. A forced update here has none (a host without updateRefs).
                await this.client.rest.git.updateRef({ ...this.id, ref: `heads/${branch}`, sha: commit, force: mode === 'force' });
            }
            return { kind: 'updated' };
        }
        catch (error) {
            const failure = httpFailure(error);
            if (failure && (failure.status === 422 || failure.status === 409) && (0,push_answers/* isBranchMoved */.Kc)(failure.message))
                return { kind: 'moved' };
            // Stopped by a bound (a host failure) or a refused redirect: said as such.
            if (error instanceof bounded_fetch/* StoppedRequest */.x)
                throw apiError(error, `${what} in ${this.where}`, WRITE);
            // Still failing after the client's own retries: the update may have landed; the publisher
            // learns whether from the branch.
            if (!failure || failure.status >= 500)
                throw new errors/* HostFailure */.A0(`GitHub failed to ${what} in ${this.where} (${(0,errors/* errorMessage */.gJ)(error)}).`, 'Re-run the job later.');
            throw apiError(error, `${what} in ${this.where}`, WRITE);
        }
    }
}

// EXTERNAL MODULE: ./src/publish/commit-message.ts
var commit_message = __webpack_require__(2748);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./src/edit/diff.ts
var diff = __webpack_require__(4222);
// EXTERNAL MODULE: ./src/edit/kinds.ts + 3 modules
var kinds = __webpack_require__(1286);
// EXTERNAL MODULE: ./src/image/reference.ts
var reference = __webpack_require__(3564);
// EXTERNAL MODULE: ./src/order/legacy-records.ts
var legacy_records = __webpack_require__(8006);
// EXTERNAL MODULE: ./src/promotion.ts
var promotion = __webpack_require__(8138);
;// CONCATENATED MODULE: ./src/github/pr-content.ts
/**
 * What a promotion pull request says and where it lives: the deterministic branch per target set,
 * and the body — a readable promotion record with the image, its source, and each target's diff.
 * Pure.
 */






/**
 * `promote/<image path>/<hash>`: one branch (and so one open pull request) per image and set of
 * target files, whatever the tag, so a newer promotion of the same targets supersedes the older one.
 * Several images promoted together: `promote/<first image path>-and-<n>-more/<hash of images and files>`.
 */
function promoteBranch(imageNames, targets) {
    const files = [...new Set(targets.map((t) => (0,kinds/* kindOf */.I)(t).path(t).replace(/\/+$/, '')))].sort();
    const paths = imageNames.map((name) => (0,reference/* parseImageName */["if"])(name).path);
    const several = paths.length > 1 ? [...paths].sort() : [];
    const hash = (0,external_node_crypto_.createHash)('sha256')
        .update([...several, ...files].join('\n'))
        .digest('hex')
        .slice(0, 10);
    return `promote/${paths[0]}${several.length ? `-and-${several.length - 1}-more` : ''}/${hash}`;
}
/** GitHub refuses bodies over 65,536 characters; diffs past this are cut. */
const MAX_BODY = 60_000;
function pullRequestBody(facts, plan) {
    const { source } = facts;
    const short = source.sha.slice(0, 7);
    const link = (text, url) => (url ? `[${text}](${url})` : text);
    const rows = [
        ['Image', `\`${facts.image}\``],
        ['Tag', `\`${facts.tag}\``],
        ['Digest', facts.digest ? `\`${facts.digest}\`` : '_unknown_'],
        ['Reference written', `\`${facts.imageRef}\``],
        [
            'Source',
            source.repository ? `${link(source.repository, `${source.serverUrl}/${source.repository}`)} @ ${link(`\`${short}\``, source.commitUrl)}` : '_unknown_',
        ],
        [
            'Workflow run',
            source.runUrl ? link(`#${source.runNumber}${source.runAttempt > 1 ? ` (attempt ${source.runAttempt})` : ''}`, source.runUrl) : '_unknown_',
        ],
        ['Into', `\`${facts.baseBranch}\``],
    ];
    const changes = plan.changes.map((c) => `| \`${c.file}\`:${c.line} | ${c.before ? `\`${c.before}\`` : '_(added)_'} | \`${c.after}\` |`);
    const targets = plan.files.filter((f) => !f.path.startsWith(`${legacy_records/* LEGACY_RECORD_DIR */.qR}/`));
    const parts = [
        `Promotes \`${facts.imageRef}\` into \`${facts.baseBranch}\`.`,
        `| | |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`,
        `### Image change\n\n| Where | Before | After |\n| --- | --- | --- |\n${changes.join('\n')}`,
        ...(plan.stale.length > 0 ? [`### Left alone\n\n${plan.stale.map((s) => `- ${(0,promotion/* staleReason */.Wf)(s, (text) => `\`${text}\``)}`).join('\n')}`] : []),
    ];
    let body = parts.join('\n\n');
    const diffs = [];
    for (const file of targets) {
        const section = `#### \`${file.path}\`\n\n\`\`\`diff\n${(0,diff/* unifiedDiff */.W)(file.path, file.before, file.after)}\n\`\`\``;
        if (body.length + section.length > MAX_BODY) {
            diffs.push(`_${targets.length - diffs.length} more diff(s) left out: see the Files changed tab._`);
            break;
        }
        diffs.push(section);
        body += section;
    }
    const records = plan.files.length - targets.length;
    return [
        ...parts,
        `### Diff\n\n${diffs.join('\n\n')}`,
        `<sub>Opened by gitops-promote.${records > 0 ? ` ${records} record(s) of earlier versions under \`${legacy_records/* LEGACY_RECORD_DIR */.qR}/\` are removed too.` : ''} A newer promotion of the same targets updates this pull request.</sub>`,
    ].join('\n\n');
}

// EXTERNAL MODULE: ./src/publish/retry.ts + 1 modules
var retry = __webpack_require__(2254);
;// CONCATENATED MODULE: ./src/github/pull-request.ts
/**
 * `mode: pull-request`: the promotion is committed on the base branch's head and placed on the
 * action's own branch for this image and target set (force-updated under a lease, never the base),
 * then the pull request from that branch is opened, or the open one updated: title, body, labels,
 * reviewers and auto-merge. A newer promotion of the same targets supersedes the branch's content;
 * an older one leaves it alone, as the ordering guard does on the base branch.
 */






async function publishPullRequest(store, client, slug, promotion, spec, options = {}) {
    const landed = await landOnBranch(store, promotion, spec, options);
    const { branchHead, obsolete, ...result } = landed;
    if (obsolete !== undefined && !promotion.dryRun) {
        const closed = await closeObsolete(new PullRequests(client, slug), store, promotion.branch, spec.branch, obsolete);
        return closed ? { ...result, pullRequest: closed } : result;
    }
    if (branchHead === undefined)
        return result;
    const pullRequest = await upsertPullRequest(new PullRequests(client, slug), promotion.branch, spec, landed.plan, landed.changed);
    core/* info */.pq(`Pull request #${pullRequest.number} ${pullRequest.operation}: ${pullRequest.url}`);
    return { ...result, pullRequest };
}
/** Puts the promotion on the action's branch; `branchHead` is set when a pull request should show it. */
function landOnBranch(store, promotion, spec, options) {
    /** The last update of the branch that did not say it landed (see publisher.ts). */
    let unconfirmed;
    return (0,retry/* retryWhileMoving */.gB)((0,publisher/* landingLoop */._t)(store, promotion, spec.branch, options), async (attempt) => {
        const started = performance.now();
        const base = await (0,publisher/* requireHead */.EU)(store, promotion.branch);
        const current = await store.head(spec.branch);
        if (unconfirmed && current?.commit === unconfirmed.commit) {
            return { changed: true, commitSha: current.commit, attempts: attempt - 1, plan: unconfirmed.plan, branchHead: current.commit };
        }
        unconfirmed = undefined;
        const plan = await promotion.plan(store.files(base.commit));
        if (plan.files.length === 0) {
            if (plan.stale.length > 0)
                return { changed: false, attempts: attempt, plan, skippedReason: 'stale' };
            // The base holds the promotion: the branch has nothing left to show, unless a newer image.
            const obsolete = current && (await promotion.newerAt(store.files(current.commit))).length === 0 ? current.commit : undefined;
            return { changed: false, attempts: attempt, plan, skippedReason: 'up-to-date', ...(obsolete ? { obsolete } : {}) };
        }
        if (current) {
            const newer = await promotion.newerAt(store.files(current.commit));
            if (newer.length > 0)
                return { changed: false, attempts: attempt, plan: { files: [], changes: [], stale: newer, unordered: [] }, skippedReason: 'stale' };
        }
        if (promotion.dryRun)
            return { changed: true, attempts: attempt, plan, diff: (0,diff/* planDiff */.R)(plan.files) };
        const built = await store.commit(base.commit, plan.files, promotion.message(plan), promotion.author);
        if (current && current.tree === built.tree && current.parents.length === 1 && current.parents[0] === base.commit) {
            return { changed: false, attempts: attempt, plan, skippedReason: 'up-to-date', branchHead: current.commit };
        }
        unconfirmed = { commit: built.commit, plan };
        if ((await store.update(spec.branch, built.commit, current?.commit, 'force')).kind === 'moved')
            return { moved: true, windowMs: performance.now() - started };
        core/* info */.pq(`${current ? 'Updated' : 'Created'} ${spec.branch} at ${built.commit.slice(0, 12)} on ${promotion.branch}'s head ${base.commit.slice(0, 12)} (attempt ${attempt}).`);
        return { changed: true, commitSha: built.commit, attempts: attempt, plan, branchHead: built.commit };
    });
}
/**
 * Closes the open pull request from `branch` whose promotion `base` already holds (another pull
 * request merged, or a push landed it), and deletes the branch unless it moved since it was read.
 */
async function closeObsolete(pulls, store, base, branch, head) {
    const open = await pulls.findOpen(branch, base);
    if (!open)
        return undefined;
    await pulls.close(open.number);
    // A run that promotes a newer image may have just moved the branch: it keeps it.
    const deleted = (await store.deleteBranch(branch, head)) === 'deleted';
    core/* info */.pq(`Pull request #${open.number} closed: ${base} already holds its promotion; ${branch} ${deleted ? 'deleted' : 'kept (it moved meanwhile)'}.`);
    return { number: open.number, url: open.html_url, operation: 'closed' };
}
async function upsertPullRequest(pulls, base, spec, plan, branchChanged) {
    const title = spec.title(plan);
    const body = spec.body(plan);
    const { settings } = spec;
    const open = await pulls.findOpen(spec.branch, base);
    const retitled = open !== undefined && (open.title !== title || (open.body ?? '') !== body);
    const pr = !open
        ? await pulls.create({ title, body, head: spec.branch, base, draft: settings.draft })
        : retitled
            ? await pulls.update(open.number, { title, body })
            : open;
    let operation = !open ? 'created' : branchChanged || retitled ? 'updated' : 'unchanged';
    const labels = settings.labels.filter((label) => !pr.labels.some((l) => l.name === label));
    const users = settings.reviewers.filter((r) => !r.includes('/') && !(pr.requested_reviewers ?? []).some((u) => u.login.toLowerCase() === r.toLowerCase()));
    const teams = settings.reviewers
        .filter((r) => r.includes('/'))
        .map((r) => r.slice(r.indexOf('/') + 1))
        .filter((team) => !(pr.requested_teams ?? []).some((t) => t.slug === team));
    const assignees = settings.assignees.filter((a) => !(pr.assignees ?? []).some((u) => u.login.toLowerCase() === a.toLowerCase()));
    const autoMerge = settings.autoMerge && pr.auto_merge?.merge_method !== settings.autoMerge ? settings.autoMerge : undefined;
    if (labels.length > 0)
        await pulls.addLabels(pr.number, labels);
    if (users.length > 0 || teams.length > 0)
        await pulls.requestReviewers(pr.number, users, teams);
    if (assignees.length > 0)
        await pulls.addAssignees(pr.number, assignees);
    if (autoMerge)
        await pulls.enableAutoMerge(pr.node_id, pr.number, autoMerge);
    if (operation === 'unchanged' && (labels.length > 0 || users.length > 0 || teams.length > 0 || assignees.length > 0 || autoMerge))
        operation = 'updated';
    return { number: pr.number, url: pr.html_url, operation };
}
const PULLS = 'Pull requests: read and write';
/** The pull-request calls, each failing with the typed error that names the permission needed. */
class PullRequests {
    client;
    id;
    slug;
    constructor(client, slug) {
        this.client = client;
        this.id = repoId(slug);
        this.slug = slug;
    }
    async call(what, request, permission = PULLS) {
        try {
            return (await request()).data;
        }
        catch (error) {
            throw apiError(error, `${what} in ${this.slug}`, permission);
        }
    }
    async findOpen(branch, base) {
        const open = await this.call(`list the pull requests from ${branch}`, () => this.client.rest.pulls.list({ ...this.id, state: 'open', head: `${this.id.owner}:${branch}`, base, per_page: 10 }));
        return open.find((pr) => pr.head.ref === branch && pr.base.ref === base);
    }
    async create(fields) {
        try {
            return (await this.client.rest.pulls.create({ ...this.id, ...fields })).data;
        }
        catch (error) {
            // A concurrent run opened it first: update that one instead.
            const failure = httpFailure(error);
            const raced = failure?.status === 422 && /already exists/i.test(failure.message) ? await this.findOpen(fields.head, fields.base) : undefined;
            if (raced)
                return this.update(raced.number, { title: fields.title, body: fields.body });
            throw apiError(error, `open a pull request from ${fields.head} into ${fields.base} in ${this.slug}`, PULLS);
        }
    }
    update(number, fields) {
        return this.call(`update pull request #${number}`, () => this.client.rest.pulls.update({ ...this.id, pull_number: number, ...fields }));
    }
    close(number) {
        return this.call(`close pull request #${number}`, () => this.client.rest.pulls.update({ ...this.id, pull_number: number, state: 'closed' }));
    }
    addAssignees(number, assignees) {
        return this.call(`assign pull request #${number}`, () => this.client.rest.issues.addAssignees({ ...this.id, issue_number: number, assignees: [...assignees] }));
    }
    addLabels(number, labels) {
        return this.call(`label pull request #${number}`, () => this.client.rest.issues.addLabels({ ...this.id, issue_number: number, labels: [...labels] }));
    }
    requestReviewers(number, reviewers, teams) {
        return this.call(`request reviews on pull request #${number}`, () => this.client.rest.pulls.requestReviewers({ ...this.id, pull_number: number, reviewers: [...reviewers], team_reviewers: [...teams] }));
    }
    async enableAutoMerge(nodeId, number, method) {
        try {
            await this.client.graphql(`mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
          enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
            pullRequest { autoMergeRequest { mergeMethod } }
          }
        }`, { pullRequestId: nodeId, mergeMethod: method.toUpperCase() });
        }
        catch (error) {
            throw apiError(error, `enable auto-merge (${method}) on pull request #${number} in ${this.slug}`, PULLS);
        }
    }
}

;// CONCATENATED MODULE: ./src/github/delivery.ts






function connectGitHub(infra, delivery, env) {
    // Settings made sure a GitHub delivery has a repository on this host and a token.
    const slug = infra.slug;
    const client = createGitHubClient(infra.token, env, delivery.network);
    return {
        ...(delivery.commitVia === 'api' ? { store: new ApiStore(client, slug, infra.branch) } : {}),
        publish(store, promotion, facts) {
            if (delivery.mode !== 'pull-request')
                return (0,publisher/* publish */.mk)(store, promotion);
            const { pullRequest } = delivery;
            return publishPullRequest(store, client, slug, promotion, {
                branch: pullRequest.branch || promoteBranch(facts.imageNames, facts.targets),
                settings: pullRequest,
                title: (plan) => (pullRequest.title ? (0,commit_message/* renderCommitMessage */.j)(pullRequest.title, facts.facts(plan)) : promotion.message(plan)).split('\n')[0],
                body: (plan) => pullRequest.body
                    ? (0,commit_message/* renderCommitMessage */.j)(pullRequest.body, facts.facts(plan))
                    : pullRequestBody({ ...facts.facts(plan), baseBranch: promotion.branch }, plan),
            });
        },
    };
}


/***/ })

};
