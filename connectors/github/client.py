"""The GitHub REST client: PyGithub's requester, configured for bulk reads, under pmhub's retry policy.

PyGithub is used for what it does well (auth, Enterprise base URLs, write spacing, connection reuse) and kept away
from its two performance traps (https://pygithub.readthedocs.io/en/stable/github.html):

* list items are lazily *completed* objects: reading an attribute PyGithub did not receive costs one request per
  item. Pages are read here as raw JSON (``Requester.requestJson``), so a page of 100 is one request;
* it sleeps ``seconds_between_requests`` (0.25 s) before every request. Reads here are not throttled; writes keep
  ``seconds_between_writes`` = 1 s, as GitHub asks of mutating requests
  (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests).

PyGithub's own urllib3 retry is switched off: :class:`connectors.http.RetryPolicy` decides (Retry-After, primary and
secondary limits, backoff) and counts every request, 304 and the remaining budget into :class:`RequestStats`.
Reads may be conditional (``If-None-Match``): a 304 costs no rate limit
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from github import Auth, Github, GithubException
from requests.structures import CaseInsensitiveDict
from requests.utils import parse_header_links

from connectors.base import RequestStats
from connectors.github.config import GitHubSourceConfig
from connectors.http import RetryPolicy, record_response
from schema import BadDataError, ConfigError

CloseReason = Literal["completed", "not_planned", "duplicate"]
WRITE_SPACING_SECONDS = 1.0


@dataclass(frozen=True)
class Answer:
    """One GitHub answer: 200 with JSON ``data``, or 304 (``data`` is ``None``: the caller's copy is current)."""

    status: int
    data: Any
    etag: str | None
    next_url: str | None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class TokenOwner:
    """The account a token acts as; ``scopes`` are a classic token's (``None``: a fine-grained token or an app,
    whose permissions only a request can tell)."""

    login: str
    scopes: tuple[str, ...] | None


class GitHubClient:
    """Raw-JSON GitHub REST calls for one configured source; ``stats`` accumulates what they cost."""

    def __init__(self, config: GitHubSourceConfig, token: str, policy: RetryPolicy) -> None:
        if not token:
            raise ConfigError(f"github: no token; set the environment variable {config.token_env}")
        self.config = config
        self.policy = policy
        self._github = Github(
            auth=Auth.Token(token),
            base_url=config.base_url,
            per_page=config.per_page,
            timeout=config.timeout_seconds,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=WRITE_SPACING_SECONDS,
            lazy=True,
        )
        self._requester = self._github.requester
        self._login: str | None = None

    @property
    def stats(self) -> RequestStats:
        return self.policy.stats

    def request(
        self,
        verb: str,
        url: str,
        *,
        describe: str,
        params: Mapping[str, str | int] | None = None,
        etag: str | None = None,
        body: Any = None,
    ) -> Answer:
        """One call under the retry policy. ``url`` is a path under ``base_url`` or an absolute ``Link`` URL."""
        headers = {"Accept": "application/vnd.github+json"}
        if etag:
            headers["If-None-Match"] = etag

        def attempt() -> Answer:
            status, raw_headers, text = self._requester.requestJson(
                verb, url, parameters=dict(params) if params else None, headers=dict(headers), input=body
            )
            answer_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(raw_headers)
            record_response(self.stats, status, answer_headers, verb, url)
            if status >= 400:
                raise GithubException(status, _error_body(text), dict(answer_headers))
            # a body cut short raises JSONDecodeError here, which the policy retries
            data = json.loads(text) if status != 304 and text else None
            etag, link = answer_headers.get("ETag"), _next_link(answer_headers.get("Link"))
            return Answer(status, data, etag, link, answer_headers)

        return self.policy.call(attempt, describe=describe)

    def pages(
        self, path: str, params: Mapping[str, str | int], *, describe: str, etag: str | None = None
    ) -> Iterator[Answer]:
        """Every page of a listing, following ``Link: rel="next"``; only the first page is conditional.

        A 304 on the first page ends the listing after that one answer.
        """
        answer = self.request(
            "GET", path, params={**params, "per_page": self.config.per_page}, etag=etag, describe=describe
        )
        yield from self._following(answer, path, describe)

    def _following(self, answer: Answer, path: str, describe: str) -> Iterator[Answer]:
        """``answer`` (a listing's first page) and the pages its ``Link: rel="next"`` chain leads to."""
        yield answer
        seen = {path}
        while answer.next_url is not None and not answer.not_modified:
            if answer.next_url in seen:
                # neither transient nor a config mistake: the listing is broken at the source; stop this stream
                raise BadDataError(f"github: {describe}: the server sent the same next page twice; stopping")
            seen.add(answer.next_url)
            answer = self.request("GET", answer.next_url, describe=describe)
            yield answer

    def listing(
        self, path: str, params: Mapping[str, str | int], known: Sequence[Sequence[str]], *, describe: str
    ) -> tuple[list[Answer] | None, list[list[str]]]:
        """A whole listing, unless every page read last time — ``known``: its ``[url, etag]`` — answers 304.

        Returns ``(None, known)`` when nothing changed (each page asked conditionally, in order, stopping at the first
        that changed), else every page read anew and their ``[url, etag]`` (``url`` is ``""`` for the first page).
        """
        first = {**params, "per_page": self.config.per_page}
        changed: Answer | None = None
        for index, (url, etag) in enumerate(known):
            answer = self.request("GET", url or path, params=None if url else first, etag=etag, describe=describe)
            if not answer.not_modified:
                # a first page that changed starts the new read; a later one means reading from the first again
                changed = answer if index == 0 else self.request("GET", path, params=first, describe=describe)
                break
        if changed is None:
            if known:
                return None, [list(page) for page in known]
            changed = self.request("GET", path, params=first, describe=describe)
        answers = list(self._following(changed, path, describe))
        urls = ["", *(answer.next_url or "" for answer in answers[:-1])]
        pages = [[url, answer.etag] for url, answer in zip(urls, answers, strict=True) if answer.etag]
        return answers, pages if len(pages) == len(answers) else []

    def login(self) -> str:
        """The login of the account the token acts as (``GET /user``), read once: deliveries sent by it are
        pmhub's own writes (https://docs.github.com/en/rest/users/users#get-the-authenticated-user)."""
        if self._login is None:
            self._login = self.owner().login
        return self._login

    def owner(self) -> TokenOwner:
        """Who the token acts as, and its scopes when it is a classic token (``GET /user``)."""
        answer = self.request("GET", "/user", describe="the token's account (/user)")
        login = answer.data.get("login") if isinstance(answer.data, dict) else None
        if not isinstance(login, str) or not login:
            raise BadDataError("github: /user answered without a login")
        # why: classic tokens (and OAuth apps) list their scopes in X-OAuth-Scopes on every answer; fine-grained
        # tokens and GitHub Apps send none (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps)
        listed = answer.headers.get("X-OAuth-Scopes")
        scopes = None if listed is None else tuple(s.strip() for s in listed.split(",") if s.strip())
        return TokenOwner(login, scopes)

    def hooks(self, repo: str) -> list[dict[str, Any]]:
        """Every webhook of ``repo``, all pages (https://docs.github.com/en/rest/repos/webhooks#list-repository-webhooks)."""
        answers = self.pages(f"{repo_path(repo)}/hooks", {}, describe=f"webhooks of {repo}")
        return [hook for answer in answers for hook in answer.data]

    def save_hook(self, repo: str, body: dict[str, Any], hook_id: int | None = None) -> dict[str, Any]:
        """Create a webhook on ``repo`` (``POST …/hooks``), or change hook ``hook_id`` (``PATCH …/hooks/{id}``)."""
        path = f"{repo_path(repo)}/hooks"
        if hook_id is None:
            answer = self.request("POST", path, body=body, describe=f"new webhook of {repo}")
        else:
            answer = self.request("PATCH", f"{path}/{hook_id}", body=body, describe=f"webhook {hook_id} of {repo}")
        result: dict[str, Any] = answer.data
        return result

    def add_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        """Comment on an issue or pull request; returns the created comment as GitHub sent it.

        Retried like every call: a connection dropped after GitHub accepted the comment can post it twice.
        """
        answer = self.request(
            "POST",
            f"{repo_path(repo)}/issues/{number}/comments",
            body={"body": body},
            describe=f"comment on {repo}#{number}",
        )
        result: dict[str, Any] = answer.data
        return result

    def close_issue(self, repo: str, number: int, reason: CloseReason = "completed") -> dict[str, Any]:
        """Close an issue with a ``state_reason``; closing an issue that is already closed changes nothing."""
        answer = self.request(
            "PATCH",
            f"{repo_path(repo)}/issues/{number}",
            body={"state": "closed", "state_reason": reason},
            describe=f"close {repo}#{number}",
        )
        result: dict[str, Any] = answer.data
        return result


def repo_path(repo: str) -> str:
    owner, name = repo.split("/", 1)
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for link in parse_header_links(header):
        if link.get("rel") == "next":
            return link.get("url")
    return None


def _error_body(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return {"message": text[:200]}
