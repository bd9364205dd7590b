"""The ranked backlog: RICE and WSJF scores with their inputs and formula, items lacking an input listed apart, the
label grammar, overrides, weights that reorder and ties broken by a documented key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from pydantic import ValidationError

from hub.settings import Settings
from schema import Record, WorkItem, WorkItemType
from schema.planning import ScoreMethod
from sync.priorities import PrioritiesConfig, parse_label, priorities, product_priorities
from tests.sync.builders import NOW, github_issue, jira_item, link

RICE = ("reach", "impact", "confidence", "effort")


@dataclass(frozen=True)
class Product:
    jira_project: str | None = None
    repo: str | None = None


def item(number: int, *, fields: dict[str, str] | None = None, labels: tuple[str, ...] = (), **kw: object) -> WorkItem:
    base = jira_item(number, "To Do", **kw)  # type: ignore[arg-type]
    return base.model_copy(update={"score_fields": fields or {}, "labels": labels})


def rice(reach: float, impact: float, confidence: float, effort: float) -> dict[str, str]:
    return dict(zip(RICE, (f"{reach:g}", f"{impact:g}", f"{confidence:g}", f"{effort:g}"), strict=True))


def ranked_labels(items: list[WorkItem], config: PrioritiesConfig | None = None) -> list[str]:
    return [r.label for r in product_priorities("shop", items, config or PrioritiesConfig()).ranked]


def test_a_rice_score_shows_each_input_with_where_it_came_from_and_the_formula_with_its_numbers() -> None:
    [ranked] = product_priorities("shop", [item(1, fields=rice(500, 2, 80, 3))], PrioritiesConfig()).ranked
    assert ranked.score == pytest.approx(500 * 2 * 0.8 / 3)
    assert ranked.formula == "500 × 2 × 0.8 / 3 = 266.7"
    assert [(i.name, i.value, i.origin) for i in ranked.inputs] == [
        ("reach", 500, "Jira field"),
        ("impact", 2, "Jira field"),
        ("confidence", 0.8, "Jira field"),
        ("effort", 3, "Jira field"),
    ]
    assert (ranked.rank, ranked.label, ranked.status) == (1, "SHOP-1", "To Do")


def test_wsjf_adds_the_cost_of_delay_and_divides_by_job_size() -> None:
    fields = {"business_value": "8", "time_criticality": "5", "risk_reduction": "3", "job_size": "2"}
    config = PrioritiesConfig(method=ScoreMethod.WSJF)
    shop = product_priorities("shop", [item(1, fields=fields)], config)
    assert shop.formula == "WSJF = (business value + time criticality + risk reduction) / job size"
    assert (shop.ranked[0].score, shop.ranked[0].formula) == (8.0, "(8 + 5 + 3) / 2 = 8")


def test_an_item_lacking_an_input_is_listed_apart_with_what_is_missing_never_scored_zero() -> None:
    items = [item(1, fields=rice(500, 2, 80, 3)), item(2, fields={"reach": "900", "impact": "3"}), item(3)]
    shop = product_priorities("shop", items, PrioritiesConfig())
    assert [r.label for r in shop.ranked] == ["SHOP-1"]
    assert [(u.label, u.missing) for u in shop.unscored] == [
        ("SHOP-2", ["confidence", "effort"]),
        ("SHOP-3", list(RICE)),
    ]
    assert [i.name for i in shop.unscored[0].inputs] == ["reach", "impact"]
    assert (shop.ranked_total, shop.unscored_total) == (1, 2)


@pytest.mark.parametrize(
    ("label", "parsed"),
    [
        ("reach:500", ("reach", "500")),
        ("Impact:2", ("impact", "2")),
        ("confidence:80%", ("confidence", "80%")),
        ("effort = 3", ("effort", "3")),
        ("business-value:8", ("business_value", "8")),
        ("time criticality:5", ("time_criticality", "5")),
        ("Job_Size:13", ("job_size", "13")),
        ("bug", None),
        ("area:payments", None),
        ("reach", None),
    ],
)
def test_the_label_grammar_reads_input_labels_and_ignores_every_other_label(
    label: str, parsed: tuple[str, str] | None
) -> None:
    assert parse_label(label) == parsed


def test_a_label_prefix_is_required_when_configured() -> None:
    assert parse_label("score/reach:500", "score/") == ("reach", "500")
    assert parse_label("reach:500", "score/") is None
    config = PrioritiesConfig(label_prefix="score/")
    labels = ("score/reach:500", "score/impact:2", "score/confidence:50%", "score/effort:1", "reach:9999")
    [ranked] = product_priorities("shop", [item(1, labels=labels)], config).ranked
    assert ranked.formula == "500 × 2 × 0.5 / 1 = 500"
    assert ranked.inputs[0].origin == "label score/reach:500"


def test_unusable_values_are_named_with_why_and_the_item_is_not_scored() -> None:
    labels = ("reach:lots", "impact:2", "confidence:150", "effort:0", "impact:3")
    [unscored] = product_priorities("shop", [item(1, labels=labels)], PrioritiesConfig()).unscored
    assert unscored.missing == list(RICE)
    assert unscored.problems == [
        "reach 'lots' is not a number (label reach:lots)",
        "impact has labels that disagree: impact:2, impact:3",
        "confidence '150' is not a share in (0, 100 %] (label confidence:150)",
        "effort '0' must be above 0 (label effort:0)",
    ]


def test_confidence_as_a_percentage_a_share_or_with_a_per_cent_sign_is_one_value() -> None:
    items = [item(n, fields={**rice(100, 1, 100, 1), "confidence": c}) for n, c in enumerate(("80", "0.8", "80%"), 1)]
    ranked = product_priorities("shop", items, PrioritiesConfig()).ranked
    assert [r.score for r in ranked] == pytest.approx([80.0, 80.0, 80.0])


def test_big_numbers_read_with_thousands_separators_or_an_exponent() -> None:
    labels = ("reach:1,500", "impact:1", "confidence:1", "effort:1")
    items = [item(1, fields=rice(1e6, 1, 100, 1)), item(2, labels=labels)]
    assert items[0].score_fields["reach"] == "1e+06", "as the Jira mapping writes a million"
    ranked = product_priorities("shop", items, PrioritiesConfig()).ranked
    assert [(r.label, r.score) for r in ranked] == [("SHOP-1", 1e6), ("SHOP-2", 1500)]


def test_named_values_read_words_such_as_an_impact_of_high() -> None:
    high = item(1, fields={**rice(10, 1, 100, 1), "impact": "High"})
    [ranked] = product_priorities("shop", [high], PrioritiesConfig()).ranked
    assert ranked.formula == "10 × 2 × 1 / 1 = 20"


def test_an_override_in_the_config_wins_over_the_field_and_the_label() -> None:
    config = PrioritiesConfig(overrides={"shop-1": {"reach": 2000}})
    one = item(1, fields=rice(500, 1, 100, 1), labels=("reach:700",))
    [ranked] = product_priorities("shop", [one], config).ranked
    assert (ranked.inputs[0].value, ranked.inputs[0].origin) == (2000, "override in pmhub.toml")
    labelled = item(2, labels=("reach:700", "impact:1", "confidence:100%", "effort:1"), fields={"reach": "500"})
    assert product_priorities("shop", [labelled], PrioritiesConfig()).ranked[0].inputs[0].origin == "Jira field"


def test_changing_a_weight_reorders_the_list_deterministically() -> None:
    wide = item(1, fields=rice(1000, 1, 100, 2))  # 500
    deep = item(2, fields=rice(100, 3, 100, 1))  # 300
    assert ranked_labels([deep, wide]) == ["SHOP-1", "SHOP-2"]
    impact_heavy = PrioritiesConfig(weights={"impact": 3})  # 1000 / 2 = 500 against 100 × 27 = 2,700
    assert ranked_labels([deep, wide], impact_heavy) == ["SHOP-2", "SHOP-1"]
    assert ranked_labels([wide, deep], impact_heavy) == ["SHOP-2", "SHOP-1"], "input order never matters"
    shop = product_priorities("shop", [wide], impact_heavy)
    assert shop.formula == "RICE = reach × impact^3 × confidence / effort"
    assert shop.ranked[0].formula == "1000 × 1^3 × 1 / 2 = 500"
    wsjf = PrioritiesConfig(method=ScoreMethod.WSJF, weights={"time_criticality": 2})
    assert product_priorities("shop", [], wsjf).formula.startswith("WSJF = (business value + 2×time criticality")


def test_ties_go_to_the_smaller_effort_then_the_older_item_then_the_key() -> None:
    older = NOW - timedelta(days=90)
    items = [
        item(4, fields=rice(100, 1, 100, 1)),
        item(3, fields=rice(100, 1, 100, 1), created=older),
        item(2, fields=rice(200, 1, 100, 2)),
        item(1, fields=rice(100, 1, 100, 1)),
    ]
    assert ranked_labels(items) == ["SHOP-3", "SHOP-1", "SHOP-4", "SHOP-2"]
    shop = product_priorities("shop", items, PrioritiesConfig())
    assert shop.tie_break.startswith("equal scores: the smaller effort")


def test_the_backlog_is_open_work_of_its_types_per_product_and_a_github_twin_counts_once() -> None:
    twin = github_issue(9, closed=False).model_copy(update={"labels": ("reach:5",)})
    loose = github_issue(10, closed=False, repo="acme/tools")
    records: list[Record] = [
        item(1, fields=rice(1, 1, 100, 1)),
        jira_item(2, "Done"),
        item(3, type=WorkItemType.EPIC),
        item(4, type=WorkItemType.SUBTASK),
        item(5, project="OPS"),
        twin,
        link(twin.id, item(1).id),
        loose,
    ]
    report = priorities(records, PrioritiesConfig(), {"shop": Product("SHOP", "acme/shop")}, NOW)
    listed = {p.product: [*(r.label for r in p.ranked), *(u.label for u in p.unscored)] for p in report.products}
    assert listed == {"shop": ["SHOP-1"], "OPS": ["OPS-5"], "acme/tools": [loose.id]}


def test_each_product_uses_its_own_method() -> None:
    config = PrioritiesConfig(methods={"mobile": ScoreMethod.WSJF})
    products = {"shop": Product("SHOP"), "mobile": Product("MOB")}
    report = priorities([item(1), item(2, project="MOB")], config, products, NOW)
    assert [(p.product, p.method, p.unscored[0].missing[0]) for p in report.products] == [
        ("shop", ScoreMethod.RICE, "reach"),
        ("mobile", ScoreMethod.WSJF, "business_value"),
    ]


def test_config_names_an_unknown_input_or_product() -> None:
    with pytest.raises(ValidationError, match="unknown input speed"):
        PrioritiesConfig(weights={"speed": 2})
    with pytest.raises(ValidationError, match="unknown input urgency"):
        PrioritiesConfig(overrides={"SHOP-1": {"urgency": 1}})
    with pytest.raises(ValidationError, match=r"priorities\.methods names no product: mobil;"):
        Settings(products={"mobile": {"jira_project": "MOB"}}, priorities={"methods": {"mobil": "wsjf"}})
