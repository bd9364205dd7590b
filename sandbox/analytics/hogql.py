"""The HogQL subset the PostHog stand-in understands: daily counts of one event, optionally filtered.

    SELECT toStartOfDay(timestamp) [AS day], count() | count(DISTINCT person_id) | uniq(person_id) [AS n]
    FROM events
    WHERE event = '<name>' [AND timestamp >= | > | < | <= '<date or datetime>' | toDateTime('…') | toDate('…')]
                           [AND properties.<key> | properties.`<key>` | properties['<key>'] = | != '<value>']
    [GROUP BY day] [ORDER BY day [ASC | DESC]] [LIMIT n]

``toDate(timestamp)`` works as the day too; without a day column the query answers one total row. Keywords are
case-insensitive, strings are single-quoted with backslash escapes (https://posthog.com/docs/hogql). Anything else is
a :class:`HogQLError`, answered as PostHog answers a bad query (400, ``validation_error``). The sandbox keeps days,
not instants, so a time bound counts whole days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<quoted>`[^`]*`)|(?P<number>\d+)"
    r"|(?P<name>[A-Za-z_$][\w$]*)|(?P<op>!=|>=|<=|[=<>(),*.\[\]]))"
)
_DISTINCT_IDS = ("person_id", "distinct_id")


class HogQLError(ValueError):
    """A query outside the subset, with PostHog's style of message."""


@dataclass
class HogQLQuery:
    columns: list[str] = field(default_factory=list)
    day_index: int | None = None
    day_type: Literal["DateTime", "Date"] = "DateTime"
    day_expression: str = ""
    measure: Literal["totals", "uniques"] = "totals"
    event: str | None = None
    start: date | None = None
    end: date | None = None
    properties: list[tuple[str, str, str]] = field(default_factory=list)  # (key, "=" | "!=", value)
    aggregated: bool = False
    grouped: bool = False
    descending: bool = False
    limit: int | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.strip().rstrip(";")
        self.tokens: list[tuple[str, str]] = []
        self.ends: list[int] = []
        position = 0
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None or match.end() == position:
                raise HogQLError(f"Syntax error at position {position}: unexpected {self.text[position:][:10]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match[kind]))
            self.ends.append(match.end())
            position = match.end()
        self.at = 0

    def source(self, start: int) -> str:
        """The query text of the tokens from ``start`` to the current one."""
        begin = self.ends[start - 1] if start else 0
        return self.text[begin : self.ends[self.at - 1]].strip()

    def peek(self, *words: str) -> bool:
        if self.at >= len(self.tokens):
            return False
        value = self.tokens[self.at][1]
        return not words or value.lower() in words or value in words

    def take(self, *words: str) -> str:
        if not self.peek(*words):
            found = self.tokens[self.at][1] if self.at < len(self.tokens) else "end of query"
            raise HogQLError(f"Syntax error: expected {' or '.join(words) or 'more'}, found {found!r}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def string(self) -> str:
        kind, value = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
        if kind != "string":
            raise HogQLError(f"Syntax error: expected a quoted string, found {value or 'end of query'!r}")
        self.at += 1
        return re.sub(r"\\(.)", r"\1", value[1:-1])


def parse(text: str) -> HogQLQuery:
    p, query = _Parser(text), HogQLQuery()
    p.take("select")
    while True:
        _select_item(p, query)
        if not p.peek(","):
            break
        p.take(",")
    p.take("from")
    if p.take().lower() != "events":
        raise HogQLError("Unknown table: the sandbox serves only the events table")
    if p.peek("where"):
        p.take("where")
        _condition(p, query)
        while p.peek("and"):
            p.take("and")
            _condition(p, query)
    if p.peek("group"):
        p.take("group"), p.take("by")
        _day_reference(p, query, "GROUP BY")
        query.grouped = True
    if p.peek("order"):
        p.take("order"), p.take("by")
        _day_reference(p, query, "ORDER BY")
        if p.peek("asc", "desc"):
            query.descending = p.take().lower() == "desc"
    if p.peek("limit"):
        p.take("limit")
        query.limit = int(p.take())
    if p.peek():
        raise HogQLError(f"Syntax error: unexpected {p.tokens[p.at][1]!r}")
    if query.event is None:
        raise HogQLError("The sandbox needs WHERE event = '<name>'")
    if query.day_index is not None and not query.grouped:
        raise HogQLError(
            f"Column {query.columns[query.day_index]!r} is not under an aggregate function and not in GROUP BY"
        )
    if not query.aggregated:
        raise HogQLError("Select an aggregate: count(), count(DISTINCT person_id) or uniq(person_id)")
    return query


def _select_item(p: _Parser, query: HogQLQuery) -> None:
    start = p.at
    function = p.take().lower()
    p.take("(")
    if function in ("tostartofday", "todate"):
        p.take("timestamp")
        p.take(")")
        query.day_index = len(query.columns)
        query.day_expression = p.source(start)
        query.day_type = "DateTime" if function == "tostartofday" else "Date"
    elif query.aggregated:
        raise HogQLError("The sandbox answers one aggregate per query")
    elif function == "count" and p.peek(")", "*"):
        if p.peek("*"):
            p.take("*")
        p.take(")")
        query.aggregated = True
    elif function in ("count", "uniq"):
        if function == "count":
            p.take("distinct")
        p.take(*_DISTINCT_IDS)
        p.take(")")
        query.measure, query.aggregated = "uniques", True
    else:
        raise HogQLError(f"Unsupported function {function!r} in the sandbox's HogQL subset")
    text = p.source(start)
    if p.peek("as"):
        p.take("as")
        text = p.take()
    query.columns.append(text)


def _day_reference(p: _Parser, query: HogQLQuery, clause: str) -> None:
    if p.peek("tostartofday", "todate"):
        p.take(), p.take("("), p.take("timestamp"), p.take(")")
        name = query.day_expression
    else:
        name = p.take()
    if query.day_index is None or name not in (query.columns[query.day_index], query.day_expression):
        raise HogQLError(f"{clause} supports only the day column")


def _condition(p: _Parser, query: HogQLQuery) -> None:
    subject = p.take().lower()
    if subject == "event":
        p.take("=")
        query.event = p.string()
    elif subject == "timestamp":
        op = p.take(">=", ">", "<", "<=")
        if p.peek("todatetime", "todate"):
            p.take(), p.take("(")
            bound = _day(p.string())
            p.take(")")
        else:
            bound = _day(p.string())
        if op in (">=", ">"):
            query.start = bound if op == ">=" else bound + timedelta(days=1)
        else:
            query.end = bound if op == "<=" else bound - timedelta(days=1)
    elif subject == "properties":
        if p.peek("["):
            p.take("[")
            key = p.string()
            p.take("]")
        else:
            p.take(".")
            key = p.take().strip("`")
        op = p.take("=", "!=")
        query.properties.append((key, op, p.string()))
    else:
        raise HogQLError(f"Unsupported condition on {subject!r} in the sandbox's HogQL subset")


def _day(text: str) -> date:
    try:
        return datetime.fromisoformat(text.replace(" ", "T")).date()
    except ValueError:
        raise HogQLError(f"Cannot parse {text!r} as a date or datetime") from None
