/**
 * What a host's answer to a push means, in one place: the branch moved under us (and, where the host
 * says, where it is now), or a refusal with the advice that fits it. Pure.
 */
import { GitError } from '../errors.js'
import type { UpdateMode } from './store.js'

/** Every form hosts use to say the branch moved under us (git, GitHub, GitLab, Gitea, Bitbucket). */
const BRANCH_MOVED = [
  /non-fast-forward/i,
  /fetch first/i,
  /failed to update ref/i,
  /failed to lock/i,
  /cannot lock ref/i,
  /incorrect old value provided/i,
  /stale info/i,
  /\b409\b/,
  /Update is not a fast forward/i,
  /reference already exists/i,
]

export function isBranchMoved(text: string): boolean {
  return BRANCH_MOVED.some((pattern) => pattern.test(text))
}

/** Where the branch is now, from git's lock error (`cannot lock ref '…': is at <oid> but expected <oid>`). */
export function lockedAt(messages: readonly string[]): string | undefined {
  for (const line of messages) {
    const match = /is at ([0-9a-f]{40}) but expected/.exec(line)
    if (match) return match[1]
  }
  return undefined
}

/** The longest rejection shown whole; a host that says more is cut, with a mark. */
const MAX_REJECTION = 4000

/** The host's words: every message line and the refusal reason, bounded. */
export function hostWords(messages: readonly string[], reason?: string): string {
  const text = [...messages, ...(reason && !messages.some((m) => m.includes(reason)) ? [reason] : [])].join(' | ')
  return text.length > MAX_REJECTION ? `${text.slice(0, MAX_REJECTION)}…` : text
}

/** A form in which hosts refuse a push for their policy, and the advice that fits it. */
interface PolicyRefusal {
  readonly pattern: RegExp
  /** What refused, in words. */
  readonly what: string
  readonly advice: string
  /** Said only when no specific form matched (a host's generic line beside a specific one). */
  readonly generic?: true
}

/**
 * The common policy refusals of GitHub, GitLab, Gitea and Bitbucket. Every specific form that matches
 * is named (a GitHub ruleset may require a pull request and signed commits at once, one line each);
 * a generic one only when none did. Pull requests are the action's own only on GitHub.
 */
const POLICY_REFUSALS: readonly PolicyRefusal[] = [
  // GitHub: branch protection (GH006) and rulesets (GH013) name each rule broken on its own line.
  {
    pattern: /Changes must be made through a pull request/i,
    what: 'GitHub accepts changes to this branch only through a pull request',
    advice: "Use mode: pull-request (the action opens or updates the pull request), or let the token's app bypass the rule.",
  },
  {
    pattern: /Required status checks? .*(is|are) expected/i,
    what: 'GitHub requires status checks to pass before a commit reaches this branch',
    advice: "Use mode: pull-request, so the checks run on the pull request, or let the token's app bypass the rule.",
  },
  {
    pattern: /approving reviews? (is|are) required/i,
    what: 'GitHub requires an approving review before a commit reaches this branch',
    advice: "Use mode: pull-request, so the promotion can be reviewed, or let the token's app bypass the rule.",
  },
  {
    pattern: /Commits must have verified signatures/i,
    what: 'GitHub requires signed commits on this branch',
    advice: 'Use commit-via: api: GitHub signs the commits the action makes through its API.',
  },
  {
    pattern: /GH013|Repository rule violations/i,
    what: 'a GitHub repository ruleset refused the push',
    advice: "The host's words name the rule: use mode: pull-request, or let the token's app bypass the ruleset.",
    generic: true,
  },
  {
    pattern: /GH006|Protected branch update failed|protected branch hook declined/i,
    what: 'the branch is protected on GitHub',
    advice: "Use mode: pull-request, or allow the token's app to push in the branch protection rule.",
    generic: true,
  },
  // GitLab
  {
    pattern: /not allowed to (force )?push code to (a )?protected branch/i,
    what: 'the branch is protected on GitLab',
    advice: "Allow the token's role or user to push in the project's protected branch settings, or set infra-branch to a branch that is not protected.",
  },
  {
    pattern: /not allowed to push code to this project/i,
    what: 'the token may not push to this GitLab project',
    advice: 'Give the token the write_repository scope and at least the Developer role in the project.',
  },
  {
    pattern: /\bGitLab:/,
    what: 'GitLab refused the push',
    advice: "The host's words say why (a push rule, a locked file, a size limit): fix what they name.",
    generic: true,
  },
  // Gitea and Forgejo
  {
    pattern: /Not allowed to push to protected branch/i,
    what: 'the branch is protected on Gitea',
    advice: "Add the token's user to the push allowlist of the branch protection, or set infra-branch to a branch that is not protected.",
  },
  // Bitbucket (Data Center, then Cloud)
  {
    pattern: /can only be modified through pull requests/i,
    what: 'Bitbucket accepts changes to this branch only through a pull request',
    advice:
      "Exempt the token's user from the branch permission that prevents changes without a pull request, or set infra-branch to a branch that is not restricted.",
  },
  {
    pattern: /permission to push|Permission denied to update branch/i,
    what: "the token's account may not push to this branch on Bitbucket",
    advice: "Give that account write access to the branch in the repository's branch restrictions, or set infra-branch to a branch it may write.",
  },
  // Any host's own hooks
  {
    pattern: /hook declined|declined/i,
    what: 'a server-side hook declined the push',
    advice: "The hook's words say why: fix what they name, or ask the infra repository's admins.",
    generic: true,
  },
]

/** The policy forms a refusal matches (specific ones, else the first generic one); empty for none. Pure. */
export function policyRefusals(words: string): PolicyRefusal[] {
  const matched = POLICY_REFUSALS.filter((form) => form.pattern.test(words))
  const specific = matched.filter((form) => !form.generic)
  return specific.length > 0 ? specific : matched.slice(0, 1)
}

/**
 * Whether a refused push lost a race, or the error to stop with. Forced (the action's own branch),
 * only a failed compare-and-swap is a race: anything else is the host's policy.
 */
export function judgeRefusal(answer: { reason?: string; messages: readonly string[] }, branch: string, where: string, mode: UpdateMode): 'moved' | Error {
  const words = hostWords(answer.messages, answer.reason)
  const lostLease = lockedAt(answer.messages) !== undefined || /failed to (update ref|lock)|stale info|incorrect old value/i.test(words)
  if (mode === 'force' ? lostLease : isBranchMoved(words)) return 'moved'
  if (mode === 'force') {
    return new GitError(
      `${where} refused the forced update of ${branch}, the action's own pull-request branch (${words}).`,
      'Allow force pushes to that branch (exclude promote/** from branch protection), or name another one in pr-branch.',
    )
  }
  const forms = policyRefusals(words)
  if (forms.length > 0) {
    return new GitError(
      `${where} declined the push to ${branch}: ${forms.map((form) => form.what).join('; ')}. The host said: ${words}.`,
      [...new Set(forms.map((form) => form.advice))].join(' '),
    )
  }
  return new GitError(`${where} refused the push to ${branch}: ${words || 'no reason given'}.`, 'Nothing was pushed; the host says why above.')
}
