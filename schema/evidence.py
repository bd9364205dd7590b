"""What every report shares: check results with their severity and outcome, the evidence behind them, and the
release a report is about. Re-exported by :mod:`schema.readiness`; the same stability rule holds (add fields, never
rename them).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FrozenModel(BaseModel):
    """Base of every report model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    BLOCKER = "blocker"  # a failure makes the verdict NO-GO
    WARNING = "warning"  # a failure makes the verdict AT RISK
    INFO = "info"  # reported, never changes the verdict


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Evidence(FrozenModel):
    """A record that explains a check's result, with a link to it in its own tool."""

    record_id: str
    label: str = Field(description="What a person calls it: 'CHK-12', 'acme/checkout#7', 'e2e-tests on v2.4.0'.")
    url: str | None = None
    detail: str = ""


class CheckResult(FrozenModel):
    id: str = Field(description="Stable check id, e.g. 'scope_complete', 'ci_green', 'metric:error_rate'.")
    title: str
    outcome: Outcome
    severity: Severity
    summary: str = Field(description="One line a PM can read: what was found.")
    evidence: list[Evidence] = Field(default_factory=list)
    owner: str | None = None


class ReleaseRef(FrozenModel):
    id: str
    name: str
    project: str
    start_date: date | None = None
    release_date: date | None = None
    released: bool = False
    url: str | None = None
