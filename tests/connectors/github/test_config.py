"""The ``[sources.<name>]`` section of kind ``github`` as pmhub.toml spells it."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from connectors.github.config import GitHubSourceConfig

TOML = """
[sources.gh]
kind = "github"
base_url = "https://github.acme.example/api/v3/"
token_env = "ACME_GHE_TOKEN"
repos = ["acme/checkout", "acme/mobile-app"]
release_refs = { default_branch = true, releases = false, extra = ["release/2.4"] }
census_interval_minutes = 0
"""


def test_enterprise_section_parses_with_defaults_filled_in() -> None:
    config = GitHubSourceConfig.model_validate(tomllib.loads(TOML)["sources"]["gh"])
    assert config.base_url == "https://github.acme.example/api/v3"
    assert config.repos == ("acme/checkout", "acme/mobile-app")
    assert (config.release_refs.default_branch, config.release_refs.releases) == (True, False)
    assert config.release_refs.extra == ("release/2.4",)
    assert (config.per_page, config.max_rate_limit_wait_seconds, config.census_interval_minutes) == (100, 900.0, 0)


def test_minimal_section_reads_github_com_with_the_default_token_env() -> None:
    config = GitHubSourceConfig.model_validate({"kind": "github", "repos": ["acme/checkout"]})
    assert (config.base_url, config.token_env) == ("https://api.github.com", "GITHUB_TOKEN")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"token_env": "ghp_abc123-not-a-name"}, "NAME of an environment variable"),
        ({"repos": ["checkout"]}, "owner/name"),
        ({"repos": ["acme/checkout", "ACME/Checkout"]}, "same repository twice"),
        ({"repos": []}, "at least 1"),
        ({"base_url": "api.github.com"}, "https://"),
        ({"per_page": 101}, "less than or equal to 100"),
        ({"token": "ghp_secret"}, "Extra inputs are not permitted"),
    ],
)
def test_mistakes_are_refused_with_a_message_saying_what_to_fix(override: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GitHubSourceConfig.model_validate({"kind": "github", "repos": ["acme/checkout"], **override})
