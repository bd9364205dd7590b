"""``[sources.<name>]`` of kind jira: what is accepted, normalised and refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.jira.config import JiraFieldIds, JiraSourceConfig


def test_minimal_cloud_source_gets_defaults_and_a_site_from_the_url() -> None:
    config = JiraSourceConfig.model_validate(
        {
            "kind": "jira",
            "url": "https://Acme.atlassian.net/",
            "email": "pm@acme.example",
            "token_env": "JIRA_TOKEN",
            "projects": ["chk", "MOB"],
        }
    )

    assert config.url == "https://Acme.atlassian.net"
    assert config.site_name == "acme.atlassian.net"
    assert config.projects == ["CHK", "MOB"]
    assert (config.flavour, config.overlap_minutes, config.page_size) == ("auto", 5, 100)
    assert config.fields == JiraFieldIds()


def test_server_context_path_is_part_of_the_site_unless_named() -> None:
    base = {"url": "https://jira.example.com/jira", "token_env": "JIRA_PAT", "projects": ["OPS"]}

    assert JiraSourceConfig.model_validate(base).site_name == "jira.example.com/jira"
    assert JiraSourceConfig.model_validate({**base, "site": "Jira.Example"}).site_name == "jira.example"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"url": "acme.atlassian.net"}, "absolute http"),
        ({"token_env": "my token"}, "token_env"),
        ({"projects": []}, "projects"),
        ({"projects": ["CHK OPS"]}, "not Jira project keys"),
        ({"flavour": "datacenter"}, "flavour"),
        ({"token": "secret-in-the-file"}, "Extra inputs are not permitted"),
        ({"fields": {"story_points": "customfield_1", "rank": "customfield_2"}}, "rank"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(change: dict[str, object], complaint: str) -> None:
    base = {"url": "https://acme.atlassian.net", "token_env": "JIRA_TOKEN", "projects": ["CHK"]}

    with pytest.raises(ValidationError, match=complaint):
        JiraSourceConfig.model_validate({**base, **change})
