"""World objects → GitHub REST JSON, field for field as GitHub serves them (pure functions, no HTTP).

Shapes follow the vendor examples in ``shared/fixtures/github/rest`` (every key present, same order). API URLs point
at the sandbox's own base URL (``Links.api``); ``html_url`` and clone URLs at a github-like host (``Links.html``).
Node ids use GitHub's legacy encoding, ``base64("0<len(type)>:<Type><id>")`` (e.g. ``MDU6SXNzdWUx`` = Issue 1).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from sandbox.world import (
    CheckRun,
    CommitStatus,
    GitHubIssue,
    GitHubRelease,
    Milestone,
    Person,
    PullRequest,
    Repo,
    World,
)

Json = dict[str, Any]
Item = GitHubIssue | PullRequest

ORG_ID_BASE = 9_100_000
APP_ID = 15_368  # GitHub Actions' app id on github.com
LABELS = {  # GitHub's default labels: name -> (colour, description)
    "bug": ("d73a4a", "Something isn't working"),
    "enhancement": ("a2eeef", "New feature or request"),
    "question": ("d876e3", "Further information is requested"),
    "good first issue": ("7057ff", "Good for newcomers"),
    "documentation": ("0075ca", "Improvements or additions to documentation"),
}


# The organisation's issue types: the three GitHub gives every new organisation. name: (id, description, color)
# https://docs.github.com/en/issues/tracking-your-work-with-issues/configuring-issues/managing-issue-types-in-an-organization
ISSUE_TYPES: dict[str, tuple[int, str, str]] = {
    "Task": (1_862_461, "A specific piece of work", "yellow"),
    "Bug": (1_862_462, "An unexpected problem or behavior", "red"),
    "Feature": (1_862_463, "A request, idea, or new functionality", "blue"),
}


@dataclass(frozen=True)
class Links:
    api: str  # e.g. http://127.0.0.1:8123 or http://127.0.0.1:8123/api/v3
    html: str  # e.g. https://github.com


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else _iso(moment)


@lru_cache(maxsize=1 << 16)
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def comment_id(item_id: int, index: int) -> int:
    """Comments are stored as tuples in the world; their ids derive from the item id and position."""
    return item_id * 1000 + index + 1


def sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def dumps(body: object) -> bytes:
    """Compact UTF-8 JSON, as GitHub sends it."""
    return orjson.dumps(body)


def short_id(*parts: object) -> int:
    return int(hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()[:9], 16)


# ------------------------------------------------------------------------------------------------ accounts


@lru_cache(maxsize=256)
def _account(links: Links, login: str, ident: int, kind: str) -> Json:
    """Shared between bodies (never mutated), as users and labels repeat in every item."""
    api = f"{links.api}/users/{login}"
    return {
        "login": login,
        "id": ident,
        "node_id": node_id(kind, ident),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ident}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{links.html}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "site_admin": False,
    }


def user(links: Links, person: Person) -> Json:
    return _account(links, person.login, person.github_id, "User")


def org(links: Links, repo: Repo) -> Json:
    return _account(links, repo.owner, ORG_ID_BASE + sum(map(ord, repo.owner)), "Organization")


def login_user(links: Links, world: World, login: str) -> Json:
    return user(links, world.person_by_login(login))


def authenticated_user(links: Links, person: Person, since: datetime) -> Json:
    """``GET /user``: the token's own account, with the private counters GitHub shows its owner."""
    profile: Json = {"name": person.display_name, "email": person.email, "company": None, "blog": ""}
    profile |= {"location": None, "hireable": None, "bio": None, "public_repos": 0, "public_gists": 0}
    profile |= {"followers": 0, "following": 0, "created_at": iso(since), "updated_at": iso(since)}
    private = ("private_gists", "total_private_repos", "owned_private_repos", "disk_usage", "collaborators")
    return user(links, person) | profile | dict.fromkeys(private, 0) | {"two_factor_authentication": True}


# ------------------------------------------------------------------------------------------------ repository


def repository(links: Links, repo: Repo, open_count: int, pushed: datetime, *, full: bool = False) -> Json:
    api, html = f"{links.api}/repos/{repo.full_name}", f"{links.html}/{repo.full_name}"
    host = links.html.split("://", 1)[-1]
    body: Json = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": org(links, repo),
        "private": False,
        "html_url": html,
        "description": f"{repo.name.replace('-', ' ').title()} service of {repo.owner}",
        "fork": False,
        "url": api,
        **{f"{name}_url": f"{api}/{path}" for name, path in _REPO_URLS},
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{html}.git",
        "mirror_url": None,
        "hooks_url": f"{api}/hooks",
        "svn_url": html,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 12,
        "watchers_count": 12,
        "watchers": 12,
        "size": 2048,
        "default_branch": repo.default_branch,
        "open_issues_count": open_count,
        "open_issues": open_count,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "pushed_at": iso(pushed),
        "created_at": iso(repo.created),
        "updated_at": iso(pushed),
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        "allow_rebase_merge": True,
        "temp_clone_token": "",
        "allow_squash_merge": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": True,
        "allow_merge_commit": True,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": {
            "key": "mit",
            "name": "MIT License",
            "spdx_id": "MIT",
            "url": f"{links.api}/licenses/mit",
            "node_id": "MDc6TGljZW5zZW1pdA==",
        },
    }
    if full:
        body |= {"organization": org(links, repo), "network_count": 0, "subscribers_count": 4}
    return body


_REPO_URLS = [
    ("archive", "{archive_format}{/ref}"),
    ("assignees", "assignees{/user}"),
    ("blobs", "git/blobs{/sha}"),
    ("branches", "branches{/branch}"),
    ("collaborators", "collaborators{/collaborator}"),
    ("comments", "comments{/number}"),
    ("commits", "commits{/sha}"),
    ("compare", "compare/{base}...{head}"),
    ("contents", "contents/{+path}"),
    ("contributors", "contributors"),
    ("deployments", "deployments"),
    ("downloads", "downloads"),
    ("events", "events"),
    ("forks", "forks"),
    ("git_commits", "git/commits{/sha}"),
    ("git_refs", "git/refs{/sha}"),
    ("git_tags", "git/tags{/sha}"),
    ("issue_comment", "issues/comments{/number}"),
    ("issue_events", "issues/events{/number}"),
    ("issues", "issues{/number}"),
    ("keys", "keys{/key_id}"),
    ("labels", "labels{/name}"),
    ("languages", "languages"),
    ("merges", "merges"),
    ("milestones", "milestones{/number}"),
    ("notifications", "notifications{?since,all,participating}"),
    ("pulls", "pulls{/number}"),
    ("releases", "releases{/id}"),
    ("stargazers", "stargazers"),
    ("statuses", "statuses/{sha}"),
    ("subscribers", "subscribers"),
    ("subscription", "subscription"),
    ("tags", "tags"),
    ("teams", "teams"),
    ("trees", "git/trees{/sha}"),
]


# ------------------------------------------------------------------------------------------------ issues & PRs


def label(links: Links, repo: Repo, name: str) -> Json:
    return _label(links, repo.full_name, name)


@lru_cache(maxsize=256)
def _label(links: Links, full_name: str, name: str) -> Json:
    colour, description = LABELS.get(name, ("ededed", None))
    ident = short_id(full_name, "label", name)
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{links.api}/repos/{full_name}/labels/{name.replace(' ', '%20')}",
        "name": name,
        "description": description,
        "color": colour,
        "default": name in LABELS,
    }


def milestone(links: Links, world: World, repo: Repo, ms: Milestone, open_items: int, closed_items: int) -> Json:
    api = f"{links.api}/repos/{repo.full_name}/milestones/{ms.number}"
    return {
        "url": api,
        "html_url": f"{links.html}/{repo.full_name}/milestone/{ms.number}",
        "labels_url": f"{api}/labels",
        "id": ms.id,
        "node_id": node_id("Milestone", ms.id),
        "number": ms.number,
        "state": ms.state,
        "title": ms.title,
        "description": ms.description,
        "creator": user(links, world.people[0]),
        "open_issues": open_items,
        "closed_issues": closed_items,
        "created_at": iso(ms.created),
        "updated_at": iso(ms.updated),
        "closed_at": iso(ms.closed_at),
        "due_on": iso(ms.due_on),
    }


def _reactions(url: str) -> Json:
    counts = dict.fromkeys(("total_count", "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": f"{url}/reactions", **counts}


def _closer(links: Links, world: World, item: Item) -> Json | None:
    if item.state != "closed":
        return None
    return login_user(links, world, getattr(item, "assignee", None) or item.user)


def issue(links: Links, world: World, repo: Repo, item: Item, ms_json: Json | None) -> Json:
    """An issue as ``/issues`` lists it; a pull request appears with a ``pull_request`` key."""
    api = f"{links.api}/repos/{repo.full_name}/issues/{item.number}"
    is_pr = isinstance(item, PullRequest)
    html = f"{links.html}/{repo.full_name}/{'pull' if is_pr else 'issues'}/{item.number}"
    assignee = getattr(item, "assignee", None)
    body: Json = {
        "id": item.id,
        "node_id": node_id("PullRequest" if is_pr else "Issue", item.id),
        "url": api,
        "repository_url": f"{links.api}/repos/{repo.full_name}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": html,
        "number": item.number,
        "state": item.state,
        "title": item.title,
        "body": item.body,
        "user": login_user(links, world, item.user),
        "pinned_comment": None,
        "labels": [label(links, repo, name) for name in item.labels],
        "assignee": login_user(links, world, assignee) if assignee else None,
        "assignees": [login_user(links, world, assignee)] if assignee else [],
        "milestone": ms_json,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(item.comments),
    }
    if isinstance(item, PullRequest):
        pr_html = f"{links.html}/{repo.full_name}/pull/{item.number}"
        body["pull_request"] = {
            "url": f"{links.api}/repos/{repo.full_name}/pulls/{item.number}",
            "html_url": pr_html,
            "diff_url": f"{pr_html}.diff",
            "patch_url": f"{pr_html}.patch",
            "merged_at": iso(item.merged_at),
        }
        body["draft"] = item.draft
    body |= {
        "closed_at": iso(item.closed_at),
        "created_at": iso(item.created),
        "updated_at": iso(item.updated),
        "closed_by": _closer(links, world, item),
        "author_association": "MEMBER",
        "state_reason": item.state_reason if isinstance(item, GitHubIssue) else None,
        "type": issue_type(world, item.issue_type) if isinstance(item, GitHubIssue) else None,
        "timeline_url": f"{api}/timeline",
        "reactions": _reactions(api),
    }
    return body


def issue_type(world: World, name: str | None) -> Json | None:
    """An issue type of the organisation (made with it: when its first repository was)."""
    if name is None:
        return None
    type_id, description, color = ISSUE_TYPES[name]
    created = iso(min(r.created for r in world.repos.values()))
    return {
        "id": type_id,
        "node_id": node_id("IssueType", type_id),
        "name": name,
        "description": description,
        "color": color,
        "created_at": created,
        "updated_at": created,
        "is_enabled": True,
    }


def _branch(links: Links, repo: Repo, repo_json: Json | orjson.Fragment, ref: str, sha: str) -> Json:
    return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": org(links, repo), "repo": repo_json}


def pull(
    links: Links,
    world: World,
    repo: Repo,
    pr: PullRequest,
    repo_json: Json | orjson.Fragment,
    ms_json: Json | None,
    *,
    detail: bool,
) -> Json:
    """A pull request as ``/pulls`` lists it; ``detail`` adds the fields only ``/pulls/{n}`` serves.

    ``repo_json`` may be pre-serialised (an ``orjson.Fragment``): it appears twice (head and base) in every body."""
    api = f"{links.api}/repos/{repo.full_name}/pulls/{pr.number}"
    issue_api = f"{links.api}/repos/{repo.full_name}/issues/{pr.number}"
    html = f"{links.html}/{repo.full_name}/pull/{pr.number}"
    statuses = f"{links.api}/repos/{repo.full_name}/statuses/{pr.head_sha}"
    body: Json = {
        "url": api,
        "id": pr.id,
        "node_id": node_id("PullRequest", pr.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{links.api}/repos/{repo.full_name}/pulls/comments{{/number}}",
        "comments_url": f"{issue_api}/comments",
        "statuses_url": statuses,
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": login_user(links, world, pr.user),
        "body": pr.body,
        "labels": [label(links, repo, name) for name in pr.labels],
        "milestone": ms_json,
        "active_lock_reason": None,
        "created_at": iso(pr.created),
        "updated_at": iso(pr.updated),
        "closed_at": iso(pr.closed_at),
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(links, repo, repo_json, pr.head_ref, pr.head_sha),
        "base": _branch(links, repo, repo_json, pr.base_ref, repo.branches.get(pr.base_ref, pr.head_sha)),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": issue_api},
            "comments": {"href": f"{issue_api}/comments"},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": f"{links.api}/repos/{repo.full_name}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": statuses},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pr.draft,
    }
    if detail:
        merged = pr.merged_at is not None
        body |= {
            "merged": merged,
            "mergeable": None if pr.state == "closed" else not pr.draft,
            "rebaseable": None if pr.state == "closed" else True,
            "mergeable_state": "unknown" if pr.state == "closed" else ("draft" if pr.draft else "clean"),
            "merged_by": login_user(links, world, pr.user) if merged else None,
            "comments": len(pr.comments),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1 + pr.number % 5,
            "additions": 10 + pr.number * 7 % 300,
            "deletions": pr.number * 3 % 120,
            "changed_files": 1 + pr.number % 9,
        }
    return body


def comment(links: Links, world: World, repo: Repo, item: Item, index: int) -> Json:
    at, login, text = item.comments[index]
    ident = comment_id(item.id, index)
    api = f"{links.api}/repos/{repo.full_name}/issues/comments/{ident}"
    kind = "pull" if isinstance(item, PullRequest) else "issues"
    return {
        "id": ident,
        "node_id": node_id("IssueComment", ident),
        "url": api,
        "html_url": f"{links.html}/{repo.full_name}/{kind}/{item.number}#issuecomment-{ident}",
        "body": text,
        "user": login_user(links, world, login),
        "created_at": iso(at),
        "updated_at": iso(at),
        "issue_url": f"{links.api}/repos/{repo.full_name}/issues/{item.number}",
        "author_association": "MEMBER",
        "minimized": None,
        "reactions": _reactions(api),
        "performed_via_github_app": None,
    }


def timeline(links: Links, world: World, repo: Repo, item: Item) -> list[Json]:
    """Timeline events derived from the item's own history: labels, milestone, comments, merge, close."""
    actor = login_user(links, world, item.user)

    def event(name: str, at: datetime, extra: Json | None = None) -> Json:
        ident = short_id(repo.full_name, item.number, name, iso(at), extra)
        return {
            "id": ident,
            "node_id": node_id("IssueEvent", ident),
            "url": f"{links.api}/repos/{repo.full_name}/issues/events/{ident}",
            "actor": actor,
            "event": name,
            "commit_id": None,
            "commit_url": None,
            "created_at": iso(at),
            **(extra or {}),
            "performed_via_github_app": None,
        }

    events = [
        event("labeled", item.created, {"label": {"name": n, "color": LABELS.get(n, ("ededed",))[0]}})
        for n in item.labels
    ]
    ms = repo.milestones.get(item.milestone) if item.milestone else None
    if ms:
        events.append(event("milestoned", item.created, {"milestone": {"title": ms.title}}))
    for index in range(len(item.comments)):
        events.append(comment(links, world, repo, item, index) | {"event": "commented", "actor": actor})
    if isinstance(item, PullRequest) and item.merged_at:
        events.append(event("merged", item.merged_at) | {"commit_id": item.merge_commit_sha})
    if item.closed_at:
        events.append(event("closed", item.closed_at))
    events.sort(key=lambda e: e["created_at"])
    return events


# ------------------------------------------------------------------------------------------------ releases & CI


def release(links: Links, world: World, repo: Repo, rel: GitHubRelease) -> Json:
    api = f"{links.api}/repos/{repo.full_name}/releases/{rel.id}"
    html = f"{links.html}/{repo.full_name}/releases/{'tag/' if not rel.draft else 'untagged-'}{rel.tag_name}"
    upload_host = links.api.replace("://", "://uploads.", 1) if "github.com" in links.api else links.api
    return {
        "url": api,
        "html_url": html,
        "assets_url": f"{api}/assets",
        "upload_url": f"{upload_host}/repos/{repo.full_name}/releases/{rel.id}/assets{{?name,label}}",
        "tarball_url": f"{links.api}/repos/{repo.full_name}/tarball/{rel.tag_name}",
        "zipball_url": f"{links.api}/repos/{repo.full_name}/zipball/{rel.tag_name}",
        "id": rel.id,
        "node_id": node_id("Release", rel.id),
        "tag_name": rel.tag_name,
        "target_commitish": rel.target_commitish,
        "name": rel.name,
        "body": rel.body,
        "draft": rel.draft,
        "prerelease": rel.prerelease,
        "immutable": False,
        "created_at": iso(rel.created),
        "published_at": iso(rel.published_at),
        "author": user(links, world.people[0]),
        "assets": [],
    }


def check_run(links: Links, world: World, repo: Repo, run: CheckRun) -> Json:
    api = f"{links.api}/repos/{repo.full_name}/check-runs/{run.id}"
    failed = run.conclusion not in (None, "success", "neutral", "skipped")
    suite = short_id(repo.full_name, "suite", run.sha)
    pulls = [p for p in repo.pulls.values() if p.head_sha == run.sha]
    return {
        "id": run.id,
        "head_sha": run.sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": "",
        "url": api,
        "html_url": f"{links.html}/{repo.full_name}/runs/{run.id}",
        "details_url": f"{links.html}/{repo.full_name}/runs/{run.id}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at),
        "output": {
            "title": f"{run.name} {'failed' if failed else 'passed'}" if run.conclusion else None,
            "summary": f"{run.name}: {run.conclusion}" if run.conclusion else None,
            "text": None,
            "annotations_count": 1 if failed else 0,
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": suite},
        "app": _actions_app(links, repo),
        "pull_requests": [_pr_ref(links, repo, p) for p in pulls],
    }


def _pr_ref(links: Links, repo: Repo, pr: PullRequest) -> Json:
    ref = {"id": repo.id, "url": f"{links.api}/repos/{repo.full_name}", "name": repo.name}
    return {
        "url": f"{links.api}/repos/{repo.full_name}/pulls/{pr.number}",
        "id": pr.id,
        "number": pr.number,
        "head": {"ref": pr.head_ref, "sha": pr.head_sha, "repo": ref},
        "base": {"ref": pr.base_ref, "sha": repo.branches.get(pr.base_ref, pr.head_sha), "repo": ref},
    }


def _actions_app(links: Links, repo: Repo) -> Json:
    return {
        "id": APP_ID,
        "slug": "github-actions",
        "node_id": node_id("Integration", APP_ID),
        "owner": org(links, repo),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": f"{links.html}/features/actions",
        "html_url": f"{links.html}/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "permissions": {"checks": "write", "contents": "write", "metadata": "read", "pull_requests": "write"},
        "events": ["check_run", "check_suite", "pull_request", "push"],
    }


def check_suite(links: Links, repo: Repo, runs: list[CheckRun]) -> Json:
    """The ``check_suite`` object of a ``check_run`` webhook for the suite ``runs`` belong to."""
    sha = runs[0].sha
    suite = short_id(repo.full_name, "suite", sha)
    done = all(r.status == "completed" for r in runs)
    conclusions = {r.conclusion for r in runs}
    conclusion = ("failure" if conclusions - {"success", "neutral", "skipped"} else "success") if done else None
    head = next((name for name, value in repo.branches.items() if value == sha), repo.default_branch)
    return {
        "id": suite,
        "node_id": node_id("CheckSuite", suite),
        "head_branch": head,
        "head_sha": sha,
        "status": "completed" if done else "in_progress",
        "conclusion": conclusion,
        "url": f"{links.api}/repos/{repo.full_name}/check-suites/{suite}",
        "before": None,
        "after": sha,
        "pull_requests": [_pr_ref(links, repo, p) for p in repo.pulls.values() if p.head_sha == sha],
        "app": _actions_app(links, repo),
        "created_at": iso(min(r.started_at for r in runs)),
        "updated_at": iso(max(r.completed_at or r.started_at for r in runs)),
    }


def commit_status(links: Links, repo: Repo, status: CommitStatus) -> Json:
    return {
        "url": f"{links.api}/repos/{repo.full_name}/statuses/{status.sha}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ORG_ID_BASE}?v=4",
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": f"{links.html}/{repo.full_name}/actions",
        "context": status.context,
        "created_at": iso(status.created),
        "updated_at": iso(status.updated),
    }


def combined_status(links: Links, repo: Repo, repo_json: Json, sha: str, statuses: list[CommitStatus]) -> Json:
    """GitHub's rule: failure/error anywhere → failure; all success → success; otherwise (or none) pending."""
    states = {s.state for s in statuses}
    state = "failure" if states & {"failure", "error"} else ("success" if states == {"success"} else "pending")
    # why: the combined status embeds GitHub's minimal repository: identity fields and API URL templates only
    keep = ("id", "node_id", "name", "full_name", "private", "owner", "html_url", "description", "fork", "url")
    urls = {
        k: v
        for k, v in repo_json.items()
        if k.endswith("_url") and k not in ("html_url", "git_url", "ssh_url", "clone_url", "svn_url", "mirror_url")
    }
    return {
        "state": state,
        "statuses": [commit_status(links, repo, s) for s in statuses],
        "sha": sha,
        "total_count": len(statuses),
        "repository": {k: repo_json[k] for k in keep} | urls,
        "commit_url": f"{links.api}/repos/{repo.full_name}/commits/{sha}",
        "url": f"{links.api}/repos/{repo.full_name}/commits/{sha}/status",
    }


def rate_limit(limit: int, used: int, reset: int) -> Json:
    core = {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}
    other = {
        "search": 30,
        "graphql": 5000,
        "integration_manifest": 5000,
        "source_import": 100,
        "code_scanning_upload": 1000,
        "actions_runner_registration": 10000,
        "scim": 15000,
        "dependency_snapshots": 100,
        "code_search": 10,
    }
    resources = {"core": core} | {k: {"limit": v, "used": 0, "remaining": v, "reset": reset} for k, v in other.items()}
    return {"resources": resources, "rate": core}
