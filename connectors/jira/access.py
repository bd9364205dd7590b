"""What a Jira credential reaches: its account, each configured project and the permissions pmhub needs on it,
and whether the site has Jira Software (boards and sprints).

Requests, each under the source's retry policy: ``/serverInfo`` (unless the flavour is configured) and
``/myself``; ``mypermissions`` for each configured project — a project the account cannot browse answers 404, as
one that does not exist; the agile boards of the first project it can browse (404 on a site without Jira
Software, whose sprints a sync skips).
"""

from __future__ import annotations

from connectors.access import Finding, Level, must_fix, ok, reached, warn
from connectors.jira.client import JiraClient, SiteFacts
from schema import RefusedError, StreamUnavailableError

_BROWSE = "BROWSE_PROJECTS"
# the permissions write-back needs, and what cannot happen without each
_WRITES = {
    "TRANSITION_ISSUES": ("Transition issues", "reconcile --apply cannot move its issues"),
    "ADD_COMMENTS": ("Add comments", "reconcile and notify cannot comment on its issues"),
    "ADMINISTER_PROJECTS": ("Administer projects", "reconcile --apply cannot release its versions"),
}


def probe(client: JiraClient, source: str) -> list[Finding]:
    config = client.config
    credential = f"{config.token_env} and sources.{source}.email" if config.email else config.token_env
    facts = reached("account", client.facts, credential)
    if isinstance(facts, Finding):
        return [facts]
    who = facts.display_name or (facts.account.value if facts.account else "the token's account")
    flavour = "Jira Cloud" if facts.cloud else "Jira Server/Data Center"
    findings = [ok("account", f"{_who(facts)} on {flavour}, time zone {facts.time_zone}")]
    browsable: list[str] = []
    for project in config.projects:
        finding = _project(client, project, who, source)
        findings.append(finding)
        if finding.level is not Level.FIX:
            browsable.append(project)
    if browsable:
        findings.append(_boards(client, browsable[0]))
    return findings


def _who(facts: SiteFacts) -> str:
    account = facts.account
    if account is None:
        return facts.display_name or "the token's account"
    return f"{facts.display_name} ({account.field} {account.value})" if facts.display_name else account.value


def _project(client: JiraClient, project: str, who: str, source: str) -> Finding:
    what = f"project {project}"
    try:
        held = client.my_permissions(project, [_BROWSE, *_WRITES])
    except RefusedError as exc:
        if exc.status != 404:
            return must_fix(what, str(exc), f"check {project} in sources.{source}.projects")
        fix = f'check the key in sources.{source}.projects, or grant {who} "Browse projects" in {project}'
        return must_fix(what, f"not found, or {who} cannot browse it", fix + " (Project settings → Permissions)")
    if not held[_BROWSE]:
        return must_fix(what, f"{who} cannot browse it", f'grant {who} "Browse projects" in {project}')
    lacking = [key for key in _WRITES if not held[key]]
    if lacking:
        names = ", ".join(_WRITES[key][0] for key in lacking)
        effects = "; ".join(_WRITES[key][1] for key in lacking)
        return warn(what, f"readable, but {who} lacks {names}: {effects}", f"grant {names} in {project} for write-back")
    return ok(what, "browse, transition issues, add comments, administer (for write-back)")


def _boards(client: JiraClient, project: str) -> Finding:
    try:
        boards = client.boards(project)
    except StreamUnavailableError as exc:
        return warn("sprints", f"{exc}; a sync skips the sprints stream")
    if not boards:
        return warn("sprints", f"{project} has no agile board: no sprints to read", "create a board, or ignore it")
    return ok("sprints", f"{len(boards)} agile board(s) of {project}")
