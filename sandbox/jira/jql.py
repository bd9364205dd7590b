"""The JQL subset the sandbox understands, compiled to a predicate over world issues plus index hints.

Clauses: ``project``, ``key``/``issuekey``, ``issuetype``/``type``, ``status``, ``statusCategory``, ``fixVersion``,
``assignee``, ``labels``, ``updated``, ``created``, ``resolved`` with ``= != in (…) not in (…) > >= < <= is [not]
EMPTY``; ``AND``/``OR``/``NOT``, parentheses; ``ORDER BY updated|created|key|id [ASC|DESC], …``.

Date literals are read the way Jira reads them: ``yyyy-MM-dd HH:mm``, ``yyyy/MM/dd HH:mm`` or a bare date, in the
*requesting user's* time zone, at minute precision (``updated >= "2024-01-05 10:01"`` includes 10:01:52), or a
relative period such as ``-15m``, ``-2h``, ``-1d``, ``-1w``, ``"-4w 2d"``.
https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sandbox.world import JiraIssue, World

Predicate = Callable[[JiraIssue], bool]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|=|>|<|~|\(|\)|,)|(?P<word>[^\s(),=!<>~"']+))"""
)
_CATEGORY_NAMES = {
    "to do": "new",
    "new": "new",
    "2": "new",
    "in progress": "indeterminate",
    "indeterminate": "indeterminate",
}
_CATEGORY_NAMES |= {"4": "indeterminate", "done": "done", "3": "done"}
_PERIOD = re.compile(r"^([-+]?)((?:\s*\d+\s*[wdhm])+)$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_FIELDS = {"issuekey": "key", "type": "issuetype", "fixversion": "fixversion", "resolutiondate": "resolved"}
_ORDERABLE = {"updated", "created", "key", "id", "issuekey"}


class JqlError(ValueError):
    """A query the sandbox (like Jira) refuses; the message is Jira's wording where there is one."""


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@dataclass
class Hints:
    """What the index can answer directly; the clauses behind them are dropped from the residual predicate."""

    projects: set[str] | None = None
    keys: list[str] | None = None
    updated_from: int | None = None  # inclusive, epoch ms
    updated_to: int | None = None  # inclusive, epoch ms


@dataclass
class Query:
    predicate: Predicate | None  # None: every candidate the hints select matches
    hints: Hints
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, ascending)
    bounded: bool = True


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: The character '{text[pos]}' is a reserved JQL character.")
        out.append(match.group(0).strip())
        pos = match.end()
    return [t for t in out if t]


def _unquote(token: str) -> str:
    if token[:1] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


@dataclass
class _Clause:
    name: str
    op: str
    values: list[str]


_Node = _Clause | tuple[str, list["_Node"]]  # ("and"|"or"|"not", children)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        if not token:
            raise JqlError("Error in the JQL Query: Expecting either a value, list or function but got 'end of query'.")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        if all(self.peek(i).lower() == w for i, w in enumerate(words)):
            self.pos += len(words)
            return True
        return False

    def at_order_by(self) -> bool:
        return self.peek().lower() == "order" and self.peek(1).lower() == "by"

    def expression(self) -> _Node:
        children = [self.term()]
        while self.keyword("or"):
            children.append(self.term())
        return children[0] if len(children) == 1 else ("or", children)

    def term(self) -> _Node:
        children = [self.factor()]
        while self.keyword("and"):
            children.append(self.factor())
        return children[0] if len(children) == 1 else ("and", children)

    def factor(self) -> _Node:
        if self.keyword("not"):
            return ("not", [self.factor()])
        if self.peek() == "(":
            self.take()
            node = self.expression()
            if self.take() != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
            return node
        return self.clause()

    def clause(self) -> _Clause:
        name = _unquote(self.take()).lower()
        if self.keyword("not", "in"):
            op = "not in"
        elif self.keyword("in"):
            op = "in"
        elif self.keyword("is", "not"):
            op = "is not"
        elif self.keyword("is"):
            op = "is"
        else:
            op = self.take()
            if op not in ("=", "!=", ">", ">=", "<", "<="):
                raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op}'.")
        if op in ("in", "not in"):
            if self.take() != "(":
                raise JqlError("Error in the JQL Query: Expecting '(' after 'in'.")
            values = [_unquote(self.take())]
            while self.peek() == ",":
                self.take()
                values.append(_unquote(self.take()))
            if self.take() != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' to close the list.")
        else:
            values = [_unquote(self.take())]
        return _Clause(_FIELDS.get(name, name), op, values)

    def order(self) -> list[tuple[str, bool]]:
        if not self.keyword("order", "by"):
            return []
        order = []
        while True:
            name = _unquote(self.take()).lower()
            if name not in _ORDERABLE:
                raise JqlError(f"Error in the JQL Query: Not able to sort using field '{name}'.")
            ascending = not self.keyword("desc")
            if ascending:
                self.keyword("asc")
            order.append(("key" if name == "issuekey" else name, ascending))
            if self.peek() != ",":
                return order
            self.take()


class _Compiler:
    def __init__(self, world: World, zone: tzinfo, now: datetime) -> None:
        self.world = world
        self.zone = zone
        self.now = now

    def moment(self, name: str, text: str) -> int:
        period = _PERIOD.match(text.strip())
        if period:
            units = {
                "w": timedelta(weeks=1),
                "d": timedelta(days=1),
                "h": timedelta(hours=1),
                "m": timedelta(minutes=1),
            }
            amount = sum((int(n) * units[u] for n, u in re.findall(r"(\d+)\s*([wdhm])", period[2])), timedelta())
            return to_ms(self.now - amount if period[1] == "-" else self.now + amount)
        for fmt in _DATE_FORMATS:
            try:
                return to_ms(datetime.strptime(text.strip(), fmt).replace(tzinfo=self.zone))
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{text}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )

    def projects(self, values: Iterable[str]) -> set[str]:
        out = set()
        for value in values:
            project = next(
                (
                    p
                    for p in self.world.jira_projects.values()
                    if value.lower() in (p.key.lower(), str(p.id), p.name.lower())
                ),
                None,
            )
            if project is None:
                raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
            out.add(project.key)
        return out

    def clause(self, clause: _Clause) -> Predicate:
        name, op, values = clause.name, clause.op, clause.values
        if op in ("is", "is not"):
            if values[0].lower() not in ("empty", "null"):
                raise JqlError(f"Error in the JQL Query: Expecting 'EMPTY' after '{op}'.")
            getter = self.emptiable(name)
            return (lambda i: not getter(i)) if op == "is" else getter
        if name in ("updated", "created", "resolved"):
            return self.dated(name, op, values[0])
        if op in (">", ">=", "<", "<="):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        matcher = self.matcher(name, values)
        return matcher if op in ("=", "in") else (lambda i: not matcher(i))

    def emptiable(self, name: str) -> Predicate:
        getters: dict[str, Predicate] = {
            "fixversion": lambda i: bool(i.fix_versions),
            "assignee": lambda i: i.assignee is not None,
            "resolution": lambda i: i.resolution is not None,
            "labels": lambda i: bool(i.labels),
            "parent": lambda i: (i.parent_key or i.epic_key) is not None,
        }
        if name not in getters:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        return getters[name]

    def dated(self, name: str, op: str, value: str) -> Predicate:
        bound = self.moment(name, value)
        attribute = {"updated": "updated", "created": "created", "resolved": "resolved"}[name]
        compare: dict[str, Callable[[int], bool]] = {
            ">=": lambda ms: ms >= bound,
            ">": lambda ms: ms > bound,
            "<=": lambda ms: ms <= bound,
            "<": lambda ms: ms < bound,
            "=": lambda ms: ms == bound,
            "!=": lambda ms: ms != bound,
        }
        if op not in compare:
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        test = compare[op]

        def predicate(issue: JiraIssue) -> bool:
            moment: datetime | None = getattr(issue, attribute)
            return moment is not None and test(to_ms(moment))

        return predicate

    def matcher(self, name: str, values: list[str]) -> Predicate:
        wanted = {v.lower() for v in values}
        w = self.world
        if name == "project":
            keys = self.projects(values)
            return lambda i: i.project in keys
        if name == "key":
            keys = {v.upper() for v in values}
            return lambda i: i.key in keys
        if name == "id":
            return lambda i: str(i.id) in wanted
        if name == "issuetype":
            return lambda i: i.type.lower() in wanted
        if name == "status":
            return lambda i: i.status.lower() in wanted
        if name == "statuscategory":
            categories = {_CATEGORY_NAMES.get(v, v) for v in wanted}
            statuses = [(p.key, s) for p in w.jira_projects.values() for s in p.statuses]
            matching = {(key, s.name) for key, s in statuses if s.category in categories}
            return lambda i: (i.project, i.status) in matching
        if name == "fixversion":
            ids = {v.id for v in w.versions.values() if v.name.lower() in wanted or str(v.id) in wanted}
            return lambda i: any(v in ids for v in i.fix_versions)
        if name == "assignee":
            accounts = {p.account_id for p in w.people if wanted & {p.account_id.lower(), p.email, p.login}}
            return lambda i: i.assignee in accounts
        if name == "labels":
            return lambda i: any(label.lower() in wanted for label in i.labels)
        if name == "parent":
            return lambda i: (i.parent_key or i.epic_key or "").lower() in wanted
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")

    def node(self, node: _Node) -> Predicate:
        if isinstance(node, _Clause):
            return self.clause(node)
        kind, children = node
        compiled = [self.node(child) for child in children]
        if kind == "not":
            inner = compiled[0]
            return lambda i: not inner(i)
        if kind == "and":
            return lambda i: all(p(i) for p in compiled)
        return lambda i: any(p(i) for p in compiled)

    def hint(self, clause: _Clause, hints: Hints) -> bool:
        """Fold a top-level AND clause into the hints; True if the hints now answer it exactly."""
        if clause.name == "project" and clause.op in ("=", "in"):
            found = self.projects(clause.values)
            hints.projects = found if hints.projects is None else hints.projects & found
            return True
        if clause.name == "key" and clause.op in ("=", "in") and hints.keys is None:
            hints.keys = [v.upper() for v in clause.values]
            return True
        if clause.name == "updated" and clause.op in (">=", ">", "<=", "<"):
            bound = self.moment("updated", clause.values[0])
            if clause.op.startswith(">"):
                bound += clause.op == ">"
                hints.updated_from = max(bound, hints.updated_from or bound)
            else:
                bound -= clause.op == "<"
                hints.updated_to = min(bound, hints.updated_to if hints.updated_to is not None else bound)
            return True
        return False


def parse(text: str, world: World, zone: tzinfo, now: datetime | None = None) -> Query:
    parser = _Parser(_tokens(text or ""))
    tree = None if parser.at_order_by() or not parser.peek() else parser.expression()
    order = parser.order()
    if parser.peek():
        raise JqlError(f"Error in the JQL Query: Expecting end of query but got '{parser.peek()}'.")
    compiler = _Compiler(world, zone, now or datetime.now(UTC))
    hints = Hints()
    if tree is None:
        return Query(predicate=None, hints=hints, order=order, bounded=False)
    conjuncts = tree[1] if isinstance(tree, tuple) and tree[0] == "and" else [tree]
    residual = [c for c in conjuncts if not (isinstance(c, _Clause) and compiler.hint(c, hints))]
    predicate = compiler.node(("and", residual)) if residual else None
    return Query(predicate=predicate, hints=hints, order=order)
