export const id = 268;
export const ids = [268];
export const modules = {

/***/ 8268:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runArgoCdStage: () => (/* binding */ runArgoCdStage)
});

// UNUSED EXPORTS: waitFor

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 11 modules
var core = __webpack_require__(3360);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/publish/git-objects.ts
var git_objects = __webpack_require__(3018);
// EXTERNAL MODULE: ./src/publish/git-http.ts + 1 modules
var git_http = __webpack_require__(955);
// EXTERNAL MODULE: ./src/publish/smart-http.ts + 1 modules
var smart_http = __webpack_require__(315);
;// CONCATENATED MODULE: ./src/argocd/history.ts
/**
 * Whether a revision Argo CD reports contains the promotion commit — is that commit or a descendant
 * of it — answered from the infra repository's own history, read over git as the publish stage reads
 * it: commits only (`tree:0`), a batch of generations a request. Argo CD reports a revision, never its
 * ancestry, and neither a commit date nor the order of Argo CD's history proves descent.
 *
 * Two walks go back at once, from the revision (looking for the commit) and from the commit (looking
 * for the revision), so that the usual answers come from one request: the revision is the commit or
 * a little after it, or a little before it (Argo CD has not yet seen the push). Each walk is bounded;
 * a revision on unrelated history, or not in the repository at all, does not contain the commit.
 * Answers are kept: a commit's ancestry never changes.
 */




/** Commits fetched a request, back from each commit asked for. */
const GENERATIONS_A_REQUEST = 100;
/** Commits each walk visits at most: far more than land on an infra branch during a wait. */
const MAX_WALK = 1000;
const OID = /^[0-9a-f]{40}$/;
class CommitHistory {
    parents = new Map();
    answers = new Map();
    load;
    constructor(load) {
        this.load = load;
    }
    /** True when `revision` is `commit` or one of its descendants. */
    async contains(revision, commit) {
        if (revision === commit)
            return true;
        if (!OID.test(revision))
            return false;
        const key = `${revision}..${commit}`;
        let answer = this.answers.get(key);
        if (answer === undefined) {
            answer = await this.walk(revision, commit);
            this.answers.set(key, answer);
        }
        return answer;
    }
    async walk(revision, commit) {
        const down = new Walk(revision);
        const up = new Walk(commit);
        for (;;) {
            down.advance(this.parents);
            up.advance(this.parents);
            if (down.saw(commit))
                return true;
            if (up.saw(revision) || (down.over && up.over))
                return false;
            await this.fetch([...(down.over ? [] : down.waiting), ...(up.over ? [] : up.waiting)]);
        }
    }
    async fetch(oids) {
        const wanted = [...new Set(oids)].filter((oid) => !this.parents.has(oid));
        const fetched = new Map();
        try {
            for (const [oid, parents] of await this.load(wanted))
                fetched.set(oid, parents);
        }
        catch (error) {
            if (!isUnknownCommit(error))
                throw error;
            // The host refused the batch without naming the commit it lacks: each is asked for alone.
            for (const oid of wanted.length > 1 ? wanted : []) {
                const one = await this.load([oid]).catch((e) => {
                    if (isUnknownCommit(e))
                        return new Map();
                    throw e;
                });
                for (const [found, parents] of one)
                    fetched.set(found, parents);
            }
        }
        for (const [oid, parents] of fetched)
            this.parents.set(oid, parents);
        // What the host did not send, it does not have.
        for (const oid of wanted)
            if (!fetched.has(oid))
                this.parents.set(oid, null);
    }
}
/** A host's refusal to send a commit it does not have ("not our ref"); a host failure is not one. */
function isUnknownCommit(error) {
    return error instanceof errors/* GitError */.XS && !(error instanceof errors/* HostFailure */.A0);
}
/** One walk back through the parents, breadth first, bounded. */
class Walk {
    seen = new Set();
    frontier;
    /** Commits to fetch before the walk can go on. */
    waiting = [];
    constructor(start) {
        this.frontier = [start];
    }
    get over() {
        return (this.frontier.length === 0 && this.waiting.length === 0) || this.seen.size >= MAX_WALK;
    }
    saw(oid) {
        return this.seen.has(oid);
    }
    /** Walks as far as the known commits allow. */
    advance(known) {
        const next = [...this.waiting, ...this.frontier];
        this.waiting = [];
        this.frontier = [];
        while (next.length > 0 && this.seen.size < MAX_WALK) {
            const oid = next.shift();
            if (this.seen.has(oid))
                continue;
            const parents = known.get(oid);
            if (parents === undefined) {
                this.waiting.push(oid);
                continue;
            }
            this.seen.add(oid);
            if (parents)
                next.push(...parents);
        }
        this.frontier = next;
    }
}
/** The history of the infra repository over git's smart HTTP, with infra-token. */
function infraHistory(infra, network) {
    const remote = new smart_http/* SmartHttpRemote */.i(new git_http/* GitHttp */.ri(infra, network));
    const load = async (oids) => {
        const filter = (await remote.filters()) ? { filter: 'tree:0' } : {};
        const objects = await remote.fetch(oids, { depth: GENERATIONS_A_REQUEST, ...filter }, () => undefined);
        const parents = new Map();
        for (const [oid, object] of objects)
            if (object.type === 'commit')
                parents.set(oid, (0,git_objects/* parseCommit */.L5)(object.body).parents);
        return parents;
    };
    return { history: new CommitHistory(load), close: () => remote.http.close() };
}

// EXTERNAL MODULE: ./src/github/bounded-fetch.ts
var bounded_fetch = __webpack_require__(3879);
// EXTERNAL MODULE: ./src/argocd/settings.ts
var argocd_settings = __webpack_require__(6393);
;// CONCATENATED MODULE: ./src/argocd/client.ts
/**
 * The few calls of Argo CD's REST API the wait makes: get an application (asking for a refresh), and
 * its resource tree. The token goes in a Bearer Authorization header, to argocd-server's origin only
 * (the bounded fetch follows no redirect off it), every request is held to the network bounds, and
 * every failure becomes one typed error with Argo CD's own words: `ArgoCdUnavailable` for what may
 * pass (a 5xx, a dropped connection, a stall), an input error or a deployment error for the rest.
 */




/** A failure that may pass (Argo CD restarting, a proxy in trouble): worth asking again until the deadline. */
class ArgoCdUnavailable extends errors/* DeploymentError */.gt {
}
const FIX_UNAVAILABLE = 'This is a network or Argo CD problem: re-run the job later, or raise network-timeout-seconds if Argo CD is slow but working.';
class ArgoCdClient {
    server;
    host;
    authorization;
    fetch;
    constructor(settings, fetch = globalThis.fetch) {
        core/* setSecret */.Pq(settings.token);
        this.server = settings.server;
        this.host = new URL(settings.server).host;
        this.authorization = `Bearer ${settings.token}`;
        this.fetch = (0,bounded_fetch/* boundedFetch */.A)(fetch, settings.network);
    }
    /** The application; `refresh` asks Argo CD to compare it with its source again first. */
    application(app, signal, refresh = false) {
        return this.get(app, `/api/v1/applications/${encodeURIComponent(app.name)}`, { ...(refresh ? { refresh: 'normal' } : {}) }, signal);
    }
    /** The live resources, each with its health. */
    async resourceTree(app, signal) {
        const tree = await this.get(app, `/api/v1/applications/${encodeURIComponent(app.name)}/resource-tree`, {}, signal);
        return tree.nodes ?? [];
    }
    async get(app, path, query, signal) {
        const url = new URL(`${this.server}${path}`);
        for (const [name, value] of Object.entries({ ...query, ...(app.namespace ? { appNamespace: app.namespace } : {}) }))
            url.searchParams.set(name, value);
        const what = `get application ${(0,argocd_settings/* appLabel */._$)(app)}`;
        core/* debug */.Yz(`argocd: GET ${url.pathname}${url.search}`);
        let response;
        try {
            response = await this.fetch(url, { headers: { Authorization: this.authorization, Accept: 'application/json' }, signal });
        }
        catch (error) {
            // The wait's own deadline: its reason says so.
            if (signal.aborted)
                throw signal.reason;
            throw this.unreachable(error, what);
        }
        const text = await response.text();
        const json = parseJson(text);
        const contentType = response.headers.get('content-type') ?? '';
        if (response.ok && json !== undefined && /json/i.test(contentType))
            return json;
        const said = json?.message;
        const detail = `HTTP ${response.status}${typeof said === 'string' && said ? `: ${said}` : ''}`;
        if (response.status >= 500 || response.status === 429 || response.status === 408) {
            throw new ArgoCdUnavailable(`Argo CD at ${this.host} failed to ${what} (${detail}).`, FIX_UNAVAILABLE);
        }
        if (json === undefined || !/json/i.test(contentType)) {
            throw new errors/* InputError */.dz('argocd-server', `${this.host} did not answer as Argo CD's API when asked to ${what} (HTTP ${response.status}, ${contentType || 'no content type'}: "${oneLine(text)}")`, "Set argocd-server to Argo CD's base URL (the one its web UI answers on, with its root path if it has one); a login page or a proxy answered instead.");
        }
        switch (response.status) {
            case 401:
                throw new errors/* InputError */.dz('argocd-token', `Argo CD at ${this.host} rejected the token when asked to ${what} (${detail})`, 'Set argocd-token from a secret holding a valid, unexpired Argo CD API token (argocd account generate-token --account <account>).');
            case 403:
            case 404:
                // Argo CD answers "permission denied" for an application that does not exist as well, so as not to say which.
                throw new errors/* InputError */.dz('argocd-app', `Argo CD at ${this.host} found no application ${(0,argocd_settings/* appLabel */._$)(app)} that the token may see (${detail})`, `Check the name (namespace/name for an application outside Argo CD's own namespace), and that the token's account may get it: a policy line such as "p, role:ci, applications, get, <project>/${app.name}, allow" in argocd-rbac-cm.`);
            default:
                throw new errors/* DeploymentError */.gt(`Argo CD at ${this.host} refused to ${what} (${detail}).`, 'Check argocd-server and argocd-app.');
        }
    }
    unreachable(error, what) {
        if (error instanceof bounded_fetch/* StoppedRequest */.x && !error.stalled) {
            return new errors/* InputError */.dz('argocd-server', `${error.message}, when asked to ${what}`, 'Set argocd-server to the URL Argo CD redirects to; the action sends the token to no other origin.');
        }
        if (error instanceof bounded_fetch/* StoppedRequest */.x)
            return new ArgoCdUnavailable(`Argo CD at ${error.message} while the action tried to ${what}.`, FIX_UNAVAILABLE);
        const cause = error?.cause?.message;
        const message = error instanceof Error ? error.message : String(error);
        return new ArgoCdUnavailable(`could not reach Argo CD at ${this.host} to ${what} (${cause ?? message}).`, FIX_UNAVAILABLE);
    }
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
/** Longest excerpt of an answer that is not Argo CD's in a message. */
const MAX_EXCERPT = 200;
function oneLine(text) {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > MAX_EXCERPT ? `${line.slice(0, MAX_EXCERPT)}…` : line;
}

;// CONCATENATED MODULE: ./src/argocd/judge.ts
const FAILED_PHASES = new Set(['Failed', 'Error']);
const RUNNING_PHASES = new Set(['Running', 'Terminating']);
const COMMIT_ID = /^[0-9a-f]{40}$/;
async function observe(app, contains) {
    const status = app.status ?? {};
    const revisions = distinct([status.sync?.revision, ...(status.sync?.revisions ?? [])]);
    const anyContains = async (list) => (await Promise.all(list.map(contains))).some(Boolean);
    const op = status.operationState;
    const opRevisions = distinct([
        op?.syncResult?.revision,
        ...(op?.syncResult?.revisions ?? []),
        op?.operation?.sync?.revision,
        ...(op?.operation?.sync?.revisions ?? []),
    ]);
    const sources = [...(app.spec?.source ? [app.spec.source] : []), ...(app.spec?.sources ?? [])];
    const pinned = sources.map((s) => s.targetRevision ?? '').filter((r) => COMMIT_ID.test(r));
    return {
        sync: status.sync?.status || 'Unknown',
        health: status.health?.status || 'Unknown',
        healthMessage: status.health?.message ?? '',
        revision: revisions.join(', '),
        atCommit: await anyContains(revisions),
        ...(op?.phase ? { operation: { phase: op.phase, message: op.message ?? '', atCommit: await anyContains(opRevisions) } } : {}),
        conditions: (status.conditions ?? []).map((c) => `${c.type ?? 'Condition'}: ${c.message ?? ''}`),
        autoSync: app.spec?.syncPolicy?.automated !== undefined,
        pinned,
        pinnedAway: sources.length > 0 && pinned.length === sources.length && !(await anyContains(pinned)),
    };
}
function judge(o) {
    const op = o.operation;
    if (op && FAILED_PHASES.has(op.phase) && op.atCommit)
        return { kind: 'failed', problem: `failed to sync (operation ${op.phase}${op.message ? `: ${op.message}` : ''})` };
    if (o.pinnedAway)
        return {
            kind: 'failed',
            problem: `is pinned to ${o.pinned.map(judge_short).join(', ')} (its targetRevision), which does not contain the promotion commit, so it will not deploy it`,
        };
    if (op && RUNNING_PHASES.has(op.phase))
        return { kind: 'waiting' };
    if (!o.atCommit || o.sync !== 'Synced')
        return { kind: 'waiting' };
    if (o.health === 'Degraded')
        return { kind: 'failed', problem: `is Degraded${o.healthMessage ? ` (${o.healthMessage})` : ''}` };
    return o.health === 'Healthy' ? { kind: 'deployed' } : { kind: 'waiting' };
}
/** The state in one line: `OutOfSync, Progressing, at 1a2b3c4d5e6f (before the promotion commit); sync operation Running`. */
function describeState(o) {
    const at = o.revision ? `at ${shortRevisions(o)} (${o.atCommit ? 'contains' : 'not yet'} the promotion commit)` : 'no revision yet';
    return `${o.sync}, ${o.health}, ${at}${o.operation ? `; sync operation ${o.operation.phase}` : ''}`;
}
/** Every resource of the tree whose health is known and not Healthy, as `Kind namespace/name: Health (message)`. */
function unhealthyResources(nodes) {
    return nodes
        .filter((n) => n.health?.status && n.health.status !== 'Healthy')
        .map((n) => {
        const where = n.namespace ? `${n.namespace}/${n.name ?? ''}` : (n.name ?? '');
        return `${n.kind ?? 'Resource'} ${where}: ${n.health.status}${n.health.message ? ` (${n.health.message})` : ''}`;
    });
}
/** What to do about an application that is not deployed when the wait ends. */
function stuckAdvice(o) {
    if (!o)
        return '';
    if (!o.atCommit && o.sync === 'OutOfSync' && !o.autoSync)
        return 'it has no automated sync policy, so Argo CD waits for someone to sync it';
    return '';
}
/** The revisions, commit ids shortened. */
function shortRevisions(o) {
    return o.revision.split(', ').map(judge_short).join(', ');
}
function judge_short(revision) {
    return COMMIT_ID.test(revision) ? revision.slice(0, 12) : revision;
}
function distinct(values) {
    return values.filter((v) => !!v).filter((v, i, all) => all.indexOf(v) === i);
}

;// CONCATENATED MODULE: ./src/argocd/wait.ts
/**
 * The wait for Argo CD after a landed promotion: ask each application to refresh, then poll until
 * every one is synced and healthy at a revision that contains the promotion commit, one fails, or
 * argocd-timeout passes. One progress line per change of an application's state. A failure that may
 * pass (Argo CD restarting) is asked again until the deadline; any other refusal ends the wait at once.
 */





/** Polls this often, or faster for a short timeout, so that a wait never overshoots by much. */
const MAX_POLL_MS = 3000;
const MIN_POLL_MS = 250;
/** An application that still reports a revision without the commit is asked to refresh again this often. */
const REFRESH_EVERY_MS = 30_000;
class WaitOver extends Error {
}
async function awaitDeployment(settings, commit, history, client = new ArgoCdClient(settings)) {
    const started = performance.now();
    const timeoutMs = settings.timeoutSeconds * 1000;
    const pollMs = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, timeoutMs / 20));
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new WaitOver()), timeoutMs);
    const tracked = settings.apps.map((app) => ({ app, verdict: { kind: 'waiting' } }));
    core/* info */.pq(`Waiting up to ${settings.timeoutSeconds} s for ${tracked.map((t) => (0,argocd_settings/* appLabel */._$)(t.app)).join(', ')} to be synced and healthy at ${judge_short(commit)} or later.`);
    try {
        while (!tracked.some((t) => t.verdict.kind === 'failed') && !tracked.every((t) => t.verdict.kind === 'deployed')) {
            for (const t of tracked.filter((t) => t.verdict.kind === 'waiting'))
                await poll(t, client, history, commit, deadline.signal);
            if (tracked.every((t) => t.verdict.kind !== 'waiting'))
                break;
            await sleep(pollMs, deadline.signal);
        }
    }
    catch (error) {
        if (!(error instanceof WaitOver))
            throw error;
    }
    finally {
        clearTimeout(timer);
    }
    const outcomes = await Promise.all(tracked.map((t) => outcome(t, client)));
    const seconds = (performance.now() - started) / 1000;
    const error = deploymentError(outcomes, commit, settings.timeoutSeconds);
    return { commit, outcomes, seconds, ...(error ? { error } : {}) };
}
/** Reads the application once (asking for a refresh when due), judges it, and says when its state changed. */
async function poll(t, client, history, commit, signal) {
    let line;
    try {
        const refresh = !t.observation?.atCommit && (t.refreshedAt === undefined || performance.now() - t.refreshedAt >= REFRESH_EVERY_MS);
        const app = await client.application(t.app, signal, refresh);
        if (refresh)
            t.refreshedAt = performance.now();
        t.observation = await observe(app, (revision) => history.contains(revision, commit));
        t.verdict = judge(t.observation);
        t.lastFailure = undefined;
        line = describeState(t.observation);
    }
    catch (error) {
        // Argo CD or the infra host in trouble: asked again at the next poll, until the deadline.
        if (!(error instanceof ArgoCdUnavailable || error instanceof errors/* HostFailure */.A0))
            throw error;
        t.lastFailure = error.message;
        line = `${error.message} Asking again.`;
    }
    if (line !== t.line)
        core/* info */.pq(`${(0,argocd_settings/* appLabel */._$)(t.app)}: ${line}`);
    t.line = line;
}
async function outcome(t, client) {
    let unhealthy = [];
    if (t.verdict.kind !== 'deployed') {
        // The deadline may have passed: the tree is read under the network bounds alone.
        unhealthy = await client
            .resourceTree(t.app, new AbortController().signal)
            .then(unhealthyResources, (error) => [`(the resource tree could not be read: ${error instanceof Error ? error.message : String(error)})`]);
    }
    return { app: t.app, observation: t.observation, verdict: t.verdict, unhealthy, lastFailure: t.lastFailure };
}
/** The one error for the applications not deployed: each named with its state, conditions and unhealthy resources. */
function deploymentError(outcomes, commit, timeoutSeconds) {
    const failed = outcomes.filter((o) => o.verdict.kind === 'failed');
    const stuck = outcomes.filter((o) => o.verdict.kind === 'waiting');
    if (failed.length > 0) {
        return new errors/* DeploymentError */.gt(failed.map((o) => `Argo CD application ${(0,argocd_settings/* appLabel */._$)(o.app)} ${o.verdict.problem}${at(o.observation)}${details(o)}`).join(' '), `The promotion commit ${judge_short(commit)} is in the infra repository: fix forward, or roll back by promoting the previous image again (allow-downgrade: true).`);
    }
    if (stuck.length === 0)
        return undefined;
    const states = stuck.map((o) => {
        const advice = stuckAdvice(o.observation);
        const state = o.observation ? describeState(o.observation) : 'never read';
        return `${(0,argocd_settings/* appLabel */._$)(o.app)} is ${state}${advice ? `: ${advice}` : ''}${o.lastFailure ? `; the last request failed: ${o.lastFailure}` : ''}${details(o)}`;
    });
    return new errors/* DeploymentError */.gt(`Argo CD did not report ${stuck.map((o) => (0,argocd_settings/* appLabel */._$)(o.app)).join(', ')} synced and healthy at a revision containing the promotion commit ${judge_short(commit)} within ${timeoutSeconds} s: ${states.join(' ')}`, 'Raise argocd-timeout if the rollout takes longer; otherwise look at what the application reports. The promotion commit is in the infra repository either way.');
}
function at(o) {
    return o?.revision ? ` at ${shortRevisions(o)}` : '';
}
/** `.` then the conditions and the unhealthy resources, when there are any. */
function details(o) {
    const conditions = o.observation?.conditions ?? [];
    return `.${conditions.length > 0 ? ` Conditions: ${conditions.join('; ')}.` : ''}${o.unhealthy.length > 0 ? ` Unhealthy resources: ${o.unhealthy.join('; ')}.` : ''}`;
}
function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal.removeEventListener('abort', stop);
            resolve();
        }, ms);
        const stop = () => {
            clearTimeout(timer);
            reject(signal.reason);
        };
        signal.addEventListener('abort', stop, { once: true });
    });
}

;// CONCATENATED MODULE: ./src/argocd/stage.ts
/**
 * The stage after publish: which commit Argo CD must deploy, if any, and the wait for it. Only a
 * promotion on infra-branch is waited for; a pull request deploys nothing until it is merged, and a
 * dry run pushed nothing.
 */



function waitFor(landing) {
    if (landing.mode === 'pull-request')
        return { skip: 'in pull-request mode nothing is deployed until the pull request is merged' };
    if (landing.dryRun)
        return { skip: 'a dry run pushes nothing' };
    const { result } = landing;
    if (result.commitSha)
        return { commit: result.commitSha };
    if (result.skippedReason === 'stale')
        return { skip: 'the targets already reference a newer image, which is what Argo CD deploys' };
    return { tip: true };
}
/** Waits for Argo CD as `waitFor` says; undefined when it says not to. */
async function runArgoCdStage(settings, landing, infra, branchHead) {
    const wanted = waitFor(landing);
    if ('skip' in wanted) {
        core/* notice */.lm(`Not waiting for Argo CD: ${wanted.skip}.`);
        return undefined;
    }
    const commit = 'commit' in wanted ? wanted.commit : await branchHead();
    if (commit === undefined)
        return undefined;
    const { history, close } = infraHistory(infra, settings.network);
    try {
        return await awaitDeployment(settings, commit, history);
    }
    finally {
        close();
    }
}


/***/ }),

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


/***/ })

};
