"""pmhub.toml validation: every problem named by key path at once, defaults, env overrides, no secret echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import DEFAULT_STORE_URL, credential_envs, load_settings, secret
from schema import ConfigError, StatusCategory

GOOD = """
[store]
url = "sqlite:///{tmp}/store.db"

[sources.acme-jira]
kind = "jira"
url = "https://acme.atlassian.net"
email = "pm@acme.example"
token_env = "ACME_JIRA_TOKEN"
projects = ["CHK", "MOB"]

[sources.acme-github]
kind = "github"
token_env = "ACME_GITHUB_TOKEN"
repos = ["acme/checkout"]

[status_map.jira.CHK]
"In Review" = "in_progress"

[products.checkout]
jira_project = "CHK"
repo = "acme/checkout"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pmhub.toml"
    path.write_text(text.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    return path


def test_a_good_file_loads_every_section(tmp_path: Path) -> None:
    cfg = load_settings(write(tmp_path, GOOD))
    assert cfg.store.url == f"sqlite:///{tmp_path}/store.db"
    assert set(cfg.sources) == {"acme-jira", "acme-github"}
    assert cfg.sources["acme-jira"].kind == "jira"
    assert cfg.status_map.jira["CHK"]["In Review"] is StatusCategory.IN_PROGRESS
    assert cfg.link_rules().products == (("CHK", "acme/checkout"),)


def test_no_file_means_the_embedded_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMHUB_CONFIG", raising=False)
    cfg = load_settings()
    assert cfg.store.url == DEFAULT_STORE_URL
    assert cfg.sources == {}


def test_an_explicit_missing_file_is_an_error_that_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pmhub init"):
        load_settings(tmp_path / "nope.toml")


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    bad = """
[sources.j]
kind = "jira"
url = "acme.atlassian.net"
token_env = "T"

[sources.g]
kind = "github"
repos = ["not-a-repo"]

[schedules]
sync = 15
"""
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, bad))
    lines = str(caught.value).splitlines()
    assert all(line.startswith(str(tmp_path / "pmhub.toml")) for line in lines)
    text = str(caught.value)
    assert "sources.j.jira.url" in text
    assert "sources.j.jira.projects: required key is missing" in text
    assert "sources.g.github.repos" in text
    assert "schedules.sync" in text
    assert len(lines) == 4


def test_an_unknown_kind_names_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sources\.x.*'jira'.*'github'"):
        load_settings(write(tmp_path, '[sources.x]\nkind = "gitlab"\n'))


def test_a_token_pasted_into_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = GOOD + '\n[sources.leaky]\nkind = "github"\nrepos = ["a/b"]\ntoken = "ghp_SUPERSECRET123"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert "sources.leaky.github.token: unknown key" in message
    assert "*_env" in message
    assert "SUPERSECRET" not in message


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pmhub.toml: not valid TOML.*line 2"):
        load_settings(write(tmp_path, '[store]\nurl = "unterminated\n'))


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMHUB_STORE__URL", "postgresql+psycopg://u:p@127.0.0.1/db")
    cfg = load_settings(write(tmp_path, GOOD))
    assert cfg.store.url == "postgresql+psycopg://u:p@127.0.0.1/db"


ROADMAP = """
[roadmap.one-click]
title = "One-click checkout"
links = ["CHK-12"]

[roadmap_rules]
from_milestones = false
"""


def test_the_roadmap_tables_keep_their_keys_in_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMHUB_ROADMAP__WALLETS__TITLE", "Wallets")
    monkeypatch.setenv("ROADMAP__STRAY__TITLE", "not pmhub's")
    cfg = load_settings(write(tmp_path, ROADMAP))
    assert {key: item.title for key, item in cfg.roadmap_items.items()} == {
        "one-click": "One-click checkout",
        "wallets": "Wallets",
    }
    assert cfg.roadmap_rules.from_milestones is False
    with pytest.raises(ConfigError, match=r"pmhub.toml: roadmap.x.title: required key is missing"):
        load_settings(write(tmp_path, "[roadmap.x]\nlinks = []\n"))


def test_secrets_come_from_the_named_variable_and_never_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_settings(write(tmp_path, GOOD))
    envs = credential_envs(cfg.sources["acme-github"])
    assert envs == {"token_env": "ACME_GITHUB_TOKEN"}
    monkeypatch.delenv("ACME_GITHUB_TOKEN", raising=False)
    assert secret("ACME_GITHUB_TOKEN") is None
    monkeypatch.setenv("ACME_GITHUB_TOKEN", "ghp_topsecret")
    token = secret("ACME_GITHUB_TOKEN")
    assert token is not None
    assert token.get_secret_value() == "ghp_topsecret"
    assert "topsecret" not in repr(token) + str(token)


def test_the_web_section_reads_proxies_sessions_and_the_throttle_and_names_what_is_wrong(tmp_path: Path) -> None:
    good = load_settings(
        write(
            tmp_path,
            '[web]\nforwarded_allow_ips = ["127.0.0.1", "10.0.0.0/8", "::1"]\nsession_key_env = "PMHUB_SESSION_KEY"\n'
            "[web.throttle]\nuser_failures = 3\n",
        )
    )
    assert good.web.forwarded_allow_ips == ["127.0.0.1", "10.0.0.0/8", "::1"]
    assert (good.web.session_key_env, good.web.throttle.user_failures, good.web.throttle.address_failures) == (
        "PMHUB_SESSION_KEY",
        3,
        20,
    )

    bad = '[web]\nforwarded_allow_ips = ["proxy.internal"]\n[web.throttle]\nfirst_wait_seconds = 0\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, bad))
    message = str(caught.value)
    assert "web.forwarded_allow_ips" in message
    assert "'proxy.internal' is not an IP address or network" in message
    assert "web.throttle.first_wait_seconds" in message


def test_the_planning_sections_load_and_name_what_is_wrong(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        GOOD.format(tmp=tmp_path)
        + '\n[objectives.conversion]\ntitle = "More shoppers activate"\nroadmap = ["checkout-2.4.0", "CHK-3"]\n'
        'kpi = { metric = "activation_rate", target = 0.6, by = 2027-01-31, tool = "posthog" }\n'
        '\n[priorities]\nmethod = "wsjf"\nmethods = { CHK = "rice" }\nlabel_prefix = "score/"\n'
        'overrides = { "CHK-12" = { reach = 800 } }\n'
        "\n[launch_review]\nbefore_days = 21\n[[launch_review.metrics]]\nmetric = \"daily_active_users\"\n"
        '\n[notify.board]\nurl_env = "PMHUB_BOARD_URL"\naudience = "leadership"\n'
    )
    cfg = load_settings(good)
    assert cfg.objectives["conversion"].kpi.op == ">="
    assert cfg.priorities.method_of("CHK").value == "rice"
    assert cfg.priorities.method_of("acme/checkout").value == "wsjf"
    assert cfg.launch_review.before_days == 21
    assert cfg.notify["board"].audience == "leadership"

    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[objectives.conversion]\ntitle = "x"\n[priorities]\nweights = { speed = 2 }\n'
        '[notify.board]\nurl_env = "X"\naudience = "board"\n[launch_review]\nsettle_days = -1\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(bad)
    lines = str(raised.value).splitlines()
    assert f"{bad}: objectives.conversion.kpi: required key is missing" in lines
    for start in (
        "priorities.weights: unknown input speed",
        "notify.board.audience: Input should be 'team' or 'leadership'",
        "launch_review.settle_days: Input should be greater than or equal to 0",
    ):
        assert any(line.startswith(f"{bad}: {start}") for line in lines), start
