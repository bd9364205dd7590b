"""What a GitHub token reaches: its account and kind, the configured repositories it sees, the reads a sync makes.

Requests, each under the source's retry policy: ``GET /user`` (the login; a classic token's scopes come in
``X-OAuth-Scopes``), ``GET /repos/{o}/{r}`` for each configured repository, and on the first repository the token
sees one item of every listing a sync reads — issues, pull requests, releases, the check runs and the combined
status of the default branch. A fine-grained token has one set of permissions for all the repositories it is
given, so one repository tells them; a read it lacks answers 403 "Resource not accessible by personal access
token" (https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from connectors.access import Finding, must_fix, ok, reached, refusal, warn
from connectors.github.client import GitHubClient, TokenOwner, repo_path
from schema import AuthError, RefusedError

_FINE_GRAINED_SETTINGS = "GitHub → Settings → Developer settings → Fine-grained tokens → Repository permissions"


@dataclass(frozen=True)
class _Read:
    what: str
    permission: str  # the fine-grained permission that allows it
    path: str  # under /repos/{o}/{r}; {branch} is the default branch
    params: tuple[tuple[str, str], ...] = ()


_READS = (
    _Read("issues", "Issues", "issues", (("state", "all"),)),
    _Read("pull requests", "Pull requests", "pulls", (("state", "all"),)),
    _Read("releases", "Contents", "releases"),
    _Read("check runs", "Checks", "commits/{branch}/check-runs"),
    _Read("commit statuses", "Commit statuses", "commits/{branch}/status"),
)


def probe(client: GitHubClient, source: str) -> list[Finding]:
    owner = reached("token", client.owner, client.policy.credential)
    if isinstance(owner, Finding):
        return [owner]
    findings = [ok("token", _kind(owner))]
    seen: list[tuple[str, str]] = []  # (repository, default branch)
    for repo in client.config.repos:
        finding, branch = _repository(client, repo, owner, source)
        findings.append(finding)
        if branch is not None:
            seen.append((repo, branch))
    if seen:
        findings += _reads(client, *seen[0], owner)
    return findings


def _kind(owner: TokenOwner) -> str:
    if owner.scopes is None:
        return f"acts as {owner.login}; a fine-grained token (or an app's): its permissions are probed below"
    return f"acts as {owner.login}; a classic token with scopes: {', '.join(owner.scopes) or 'none'}"


def _repository(client: GitHubClient, repo: str, owner: TokenOwner, source: str) -> tuple[Finding, str | None]:
    what = f"repo {repo}"
    if owner.scopes is None:
        grant = f"give the token access to {repo} (its Repository access)"
    else:
        grant = "a private repository needs the token's repo scope"
    try:
        answer = client.request("GET", repo_path(repo), describe=f"repo {repo}")
    except RefusedError as exc:
        if exc.status != 404:
            return must_fix(what, str(exc), f"check {repo} in sources.{source}.repos"), None
        fix = f"check the name in sources.{source}.repos; {grant}"
        return must_fix(what, f"not found, or {owner.login}'s token cannot see it", fix), None
    except AuthError as exc:
        fix = f"{grant}; an organisation with SAML single sign-on must authorise the token"
        return must_fix(what, f"refused ({refusal(exc)})", fix), None
    data = answer.data if isinstance(answer.data, dict) else {}
    branch = data.get("default_branch")
    if not isinstance(branch, str) or not branch:
        return warn(what, "visible, but names no default branch", "push a first commit to it"), None
    private = " (private)" if data.get("private") else ""
    return ok(what, f"visible{private}, default branch {branch}"), branch


def _reads(client: GitHubClient, repo: str, branch: str, owner: TokenOwner) -> list[Finding]:
    readable: list[str] = []
    findings: list[Finding] = []
    for read in _READS:
        path = f"{repo_path(repo)}/{read.path.format(branch=quote(branch, safe=''))}"
        try:
            client.request("GET", path, params={**dict(read.params), "per_page": 1}, describe=f"{read.what} of {repo}")
        except AuthError as exc:
            detail = f"the token cannot read the {read.what} of {repo} ({refusal(exc)})"
            findings.append(must_fix(read.what, detail, _grant(read, owner)))
        except RefusedError as exc:
            if exc.status in (404, 409, 422):  # an empty repository has no commit to read the checks of
                findings.append(warn(read.what, f"nothing to read on {branch} yet ({exc.status})"))
            else:
                findings.append(must_fix(read.what, str(exc), _grant(read, owner)))
        else:
            readable.append(read.what)
    if readable:
        findings.insert(0, ok("reads", f"{', '.join(readable)} (probed on {repo})"))
    return findings


def _grant(read: _Read, owner: TokenOwner) -> str:
    if owner.scopes is None:
        return f'give the token "{read.permission}: Read-only" ({_FINE_GRAINED_SETTINGS})'
    return "give the token the repo scope (public_repo is enough for public repositories)"
