"""Jira webhook deliveries: what a delivery is about, what it changes through the polling mapping, pmhub's own writes
(recognised by the marker and by the token's account, Cloud and Server/DC) and payloads of the wrong shape. The
deliveries come from the Jira sandbox, caused by changes made through the Jira source over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import COMMENT_MARKER
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import ISSUES, STATUS_CHANGES, VERSIONS, JiraSource
from connectors.jira.webhooks import EVENTS, ConfigOnly, change, handles, subject
from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.world import Scale, World, build_world
from schema import BadDataError, ConfigError, Release, StatusChange, StatusRules, WorkItem, ids
from serving import ServedApp
from tests.support.paths import FIXTURES

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CLOUD = FIXTURES / "jira" / "webhooks" / "cloud"
SERVER = FIXTURES / "jira" / "webhooks" / "server"


@dataclass
class Site:
    world: World
    url: str
    flavour: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def source(self, login: str, **cfg: object) -> JiraSource:
        email = f"{login}@acme.example" if self.flavour == "cloud" else None
        token = DEFAULT_API_TOKEN if email else f"sandbox-jira-pat-{login}"
        config = JiraSourceConfig.model_validate(
            {"url": self.url, "email": email, "token_env": "JIRA_TOKEN", "site": self.world.site}
            | {"projects": list(self.world.jira_projects), **cfg}
        )
        return JiraSource(login, config, StatusRules(), token)

    def delivered(self, event: str) -> dict[str, Any]:
        """The newest delivery of ``event``, as its JSON body arrives."""
        payload = next(body for name, body in reversed(self.events) if name == event)
        loaded: dict[str, Any] = json.loads(json.dumps(payload))
        return loaded


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    world = build_world(seed=7, scale=Scale.named("tiny"), now=NOW)
    found = Site(world, "", request.param)
    options = JiraOptions(flavour=request.param, on_event=lambda event, body: found.events.append((event, body)))
    with ServedApp(create_app(world, options)) as served:
        found.url = served.url
        yield found


def _open_issue(site: Site) -> str:
    return next(key for key, issue in site.world.jira_issues.items() if issue.status in ("Backlog", "Open"))


def _config(**cfg: object) -> JiraSourceConfig:
    return JiraSourceConfig.model_validate(
        {"url": "https://some-instance-test.atlassian.net", "token_env": "PMHUB_TEST_UNSET", "projects": ["TES"]} | cfg
    )


def _fixture(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "jira" / "webhooks" / path).read_text())
    return loaded


def test_registration_and_the_receiver_share_one_list_of_events() -> None:
    assert all(handles(event) for event in EVENTS)
    assert not handles("jira:worklog_updated")
    assert len(set(EVENTS)) == len(EVENTS)


def test_a_transition_through_the_source_comes_back_as_pmhubs_own_change_for_that_account_only(site: Site) -> None:
    ada, grace = site.source("ada"), site.source("grace")
    key = _open_issue(site)
    project = site.world.jira_projects[key.rsplit("-", 1)[0]]
    ada.transition(key, project.first_in("indeterminate").name)
    payload = site.delivered("jira:issue_updated")

    about = subject("jira:issue_updated", payload)
    assert about.project == project.key
    mine, theirs = change("jira:issue_updated", payload, ada, NOW), change("jira:issue_updated", payload, grace, NOW)
    assert mine.own is not None
    assert theirs.own is None
    [item] = mine.upserts[ISSUES]
    assert isinstance(item.record, WorkItem)
    assert item.record.status.original == project.first_in("indeterminate").name
    [moved] = mine.upserts[STATUS_CHANGES]
    assert isinstance(moved.record, StatusChange)
    assert [m.record for m in theirs.upserts[ISSUES]] == [item.record]


def test_a_comment_pmhub_wrote_is_ignored_and_its_unmarked_comment_is_its_own_change(site: Site) -> None:
    ada = site.source("ada")
    key = _open_issue(site)
    ada.add_comment(key, f"SHOP-1 is Done.\n\n(pmhub reconciliation, rule x) [{COMMENT_MARKER}]")
    marked = change("comment_created", site.delivered("comment_created"), ada, NOW)
    assert "pmhub's own comment" in str(marked.ignored)
    assert marked.records == []

    ada.add_comment(key, "The readiness of CHK 2.4.0 is NO-GO")
    unmarked = change("comment_created", site.delivered("comment_created"), ada, NOW)
    assert unmarked.own is not None
    assert [r.id for r in unmarked.records] == [ids.jira(site.world.site, "issue", site.world.jira_issues[key].id)]
    assert change("comment_created", site.delivered("comment_created"), site.source("grace"), NOW).own is None


def test_a_version_delivery_names_nobody_and_finds_its_project_through_the_source(site: Site) -> None:
    ada = site.source("ada")
    version = next(v for v in site.world.versions.values() if not v.released)
    ada.release_version(str(version.id))
    payload = site.delivered("jira:version_released")
    found = change("jira:version_released", payload, ada, NOW)
    assert not found.attributed
    assert found.own is None
    [mapped] = found.upserts[VERSIONS]
    assert isinstance(mapped.record, Release)
    assert (mapped.record.project, mapped.record.released) == (version.project, True)
    assert subject("jira:version_released", payload).project is None
    gone = change("jira:version_deleted", payload, ada, NOW)
    assert gone.deleted == [ids.jira(site.world.site, "version", version.id)]


def test_a_server_comment_inside_an_issue_update_is_recognised_by_its_marker() -> None:
    payload = _fixture("server/jira_issue_updated.commented.json")
    site = ConfigOnly(_config(projects=[payload["issue"]["key"].rsplit("-", 1)[0]]), StatusRules())
    assert change("jira:issue_updated", payload, site, NOW).ignored is None
    payload["comment"]["body"] += f" [{COMMENT_MARKER}]"
    assert "pmhub's own comment" in str(change("jira:issue_updated", payload, site, NOW).ignored)


def test_without_the_token_a_partial_delivery_fails_naming_the_variable_and_nothing_counts_as_own() -> None:
    payload = _fixture("cloud/comment_created.json")
    site = ConfigOnly(_config(), StatusRules())
    with pytest.raises(ConfigError, match="PMHUB_TEST_UNSET"):
        change("comment_created", payload, site, NOW)
    complete = _fixture("cloud/jira_issue_updated.status_in_progress.json")
    applied = change("jira:issue_updated", complete, ConfigOnly(_config(projects=["TEST"]), StatusRules()), NOW)
    assert applied.own is None
    assert applied.records


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("jira:issue_updated", {"issue": "x"}, "`issue` must be an object, got a string"),
        ("jira:issue_updated", {}, "`issue` is missing"),
        ("jira:issue_updated", {"issue": {"id": True}}, "`issue.id` must be an id"),
        ("jira:issue_updated", {"issue": {"id": "1", "key": 5}}, "`issue.key` must be a non-empty string"),
        ("jira:issue_updated", {"issue": {"id": "1", "fields": []}}, "`issue.fields` must be an object, got an array"),
        ("comment_created", {"issue": {"id": "1", "key": "TES-1"}}, "`comment` is missing"),
        ("jira:version_released", {"version": []}, "`version` must be an object, got an array"),
        ("sprint_started", {"sprint": {"id": "x"}}, "`sprint.id` must be an id"),
    ],
)
def test_a_payload_that_lacks_what_its_event_needs_is_refused_naming_the_field(
    event: str, payload: dict[str, Any], reason: str
) -> None:
    def translate() -> None:  # as the inbox worker does: what it is about, then what it changes
        subject(event, payload)
        change(event, payload, ConfigOnly(_config(), StatusRules()), NOW)

    with pytest.raises(BadDataError) as refused:
        translate()
    assert reason in str(refused.value)
