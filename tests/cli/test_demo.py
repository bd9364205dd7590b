"""`pmhub demo` as a new user runs it: a real subprocess over its own sandbox and Prefect, then its HTML status
report opened in real headless Chromium."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.runner import WEB_PASSWORD, WEB_USER
from tests.cli.run import pmhub
from tests.support.browser import ARTIFACTS
from tests.web.cdp import Chromium

pytestmark = pytest.mark.slow

VERDICT_LINE = re.compile(r"^\s+(?P<project>[A-Z]+) (?P<name>\S+): (?P<verdict>GO|AT RISK|NO-GO)$", re.MULTILINE)


@dataclass(frozen=True)
class DemoRun:
    workdir: Path
    result: subprocess.CompletedProcess[str]

    def verdicts(self) -> dict[tuple[str, str], str]:
        return {(m["project"], m["name"]): m["verdict"] for m in VERDICT_LINE.finditer(self.result.stdout)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    cwd = tmp_path_factory.mktemp("demo")
    workdir = cwd / "demo"
    result = pmhub("demo", "--workdir", str(workdir), cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return DemoRun(workdir, result)


def test_the_demo_shows_a_release_of_each_verdict_and_ends_pointing_at_its_report_and_the_page(demo: DemoRun) -> None:
    verdicts = demo.verdicts()
    assert {("CHK", "2.4.0"): "NO-GO", ("CHK", "2.3.1"): "AT RISK", ("MOB", "2.4.0"): "GO"}.items() <= verdicts.items()
    assert sorted(set(verdicts.values())) == ["AT RISK", "GO", "NO-GO"]
    for project, name in verdicts:
        assert (demo.workdir / f"readiness-{project}-{name}.html").is_file()
    status_html = (demo.workdir / "status.html").resolve()
    ending = demo.result.stdout.rsplit("next", 1)[1]
    assert status_html.as_uri() in ending
    assert "http://127.0.0.1:8765/" in ending
    assert f"pmhub -c {demo.workdir / 'pmhub.toml'} serve --no-schedules" in ending
    assert f"log in as {WEB_USER}, password {WEB_PASSWORD}" in ending


def test_the_demos_status_report_in_chromium_shows_go_at_risk_and_no_go(demo: DemoRun) -> None:
    status_html = (demo.workdir / "status.html").resolve()
    with Chromium.launch() as browser:
        browser.goto(status_html.as_uri())
        releases = browser.evaluate("document.querySelector('[data-testid=releases]').innerText")
        banners = browser.evaluate(
            "Array.from(document.querySelectorAll('section.verdict .word')).map(s => s.innerText)"
        )
        roadmap = browser.evaluate("document.querySelector('[data-testid=roadmap]').innerText")
        shot = browser.screenshot(ARTIFACTS / "demo-status-report.png")
        assert browser.errors == [], "\n".join(browser.errors)
    rows = {line.split("\t")[0]: line.split("\t")[1] for line in releases.splitlines()[1:]}
    assert {rows["CHK 2.4.0"], rows["CHK 2.3.1"], rows["MOB 2.4.0"]} == {"NO-GO", "AT RISK", "GO"}
    assert {"GO", "AT RISK", "NO-GO"} <= set(banners)
    for state in ("on track", "at risk", "done"):
        assert state in roadmap
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_demo_shows_the_objectives_launches_and_priorities_and_writes_the_leadership_summary(demo: DemoRun) -> None:
    planning = demo.result.stdout.split("objectives, launches and priorities", 1)[1].split("next", 1)[0]
    assert "Checkout converts more sign-ups: at risk (its last item's forecast" in planning
    assert "Mobile App grows its daily users: on track" in planning
    assert "CHK 2.3.0 launched" in planning
    assert "activation_rate ▲" in planning
    assert "broke Guardrail error_rate <= 0.02 after launch" in planning
    assert "checkout by RICE: first" in planning
    assert "mobile-app by WSJF: first" in planning
    summary = demo.workdir / "summary.html"
    assert summary.resolve().as_uri() in demo.result.stdout
    assert 'data-testid="leadership-objectives"' in summary.read_text(encoding="utf-8")
    status = (demo.workdir / "status.html").read_text(encoding="utf-8")
    assert status.count('data-slipped="true"') >= 1
