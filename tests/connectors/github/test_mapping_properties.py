"""Property: GitHub's own examples, bent every way a foreign answer can be, map or are rejected by name.

Each example is mutated (a field dropped, nulled, of another type, a list cut short, unknown fields, unicode), and
the mapping must end in a valid record or a :class:`BadDataError` naming a field the mutation touched — never any
other exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from hypothesis import strategies as st

from connectors.github import mapping, webhooks
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.http import RetryPolicy
from schema import BadDataError
from tests.connectors.github.vendor import HOOKS, REPO, hook, plain_issue, rest
from tests.support.canned import Canned
from tests.support.mutations import (
    EVERYWHERE,
    assert_mapped_or_named,
    each,
    mutated,
    outcome,
    unicode_everywhere,
)

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

EXAMPLES: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
    "issue": (
        lambda raw: mapping.map_issue(REPO, raw),
        [
            plain_issue(),
            plain_issue("issues/get_issue.pinned-comment.json"),
            hook(HOOKS / "issues/opened.json")["issue"],
        ],
    ),
    "pull request": (
        lambda raw: mapping.map_pull_request(REPO, raw),
        [
            rest("pulls/get_pull_request.json"),
            *rest("pulls/list_pull_requests.json")[:1],
            hook(HOOKS / "pull_request/opened.json")["pull_request"],
        ],
    ),
    "milestone": (lambda raw: mapping.map_milestone(REPO, raw), [rest("milestones/get_milestone.json")]),
    "release": (lambda raw: mapping.map_release(REPO, raw), [rest("releases/get_latest_release.json")]),
    "check run": (lambda raw: mapping.map_check_run(REPO, "main", raw), [rest("checks/get_check_run.json")]),
    "commit status": (
        lambda raw: mapping.map_commit_status(REPO, "main", SHA, raw),
        rest("statuses/list_commit_statuses_for_ref.json"),
    ),
    "combined status": (
        lambda raw: mapping.map_combined_status(REPO, "main", raw),
        [rest("statuses/get_combined_status_for_ref.json")],
    ),
}


@each("entity", EXAMPLES)
def test_a_bent_example_maps_or_is_rejected_naming_a_field_it_touched(entity: str, data: st.DataObject) -> None:
    mapper, examples = EXAMPLES[entity]
    base = data.draw(st.sampled_from(examples))
    assert_mapped_or_named(mapper, base, *data.draw(mutated(base)))


@each("entity", EXAMPLES)
def test_unicode_around_every_string_maps_or_is_rejected(entity: str, data: st.DataObject) -> None:
    mapper, examples = EXAMPLES[entity]
    base = data.draw(st.sampled_from(examples))
    assert_mapped_or_named(mapper, base, data.draw(unicode_everywhere(base)), EVERYWHERE)


# ------------------------------------------------------------------------------------------ webhook deliveries

EVENTS = sorted({path.parent.name for path in HOOKS.rglob("*.json") if webhooks.handles(path.parent.name)})


@each("event", EVENTS)
def test_a_bent_delivery_changes_records_or_is_rejected_naming_a_field_it_touched(
    event: str, data: st.DataObject
) -> None:
    base = hook(data.draw(st.sampled_from(sorted((HOOKS / event).glob("*.json")))))
    change = partial(webhooks.change, event, me="octocat")
    assert_mapped_or_named(change, base, *data.draw(mutated(base, at_root=False)))


# ------------------------------------------------------------------------------------------ a page, one item bent

PAGE_REPO = "acme/shop"


def _numbered(example: dict[str, Any], number: int, **more: Any) -> dict[str, Any]:
    return {**example, "number": number, "id": number, **more}


@dataclass(frozen=True)
class Listing:
    stream: str
    path: str
    items: Callable[[int], dict[str, Any]]  # the n-th item of the page
    mapper: Callable[[Any], Any]
    wrap: Callable[[list[Any]], Any] = list


BASE = f"/repos/{PAGE_REPO}"
LISTINGS = {
    "issues": Listing(
        "issues", f"{BASE}/issues", lambda n: _numbered(plain_issue(), n), lambda raw: mapping.map_issue(PAGE_REPO, raw)
    ),
    "pull_requests": Listing(
        "pull_requests",
        f"{BASE}/pulls",
        lambda n: _numbered(rest("pulls/get_pull_request.json"), n),
        lambda raw: mapping.map_pull_request(PAGE_REPO, raw),
    ),
    "milestones": Listing(
        "milestones",
        f"{BASE}/milestones",
        lambda n: _numbered(rest("milestones/get_milestone.json"), n),
        lambda raw: mapping.map_milestone(PAGE_REPO, raw),
    ),
    "releases": Listing(
        "releases",
        f"{BASE}/releases",
        lambda n: _numbered(rest("releases/get_latest_release.json"), n, draft=False, prerelease=False),
        lambda raw: mapping.map_release(PAGE_REPO, raw),
    ),
    "checks": Listing(
        "checks",
        f"{BASE}/commits/main/check-runs",
        lambda n: {**rest("checks/get_check_run.json"), "id": n, "name": f"check {n}"},
        lambda raw: mapping.map_check_run(PAGE_REPO, "main", raw),
        lambda runs: {"total_count": len(runs), "check_runs": runs},
    ),
}


# what the checks stream reads besides the page: the default branch, and an empty combined status
AROUND = {BASE: {"default_branch": "main"}, f"{BASE}/commits/main/status": {"sha": SHA, "statuses": []}}


def _expected(mapper: Callable[[Any], Any], items: list[Any]) -> tuple[set[str], int]:
    """What mapping each item alone gives: the record ids, and how many are rejected."""
    results = [outcome(partial(mapper, raw)) for raw in items]
    found = {r.id for r in results if not isinstance(r, Exception)}
    return found, sum(isinstance(r, BadDataError) and not isinstance(r, mapping.IsPullRequestError) for r in results)


@each("name", LISTINGS)
def test_one_bent_item_among_good_ones_is_mapped_or_rejected_and_the_rest_of_the_page_is_kept(
    server: Canned, name: str, data: st.DataObject
) -> None:
    listing = LISTINGS[name]
    good = [listing.items(n) for n in (1, 2, 3)]
    bent, _ = data.draw(mutated(listing.items(4)))
    page = [good[0], bent, *good[1:]]
    server.answers.update(AROUND)
    server.answers[listing.path] = listing.wrap(page)
    server.answers[f"{BASE}/releases"] = page if name == "releases" else []
    config = GitHubSourceConfig(base_url=server.url, repos=(PAGE_REPO,))
    policy = RetryPolicy(tool="github", credential=config.token_env, sleep=lambda _: None)
    source = GitHubSource("gh", config, "canned-token", policy=policy)
    stream = next(s for s in source.streams() if s.name == listing.stream)

    pages = list(stream.pages(None))

    records = {m.record.id for p in pages for m in p.records}
    rejected = [r for p in pages for r in p.rejected]
    expected, expected_rejects = _expected(listing.mapper, page)
    assert {listing.mapper(raw).id for raw in good} <= records
    assert records == expected
    assert len(rejected) == expected_rejects
