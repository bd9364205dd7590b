"""Delivery over real protocols: e-mail to a local SMTP server, Slack and Teams through apprise to local HTTP(S)
receivers, comments in the sandbox's Jira and GitHub, retries, and secrets kept out of every result."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from apprise.plugins.slack import NotifySlack
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from connectors.notify import (
    CommentKind,
    CommentPoster,
    DeliveryResult,
    GitHubCommenter,
    JiraCommenter,
    RetryPolicy,
    deliver,
    parse_issue_ref,
    readiness_message,
    record,
    scrub,
    secret_fragments,
    status_message,
)
from connectors.notify_config import NotifyTarget
from hub.settings import load_settings
from hub.sources import build_source
from serving import ServedApp
from sync.store import Store
from tests.reports import examples
from tests.support.tls import self_signed

FAST = RetryPolicy(attempts=3, wait=0.01, max_wait=0.05)
SLACK_TOKENS = ("T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7")
REPORT_URL = "https://pmhub.example.com/reports/chk-2.4.0.html"


# --- local receivers -------------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP endpoint that records every request and answers with ``status`` (``ok`` as body, like Slack)."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> PlainTextResponse:
            self.requests.append(Received("/" + path, request.url.query, dict(request.headers), await request.body()))
            return PlainTextResponse("ok" if self.status < 400 else "server exploded", status_code=self.status)

        return app


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with ServedApp(rec.app()) as served:
        yield rec, served.url


@pytest.fixture
def slack_at(receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch) -> Receiver:
    # why: apprise's Slack plugin posts incoming webhooks to the class attribute NotifySlack.webhook_url
    # (https://hooks.slack.com/services) and has no URL option for another host. Pointing that base URL at the
    # local receiver keeps the whole plugin (URL parsing, payload, response check) on the real code path;
    # the generic json:// plugin would test none of it.
    rec, url = receiver
    monkeypatch.setattr(NotifySlack, "webhook_url", f"{url}/services")
    return rec


@pytest.fixture
def teams_at(tmp_path: Path) -> Iterator[tuple[Receiver, int]]:
    """An HTTPS receiver: apprise's Teams (Power Automate workflows) plugin always posts to https://{host}:{port}."""
    rec = Receiver(status=202)
    cert_file, key_file = self_signed(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        rec.app(), log_level="warning", lifespan="off", ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield rec, sock.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


class _AnyPortController(Controller):
    # why: aiosmtpd 1.4 connects to the configured port to check the server is up, so port 0 ("any free port")
    # needs the port the server actually bound read back first.
    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def smtp() -> Iterator[tuple[_Mailbox, int]]:
    box = _Mailbox()
    controller = _AnyPortController(box, hostname="127.0.0.1", port=0, loop=asyncio.new_event_loop())
    controller.start()
    yield box, controller.port
    controller.stop()


def _targets(**targets: NotifyTarget) -> dict[str, NotifyTarget]:
    return targets


# --- e-mail ----------------------------------------------------------------------------------------------------


def test_email_full_report_arrives_with_verdict_subject_inline_html_and_attachment(smtp):
    box, port = smtp
    # why: plain mailto:// is SMTP without TLS; the port goes in the URL, and with no user/password apprise does
    # not log in (https://appriseit.com/services/email/).
    env = {"PMHUB_MAIL_URL": f"mailto://127.0.0.1:{port}?from=pmhub@example.com&to=pm@example.com"}
    message = readiness_message(examples.readiness(), report_url=REPORT_URL)
    targets = _targets(pm_mail=NotifyTarget(kind="apprise", url_env="PMHUB_MAIL_URL", format="full"))

    results = deliver(message, targets, event="readiness", env=env, retry=FAST)

    assert results == [DeliveryResult("pm_mail", True, 1, None, "E-Mail")]
    [mail] = box.messages
    assert mail["Subject"] == "CHK 2.4.0 — NO-GO"
    assert mail["To"] == "pm@example.com"
    html_body = mail.get_body(preferencelist=("html",))
    assert html_body is not None
    inline = html_body.get_content()
    assert 'data-testid="verdict" data-verdict="NO-GO"' in inline
    assert 'data-testid="chart-burnup"' in inline
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "readiness-chk-2.4.0.html"
    assert attached.get_content_type() == "text/html"
    # apprise attaches the bytes without a charset parameter; the report's own <meta charset="utf-8"> names it
    assert attached.get_payload(decode=True) == message.html.encode("utf-8")


def test_email_summary_sends_the_short_text_and_still_attaches_the_report(smtp):
    box, port = smtp
    env = {"MAIL": f"mailto://127.0.0.1:{port}?from=pmhub@example.com&to=lead@example.com"}
    message = status_message(examples.status(), report_url="https://pmhub.example.com/status")

    [result] = deliver(message, {"digest": NotifyTarget(url_env="MAIL", format="summary")}, event="digest", env=env)

    assert result.ok
    [mail] = box.messages
    assert mail["Subject"] == "pmhub status 2026-11-25 — 1 GO, 1 NO-GO"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    assert "• ⛔ CHK 2.4.0 — NO-GO: 3 blockers and 2 warnings failed" in text.get_content()
    assert [a.get_filename() for a in mail.iter_attachments()] == ["status-2026-11-25.html"]


def test_email_to_an_unreachable_server_fails_after_retries_without_leaking_the_password(caplog):
    caplog.set_level(logging.DEBUG, logger="apprise")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    password = "Sup3r-Secret-pw"
    env = {"MAIL": f"mailto://pmhub:{password}@127.0.0.1:{closed_port}?from=pmhub@example.com&to=pm@example.com"}

    [result] = deliver(
        readiness_message(examples.readiness()),
        {"mail": NotifyTarget(url_env="MAIL")},
        event="readiness",
        env=env,
        retry=FAST,
    )

    assert not result.ok
    assert result.attempts == 3
    assert result.error
    assert password not in result.error
    assert password not in repr(result)
    assert password not in caplog.text


# --- Slack and Teams -------------------------------------------------------------------------------------------


def test_slack_summary_reaches_the_webhook_with_title_text_and_link(slack_at):
    env = {"SLACK_URL": "slack://" + "/".join(SLACK_TOKENS)}
    message = readiness_message(examples.readiness(), report_url=REPORT_URL)

    [result] = deliver(message, {"team": NotifyTarget(url_env="SLACK_URL")}, event="readiness", env=env, retry=FAST)

    assert result == DeliveryResult("team", True, 1, None, "Slack")
    [request] = slack_at.requests
    assert request.path == "/services/" + "/".join(SLACK_TOKENS)
    payload = request.json()
    [attachment] = payload["attachments"]
    assert attachment["title"] == "CHK 2.4.0 — NO-GO"
    assert "• CI green on the release ref (blocker): e2e-tests failed on v2.4.0" in attachment["text"]
    assert attachment["text"].rstrip().endswith(f"Full report: {REPORT_URL}")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_teams_full_report_reaches_the_workflow_as_an_adaptive_card(teams_at):
    rec, port = teams_at
    # why: Teams incoming webhooks are retired; apprise 2 speaks to Teams through Power Automate workflows
    # (workflows://host:port/workflow/signature, always HTTPS). verify=no accepts the test's self-signed certificate.
    env = {"TEAMS_URL": f"workflows://127.0.0.1:{port}/wf0123abc/s1gnatureXYZ?verify=no&image=no"}
    message = readiness_message(examples.readiness())
    targets = {"teams": NotifyTarget(url_env="TEAMS_URL", format="full", events=["readiness"])}

    [result] = deliver(message, targets, event="readiness", env=env, retry=FAST)

    assert result.ok, result.error
    [request] = rec.requests
    assert request.path == "/workflows/wf0123abc/triggers/manual/paths/invoke"
    assert "sig=s1gnatureXYZ" in request.query
    card = request.json()["attachments"][0]["content"]
    texts = [block["text"] for block in card["body"]]
    assert texts[0] == "CHK 2.4.0 — NO-GO"
    assert "CI green on the release ref" in texts[1]


def test_failing_receiver_is_retried_then_reported_without_the_webhook_tokens(slack_at, caplog):
    caplog.set_level(logging.DEBUG, logger="apprise")
    slack_at.status = 500
    env = {"SLACK_URL": "slack://" + "/".join(SLACK_TOKENS)}

    [result] = deliver(
        readiness_message(examples.readiness()),
        {"team": NotifyTarget(url_env="SLACK_URL")},
        event="readiness",
        env=env,
        retry=FAST,
    )

    assert len(slack_at.requests) == 3
    assert result.ok is False
    assert result.attempts == 3
    assert result.error is not None
    assert "error=500" in result.error
    assert "Failed to send to Slack" in caplog.text
    for token in SLACK_TOKENS:
        assert token not in repr(result)
        assert token not in caplog.text


def test_targets_not_subscribed_to_the_event_are_skipped_and_misconfigured_ones_reported(slack_at):
    targets = {
        "digest_only": NotifyTarget(url_env="SLACK_URL", events=["digest"]),
        "unset": NotifyTarget(url_env="PMHUB_NOT_SET_ANYWHERE"),
        "garbage": NotifyTarget(url_env="BAD_URL"),
        "jira_without_poster": NotifyTarget(kind="jira_comment", target="CHK-1"),
    }
    env = {"SLACK_URL": "slack://" + "/".join(SLACK_TOKENS), "BAD_URL": "nosuchscheme://tok3n-value/x"}

    results = deliver(readiness_message(examples.go_release()), targets, event="readiness", env=env, retry=FAST)

    assert [(r.target, r.ok, r.attempts) for r in results] == [
        ("unset", False, 0),
        ("garbage", False, 0),
        ("jira_without_poster", False, 0),
    ]
    assert (
        results[0].error == "apprise target cannot be delivered: environment variable PMHUB_NOT_SET_ANYWHERE is not set"
    )
    assert results[1].error is not None
    assert "tok3n-value" not in results[1].error
    assert results[2].error == "jira_comment target cannot be delivered: no comment poster is configured for it"
    assert slack_at.requests == []


def test_secret_fragments_cover_user_password_host_tokens_path_and_query():
    url = "mailtos://alice:p%40ss-word@smtp.example.com:587?to=pm@example.com&key=abc123secret"
    text = "login failed for alice with p@ss-word at mailtos://alice:p%40ss-word@smtp.example.com:587 key abc123secret"
    cleaned = scrub(text, secret_fragments(url))
    assert "p@ss-word" not in cleaned
    assert "p%40ss-word" not in cleaned
    assert "abc123secret" not in cleaned
    assert "alice" not in cleaned
    assert "smtp.example.com" in cleaned  # a host name is not a secret
    slack = scrub("posting to T1JJ3T3L2/A1BRTD4JD failed", secret_fragments("slack://" + "/".join(SLACK_TOKENS)))
    assert slack == "posting to ***/*** failed"


# --- Jira and GitHub comments in the sandbox, and the audit trail ------------------------------------------------


def test_jira_and_github_comments_land_in_the_sandbox_and_deliveries_are_audited(fresh_sandbox, tmp_path, monkeypatch):
    sb = fresh_sandbox
    config = tmp_path / "pmhub.toml"
    config.write_text(sb.config_toml(f"sqlite:///{tmp_path / 'pmhub.db'}"), encoding="utf-8")
    for key, value in sb.environment().items():
        monkeypatch.setenv(key, value)
    cfg = load_settings(config)
    jira = build_source("jira", cfg)
    github = build_source("github", cfg)
    issue_key = next(iter(sb.world.jira_issues))
    repo_name, repo = next(iter(sb.world.repos.items()))
    number = next(iter(repo.issues))
    targets = {
        "jira": NotifyTarget(kind="jira_comment", target=issue_key, format="full"),
        "github": NotifyTarget(kind="github_comment", target=f"{repo_name}#{number}"),
    }
    posters: dict[CommentKind, CommentPoster] = {
        "jira_comment": JiraCommenter(jira.add_comment),  # type: ignore[attr-defined]
        "github_comment": GitHubCommenter(github.add_comment),  # type: ignore[attr-defined]
    }
    report = examples.readiness()

    results = deliver(readiness_message(report, report_url=REPORT_URL), targets, event="readiness", posters=posters)

    assert [(r.target, r.ok, r.attempts) for r in results] == [("jira", True, 1), ("github", True, 1)]
    assert all(r.reference for r in results)
    jira_text = sb.world.jira_issues[issue_key].comments[-1][2]
    assert jira_text.startswith("h2. CHK 2.4.0 — NO-GO")
    assert "|| Result || Severity || Check || Summary || Owner ||" in jira_text
    assert "| ❌ failed | blocker | CI green on the release ref |" in jira_text
    github_text = repo.issues[number].comments[-1][2]
    assert github_text.startswith("⛔ CHK 2.4.0 — NO-GO: 3 blockers and 2 warnings failed")

    store = Store(cfg.store.url)
    failed = DeliveryResult("team", False, 3, "Slack: error=500", "Slack")
    record([*results, failed], store.audit, subject_id=report.release.id)
    audit = store.audit.log(report.release.id)
    assert [(a.action, a.detail["target"]) for a in reversed(audit)] == [
        ("notify.delivered", "jira"),
        ("notify.delivered", "github"),
        ("notify.failed", "team"),
    ]
    assert audit[0].detail["error"] == "Slack: error=500"


def test_github_comment_targets_parse_owner_repo_and_number():
    assert parse_issue_ref("acme/checkout#12") == ("acme/checkout", 12)
    with pytest.raises(ValueError, match="owner/repo#number"):
        parse_issue_ref("CHK-12")


def test_comment_poster_failures_that_are_not_transient_are_not_retried():
    class Refusing:
        calls = 0

        def post(self, target: str, body: str) -> str:
            Refusing.calls += 1
            raise PermissionError(f"403 on {target}")

    [result] = deliver(
        readiness_message(examples.go_release()),
        {"gh": NotifyTarget(kind="github_comment", target="acme/checkout#7")},
        event="readiness",
        posters={"github_comment": Refusing()},
        retry=FAST,
    )
    assert (result.ok, result.attempts, result.error) == (False, 1, "PermissionError: 403 on acme/checkout#7")
    assert Refusing.calls == 1
