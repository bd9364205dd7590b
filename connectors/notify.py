"""Deliver rendered reports to people: apprise URLs (Slack, Microsoft Teams, e-mail, …) and comments on a Jira issue
or a GitHub issue/PR.

:func:`deliver` sends one :class:`Message` to every configured :class:`NotifyTarget` (``[notify.<name>]`` in
pmhub.toml) that subscribes to the event and returns one :class:`DeliveryResult` per target — a failure is retried
(bounded, exponential backoff), then returned with its reason, never dropped; :func:`record` writes the results to
the store's audit table.

Per target:

* ``format = "summary"`` sends :attr:`Message.summary` (verdict, failing checks, link); ``"full"`` the whole report
  as Markdown (:attr:`Message.markdown`);
* e-mail (``mailto://``/``mailtos://``) with ``format = "full"`` carries the HTML report as the body and as an
  attached ``.html`` file; with ``"summary"`` the summary is the body and the HTML report is still attached;
* ``jira_comment`` and ``github_comment`` post through a :class:`CommentPoster` the caller supplies per kind (the
  connectors' write-back helpers); ``target`` is the Jira issue key or ``owner/repo#number``. A Jira comment is the
  same text in Jira wiki markup (REST v2 renders comment bodies as wiki markup).

An apprise URL embeds credentials, so it is read from the environment variable the target names and never appears
in a result, an error or a log: errors are scrubbed of every part of the URL (user, password, host tokens, path
segments, query values) before they leave this module, apprise's own log records are masked the same way (its
DEBUG records, which echo request URLs, are dropped), and a target is named by its key in ``pmhub.toml`` and its
service's name (``Slack``, ``E-Mail``…).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import tenacity

from connectors.notify_config import NotifyEvent, NotifyTarget
from reports import (
    render_launches,
    render_leadership,
    render_readiness,
    render_status,
    render_summary,
    summary_title,
    to_jira_wiki,
)
from schema.errors import RetryLaterError
from schema.planning import LaunchesReport, LaunchReview
from schema.readiness import ReadinessReport, StatusReport

CommentKind = Literal["jira_comment", "github_comment"]

EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
MAX_ERROR_CHARS = 500
_MASK = "***"
_HOSTNAME = re.compile(r"^(?=.*[.:])[A-Za-z0-9.:\[\]-]+$")


class CommentPoster(Protocol):
    """Posts ``body`` as a comment on ``target`` (a Jira issue key, or ``owner/repo#number``); returns its id."""

    def post(self, target: str, body: str) -> str: ...


@dataclass(frozen=True)
class Message:
    """One report in every form a target may want."""

    title: str
    summary: str
    markdown: str
    html: str
    attachment_name: str


@dataclass(frozen=True)
class DeliveryResult:
    target: str
    ok: bool
    attempts: int
    error: str | None = None
    service: str = ""
    reference: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``attempts`` tries per target, waiting ``wait`` seconds, doubling up to ``max_wait``, in between."""

    attempts: int = 3
    wait: float = 2.0
    max_wait: float = 30.0


@dataclass(frozen=True)
class JiraCommenter:
    """A :class:`CommentPoster` over a Jira write-back helper: ``JiraCommenter(jira_source.add_comment)``."""

    add_comment: Callable[[str, str], str]

    def post(self, target: str, body: str) -> str:
        return self.add_comment(target, body)


@dataclass(frozen=True)
class GitHubCommenter:
    """A :class:`CommentPoster` over a GitHub write-back helper; targets read ``owner/repo#number``."""

    add_comment: Callable[[str, int, str], Mapping[str, Any]]

    def post(self, target: str, body: str) -> str:
        repo, number = parse_issue_ref(target)
        created = self.add_comment(repo, number, body)
        return str(created.get("html_url") or created.get("id") or "")


def parse_issue_ref(target: str) -> tuple[str, int]:
    """``owner/repo#12`` → ``("owner/repo", 12)``."""
    match = re.fullmatch(r"([\w.-]+/[\w.-]+)#(\d+)", target.strip())
    if match is None:
        raise ValueError(f"not a GitHub issue or pull request reference (owner/repo#number): {target!r}")
    return match.group(1), int(match.group(2))


class AuditSink(Protocol):
    def add(self, action: str, target_id: str, detail: Mapping[str, Any]) -> None: ...


class _UndeliveredError(Exception):
    """One failed attempt; retried while attempts remain."""


class _RefusedError(Exception):
    """A failure that another attempt cannot fix (bad URL, missing credential, a non-transient error)."""


def _file_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "report"


def readiness_message(report: ReadinessReport, *, report_url: str | None = None) -> Message:
    return Message(
        title=summary_title(report),
        summary=render_summary(report, report_url=report_url),
        markdown=render_readiness(report, "md", report_url=report_url),
        html=render_readiness(report, "html", report_url=report_url),
        attachment_name=f"readiness-{_file_stem(report.release.project + '-' + report.release.name)}.html",
    )


def status_message(status: StatusReport, *, report_url: str | None = None) -> Message:
    return Message(
        title=summary_title(status),
        summary=render_summary(status, report_url=report_url),
        markdown=render_status(status, "md", report_url=report_url),
        html=render_status(status, "html", report_url=report_url),
        attachment_name=f"status-{status.generated_at:%Y-%m-%d}.html",
    )


def leadership_message(status: StatusReport, *, report_url: str | None = None) -> Message:
    """The digest for leadership: one screen (objectives, releases at risk, launches), as chat text and e-mail."""
    text = render_leadership(status, "md", report_url=report_url)
    return Message(
        title=f"{summary_title(status)} (summary)",
        summary=text,
        markdown=text,
        html=render_leadership(status, "html", report_url=report_url),
        attachment_name=f"summary-{status.generated_at:%Y-%m-%d}.html",
    )


def launch_message(review: LaunchReview, generated_at: datetime, *, report_url: str | None = None) -> Message:
    """A launch whose guardrails broke after it: delivered like a readiness change."""
    report = LaunchesReport(generated_at=generated_at, launches=[review])
    release = review.release
    return Message(
        title=summary_title(review),
        summary=render_summary(review, report_url=report_url),
        markdown=render_launches(report, "md", report_url=report_url),
        html=render_launches(report, "html", report_url=report_url),
        attachment_name=f"launch-{_file_stem(release.project + '-' + release.name)}.html",
    )


def secret_fragments(url: str) -> list[str]:
    """Every part of an apprise URL that may be a credential, longest first (so a token inside a URL is masked)."""
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    pieces = [url, userinfo, parts.path, parts.query, parts.username or "", parts.password or ""]
    pieces += parts.path.split("/")
    pieces += [value for _, value in parse_qsl(parts.query, keep_blank_values=False)]
    if not _HOSTNAME.match(host):
        pieces.append(host)
    fragments = {piece for raw in pieces for piece in (raw, unquote(raw)) if len(piece) >= 3}
    return sorted(fragments, key=len, reverse=True)


def _mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _MASK)
    return text


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret masked, cut to a length fit for a result or an audit row."""
    return _mask(text, secrets)[:MAX_ERROR_CHARS]


class _AppriseLogScrubber(logging.Filter):
    """Keeps the URLs being delivered to out of apprise's own log records, whichever thread emits them.

    why: apprise logs each request URL and payload at DEBUG ("Slack POST URL: https://hooks.slack.com/services/
    T…/B…/…") and some plugins quote a rejected token at WARNING; records below INFO are dropped, and every other
    record is masked with the secrets of the deliveries in progress.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._active: Counter[str] = Counter()

    @contextmanager
    def guarding(self, secrets: list[str]) -> Iterator[None]:
        with self._lock:
            self._active.update(secrets)
        try:
            yield
        finally:
            with self._lock:
                self._active.subtract(secrets)
                self._active = +self._active

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False
        with self._lock:
            active = sorted(self._active, key=len, reverse=True)
        if active:
            record.msg, record.args = _mask(record.getMessage(), active), ()
        return True


_LOG_SCRUBBER = _AppriseLogScrubber()
logging.getLogger("apprise").addFilter(_LOG_SCRUBBER)


def _retrying(policy: RetryPolicy) -> tenacity.Retrying:
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(policy.attempts, 1)),
        wait=tenacity.wait_exponential(multiplier=policy.wait, max=policy.max_wait),
        retry=tenacity.retry_if_exception_type(_UndeliveredError),
        reraise=True,
    )


def _with_retries(send: Callable[[], str | None], policy: RetryPolicy) -> tuple[int, str | None, str | None]:
    """(attempts, reference, error): runs ``send`` until it returns or runs out of attempts."""
    attempts = 0

    def once() -> str | None:
        nonlocal attempts
        attempts += 1
        return send()

    try:
        reference = _retrying(policy)(once)
    except (_UndeliveredError, _RefusedError) as exc:
        return attempts, None, str(exc)
    return attempts, reference, None


def _apprise_sender(url: str, target: NotifyTarget, message: Message) -> tuple[Callable[[], str | None], str]:
    """The send function for an apprise URL, and the service's name; raises _RefusedError for a URL apprise rejects."""
    # why: apprise takes ~150 ms to import (its plugins), and every command that builds the notify targets
    # would pay it, while only a delivery needs it
    import apprise
    from apprise.attachment.memory import AttachMemory

    instance = apprise.Apprise.instantiate(url)
    if instance is None:
        raise _RefusedError("not a valid apprise URL (check its scheme and required parts)")
    service = str(instance.service_name)
    scheme = url.split("://", 1)[0].lower()
    attachment = None
    if scheme in EMAIL_SCHEMES:
        # why: apprise attaches from memory without a temporary file (apprise.attachment.memory.AttachMemory)
        attachment = apprise.AppriseAttachment()
        attachment.add(AttachMemory(content=message.html, name=message.attachment_name, mimetype="text/html"))  # type: ignore[no-untyped-call]
    if target.format == "summary":
        body, body_format = message.summary, apprise.NotifyFormat.TEXT
    elif attachment is not None:
        body, body_format = message.html, apprise.NotifyFormat.HTML
    else:
        body, body_format = message.markdown, apprise.NotifyFormat.MARKDOWN

    def send() -> None:
        # why: a plugin instance sleeps out its own request_rate_per_sec (5.5 s for most) before reusing itself,
        # so each attempt gets a fresh instance and RetryPolicy alone paces the retries.
        hub = apprise.Apprise()
        hub.add(url)
        # why: apprise 2.x returns an AppriseResult that is falsy on failure and keeps each attempt's log lines
        # (https://appriseit.com/library/): the WARNING/ERROR lines are the reason.
        try:
            result = hub.notify(body=body, title=message.title, body_format=body_format, attach=attachment)
        except Exception as exc:  # a plugin bug must not drop the delivery: it is reported like any failure
            raise _RefusedError(f"{service}: {type(exc).__name__}: {exc}") from exc
        if not result:
            reasons = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
            raise _UndeliveredError("; ".join(dict.fromkeys(reasons)) or f"{service} did not accept the message")
        return None

    return send, service


def _comment_sender(poster: CommentPoster, target: NotifyTarget, message: Message) -> Callable[[], str | None]:
    body = message.summary if target.format == "summary" else message.markdown
    if target.kind == "jira_comment":
        body = to_jira_wiki(body)
    where = target.target or ""

    def send() -> str:
        try:
            return poster.post(where, body)
        except (RetryLaterError, ConnectionError, TimeoutError) as exc:
            raise _UndeliveredError(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # any other failure is reported, not retried
            raise _RefusedError(f"{type(exc).__name__}: {exc}") from exc

    return send


def _deliver_one(
    name: str,
    target: NotifyTarget,
    message: Message,
    posters: Mapping[CommentKind, CommentPoster],
    env: Mapping[str, str],
    policy: RetryPolicy,
) -> DeliveryResult:
    if target.kind != "apprise":
        poster = posters.get(target.kind)
        service = f"{target.kind.replace('_', ' ')} on {target.target}"
        if poster is None or not target.target:
            missing = "no comment poster is configured for it" if poster is None else "it names no target"
            return DeliveryResult(name, False, 0, f"{target.kind} target cannot be delivered: {missing}", service)
        attempts, reference, error = _with_retries(_comment_sender(poster, target, message), policy)
        return DeliveryResult(name, error is None, attempts, error, service, reference)

    url = env.get(target.url_env or "", "")
    if not url:
        reason = f"environment variable {target.url_env} is not set" if target.url_env else "it names no url_env"
        return DeliveryResult(name, False, 0, f"apprise target cannot be delivered: {reason}")
    secrets = secret_fragments(url)
    with _LOG_SCRUBBER.guarding(secrets):
        try:
            send, service = _apprise_sender(url, target, message)
        except _RefusedError as exc:
            return DeliveryResult(name, False, 0, scrub(str(exc), secrets))
        attempts, reference, error = _with_retries(send, policy)
    return DeliveryResult(name, error is None, attempts, None if error is None else scrub(error, secrets), service)


def deliver(
    message: Message,
    targets: Mapping[str, NotifyTarget],
    *,
    event: NotifyEvent,
    posters: Mapping[CommentKind, CommentPoster] | None = None,
    env: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
) -> list[DeliveryResult]:
    """Send ``message`` to every target subscribed to ``event``; one result per target, in configuration order."""
    return [
        _deliver_one(name, target, message, posters or {}, os.environ if env is None else env, retry or RetryPolicy())
        for name, target in targets.items()
        if event in target.events
    ]


def record(results: Iterable[DeliveryResult], audit: AuditSink, *, subject_id: str) -> None:
    """One audit row per delivery: ``notify.delivered`` or ``notify.failed`` on ``subject_id``, with the details."""
    for result in results:
        audit.add(
            "notify.delivered" if result.ok else "notify.failed",
            subject_id,
            {
                "target": result.target,
                "service": result.service,
                "attempts": result.attempts,
                "error": result.error,
                "reference": result.reference,
            },
        )


__all__ = [
    "AuditSink",
    "CommentKind",
    "CommentPoster",
    "DeliveryResult",
    "GitHubCommenter",
    "JiraCommenter",
    "Message",
    "RetryPolicy",
    "deliver",
    "launch_message",
    "leadership_message",
    "parse_issue_ref",
    "readiness_message",
    "record",
    "scrub",
    "secret_fragments",
    "status_message",
]
