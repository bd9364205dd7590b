"""The ranked backlog per product: a transparent RICE or WSJF score for every open item that has its inputs.

Pure functions of records (:func:`priorities`); :func:`backlog_records` reads them from the store.

- **RICE** = reach × impact × confidence / effort; **WSJF** = (business value + time criticality + risk
  reduction) / job size. A weight (``[priorities] weights``) is an exponent of a RICE factor and of the job size, a
  multiplier of a WSJF cost-of-delay term; 1 is the classic formula, and the formula shown says which apply.
- **Inputs**, first found wins: an override in pmhub.toml (``[priorities.overrides."CHK-12"]``), the item's own
  field (Jira custom fields found by name, :attr:`schema.WorkItem.score_fields`), a label (below). A value is a
  number, a number with ``%`` (a hundredth), or a named value (``impact = high``: ``[priorities] named_values``).
  Confidence is a share: ``80%``, ``80`` and ``0.8`` are one (a value above 1 is read as a percentage). Effort
  and job size must be above 0, reach and impact at least 0, confidence in (0, 1].
- **Labels**: ``<label_prefix><input>:<value>`` (``=`` works too), case-insensitive, the input name with ``_``,
  ``-`` or a space between words: ``reach:500``, ``impact:2``, ``confidence:80%``, ``effort:3``,
  ``business-value:8``, ``job size = 5``. Any label of a work item counts, GitHub's and Jira's alike.
- An item that lacks an input, or whose input cannot be used, is listed apart with what is missing and why —
  never scored 0.
- **Ties** (equal scores) go to the smaller effort (job size) first, then the older item, then the key.

The backlog is the open work items (``statuses``, todo by default) of the configured ``types`` (by default every
type but epics and sub-tasks); a GitHub issue linked to a Jira issue counts once, as the Jira issue. An item
belongs to the product whose Jira project or repository holds it, else to a product named after its own project.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schema import Link, Record, StatusCategory, Tool, WorkItem, WorkItemType
from schema.planning import (
    PrioritiesReport,
    ProductPriorities,
    RankedItem,
    ScoreInput,
    ScoreMethod,
    UnscoredItem,
)
from sync.store import Store

INPUTS: dict[ScoreMethod, tuple[str, ...]] = {
    ScoreMethod.RICE: ("reach", "impact", "confidence", "effort"),
    ScoreMethod.WSJF: ("business_value", "time_criticality", "risk_reduction", "job_size"),
}
ALL_INPUTS = frozenset(name for names in INPUTS.values() for name in names)
TIE_BREAK = "equal scores: the smaller effort (job size) first, then the older item, then the key"
# Intercom's RICE impact scale: https://www.intercom.com/blog/rice-simple-prioritization-for-product-managers/
DEFAULT_NAMED_VALUES = {"impact": {"massive": 3.0, "high": 2.0, "medium": 1.0, "low": 0.5, "minimal": 0.25}}
_DEFAULT_TYPES = tuple(t.value for t in WorkItemType if t not in (WorkItemType.EPIC, WorkItemType.SUBTASK))
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$")


class PrioritiesConfig(BaseModel):
    """``[priorities]`` in pmhub.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: ScoreMethod = Field(ScoreMethod.RICE, description="rice or wsjf, for every product methods does not name.")
    methods: dict[str, ScoreMethod] = Field(default_factory=dict, description="Per product name: rice or wsjf.")
    statuses: list[StatusCategory] = Field(
        default_factory=lambda: [StatusCategory.TODO], description="Status categories of the backlog's items."
    )
    types: list[WorkItemType] = Field(
        default_factory=lambda: [WorkItemType(t) for t in _DEFAULT_TYPES],
        description="Work item types in the backlog (default: all but epics and sub-tasks).",
    )
    label_prefix: str = Field("", description="Labels carrying inputs start with this, e.g. 'score/'.")
    weights: dict[str, float] = Field(default_factory=dict, description="Input name → weight (default 1).")
    named_values: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_NAMED_VALUES.items()},
        description="Input name → word → number, e.g. impact = { high = 2 }.",
    )
    overrides: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Item (Jira key, owner/repo#n or record id) → input → value."
    )
    show: int = Field(10, ge=1, description="Ranked and unscored items per product in the status report and page.")

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        _known(value)
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must be 0 or more")
        return value

    @field_validator("named_values")
    @classmethod
    def _known_named(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        _known(value)
        return {name: {word.casefold(): n for word, n in words.items()} for name, words in value.items()}

    @field_validator("overrides")
    @classmethod
    def _known_overrides(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for inputs in value.values():
            _known(inputs)
        return value

    def method_of(self, product: str) -> ScoreMethod:
        return self.methods.get(product, self.method)

    def weight(self, name: str) -> float:
        return self.weights.get(name, 1.0)


def _known(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - ALL_INPUTS)
    if unknown:
        raise ValueError(f"unknown input {', '.join(unknown)}; inputs are {', '.join(sorted(ALL_INPUTS))}")


class ProductScope(Protocol):
    """Where a product's work lives: ``hub.settings.ProductSettings`` is one."""

    @property
    def jira_project(self) -> str | None: ...

    @property
    def repo(self) -> str | None: ...


# ------------------------------------------------------------------------------------------------------ inputs


def _input_name(text: str) -> str | None:
    name = re.sub(r"[\s_-]+", "_", text.strip().casefold())
    return name if name in ALL_INPUTS else None


def parse_label(label: str, prefix: str = "") -> tuple[str, str] | None:
    """``reach:500`` → ``("reach", "500")``: an input label of the grammar, or None for any other label."""
    text = label.strip()
    if prefix:
        if not text.casefold().startswith(prefix.casefold()):
            return None
        text = text[len(prefix) :]
    name, sep, value = text.partition(":")
    if not sep:
        name, sep, value = text.partition("=")
    found = _input_name(name) if sep else None
    return (found, value.strip()) if found else None


@dataclass(frozen=True)
class _Found:
    value: float | None
    origin: str
    problem: str | None = None


def _parse(name: str, text: str, named: Mapping[str, Mapping[str, float]]) -> tuple[float | None, str | None]:
    """(value, None) or (None, why it cannot be used); ``1,500`` and ``1e6`` are numbers."""
    match = _NUMBER.match(text.replace(",", ""))
    if match:
        value = float(match.group(1)) / (100 if match.group(2) else 1)
    elif text.strip().casefold() in named.get(name, {}):
        value = named[name][text.strip().casefold()]
    else:
        words = ", ".join(named.get(name, {}))
        return None, f"{text!r} is not a number" + (f" nor one of {words}" if words else "")
    if name == "confidence" and value > 1:
        value /= 100
    if name in ("effort", "job_size") and value <= 0:
        return None, f"{text!r} must be above 0"
    if name == "confidence" and not 0 < value <= 1:
        return None, f"{text!r} is not a share in (0, 100 %]"
    if value < 0:
        return None, f"{text!r} is below 0"
    return value, None


def _inputs(
    item: WorkItem, wanted: Sequence[str], config: PrioritiesConfig, override: Mapping[str, float]
) -> dict[str, _Found]:
    """Each wanted input found for ``item``: the override, else its own field, else its labels."""
    labelled: dict[str, list[tuple[str, str]]] = {}
    for label in item.labels:
        parsed = parse_label(label, config.label_prefix)
        if parsed is not None:
            labelled.setdefault(parsed[0], []).append((label, parsed[1]))
    found: dict[str, _Found] = {}
    field_origin = f"{item.source.tool.value.capitalize()} field"
    for name in wanted:
        if name in override:
            value, problem = _parse(name, f"{override[name]:g}", {})
            found[name] = _Found(value, "override in pmhub.toml", problem and f"{name} {problem} (override)")
        elif name in item.score_fields:
            value, problem = _parse(name, item.score_fields[name], config.named_values)
            found[name] = _Found(value, field_origin, problem and f"{name} {problem} ({field_origin.lower()})")
        elif name in labelled:
            labels = labelled[name]
            values = {_parse(name, text, config.named_values) for _, text in labels}
            if len(values) > 1:
                shown = ", ".join(label for label, _ in labels)
                found[name] = _Found(None, "labels", f"{name} has labels that disagree: {shown}")
                continue
            [(value, problem)] = values
            label = labels[0][0]
            found[name] = _Found(value, f"label {label}", problem and f"{name} {problem} (label {label})")
    return found


# ------------------------------------------------------------------------------------------------------ scores


def _num(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _power(text: str, weight: float) -> str:
    return text if weight == 1 else f"{text}^{_num(weight)}"


def _times(weight: float, text: str) -> str:
    return text if weight == 1 else f"{_num(weight)}×{text}"


def formula(method: ScoreMethod, config: PrioritiesConfig) -> str:
    """The method's formula with the configured weights, e.g. ``RICE = reach × impact × confidence / effort``."""
    w = config.weight
    if method is ScoreMethod.RICE:
        top = " × ".join(_power(n, w(n)) for n in ("reach", "impact", "confidence"))
        return f"RICE = {top} / {_power('effort', w('effort'))}"
    terms = " + ".join(_times(w(n), n.replace("_", " ")) for n in INPUTS[method][:3])
    return f"WSJF = ({terms}) / {_power('job size', w('job_size'))}"


def score(method: ScoreMethod, values: Mapping[str, float], config: PrioritiesConfig) -> tuple[float, str]:
    """The score and the formula with these numbers, e.g. ``(266.7, "500 × 2 × 0.8 / 3 = 266.7")``."""
    w = config.weight
    if method is ScoreMethod.RICE:
        top = math.prod(values[n] ** w(n) for n in ("reach", "impact", "confidence"))
        result = top / values["effort"] ** w("effort")
        shown = " × ".join(_power(_num(values[n]), w(n)) for n in ("reach", "impact", "confidence"))
        return result, f"{shown} / {_power(_num(values['effort']), w('effort'))} = {_num(result)}"
    names = INPUTS[method][:3]
    cost = sum(w(n) * values[n] for n in names)
    result = cost / values["job_size"] ** w("job_size")
    shown = " + ".join(_times(w(n), _num(values[n])) for n in names)
    return result, f"({shown}) / {_power(_num(values['job_size']), w('job_size'))} = {_num(result)}"


# ----------------------------------------------------------------------------------------------------- backlog


def _label(item: WorkItem) -> str:
    return item.source.key or item.id


def _product_of(item: WorkItem, products: Mapping[str, ProductScope]) -> str:
    if item.source.tool is Tool.JIRA:
        project = _label(item).rsplit("-", 1)[0]
        found = [name for name, p in products.items() if (p.jira_project or "").casefold() == project.casefold()]
    else:
        project = item.source.instance
        found = [name for name, p in products.items() if (p.repo or "").casefold() == project.casefold()]
    return found[0] if found else project


def backlog(records: Iterable[Record], config: PrioritiesConfig) -> list[WorkItem]:
    """The open items of the configured statuses and types, GitHub twins of Jira items left out."""
    items: list[WorkItem] = []
    twins: set[str] = set()
    statuses, types = set(config.statuses), set(config.types)
    for record in records:
        if isinstance(record, WorkItem) and record.status.category in statuses and record.type in types:
            items.append(record)
        elif isinstance(record, Link) and record.from_id.startswith("github:") and record.to_id.startswith("jira:"):
            twins.add(record.from_id)
    return [i for i in items if i.id not in twins]


def _rank_key(method: ScoreMethod, values: Mapping[str, float], result: float, item: WorkItem) -> tuple[object, ...]:
    size = values["effort" if method is ScoreMethod.RICE else "job_size"]
    return (-result, size, item.created, _label(item))


def product_priorities(
    product: str, items: Sequence[WorkItem], config: PrioritiesConfig, limit: int | None = None
) -> ProductPriorities:
    """One product's ranked and unscored items (the first ``limit`` of each, all when None)."""
    method = config.method_of(product)
    wanted = INPUTS[method]
    overrides = {key.casefold(): values for key, values in config.overrides.items()}
    ranked: list[tuple[tuple[object, ...], WorkItem, list[ScoreInput], str, float]] = []
    unscored: list[UnscoredItem] = []
    for item in items:
        override = overrides.get(_label(item).casefold(), overrides.get(item.id.casefold(), {}))
        found = _inputs(item, wanted, config, override)
        usable = {n: f.value for n, f in found.items() if f.value is not None}
        inputs = [ScoreInput(name=n, value=v, origin=found[n].origin) for n, v in usable.items()]
        if len(usable) == len(wanted):
            result, shown = score(method, usable, config)
            ranked.append((_rank_key(method, usable, result, item), item, inputs, shown, result))
            continue
        problems = [f.problem for f in found.values() if f.problem]
        missing = [n for n in wanted if n not in usable]
        unscored.append(UnscoredItem(**_common(item), inputs=inputs, missing=missing, problems=problems))
    ranked.sort(key=lambda entry: entry[0])
    unscored.sort(key=lambda u: (len(u.missing), u.label))
    return ProductPriorities(
        product=product,
        method=method,
        formula=formula(method, config),
        weights={n: config.weight(n) for n in wanted},
        tie_break=TIE_BREAK,
        ranked=[
            RankedItem(**_common(item), inputs=inputs, rank=n, score=result, formula=shown)
            for n, (_, item, inputs, shown, result) in enumerate(ranked[:limit], start=1)
        ],
        unscored=unscored[:limit],
        ranked_total=len(ranked),
        unscored_total=len(unscored),
    )


def _common(item: WorkItem) -> dict[str, str | None]:
    return {
        "record_id": item.id,
        "label": _label(item),
        "title": item.title,
        "url": item.source.url,
        "status": item.status.original,
    }


def priorities(
    records: Iterable[Record],
    config: PrioritiesConfig,
    products: Mapping[str, ProductScope],
    now: datetime,
    *,
    limit: int | None = None,
) -> PrioritiesReport:
    """Every product's ranked backlog: the configured products first (in config order), then the others by name."""
    grouped: dict[str, list[WorkItem]] = {name: [] for name in products}
    others: dict[str, list[WorkItem]] = {}
    for item in backlog(records, config):
        name = _product_of(item, products)
        (grouped if name in grouped else others).setdefault(name, []).append(item)
    grouped.update(sorted(others.items()))
    return PrioritiesReport(
        generated_at=now, products=[product_priorities(p, items, config, limit) for p, items in grouped.items()]
    )


def backlog_records(store: Store) -> list[Record]:
    """What :func:`priorities` reads from the store: every work item, and the links that name GitHub twins."""
    return [*store.records.iter(kind="work_item"), *store.records.iter(kind="link")]


__all__ = [
    "ALL_INPUTS",
    "INPUTS",
    "TIE_BREAK",
    "PrioritiesConfig",
    "ProductScope",
    "backlog",
    "backlog_records",
    "formula",
    "parse_label",
    "priorities",
    "product_priorities",
    "score",
]
