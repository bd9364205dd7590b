"""The sandbox's seeded world: one believable product organisation, generated deterministically from a seed.

This module owns the ground truth every sandbox server renders (Jira, GitHub, analytics) and that tests compare
against: plain mutable dataclasses, no HTTP. The same ``(seed, scale, now)`` always gives the same world.

Besides ordinary work, the world seeds the contradictions reconciliation must find (``World.contradictions``) and
the cross-tool references linking must find (``World.expected_links``):

- a Jira story Done whose pull request is still open (``done_but_pr_open``);
- a GitHub issue closed while its Jira twin is In Progress (``github_closed_jira_open``);
- an unreleased version whose release date has passed (``past_due_version``);
- a version released in Jira with no GitHub release (``released_without_github_release``);
- an epic Done with open children (``epic_done_children_open``);
- the next release's candidate ref has a failing check run (``release_ci_red``; troubled products only, below).

Products alternate between *troubled* (the first, third, …) and *healthy*, so that under the readiness config the
sandbox writes (:meth:`sandbox.runner.Sandbox.config_toml`) the upcoming releases show every verdict
(``World.verdicts``) and the roadmap it writes shows every state (``World.roadmap``):

- troubled: the next release is NO-GO (red CI on its candidate branch, no release notes, a few items open); the
  past-due hotfix is AT RISK (its date passed, but its candidate branch is green, its release is drafted with notes
  and no blocker bug is open); the next release's roadmap item is at risk;
- healthy: the next release is GO (every item done, every pull request merged, green CI, drafted with notes); its
  roadmap item is done, and the release after it is on track (in the last four weeks at least as many of its items
  were finished as remain open, a pace that meets its date).

For the PM's planning views the world also seeds (``World.objectives``, ``World.launch_effects``, the scores):

- an objective per product: the troubled one's is at risk (its roadmap item's forecast lands after its date), the
  healthy one's on track (its KPI meets the target and its work's forecast meets the date);
- launches that move the numbers and launches that do not: the troubled product's 2.3.0 lifts activation for good
  and quadruples errors for three weeks (its error-rate guardrail breaks after the launch), the healthy product's
  2.3.0 brings more daily users; the 2.2.0 launches change nothing (:mod:`sandbox.analytics.data` applies them);
- prioritisation inputs on part of the backlog: the troubled product scores by RICE, the healthy one by WSJF
  (``Product.score_method``), in Jira custom fields ("Reach", "Impact", … "Job Size") and GitHub labels
  (``reach:500``, ``job-size:5``); some items lack an input, one carries a label that is not a number;
- the troubled product's next release finished an item in the last four weeks, so its roadmap item has a forecast,
  after its date: the roadmap's one slipped item.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

# ---------------------------------------------------------------------------------------------------- the shapes


@dataclass
class Person:
    account_id: str
    display_name: str
    email: str
    login: str
    github_id: int


@dataclass
class JiraStatus:
    id: str
    name: str
    category: str  # Jira statusCategory.key: new | indeterminate | done


@dataclass
class Transition:
    at: datetime
    author: str  # account id
    from_status: str
    to_status: str


@dataclass
class JiraIssue:
    id: int
    key: str
    project: str
    type: str  # Epic | Story | Task | Bug | Sub-task
    summary: str
    description: str
    status: str  # status name, see JiraProject.statuses
    priority: str
    created: datetime
    updated: datetime
    reporter: str
    assignee: str | None = None
    story_points: float | None = None
    labels: list[str] = field(default_factory=list)
    epic_key: str | None = None  # epic link (company-managed) or parent epic (team-managed)
    parent_key: str | None = None  # sub-task parent
    fix_versions: list[int] = field(default_factory=list)  # version ids
    scores: dict[str, float] = field(default_factory=dict)  # prioritisation inputs by role (reach … job_size)
    sprint_id: int | None = None
    resolution: str | None = None
    resolved: datetime | None = None
    changelog: list[Transition] = field(default_factory=list)
    remote_links: list[str] = field(default_factory=list)
    comments: list[tuple[datetime, str, str]] = field(default_factory=list)  # (at, author account id, text)


@dataclass
class JiraVersion:
    id: int
    project: str
    name: str
    description: str
    released: bool
    start_date: date | None
    release_date: date | None
    archived: bool = False


@dataclass
class JiraSprint:
    id: int
    board_id: int
    name: str
    state: str  # future | active | closed
    start: datetime | None
    end: datetime | None
    complete: datetime | None
    goal: str = ""


@dataclass
class JiraProject:
    id: int
    key: str
    name: str
    style: str  # "company" (Epic Link custom field) | "team" (parent)
    lead: str
    statuses: list[JiraStatus]
    board_id: int

    def status(self, name: str) -> JiraStatus:
        return next(s for s in self.statuses if s.name == name)

    def first_in(self, category: str) -> JiraStatus:
        return next(s for s in self.statuses if s.category == category)


@dataclass
class GitHubIssue:
    number: int
    id: int
    title: str
    body: str
    user: str  # login
    state: str  # open | closed
    created: datetime
    updated: datetime
    state_reason: str | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    milestone: int | None = None
    comments: list[tuple[datetime, str, str]] = field(default_factory=list)  # (at, login, body)
    issue_type: str | None = None  # a name in sandbox.github.render.ISSUE_TYPES


@dataclass
class PullRequest:
    number: int
    id: int
    title: str
    body: str
    user: str
    head_ref: str
    head_sha: str
    base_ref: str
    state: str  # open | closed
    created: datetime
    updated: datetime
    draft: bool = False
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merge_commit_sha: str | None = None
    labels: list[str] = field(default_factory=list)
    milestone: int | None = None
    comments: list[tuple[datetime, str, str]] = field(default_factory=list)


@dataclass
class Milestone:
    number: int
    id: int
    title: str
    description: str
    state: str  # open | closed
    due_on: datetime | None
    created: datetime
    updated: datetime
    closed_at: datetime | None = None


@dataclass
class GitHubRelease:
    id: int
    tag_name: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    target_commitish: str
    created: datetime
    published_at: datetime | None


@dataclass
class CheckRun:
    id: int
    sha: str
    name: str
    status: str  # queued | in_progress | completed
    conclusion: str | None  # success | failure | neutral | cancelled | skipped | timed_out | action_required
    started_at: datetime
    completed_at: datetime | None


@dataclass
class CommitStatus:
    id: int
    sha: str
    context: str
    state: str  # error | failure | pending | success
    description: str
    created: datetime
    updated: datetime


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    created: datetime
    issues: dict[int, GitHubIssue] = field(default_factory=dict)
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    releases: list[GitHubRelease] = field(default_factory=list)
    branches: dict[str, str] = field(default_factory=dict)  # branch/tag name -> head sha
    check_runs: list[CheckRun] = field(default_factory=list)
    statuses: list[CommitStatus] = field(default_factory=list)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Product:
    """One product = one Jira project + one GitHub repo; versions and milestones share names."""

    name: str
    jira_project: str
    repo: str  # owner/name
    score_method: str = "rice"  # how its backlog is prioritised: rice | wsjf


@dataclass(frozen=True)
class ExpectedLink:
    from_id: str  # "github:<owner/repo>:pr:<n>" / "github:<owner/repo>:issue:<n>" / "jira-version:<id>"
    to_key: str  # Jira issue key, or "github-milestone:<owner/repo>:<n>"
    evidence_field: str  # title | body | head_ref | remote_link | name


@dataclass(frozen=True)
class Contradiction:
    rule: str
    subject: str  # a Jira key, version id, repo#number
    detail: str


@dataclass(frozen=True)
class RoadmapGoal:
    """A roadmap item the sandbox's pmhub.toml declares (``[roadmap.<key>]``), and the state it is seeded to show."""

    key: str
    title: str
    owner: str  # display name
    target_date: date
    links: tuple[str, ...]  # pmhub link syntax, e.g. "MOB@2.4.0"
    expected: str  # "on track" | "at risk" | "done"


@dataclass(frozen=True)
class ObjectiveGoal:
    """An objective the sandbox's pmhub.toml declares (``[objectives.<key>]``), and the state it is seeded to show."""

    key: str
    title: str
    owner: str  # display name
    product: Product
    roadmap: tuple[str, ...]  # RoadmapGoal keys
    metric: str
    op: str
    target: float
    by: date
    expected: str  # "at_risk" | "on_track" | "achieved"


@dataclass(frozen=True)
class LaunchEffect:
    """What a launch does to the analytics of the users on that release and later ones: ``event`` × ``factor``, for
    ``days`` days after the launch (None: for good); ``shows`` is what a launch review finds."""

    project: str
    version: str
    event: str  # an event of sandbox.analytics.data.EVENTS
    factor: float
    days: int | None
    shows: str  # "<metric> up" | "guardrail <metric> broken"


@dataclass
class World:
    seed: int
    now: datetime
    site: str
    people: list[Person]
    products: list[Product]
    jira_projects: dict[str, JiraProject]
    jira_issues: dict[str, JiraIssue]  # by key, in creation order
    versions: dict[int, JiraVersion]
    sprints: dict[int, JiraSprint]
    repos: dict[str, Repo]  # by "owner/name"
    expected_links: set[ExpectedLink] = field(default_factory=set)
    contradictions: list[Contradiction] = field(default_factory=list)
    verdicts: dict[tuple[str, str], str] = field(default_factory=dict)  # (project, version) -> GO | AT RISK | NO-GO
    roadmap: list[RoadmapGoal] = field(default_factory=list)
    objectives: list[ObjectiveGoal] = field(default_factory=list)
    launch_effects: list[LaunchEffect] = field(default_factory=list)
    _next_id: int = 100_000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def person(self, account_id: str) -> Person:
        return next(p for p in self.people if p.account_id == account_id)

    def person_by_login(self, login: str) -> Person:
        return next(p for p in self.people if p.login == login)

    def next_release(self, product: Product) -> JiraVersion:
        """The earliest unreleased version that is not past due: the one the release branch is cut for."""
        pending = [
            v
            for v in self.versions.values()
            if v.project == product.jira_project
            and not v.released
            and v.release_date is not None
            and v.release_date >= self.now.date()
        ]
        return min(pending, key=lambda v: (v.release_date or date.max, v.id))


# -------------------------------------------------------------------------------------------------- the recipe


@dataclass(frozen=True)
class Scale:
    jira_issues: int = 240
    github_issues: int = 60
    pull_requests: int = 90
    products: int = 2

    @classmethod
    def named(cls, name: str) -> Scale:
        presets = {
            "tiny": cls(jira_issues=60, github_issues=16, pull_requests=24, products=2),
            "small": cls(),
            "medium": cls(jira_issues=5_000, github_issues=5_000, pull_requests=2_000, products=2),
            "large": cls(jira_issues=100_000, github_issues=20_000, pull_requests=10_000, products=4),
        }
        try:
            return presets[name]
        except KeyError:
            raise ValueError(f"unknown scale {name!r}; use one of {', '.join(presets)}") from None


_PRODUCTS = [
    ("Checkout", "CHK", "acme/checkout", "company"),
    ("Mobile App", "MOB", "acme/mobile-app", "team"),
    ("Search", "SRCH", "acme/search", "company"),
    ("Billing", "BILL", "acme/billing", "team"),
]

_WORKFLOWS = {
    "company": [
        ("Backlog", "new"),
        ("Selected for Development", "new"),
        ("In Progress", "indeterminate"),
        ("In Review", "indeterminate"),
        ("Done", "done"),
        ("Won't Do", "done"),
    ],
    "team": [
        ("Open", "new"),
        ("Doing", "indeterminate"),
        ("QA", "indeterminate"),
        ("Shipped", "done"),
        ("Dropped", "done"),
    ],
}

_PEOPLE = [
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace"),
    ("Linus Park", "linus"),
    ("Margaret Hamilton", "margaret"),
    ("Ken Okafor", "ken"),
    ("Barbara Liskov", "barbara"),
]

_VERBS = ["Add", "Fix", "Improve", "Refactor", "Support", "Remove", "Speed up", "Document", "Harden", "Redesign"]
_THINGS = [
    "payment retry flow",
    "address autocomplete",
    "coupon validation",
    "order summary email",
    "cart persistence",
    "3-D Secure challenge",
    "tax calculation",
    "guest checkout",
    "push notification opt-in",
    "offline mode",
    "dark theme",
    "search ranking",
    "invoice export",
    "currency rounding",
    "login rate limiting",
    "session timeout",
    "accessibility of forms",
    "analytics consent banner",
]
_PRIORITIES = ["Highest", "High", "Medium", "Medium", "Medium", "Low", "Lowest"]


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:40]


@dataclass(frozen=True)
class _Outlook:
    """What one product's upcoming versions are seeded to show (see the module docstring)."""

    healthy: bool
    hotfix: JiraVersion  # past due
    next: JiraVersion
    later: JiraVersion

    @property
    def candidates(self) -> list[JiraVersion]:
        """Versions with a candidate branch and a drafted GitHub release."""
        return [self.next] if self.healthy else [self.hotfix, self.next]

    @property
    def kept(self) -> set[int]:
        """Versions whose seeded state a later step must not disturb (by reopening their work)."""
        return {self.next.id, self.later.id} if self.healthy else {self.hotfix.id}


_RELEASE_NOTES = "## What's new in {name}\n\n- Faster checkout\n- Bug fixes"


class _Builder:
    """Fills a :class:`World` step by step; split out only to keep :func:`build_world` readable."""

    def __init__(self, seed: int, scale: Scale, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.now = now
        self.world = World(
            seed=seed,
            now=now,
            site="acme.atlassian.net",
            people=[
                Person(
                    account_id=f"5b10a2844c20165700ede{21 + i:03d}",
                    display_name=name,
                    email=f"{login}@acme.example",
                    login=login,
                    github_id=580_000 + i,
                )
                for i, (name, login) in enumerate(_PEOPLE)
            ],
            products=[],
            jira_projects={},
            jira_issues={},
            versions={},
            sprints={},
            repos={},
        )

    # -- helpers
    def when(self, days_ago_max: float, days_ago_min: float = 0.0) -> datetime:
        days = self.rng.uniform(days_ago_min, days_ago_max)
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def settle(self, moment: datetime) -> datetime:
        """``moment``, or a random instant of the last day when it would be in the future: no pile-up at ``now``."""
        if moment < self.now:
            return moment.replace(microsecond=0)
        return self.now - timedelta(seconds=self.rng.randint(60, 86_400))

    def title(self) -> str:
        return f"{self.rng.choice(_VERBS)} {self.rng.choice(_THINGS)}"

    def someone(self) -> Person:
        return self.rng.choice(self.world.people)

    # -- products
    def add_product(self, index: int, share_jira: int, share_gh: int, share_prs: int) -> None:
        name, key, full_name, style = _PRODUCTS[index]
        w = self.world
        lead = w.people[index % len(w.people)].account_id
        statuses = [
            JiraStatus(id=str(10_000 + index * 10 + i), name=n, category=c)
            for i, (n, c) in enumerate(_WORKFLOWS[style])
        ]
        project = JiraProject(
            id=10_000 + index, key=key, name=name, style=style, lead=lead, statuses=statuses, board_id=index + 1
        )
        product = Product(name=name, jira_project=key, repo=full_name, score_method="wsjf" if index % 2 else "rice")
        owner, repo_name = full_name.split("/")
        repo = Repo(
            id=1_296_269 + index,
            owner=owner,
            name=repo_name,
            default_branch="main",
            created=self.now - timedelta(days=720),
        )
        repo.branches["main"] = _sha(full_name, "main")
        w.products.append(product)
        w.jira_projects[key] = project
        w.repos[full_name] = repo
        versions = self.add_versions(project)
        self.outlook = _Outlook(healthy=index % 2 == 1, hotfix=versions[2], next=versions[3], later=versions[4])
        self.add_sprints(project)
        self.add_issues(project, versions, share_jira)
        self.add_github(product, project, repo, versions, share_gh, share_prs)
        self._record_outlook(project)
        _Scores(random.Random(f"{self.world.seed}/scores/{key}"), product).seed(self.world, project, repo)
        self._record_planning(index, product, project)

    def _record_planning(self, index: int, product: Product, project: JiraProject) -> None:
        """The objective and the launch effects of this product (see the module docstring)."""
        o, w = self.outlook, self.world
        slug = _slug(project.name)
        goals = [g.key for g in w.roadmap if g.key.startswith(f"{slug}-")]
        owner = w.person(project.lead).display_name
        if o.healthy:
            more_users = LaunchEffect(project.key, "2.3.0", "app_opened", 1.15, None, "daily_active_users up")
            w.launch_effects.append(more_users)
            # three quarters of the daily users sandbox.analytics.data gives this product now (weekends included)
            users = float(round((900 + 700 * index) * 1.47 * 0.92 * 1.15 * 0.75, -1))
            key, title, metric, target, days, expected = (
                "engagement", "grows its daily users", "daily_active_users", users, 60, "on_track"
            )
        else:
            w.launch_effects += [
                LaunchEffect(project.key, "2.3.0", "activated", 1.25, None, "activation_rate up"),
                LaunchEffect(project.key, "2.3.0", "error", 4.0, 21, "guardrail error_rate broken"),
            ]
            key, title, metric, target, days, expected = (
                "conversion", "converts more sign-ups", "activation_rate", 0.65, 14, "at_risk"
            )
        goal = ObjectiveGoal(
            key=f"{slug}-{key}",
            title=f"{project.name} {title}",
            owner=owner,
            product=product,
            roadmap=tuple(goals),
            metric=metric,
            op=">=",
            target=target,
            by=self.now.date() + timedelta(days=days),
            expected=expected,
        )
        w.objectives.append(goal)

    def _record_outlook(self, project: JiraProject) -> None:
        """The verdicts and roadmap states this product's data was shaped for."""
        o, w = self.outlook, self.world
        owner = w.person(project.lead).display_name

        def goal(version: JiraVersion, expected: str) -> RoadmapGoal:
            return RoadmapGoal(
                key=f"{_slug(project.name)}-{version.name}",
                title=f"{project.name} {version.name}",
                owner=owner,
                target_date=version.release_date or self.now.date(),
                links=(f"{project.key}@{version.name}",),
                expected=expected,
            )

        if o.healthy:
            w.verdicts[(project.key, o.next.name)] = "GO"
            w.roadmap += [goal(o.next, "done"), goal(o.later, "on track")]
        else:
            w.verdicts[(project.key, o.hotfix.name)] = "AT RISK"
            w.verdicts[(project.key, o.next.name)] = "NO-GO"
            w.roadmap.append(goal(o.next, "at risk"))

    def add_versions(self, project: JiraProject) -> list[JiraVersion]:
        today = self.now.date()
        plan = [  # (name, released, start offset days, release offset days)
            ("2.2.0", True, -120, -90),
            ("2.3.0", True, -90, -45),
            ("2.3.1", False, -45, -6),  # past due and still unreleased
            ("2.4.0", False, -40, 2),  # the next release
            ("2.5.0", False, 0, 30),
        ]
        versions = []
        for name, released, start, release in plan:
            version = JiraVersion(
                id=self.world.new_id(),
                project=project.key,
                name=name,
                description=f"{project.name} {name}",
                released=released,
                start_date=today + timedelta(days=start),
                release_date=today + timedelta(days=release),
            )
            self.world.versions[version.id] = version
            versions.append(version)
        past_due = versions[2]
        self.world.contradictions.append(
            Contradiction("past_due_version", f"{project.key} {past_due.name}", "release date passed, unreleased")
        )
        return versions

    def add_sprints(self, project: JiraProject) -> None:
        for i, state in enumerate(["closed", "closed", "active", "future"]):
            start = self.now - timedelta(days=14 * (3 - i) + 7)
            sprint = JiraSprint(
                id=self.world.new_id(),
                board_id=project.board_id,
                name=f"{project.key} Sprint {20 + i}",
                state=state,
                start=start if state != "future" else None,
                end=start + timedelta(days=14) if state != "future" else None,
                complete=start + timedelta(days=14) if state == "closed" else None,
                goal=f"Sprint {20 + i} goal",
            )
            self.world.sprints[sprint.id] = sprint

    def _status_for(self, project: JiraProject, version: JiraVersion) -> JiraStatus:
        if version.released:
            category = "done"
        elif version.release_date and version.release_date < self.now.date() + timedelta(days=7):
            category = self.rng.choices(["done", "indeterminate", "new"], [80, 15, 5])[0]
        else:
            category = self.rng.choices(["done", "indeterminate", "new"], [10, 30, 60])[0]
        if self.outlook.healthy and version is self.outlook.next:
            category = "done"  # ready to ship
        candidates = [s for s in project.statuses if s.category == category]
        # the second "done" status is the cancelled one (Won't Do / Dropped): rare
        if category == "done" and self.rng.random() > 0.05:
            return candidates[0]
        return self.rng.choice(candidates)

    def _changelog(self, issue: JiraIssue, project: JiraProject, final: JiraStatus) -> None:
        path = [project.first_in("new").name]
        if final.category in ("indeterminate", "done"):
            path.append(project.first_in("indeterminate").name)
        if final.name not in path:
            path.append(final.name)
        span = (issue.updated - issue.created) / max(len(path), 1)
        for i in range(1, len(path)):
            issue.changelog.append(
                Transition(
                    at=issue.created + span * i,
                    author=issue.assignee or issue.reporter,
                    from_status=path[i - 1],
                    to_status=path[i],
                )
            )

    def add_issues(self, project: JiraProject, versions: list[JiraVersion], count: int) -> None:
        w = self.world
        sprints = [s for s in w.sprints.values() if s.board_id == project.board_id]
        n_epics = max(3, count // 20)
        epics: list[JiraIssue] = []
        recent_stories: list[JiraIssue] = []
        for number in range(1, count + 1):
            key = f"{project.key}-{number}"
            version = versions[min(len(versions) - 1, (number * 7) % len(versions))]
            if number <= n_epics:
                kind = "Epic"
            else:
                kind = self.rng.choices(["Story", "Task", "Bug", "Sub-task"], [50, 20, 20, 10])[0]
            status = self._status_for(project, version)
            created = self.when(150, 20)
            updated = self.settle(created + timedelta(days=self.rng.uniform(0.5, 20)))
            assignee = self.someone().account_id if status.category != "new" or self.rng.random() < 0.5 else None
            issue = JiraIssue(
                id=10_000 + len(w.jira_issues) + 1,
                key=key,
                project=project.key,
                type=kind,
                summary=(f"{project.name}: {self.title()}" if kind == "Epic" else self.title()),
                description=f"As a shopper I want to {self.title().lower()} so that checkout converts better.",
                status=status.name,
                priority=self.rng.choice(_PRIORITIES),
                created=created,
                updated=updated,
                reporter=project.lead,
                assignee=assignee,
                story_points=(
                    float(self.rng.choice([1, 2, 3, 5, 8, 13])) if kind in ("Story", "Task", "Bug") else None
                ),
                labels=self.rng.sample(["frontend", "backend", "mobile", "payments", "ux", "infra"], k=2),
                fix_versions=[] if kind == "Epic" else [version.id],
                sprint_id=self.rng.choice(sprints).id if kind != "Epic" and status.category != "new" else None,
            )
            if status.category == "done":
                issue.resolution = "Won't Do" if status.name in ("Won't Do", "Dropped") else "Done"
                issue.resolved = updated
            elif version is self.outlook.hotfix and not self.outlook.healthy and issue.priority == "Highest":
                issue.priority = "High"  # the AT RISK hotfix has no open blocker
            if kind == "Epic":
                epics.append(issue)
            elif kind == "Sub-task":
                if recent_stories:
                    issue.parent_key = self.rng.choice(recent_stories[-30:]).key
                else:
                    issue.type = "Task"
            elif kind == "Story":
                recent_stories.append(issue)
            if issue.type != "Epic" and issue.parent_key is None:
                issue.epic_key = epics[number % len(epics)].key
            self._changelog(issue, project, status)
            w.jira_issues[key] = issue
        self._shape_outlook(project)
        self._seed_epic_contradiction(project, epics)

    def _work_of(self, version: JiraVersion) -> list[JiraIssue]:
        return [i for i in self.world.jira_issues.values() if version.id in i.fix_versions]

    def _shape_outlook(self, project: JiraProject) -> None:
        """Troubled: the next release keeps two items open. Healthy: the release after it finishes recently at
        least as many items as remain, so its forecast (remaining ÷ finished per day over 28 days) meets its date."""
        o = self.outlook
        recently = self.now - timedelta(days=28)
        if not o.healthy:
            work = self._work_of(o.next)
            still_open = [i for i in work if project.status(i.status).category != "done"]
            for issue in [i for i in work if i.resolution == "Done"][: max(0, 2 - len(still_open))]:
                self._transition(issue, project.first_in("indeterminate").name, issue.reporter)
            resolved = [i for i in work if i.resolution == "Done" and i.resolved is not None]
            if resolved and not any(i.resolved and i.resolved >= recently for i in resolved):
                # one item reopened and finished again ten days ago: the pace its forecast extrapolates
                again = min(resolved, key=lambda i: i.updated)
                reopen_at, redone_at = self.now - timedelta(days=11), self.now - timedelta(days=10)
                self._transition(again, project.first_in("indeterminate").name, again.reporter, at=reopen_at)
                self._transition(again, project.first_in("done").name, again.reporter, at=redone_at)
            return
        work = self._work_of(o.later)
        still_open = [i for i in work if project.status(i.status).category != "done"]
        finished = sum(i.resolution == "Done" and i.resolved is not None and i.resolved >= recently for i in work)
        done = project.first_in("done").name
        while len(still_open) > 1 and finished < len(still_open):
            issue = still_open.pop(0)
            at = max(issue.updated + timedelta(minutes=5), self.now - timedelta(days=self.rng.uniform(1, 14)))
            self._transition(issue, done, issue.assignee or issue.reporter, at=at)
            finished += 1

    def _seed_epic_contradiction(self, project: JiraProject, epics: list[JiraIssue]) -> None:
        w = self.world
        children_of: dict[str, list[JiraIssue]] = {e.key: [] for e in epics}
        for issue in w.jira_issues.values():
            if issue.project == project.key and issue.epic_key:
                children_of[issue.epic_key].append(issue)
        epic = epics[0]
        done = project.first_in("done")
        children = children_of[epic.key]
        if epic.status != done.name:
            self._transition(epic, done.name, epic.reporter)
        open_child = next((c for c in children if project.status(c.status).category != "done"), None)
        if open_child is None and children:
            kept = self.outlook.kept
            open_child = next((c for c in children if not kept & set(c.fix_versions)), children[0])
            self._transition(open_child, project.first_in("indeterminate").name, open_child.reporter)
        w.contradictions.append(Contradiction("epic_done_children_open", epic.key, "epic Done, children open"))
        # keep the other epics honest: an epic is done only when its children are
        for other in epics[1:]:
            kids = children_of[other.key]
            all_done = bool(kids) and all(project.status(k.status).category == "done" for k in kids)
            target = done.name if all_done else project.first_in("indeterminate").name
            if other.status != target:
                self._transition(other, target, other.reporter)

    def _transition(self, issue: JiraIssue, to_status: str, author: str, at: datetime | None = None) -> None:
        project = self.world.jira_projects[issue.project]
        at = min(at or max(issue.updated, issue.created) + timedelta(minutes=5), self.now)
        issue.changelog.append(Transition(at=at, author=author, from_status=issue.status, to_status=to_status))
        issue.status = to_status
        issue.updated = at
        if project.status(to_status).category == "done":
            issue.resolution = issue.resolution or "Done"
            issue.resolved = at
        else:
            issue.resolution = None
            issue.resolved = None

    # -- github
    def add_github(
        self,
        product: Product,
        project: JiraProject,
        repo: Repo,
        versions: list[JiraVersion],
        n_issues: int,
        n_prs: int,
    ) -> None:
        w = self.world
        milestone_of: dict[int, int] = {}
        for version in versions:
            number = len(repo.milestones) + 1
            due = datetime.combine(version.release_date, datetime.min.time(), UTC) if version.release_date else None
            milestone = Milestone(
                number=number,
                id=w.new_id(),
                title=version.name,
                description=f"Tracks {project.key} {version.name}",
                state="closed" if version.released else "open",
                due_on=due,
                created=self.now - timedelta(days=130),
                updated=self.now - timedelta(days=2),
                closed_at=due if version.released else None,
            )
            repo.milestones[number] = milestone
            milestone_of[version.id] = number
            w.expected_links.add(
                ExpectedLink(f"jira-version:{version.id}", f"github-milestone:{repo.full_name}:{number}", "name")
            )
        self._add_releases(project, repo, versions)
        self._add_prs(project, repo, n_prs, milestone_of)
        self._add_issues(project, repo, n_issues, milestone_of)
        self._add_ci(project, repo, versions)

    def _add_releases(self, project: JiraProject, repo: Repo, versions: list[JiraVersion]) -> None:
        w = self.world
        released = [v for v in versions if v.released]
        # the latest released Jira version has no GitHub release: a contradiction to find
        missing = released[-1]
        w.contradictions.append(
            Contradiction("released_without_github_release", f"{project.key} {missing.name}", "no GitHub release")
        )
        for version in versions:
            tag = f"v{version.name}"
            repo.branches[tag] = _sha(repo.full_name, tag)
            if version is missing:
                continue
            if version.released:
                published = datetime.combine(version.release_date or self.now.date(), datetime.min.time(), UTC)
                repo.releases.append(
                    GitHubRelease(
                        id=w.new_id(),
                        tag_name=tag,
                        name=version.name,
                        body=_RELEASE_NOTES.format(name=version.name),
                        draft=False,
                        prerelease=False,
                        target_commitish="main",
                        created=published - timedelta(hours=3),
                        published_at=published,
                    )
                )
            elif version in self.outlook.candidates:
                # the troubled next release has no notes yet; every other draft has them
                troubled_next = version is self.outlook.next and not self.outlook.healthy
                repo.releases.append(
                    GitHubRelease(
                        id=w.new_id(),
                        tag_name=tag,
                        name=version.name,
                        body="" if troubled_next else _RELEASE_NOTES.format(name=version.name),
                        draft=True,
                        prerelease=False,
                        target_commitish=f"release/{version.name}",
                        created=self.now - timedelta(days=1),
                        published_at=None,
                    )
                )

    @staticmethod
    def _pr_for(issue: JiraIssue, category: str) -> tuple[str, str | None]:
        """The PR state a Jira status implies: (state, "merged" or None)."""
        if category == "done":
            return ("closed", "merged") if issue.resolution == "Done" else ("closed", None)
        return ("open", None)

    def _add_prs(self, project: JiraProject, repo: Repo, n_prs: int, milestone_of: dict[int, int]) -> None:
        w = self.world
        workable = [
            i
            for i in w.jira_issues.values()
            if i.project == project.key
            and i.type in ("Story", "Task", "Bug")
            and project.status(i.status).category != "new"
        ]
        self.rng.shuffle(workable)
        done_but_open_seeded = False
        ready = self.outlook.next.id if self.outlook.healthy else None
        for index in range(n_prs):
            issue = workable[index] if index < len(workable) else None
            number = repo.next_number
            repo.next_number += 1
            author = self.someone()
            created = self.when(60, 1) if issue is None else max(issue.created, self.when(60, 1))
            title, body, head = self._pr_text(issue, index, number)
            if issue is not None:
                category = project.status(issue.status).category
                state, merged = self._pr_for(issue, category)
            else:
                category = self.rng.choice(["done", "indeterminate"])
                state, merged = ("closed", "merged") if category == "done" else ("open", None)
            if (
                issue is not None
                and category == "done"
                and not done_but_open_seeded
                and issue.resolution == "Done"
                and ready not in issue.fix_versions  # the GO release has every pull request merged
                and not self._in_done_epic(issue, project)  # reopening it leaves no epic Done with open work
            ):
                state, merged, done_but_open_seeded = "open", None, True
                w.contradictions.append(
                    Contradiction("done_but_pr_open", issue.key, f"{repo.full_name}#{number} still open")
                )
            updated = self.settle(created + timedelta(days=self.rng.uniform(0.1, 6)))
            pr = PullRequest(
                number=number,
                id=w.new_id(),
                title=title,
                body=body,
                user=author.login,
                head_ref=head,
                head_sha=_sha(repo.full_name, "pr", number),
                base_ref="main",
                state=state,
                created=created,
                updated=updated,
                draft=state == "open" and self.rng.random() < 0.2,
                merged_at=updated if merged else None,
                closed_at=updated if state == "closed" else None,
                merge_commit_sha=_sha(repo.full_name, "merge", number) if merged else None,
                milestone=milestone_of.get(issue.fix_versions[0]) if issue and issue.fix_versions else None,
            )
            repo.pulls[number] = pr
            repo.branches[head] = pr.head_sha
            if issue is not None:
                field_name = "title" if index % 3 == 0 else ("head_ref" if index % 3 == 1 else "body")
                w.expected_links.add(ExpectedLink(f"github:{repo.full_name}:pr:{number}", issue.key, field_name))
                if index % 5 == 0:
                    url = f"https://github.com/{repo.full_name}/pull/{number}"
                    issue.remote_links.append(url)
                    w.expected_links.add(
                        ExpectedLink(f"github:{repo.full_name}:pr:{number}", issue.key, "remote_link")
                    )
            # an abandoned attempt: closed unmerged, without a Jira key
            if issue is None and index % 4 == 0 and state == "open":
                pr.state, pr.closed_at = "closed", updated

    def _in_done_epic(self, issue: JiraIssue, project: JiraProject) -> bool:
        owner = self.world.jira_issues[issue.parent_key] if issue.parent_key else issue
        epic = self.world.jira_issues.get(owner.epic_key or "")
        return epic is not None and project.status(epic.status).category == "done"

    def _pr_text(self, issue: JiraIssue | None, index: int, number: int) -> tuple[str, str, str]:
        if issue is None:
            title = self.title()
            return title, "Housekeeping, no ticket.", f"chore/{_slug(title)}-{number}"
        slug = _slug(issue.summary)
        if index % 3 == 0:
            return f"{issue.key}: {issue.summary}", "Implements the change described in the ticket.", f"work/{slug}"
        if index % 3 == 1:
            return issue.summary, "See the branch name for the ticket.", f"feature/{issue.key}-{slug}"
        return issue.summary, f"Fixes {issue.key}.\n\nTested locally.", f"fix/{slug}-{number}"

    def _add_issues(self, project: JiraProject, repo: Repo, n_issues: int, milestone_of: dict[int, int]) -> None:
        w = self.world
        in_progress = [
            i
            for i in w.jira_issues.values()
            if i.project == project.key and project.status(i.status).category == "indeterminate" and i.type != "Epic"
        ]
        twins = in_progress[: max(1, n_issues // 10)]
        for index in range(n_issues):
            number = repo.next_number
            repo.next_number += 1
            twin = twins[index] if index < len(twins) else None
            author = self.someone()
            created = self.when(90, 1)
            updated = self.settle(created + timedelta(days=self.rng.uniform(0.1, 10)))
            closed = self.rng.random() < 0.45
            issue = GitHubIssue(
                number=number,
                id=w.new_id(),
                title=f"[{twin.key}] {twin.summary}" if twin else f"{self.title()} does not work on Safari",
                body=f"Tracked in {twin.key}." if twin else "Steps to reproduce:\n1. Open the page\n2. Click pay",
                user=author.login,
                state="closed" if closed else "open",
                state_reason=(self.rng.choice(["completed", "completed", "not_planned"]) if closed else None),
                created=created,
                updated=updated,
                closed_at=updated if closed else None,
                labels=self.rng.sample(["bug", "enhancement", "question", "good first issue"], k=1),
                assignee=self.someone().login if self.rng.random() < 0.5 else None,
                milestone=milestone_of.get(twin.fix_versions[0]) if twin and twin.fix_versions else None,
            )
            if twin is not None:
                w.expected_links.add(ExpectedLink(f"github:{repo.full_name}:issue:{number}", twin.key, "title"))
                if index == 0:  # the twin that disagrees: closed on GitHub, still in progress in Jira
                    issue.state, issue.state_reason, issue.closed_at = "closed", "completed", updated
                    w.contradictions.append(
                        Contradiction("github_closed_jira_open", twin.key, f"{repo.full_name}#{number} closed")
                    )
                elif issue.state == "closed":
                    issue.state, issue.state_reason, issue.closed_at = "open", None, None
            repo.issues[number] = issue

    def _add_ci(self, project: JiraProject, repo: Repo, versions: list[JiraVersion]) -> None:
        w = self.world
        candidates = [f"release/{v.name}" for v in self.outlook.candidates]
        for branch in candidates:
            repo.branches[branch] = _sha(repo.full_name, branch)
        # the troubled next release's candidate fails its end-to-end tests
        red_ref = None if self.outlook.healthy else repo.branches[f"release/{self.outlook.next.name}"]
        refs = [repo.branches[name] for name in ("main", *candidates)] + [repo.branches[f"v{v.name}"] for v in versions]
        for sha in refs:
            started = self.now - timedelta(hours=self.rng.uniform(2, 48))
            for name in ("build", "unit-tests", "e2e-tests"):
                red = sha == red_ref and name == "e2e-tests"
                repo.check_runs.append(
                    CheckRun(
                        id=w.new_id(),
                        sha=sha,
                        name=name,
                        status="completed",
                        conclusion="failure" if red else "success",
                        started_at=started,
                        completed_at=started + timedelta(minutes=12),
                    )
                )
            repo.statuses.append(
                CommitStatus(
                    id=w.new_id(),
                    sha=sha,
                    context="ci/coverage",
                    state="success",
                    description="Coverage 87%",
                    created=started,
                    updated=started + timedelta(minutes=3),
                )
            )
        if red_ref is not None:
            candidate = f"release/{self.outlook.next.name}"
            w.contradictions.append(
                Contradiction("release_ci_red", f"{repo.full_name}@{candidate}", "e2e-tests failed on the release ref")
            )


class _Scores:
    """Prioritisation inputs on part of one product's backlog (its own random stream: the rest of the world does
    not move): RICE or WSJF in Jira custom fields and GitHub labels; some items lack one input, some have none."""

    def __init__(self, rng: random.Random, product: Product) -> None:
        self.rng = rng
        self.rice = product.score_method == "rice"

    def inputs(self) -> dict[str, float]:
        choice = self.rng.choice
        if self.rice:
            return {
                "reach": float(choice([50, 120, 300, 800, 1500, 4000])),
                "impact": choice([0.25, 0.5, 1.0, 2.0, 3.0]),
                "confidence": float(choice([50, 80, 100])),  # per cent, as a Jira number field holds it
                "effort": choice([0.5, 1.0, 2.0, 3.0, 5.0, 8.0]),
            }
        fibonacci = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0]
        return {
            "business_value": choice(fibonacci),
            "time_criticality": choice(fibonacci),
            "risk_reduction": choice(fibonacci),
            "job_size": choice(fibonacci[:6]),
        }

    def partial(self, n: int) -> dict[str, float]:
        """The ``n`` th item's inputs: every one for three items in five, all but the last for the fourth, none for
        the fifth."""
        inputs = self.inputs()
        return {0: {}, 4: dict(list(inputs.items())[:-1])}.get(n % 5, inputs)

    def seed(self, world: World, project: JiraProject, repo: Repo) -> None:
        backlog = [
            i
            for i in world.jira_issues.values()
            if i.project == project.key
            and i.type in ("Story", "Task", "Bug")
            and project.status(i.status).category == "new"
        ]
        for n, issue in enumerate(backlog, start=1):
            issue.scores = self.partial(n)
        # GitHub issues that are no Jira issue's twin (those are titled "[CHK-12] …"): inputs in labels
        own = [i for i in repo.issues.values() if i.state == "open" and not i.title.startswith("[")]
        for n, gh_issue in enumerate(own, start=1):
            gh_issue.labels = [*gh_issue.labels, *self.labels(self.partial(n), malformed=n == 1)]

    def labels(self, inputs: dict[str, float], *, malformed: bool) -> list[str]:
        """``reach:500``, ``confidence:80%``, ``job-size:5``; ``malformed``: effort is ``lots`` (not a number)."""
        labels = []
        for name, value in inputs.items():
            shown = f"{value:g}%" if name == "confidence" else f"{value:g}"
            if malformed and name == "effort":
                shown = "lots"
            labels.append(f"{name.replace('_', '-')}:{shown}")
        return labels


def build_world(seed: int = 7, scale: Scale | None = None, now: datetime | None = None) -> World:
    """Generate the world. ``now`` defaults to the current minute (UTC), so dates look current in the demo."""
    scale = scale or Scale()
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    builder = _Builder(seed, scale, now)
    n = scale.products
    for index in range(n):
        builder.add_product(
            index,
            share_jira=scale.jira_issues // n,
            share_gh=scale.github_issues // n,
            share_prs=scale.pull_requests // n,
        )
    return builder.world
