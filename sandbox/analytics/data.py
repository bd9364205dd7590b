"""The analytics ground truth the PostHog, Amplitude and Mixpanel stand-ins all serve: product events per day.

Every product of the :class:`~sandbox.world.World` has, for each day of its history, a few *cells*: groups of
users sharing the same ``release`` and ``$feature/new-onboarding`` property values, each with event counts and
distinct users for ``app_opened`` (daily active users), ``signed_up``, ``activated`` and ``error``. A user is in one
cell per day, so distinct counts add up across cells. The numbers are a pure function of ``(seed, product, day)``:

- daily active users grow slowly, dip at weekends and carry a little noise;
- after each released Jira version the new release ramps up, and errors on it spike for three days;
- the feature flag rolls out from day 60 in the first, third, … products and lifts activation for the users who
  have it;
- a launch the world gives an effect (:class:`~sandbox.world.LaunchEffect`) multiplies an event of the users on
  that release and later ones, for good or for some days: more daily users, more activations, more errors.

Numbers settle late, as real pipelines do: a value ``age`` days old (``age < settle_days``) is served at a fraction
of its final value, so re-reading the last days later gives different, larger numbers. :meth:`AnalyticsData.bump`
adds late-arriving events to a day, and :meth:`AnalyticsData.advance` moves the sandbox's "today" on.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from sandbox.world import World

EVENTS = ("app_opened", "signed_up", "activated", "error")
FLAG = "$feature/new-onboarding"
BEFORE_FIRST_RELEASE = "2.1.0"
Measure = Literal["totals", "uniques"]
Where = Callable[[Mapping[str, str]], bool]
Effect = tuple[str, str, float, date, int | None]  # (version, event, factor, launch day, days or None)


@dataclass(frozen=True)
class Cell:
    """The users of one day who share a release and a flag value, and what they did."""

    release: str
    flag: bool
    totals: Mapping[str, int]
    uniques: Mapping[str, int]

    @property
    def properties(self) -> dict[str, str]:
        return {"release": self.release, FLAG: "true" if self.flag else "false"}


@dataclass(frozen=True)
class AnalyticsProject:
    """One product as the three tools know it: a PostHog and a Mixpanel project id, an Amplitude project + key."""

    product: str
    posthog_id: int
    amplitude_id: int
    amplitude_api_key: str
    mixpanel_id: int


@dataclass(frozen=True)
class AnalyticsOptions:
    """Credentials the sandbox accepts and the shape of its history."""

    posthog_api_key: str = "phx_sandbox_personal_api_key"
    amplitude_secret_key: str = "amplitude-sandbox-secret"  # noqa: S105 - sandbox credentials are public
    mixpanel_username: str = "pmhub-sandbox.mp-service-account"
    mixpanel_secret: str = "mixpanel-sandbox-secret"  # noqa: S105 - sandbox credentials are public
    history_days: int = 120
    settle_days: int = 2


def everything(properties: Mapping[str, str]) -> bool:
    return True


@dataclass
class AnalyticsData:
    """The mutable analytics state of a sandbox run; safe to read and change from several threads."""

    world: World
    options: AnalyticsOptions
    projects: list[AnalyticsProject]
    first_day: date
    today: date
    late: dict[tuple[str, date], list[Cell]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._releases: dict[str, tuple[tuple[date, str], ...]] = {
            p.name: tuple(
                sorted(
                    (v.release_date, v.name)
                    for v in self.world.versions.values()
                    if v.project == p.jira_project and v.released and v.release_date
                )
            )
            for p in self.world.products
        }
        self._effects: dict[str, tuple[Effect, ...]] = {
            p.name: tuple(
                (e.version, e.event, e.factor, day, e.days)
                for e in self.world.launch_effects
                if e.project == p.jira_project
                for day, name in self._releases[p.name]
                if name == e.version
            )
            for p in self.world.products
        }

    @classmethod
    def generate(cls, world: World, options: AnalyticsOptions | None = None) -> AnalyticsData:
        options = options or AnalyticsOptions()
        today = world.now.date()
        projects = [
            AnalyticsProject(
                product=p.name,
                posthog_id=1000 + i,
                amplitude_id=350_000 + i,
                amplitude_api_key=f"amp-{p.jira_project.lower()}-{world.seed}",
                mixpanel_id=2_200_000 + i,
            )
            for i, p in enumerate(world.products)
        ]
        return cls(world, options, projects, today - timedelta(days=options.history_days - 1), today)

    # -- the numbers
    def cells(self, product: str, day: date) -> list[Cell]:
        """Every cell of ``product`` on ``day`` as the tools see it now (no data outside the history)."""
        if not self.first_day <= day <= self.today:
            return []
        index = next(i for i, p in enumerate(self.world.products) if p.name == product)
        base = _day_cells(
            self.world.seed, index, product, day, self.first_day, self._releases[product], self._effects[product]
        )
        with self._lock:
            return [*base, *self.late.get((product, day), [])]

    def value(self, product: str, event: str, day: date, measure: Measure, where: Where = everything) -> int:
        """What a tool answers for ``event`` on ``day``: matching cells summed, scaled by how settled the day is."""
        counts = [
            (c.uniques if measure == "uniques" else c.totals).get(event, 0)
            for c in self.cells(product, day)
            if where(c.properties)
        ]
        return round(sum(counts) * self.settled(day))

    def series(
        self, product: str, event: str, start: date, end: date, measure: Measure, where: Where = everything
    ) -> dict[date, int]:
        return {day: self.value(product, event, day, measure, where) for day in days(start, end)}

    def settled(self, day: date) -> float:
        """The share of a day's final numbers that has arrived by the sandbox's today."""
        age = (self.today - day).days
        settle = self.options.settle_days
        return 1.0 if age >= settle else 1.0 - 0.4 * (settle - age) / settle

    # -- changing the world
    def bump(
        self, product: str, event: str, day: date, count: int, properties: Mapping[str, str] | None = None
    ) -> None:
        """``count`` late-arriving events (by as many new users) on ``day``."""
        props = dict(properties or {})
        cell = Cell(
            release=props.get("release", _release_shares(day, self._releases[product])[-1][0]),
            flag=props.get(FLAG, "false") == "true",
            totals={event: count},
            uniques={event: count},
        )
        with self._lock:
            self.late.setdefault((product, day), []).append(cell)

    def advance(self, days: int) -> date:
        with self._lock:
            self.today += timedelta(days=days)
            return self.today


def days(start: date, end: date) -> Iterator[date]:
    """Every day from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _release_shares(day: date, releases: tuple[tuple[date, str], ...]) -> list[tuple[str, float]]:
    """(release, share of users) on ``day``: the newest released version ramps up over its first days."""
    shipped = [(d, name) for d, name in releases if d <= day]
    if not shipped:
        return [(BEFORE_FIRST_RELEASE, 1.0)]
    released_on, newest = shipped[-1]
    previous = shipped[-2][1] if len(shipped) > 1 else BEFORE_FIRST_RELEASE
    ramp = (0.3, 0.55, 0.75, 0.9)
    age = (day - released_on).days
    share = ramp[age] if age < len(ramp) else 0.97
    return [(previous, 1.0 - share), (newest, share)]


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` into integers that add up to it (largest remainder)."""
    raw = [total * s for s in shares]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _lifts(
    release: str, day: date, releases: tuple[tuple[date, str], ...], effects: tuple[Effect, ...]
) -> dict[str, float]:
    """Event → factor for the users on ``release`` on ``day``: the effects of that release and earlier ones."""
    order = [name for _, name in releases]
    rank = order.index(release) if release in order else -1
    lifts: dict[str, float] = {}
    for version, event, factor, launched, days in effects:
        lasting = days is None or (day - launched).days < days
        if order.index(version) <= rank and launched <= day and lasting:
            lifts[event] = lifts.get(event, 1.0) * factor
    return lifts


@lru_cache(maxsize=8192)
def _day_cells(
    seed: int,
    index: int,
    product: str,
    day: date,
    first_day: date,
    releases: tuple[tuple[date, str], ...],
    effects: tuple[Effect, ...],
) -> tuple[Cell, ...]:
    rng = random.Random(f"{seed}/{product}/{day.isoformat()}")
    age = (day - first_day).days
    weekend = 0.72 if day.weekday() >= 5 else 1.0
    dau = round((900 + 700 * index) * (1 + 0.004 * age) * weekend * rng.uniform(0.94, 1.06))
    signups = round(dau * rng.uniform(0.025, 0.035))
    sessions_per_user = rng.uniform(2.0, 2.6)
    error_rate = rng.uniform(0.012, 0.018)
    flag_on = min(0.5, max(0, age - 60) * 0.02) if index % 2 == 0 else 0.0
    release_shares = _release_shares(day, releases)
    spiking = {name for released_on, name in releases if 0 <= (day - released_on).days <= 2}
    groups = [
        (release, flag, r_share * f_share)
        for release, r_share in release_shares
        for flag, f_share in ((False, 1.0 - flag_on), (True, flag_on))
        if r_share * f_share > 0
    ]
    shares = [g[2] for g in groups]
    cells = []
    for (release, flag, _), users, new in zip(groups, _split(dau, shares), _split(signups, shares), strict=True):
        lift = _lifts(release, day, releases, effects)
        users = round(users * lift.get("app_opened", 1.0))
        activated = round(new * (0.55 if flag else 0.4) * lift.get("activated", 1.0))
        errors = round(users * error_rate * (8.0 if release in spiking else 1.0) * lift.get("error", 1.0))
        totals = {"app_opened": round(users * sessions_per_user), "signed_up": new, "activated": activated}
        uniques = {"app_opened": users, "signed_up": new, "activated": activated, "error": round(errors * 0.7)}
        cells.append(Cell(release, flag, {**totals, "error": errors}, uniques))
    return tuple(cells)
