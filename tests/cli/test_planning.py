"""`pmhub objectives`, `priorities` and `launch-review` as a user runs them over the synced sandbox: a real
subprocess, exit codes, the JSON they print and the HTML they write (opened in Chromium)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.run import pmhub
from tests.conftest import Synced
from tests.support.browser import ARTIFACTS, open_page, require_chromium


def run(synced: Synced, *args: str, cwd: Path) -> tuple[int, str, str]:
    result = pmhub("-c", str(synced.config), *args, cwd=cwd)
    return result.returncode, result.stdout, result.stderr


def as_json(stdout: str, schema: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(stdout)
    assert data.pop("schema") == schema
    return data


def test_help_lists_the_planning_commands(tmp_path: Path) -> None:
    result = pmhub("--help", cwd=tmp_path)
    for command in ("objectives", "priorities", "launch-review"):
        assert command in result.stdout


def test_objectives_exit_3_while_one_is_at_risk_and_print_the_seeded_states(synced: Synced, tmp_path: Path) -> None:
    code, out, err = run(synced, "objectives", "--format", "json", cwd=tmp_path)
    assert code == 3, err
    data = as_json(out, "pmhub.objectives/1")
    world = synced.sandbox.world
    assert {o["id"]: o["state"] for o in data["objectives"]} == {g.key: g.expected for g in world.objectives}
    for objective in data["objectives"]:
        assert set(objective) >= {"title", "owner", "target_date", "reasons", "work", "forecast", "kpi"}
        assert objective["kpi"]["value"] is not None
        assert objective["work"]["evidence"]
    code, markdown, _ = run(synced, "objectives", cwd=tmp_path)
    assert code == 3
    assert "| Objective | Owner | State | Work done | Forecast | KPI |" in markdown


def test_objectives_without_any_configured_exit_2_naming_the_table_to_add(tmp_path: Path) -> None:
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    result = pmhub("objectives", cwd=tmp_path)
    assert result.returncode == 2
    assert "add [objectives.<name>] tables to pmhub.toml" in result.stderr


def test_priorities_rank_each_products_backlog_by_its_method_and_list_the_unscored(
    synced: Synced, tmp_path: Path
) -> None:
    code, out, err = run(synced, "priorities", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    products = {p["product"]: p for p in as_json(out, "pmhub.priorities/1")["products"]}
    assert {name: p["method"] for name, p in products.items()} == {"checkout": "rice", "mobile-app": "wsjf"}
    for product in products.values():
        assert product["ranked_total"] == len(product["ranked"]) > 0
        assert [r["rank"] for r in product["ranked"]] == list(range(1, len(product["ranked"]) + 1))
        scores = [r["score"] for r in product["ranked"]]
        assert scores == sorted(scores, reverse=True)
        assert all(r["formula"].endswith(f"= {r['formula'].rsplit('= ', 1)[1]}") for r in product["ranked"])
        assert all(u["missing"] for u in product["unscored"])
    origins = {i["origin"].split(" ", 1)[0] for r in products["checkout"]["ranked"] for i in r["inputs"]}
    assert origins == {"Jira", "label"}, "inputs come from Jira fields and GitHub labels"
    problems = [p for u in products["checkout"]["unscored"] for p in u["problems"]]
    assert problems == ["effort 'lots' is not a number (label effort:lots)"]

    code, out, _ = run(synced, "priorities", "--product", "mobile-app", "--format", "json", cwd=tmp_path)
    assert code == 0
    assert [p["product"] for p in as_json(out, "pmhub.priorities/1")["products"]] == ["mobile-app"]
    code, _, err = run(synced, "priorities", "--product", "billing", cwd=tmp_path)
    assert code == 1
    assert "no product 'billing'; products with a backlog: checkout, mobile-app" in err


def test_a_launch_review_exits_3_when_a_guardrail_broke_after_the_launch_and_0_when_they_held(
    synced: Synced, tmp_path: Path
) -> None:
    code, out, err = run(synced, "launch-review", "CHK 2.3.0", "--format", "json", cwd=tmp_path)
    assert code == 3, err
    [review] = as_json(out, "pmhub.launches/1")["launches"]
    assert (review["release"]["project"], review["release"]["name"], review["complete"]) == ("CHK", "2.3.0", True)
    assert {m["metric"]: m["direction"] for m in review["metrics"]}["activation_rate"] == "up"
    assert [g["id"] for g in review["guardrails"] if g["outcome"] == "failed"] == ["metric:error_rate"]
    assert review["method"].startswith("percentile bootstrap")

    code, out, err = run(synced, "launch-review", "2.3.0", "--project", "MOB", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    [mobile] = as_json(out, "pmhub.launches/1")["launches"]
    assert {m["metric"]: m["direction"] for m in mobile["metrics"]}["daily_active_users"] == "up"

    code, out, _ = run(synced, "launch-review", "--format", "json", cwd=tmp_path)
    recent = {(r["release"]["project"], r["release"]["name"]) for r in as_json(out, "pmhub.launches/1")["launches"]}
    assert recent == {("CHK", "2.3.0"), ("MOB", "2.3.0")}, "the 2.2.0 launches are older than recent_days"
    assert code == 3

    code, _, err = run(synced, "launch-review", "CHK 2.4.0", cwd=tmp_path)
    assert code == 1
    assert "no launch of 'CHK 2.4.0': it is not released" in err


@pytest.mark.slow
def test_each_planning_report_in_html_is_written_and_reads_in_chromium(synced: Synced, tmp_path: Path) -> None:
    require_chromium()
    for command, extra in (("objectives", ()), ("priorities", ()), ("launch-review", ("CHK 2.3.0",))):
        out = tmp_path / f"{command}.html"
        code, stdout, err = run(synced, command, *extra, "--format", "html", "--out", str(out), cwd=tmp_path)
        assert code in (0, 3), err
        assert f"wrote {out}" in stdout
        page = open_page(out.as_uri(), screenshot=ARTIFACTS / f"cli-{command}.png")
        assert page.console == [], command
    assert 'data-testid="priorities-checkout"' in (tmp_path / "priorities.html").read_text()
