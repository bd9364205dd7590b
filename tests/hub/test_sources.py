"""One answer to "which source covers this": the index refuses a repository or Jira site claimed twice, and with two
GitHub sources (two tokens, two accounts) and two Jira sites (two sandboxes) every write-back, comment and webhook
goes through the source that covers its repository or project — over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from connectors.notify import Message
from connectors.notify_config import NotifyTarget
from hub import service
from hub.settings import Settings
from hub.sources import Sources, SourcesWriteBack
from sandbox.github.core import DEFAULT_TOKENS
from sandbox.jira.options import DEFAULT_API_TOKEN
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.world import JiraIssue, Scale, World, build_world
from schema import ConfigError, StatusCategory, WorkItem, ids
from sync.store import Store
from sync.store.tables import webhook_inbox
from tests.web.conftest import GITHUB_SECRET, JIRA_SECRET, Web, serve_web

ADA_TOKEN, GRACE_TOKEN = list(DEFAULT_TOKENS)[:2]
SITE_B = "beta.atlassian.net"
ENV = {
    "PMHUB_TEST_GH_ADA": ADA_TOKEN,
    "PMHUB_TEST_GH_GRACE": GRACE_TOKEN,
    "PMHUB_TEST_JIRA_A": DEFAULT_API_TOKEN,
    "PMHUB_TEST_JIRA_B": DEFAULT_API_TOKEN,
}


def _github(repos: list[str], env: str = "PMHUB_TEST_GH_ADA") -> dict[str, Any]:
    return {"kind": "github", "repos": repos, "token_env": env}


def _jira(url: str, projects: list[str], site: str | None = None) -> dict[str, Any]:
    return {"kind": "jira", "url": url, "projects": projects, "token_env": "PMHUB_TEST_JIRA_A", "site": site}


# ----------------------------------------------------------------------------------------------- the index alone


def test_a_repository_listed_by_two_sources_is_a_config_error_naming_both() -> None:
    settings = Settings(sources={"one": _github(["acme/app"]), "two": _github(["acme/api", "Acme/App"])})
    with pytest.raises(ConfigError) as refused:
        Sources(settings)
    assert "sources.one and sources.two both cover repository Acme/App" in str(refused.value)


def test_a_jira_site_read_by_two_sources_is_a_config_error_naming_both() -> None:
    settings = Settings(
        sources={"a": _jira("https://acme.atlassian.net", ["CHK"]), "b": _jira("https://acme.atlassian.net", ["MOB"])}
    )
    with pytest.raises(ConfigError, match=r"sources\.a and sources\.b both cover Jira site acme\.atlassian\.net"):
        Sources(settings)


def test_a_jira_delivery_is_matched_by_its_site_then_by_its_project() -> None:
    sources = Sources(
        Settings(
            sources={
                "cloud": _jira("https://acme.atlassian.net", ["CHK", "MOB"]),
                "server": _jira("https://jira.example.com/jira", ["CHK", "OPS"]),
                "renamed": _jira("http://127.0.0.1:8080", ["WEB"], site="web.example.net"),
            }
        )
    )
    assert sources.jira_name(link="https://acme.atlassian.net/rest/api/2/issue/1", project="CHK") == "cloud"
    assert sources.jira_name(link="https://jira.example.com/jira/rest/api/2/issue/1", project="chk") == "server"
    assert sources.jira_name(link="https://jira.example.com/other/rest/api/2/issue/1", project="OPS") == "server"
    assert sources.jira_name(link="https://web.example.net/rest/api/2/version/3") == "renamed"
    assert sources.jira_name(link="http://127.0.0.1:8080/rest/api/2/version/3") == "renamed"
    assert sources.jira_name(link="https://acme.atlassian.net/rest/api/2/issue/1", project="OPS") is None
    assert sources.jira_name(project="MOB") == "cloud"
    assert sources.jira_name(project="NOPE") is None
    with pytest.raises(ConfigError, match="Jira project CHK is listed by sources cloud, server"):
        sources.jira_name(project="CHK")


# --------------------------------------------------------------------------- two GitHub tokens, two Jira sites


@dataclass
class Two:
    a: Sandbox  # GitHub (both repositories) and Jira site A
    b: Sandbox  # Jira site B
    settings: Settings
    web: Web

    @property
    def store(self) -> Store:
        return self.web.store

    def delivered(self) -> None:
        assert self.a.webhooks.flush(10)
        assert self.b.webhooks.flush(10)
        self.web.settle()

    def inbox(self) -> list[dict[str, Any]]:
        with self.store.db.engine.connect() as conn:
            return [dict(row._asdict()) for row in conn.execute(select(webhook_inbox).order_by(webhook_inbox.c.id))]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    world_b = build_world(seed=8, scale=Scale.named("tiny"))
    world_b.site = SITE_B
    a = Sandbox(SandboxOptions(scale=Scale.named("tiny"))).start()
    b = Sandbox(SandboxOptions(scale=Scale.named("tiny")), world=world_b).start()
    jira_b = _jira(b.urls["jira"], ["MOB"], site=SITE_B)
    jira_b |= {"email": "grace@acme.example", "token_env": "PMHUB_TEST_JIRA_B"}
    settings = Settings(
        sources={
            "gh-ada": _github(["acme/checkout"]) | {"base_url": a.urls["github"]},
            "gh-grace": _github(["acme/mobile-app"], "PMHUB_TEST_GH_GRACE") | {"base_url": a.urls["github"]},
            "jira-a": _jira(a.urls["jira"], ["CHK"], site=a.world.site) | {"email": "ada@acme.example"},
            "jira-b": jira_b,
        }
    )
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('two') / 'pmhub.db'}")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        with serve_web(settings, store) as web, httpx.Client(timeout=10) as admin:
            for sandbox in (a, b):
                jira = {"url": web.url + "/webhooks/jira", "secret": JIRA_SECRET}
                assert admin.post(sandbox.urls["jira"] + "/_sandbox/webhooks", json=jira).status_code == 201
            github = {"url": web.url + "/webhooks/github", "secret": GITHUB_SECRET}
            assert admin.post(a.urls["github"] + "/_sandbox/webhooks", json=github).status_code == 201
            try:
                yield Two(a, b, settings, web)
            finally:
                a.stop()
                b.stop()


def _open_issue(world: World, project: str) -> JiraIssue:
    return next(
        issue
        for issue in world.jira_issues.values()
        if issue.project == project and world.jira_projects[project].status(issue.status).category == "new"
    )


def _github_issue(world: World, repo: str, *, state: str = "open", skip: int = 0) -> int:
    return sorted(n for n, issue in world.repos[repo].issues.items() if issue.state == state)[skip]


def test_write_back_goes_through_the_source_of_each_site_and_repository_with_its_token(two: Two) -> None:
    executor = SourcesWriteBack(Sources(two.settings))
    chk, mob = _open_issue(two.a.world, "CHK"), _open_issue(two.b.world, "MOB")
    doing_chk = two.a.world.jira_projects["CHK"].first_in("indeterminate").name
    doing_mob = two.b.world.jira_projects["MOB"].first_in("indeterminate").name
    executor.transition_jira(two.a.world.site, chk.key, doing_chk)
    executor.transition_jira(SITE_B, mob.key, doing_mob)
    executor.comment_jira(SITE_B, mob.key, "moved back: its pull request is open")
    assert (chk.status, mob.status) == (doing_chk, doing_mob)
    grace = two.b.world.person_by_login("grace")
    assert mob.comments[-1][1:] == (grace.account_id, "moved back: its pull request is open")

    checkout, mobile = _github_issue(two.a.world, "acme/checkout"), _github_issue(two.a.world, "acme/mobile-app")
    executor.comment_github("acme/checkout", checkout, "from the first source")
    executor.comment_github("acme/mobile-app", mobile, "from the second source")
    executor.close_github_issue("acme/mobile-app", mobile)
    repos = two.a.world.repos
    assert repos["acme/checkout"].issues[checkout].comments[-1][1:] == ("ada", "from the first source")
    assert repos["acme/mobile-app"].issues[mobile].comments[-1][1:] == ("grace", "from the second source")
    assert repos["acme/mobile-app"].issues[mobile].state == "closed"

    with pytest.raises(ConfigError, match="no GitHub source covers acme/elsewhere"):
        executor.close_github_issue("acme/elsewhere", 1)
    with pytest.raises(ConfigError, match=r"no Jira source covers site gamma\.atlassian\.net"):
        executor.transition_jira("gamma.atlassian.net", "CHK-1", "Done")

    two.delivered()
    rows = {json.loads(row["body"]).get("comment", {}).get("body"): row for row in two.inbox()}
    assert "grace" in rows["from the second source"]["last_error"]  # grace's own comment: applied, no re-evaluation
    assert "ada" in rows["from the first source"]["last_error"]
    closed = two.store.records.get(ids.github("acme/mobile-app", "issue", mobile))
    assert isinstance(closed, WorkItem)
    assert closed.status.category is StatusCategory.DONE
    assert closed.id in two.store.records.ids_of("gh-grace", "issues")
    moved = ids.jira(SITE_B, "issue", mob.id)
    assert moved in two.store.records.ids_of("jira-b", "issues")
    [transition] = [r for r in two.inbox() if r["event"] == "jira:issue_updated" and mob.key in r["body"]]
    assert grace.account_id in transition["last_error"]  # jira-b's token is grace's: pmhub's own transition
    assert ids.jira(two.a.world.site, "issue", chk.id) in two.store.records.ids_of("jira-a", "issues")


def test_a_comment_delivery_goes_through_the_source_that_covers_its_target(two: Two) -> None:
    mob = _open_issue(two.b.world, "MOB")
    mobile = _github_issue(two.a.world, "acme/mobile-app", state="closed")
    settings = two.settings.model_copy(
        update={
            "notify": {
                "ticket": NotifyTarget(kind="jira_comment", target=mob.key, format="summary"),
                "issue": NotifyTarget(kind="github_comment", target=f"acme/mobile-app#{mobile}"),
            }
        }
    )
    message = Message("CHK 2.4.0 — GO", "GO: every check passed", "# GO", "<h1>GO</h1>", "r.html")
    results = service.notify(two.store, settings, message, event="readiness", subject_id="pmhub:test")
    assert [(r.target, r.ok, r.error) for r in results] == [("ticket", True, None), ("issue", True, None)]
    assert two.b.world.jira_issues[mob.key].comments[-1][1] == two.b.world.person_by_login("grace").account_id
    assert two.a.world.repos["acme/mobile-app"].issues[mobile].comments[-1][1] == "grace"


def test_a_delivery_is_applied_under_the_source_that_covers_it_and_only_that_sources_account_is_pmhub(
    two: Two,
) -> None:
    repo = "acme/checkout"
    number = _github_issue(two.a.world, repo, skip=1)
    with httpx.Client(base_url=two.a.urls["github"] + "/_sandbox", timeout=10) as admin:
        body = {"title": "Renamed by grace", "user": "grace"}  # grace's token belongs to the other source
        assert admin.patch(f"/repos/{repo}/issues/{number}", json=body).status_code == 200
    chk_on_b = _open_issue(two.b.world, "CHK")  # site B has a CHK project too, which no source reads there
    with httpx.Client(base_url=two.b.urls["jira"] + "/_sandbox", timeout=10) as admin:
        assert admin.post(f"/issues/{chk_on_b.key}/touch", json={"actor": "grace"}).status_code == 200
    two.delivered()
    rows = two.inbox()
    renamed = two.store.records.get(ids.github(repo, "issue", number))
    assert isinstance(renamed, WorkItem)
    assert renamed.title == "Renamed by grace"
    assert renamed.id in two.store.records.ids_of("gh-ada", "issues")
    [edit] = [r for r in rows if json.loads(r["body"]).get("issue", {}).get("title") == "Renamed by grace"]
    assert (edit["status"], edit["last_error"]) == ("applied", None)
    [touch] = [r for r in rows if json.loads(r["body"]).get("issue", {}).get("key") == chk_on_b.key]
    assert (touch["status"], touch["last_error"]) == ("ignored", "no configured Jira source covers project CHK")
