"""The Markdown these reports emit, rewritten as Jira wiki markup for a comment posted through REST v2.

Jira renders a v2 comment body as wiki markup (https://jira.atlassian.com/secure/WikiRendererHelpAction.jspa),
where ``[x]`` is a link, ``**`` is not bold and a ``|---|`` row is a table row of dashes. Only the subset the
report templates produce is translated: ``#`` headings, ``**bold**``, ``[label](url)`` links, ``- `` bullets (two
levels), `` `code` `` and tables (the header row becomes ``||`` cells, the separator row is dropped). Escaped
brackets and pipes from the Markdown stay backslash-escaped, which wiki markup reads the same way.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^(#{1,6}) (.*)$")
_SEPARATOR = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")
_BULLET = re.compile(r"^(\s*)- (.*)$")
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    text = _CODE.sub(r"{{\1}}", text)
    text = _BOLD.sub(r"*\1*", text)
    return _LINK.sub(r"[\1|\2]", text)


def _header_row(line: str) -> str:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return "||" + "||".join(f" {_inline(c.strip())} " for c in cells) + "||"


def to_jira_wiki(markdown: str) -> str:
    lines = markdown.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            continue
        if line.startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            out.append(_header_row(line))
        elif heading := _HEADING.match(line):
            out.append(f"h{len(heading.group(1))}. {_inline(heading.group(2))}")
        elif bullet := _BULLET.match(line):
            depth = len(bullet.group(1)) // 2 + 1
            out.append(f"{'*' * depth} {_inline(bullet.group(2))}")
        else:
            out.append(_inline(line))
    return "\n".join(out) + ("\n" if markdown.endswith("\n") else "")


__all__ = ["to_jira_wiki"]
