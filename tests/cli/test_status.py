"""`pmhub status` piped into a file or a CI log keeps every cell whole, and speaks Markdown and JSON."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sync.overview import upcoming_releases
from tests.cli.run import PMHUB, pmhub
from tests.conftest import Synced


def _status(synced: Synced, *args: str) -> subprocess.CompletedProcess[str]:
    """``pmhub status`` with stdout and stderr to pipes and no COLUMNS set: as a CI job or ``> file`` runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHUB_") and k != "COLUMNS"}
    command = [*PMHUB, "--config", str(synced.config), "status", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_piped_status_keeps_every_date_and_header_whole(synced: Synced) -> None:
    releases = upcoming_releases(synced.store)
    now = synced.sandbox.world.now.date()
    assert any(r.release_date and r.release_date < now for r in releases), "the world has an overdue release"

    result = _status(synced)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "…" not in out
    assert "PRs open/merged" in out
    for release in releases:
        overdue = release.release_date is not None and release.release_date < now
        due = f"{release.release_date} (overdue)" if overdue else str(release.release_date or "-")
        row = next(line for line in out.splitlines() if f" {release.name} " in line and release.project in line)
        assert due in row
    for (source, stream), at in synced.store.runs.last_successes().items():
        assert any(
            source in line and stream in line and f"{at:%Y-%m-%d %H:%M} UTC" in line for line in out.splitlines()
        )


def test_status_as_json_is_the_documented_overview(synced: Synced) -> None:
    result = _status(synced, "--format", "json")

    assert result.returncode == 0, result.stderr
    overview = json.loads(result.stdout)
    assert list(overview) == ["schema", "generated_at", "releases", "freshness", "webhooks"]
    assert overview["schema"] == "pmhub.overview/1"
    upcoming = upcoming_releases(synced.store)
    assert [(r["release"]["project"], r["release"]["name"]) for r in overview["releases"]] == [
        (r.project, r.name) for r in upcoming
    ]
    first = overview["releases"][0]
    assert set(first) == {"release", "overdue", "scope", "blockers"}
    assert set(first["scope"]) >= {"items_done", "items_total", "points_done", "prs_open", "prs_merged", "ci"}
    assert {(f["source"], f["stream"]) for f in overview["freshness"]} == set(synced.store.runs.last_successes())


def test_status_as_markdown_goes_to_the_file_out_names(synced: Synced, tmp_path: Path) -> None:
    target = tmp_path / "status.md"

    result = pmhub("--config", str(synced.config), "status", "--format", "md", "--out", str(target), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"wrote {target}" in result.stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# pmhub status — ")
    assert "| Release | Due | Items done | Points done | Blockers | PRs open/merged | CI |" in text
    for release in upcoming_releases(synced.store):
        assert f"{release.project} {release.name}" in text or release.name in text
    assert "## Data freshness" in text
    assert "## Webhooks not applied" in text
