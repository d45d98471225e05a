"""Scores by the spec's formulas, each case computed by hand in its comment."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from perfloop.commands.score import table_text
from perfloop.model import CycleData
from perfloop.progress import kr_current, kr_progress, objective_progress, round_half_up
from perfloop.scoring import own_fields, rating_for, score_cycle, score_json, score_person
from perfloop.tree import build_tree, render
from perfloop.validation import validate_cycle

CYCLE = "cycles/2026-h2"


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / CYCLE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load(repo: Path) -> CycleData:
    """The cycle, which must be free of errors (so every case is a valid repository)."""
    result = validate_cycle(repo, "2026-h2")
    errors = [p.format() for p in result.problems if p.is_error]
    assert not errors, errors
    assert result.data is not None
    return result.data


def kr(data: CycleData, ref: str) -> float:
    owner, obj, kr_id = ref.split("/")
    objective = data.find_objective(ref)
    assert objective is not None
    key_result = objective.key_result(kr_id)
    assert key_result is not None
    return kr_progress(data, owner, key_result, obj)


# --- rounding and thresholds ----------------------------------------------------------------


def test_round_half_up_rounds_what_people_see() -> None:
    assert round(2.675, 2) == 2.67  # Python: binary value, half to even
    assert round_half_up(2.675) == 2.68
    assert round_half_up(0.125) == 0.13
    assert round_half_up(64.994999) == 64.99
    assert round_half_up(-1.005) == -1.01  # half away from zero
    assert round_half_up(88.5, 0) == 89.0
    # binary error is not a digit: an exact 64.995 computed as 64.99499999999999
    assert 0.05 * 82 + 0.95 * 64.1 == 64.99499999999999
    assert round_half_up(0.05 * 82 + 0.95 * 64.1) == 65.0
    assert round_half_up(3.6249999999999996) == 3.63
    assert round_half_up(-64.99499999999999) == -65.0
    assert round_half_up(0.49999999999999994, 0) == 1.0
    assert round_half_up(1e18) == 1e18  # too big to snap: rounded as it is


def test_rounding_agrees_with_exact_arithmetic_on_weighted_means() -> None:
    """Weighted means of decimal inputs, rounded from their float value, equal the same
    means computed exactly (fractions) and rounded half-up: the spec's "full precision"."""
    import random
    from decimal import ROUND_HALF_UP, Decimal
    from fractions import Fraction

    from perfloop.progress import weighted_mean

    rng = random.Random(7)
    for _ in range(20000):
        n = rng.randint(2, 4)
        weights = [rng.randint(1, 100) for _ in range(n)]
        values = [rng.randint(0, 12000) / rng.choice((10, 100, 1000)) for _ in range(n)]
        products = (Fraction(str(v)) * w for v, w in zip(values, weights, strict=True))
        exact = sum(products) / sum(weights)
        expected = Decimal(exact.numerator) / Decimal(exact.denominator)
        expected = float(expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        assert round_half_up(weighted_mean(values, weights)) == expected, (values, weights)


def test_rating_threshold_compares_the_rounded_final(base_repo: Path) -> None:
    cycle = load(base_repo).cycle
    assert rating_for(cycle, 79.995).rating == "A"  # shows as 80.00, A's min
    assert rating_for(cycle, 79.99499).rating == "B"  # shows as 79.99
    assert rating_for(cycle, 0.0).rating == "D"
    assert rating_for(cycle, None) is None


def test_final_that_reaches_a_threshold_only_after_rounding(base_repo: Path) -> None:
    # Template: OKR only. One graded KR of 0.49995 -> okr = final = 49.995 -> shown 50.00 -> C
    write(
        base_repo,
        "templates/okr-only.yaml",
        "id: okr-only\nsections: {okr: 100, kpi: 0, review: 0}\n"
        "reviews:\n  questions:\n    - {id: impact, text: Impact?}\n"
        "    - {id: collaboration, text: Collaboration?}\n",
    )
    cycle = (base_repo / CYCLE / "cycle.yaml").read_text()
    cycle = cycle.replace(
        "templates: {default: engineering, departments: {sales: sales}}",
        "templates: {default: engineering, departments: {sales: sales}, people: {bob: okr-only}}",
    )
    write(base_repo, "cycle.yaml", cycle)
    write(
        base_repo,
        "goals/bob.yaml",
        "owner: bob\nobjectives:\n  - id: o1\n    title: Observability\n"
        "    aligns_to: platform/o1\n    key_results:\n"
        "      - {id: kr1, title: Dashboards, score: 0.49995}\npeers: [alice]\n",
    )
    s = score_person(load(base_repo), "bob")
    assert s.final is not None and abs(s.final - 49.995) < 1e-9
    assert round(s.final, 2) == 49.99  # Python's round would miss the threshold
    assert (s.proposed, s.rating, s.bonus) == ("C", "C", 0.6)
    bob = score_json(own_fields(score_cycle(load(base_repo)), "bob"))  # `score --json`'s row
    assert bob == {
        "id": "bob", "okr": 50.0, "kpi": None, "review": 50.0, "final": 50.0,
        "rating": "C", "bonus": 0.6, "complete": True,
    }  # fmt: skip


# --- key results and objectives ---------------------------------------------------------------


def test_lower_is_better_overshoot_undershoot_and_defaults(base_repo: Path) -> None:
    write(
        base_repo,
        "goals/bob.yaml",
        """owner: bob
objectives:
  - id: o1
    title: Many kinds of key result
    aligns_to: platform/o1
    key_results:
      - {id: lower, title: p95 ms, start: 800, target: 300, current: 450, direction: lower}
      - {id: over, title: Overshoot, start: 10, target: 20, current: 35}
      - {id: under, title: Below start, start: 10, target: 20, current: 4}
      - {id: lowover, title: Lower overshoot, start: 10, target: 5, current: 2, direction: lower}
      - {id: nostart, title: Start defaults to 0, target: 8, current: 2}
  - id: o2
    title: More kinds
    aligns_to: platform/o1
    key_results:
      - {id: nocurrent, title: Current defaults to start, start: 5, target: 10}
      - {id: bare, title: Neither, target: 10}
      - {id: ms-done, title: Shipped, type: milestone, done: true}
      - {id: ms-open, title: Not shipped, type: milestone, done: false}
      - {id: graded, title: Hand grade wins, target: 10, current: 10, score: 0.4}
kpis:
  availability: {target: 99.9, actual: 99.8}
  incidents: {target: 1, actual: 1}
peers: [alice]
""",
    )
    data = load(base_repo)
    expected = {
        "lower": 0.7,  # (450-800)/(300-800) = 350/500
        "over": 1.0,  # (35-10)/(20-10) = 2.5, clamped
        "under": 0.0,  # (4-10)/10 = -0.6, clamped
        "lowover": 1.0,  # (2-10)/(5-10) = 1.6, clamped
        "nostart": 0.25,  # (2-0)/(8-0)
        "nocurrent": 0.0,  # current = start = 5
        "bare": 0.0,
        "ms-done": 1.0,
        "ms-open": 0.0,
        "graded": 0.4,  # the manual grade wins over a met target
    }
    for kr_id, value in expected.items():
        obj = "o1" if kr_id in ("lower", "over", "under", "lowover", "nostart") else "o2"
        assert kr(data, f"bob/{obj}/{kr_id}") == pytest.approx(value), kr_id
    # No weights: objectives are plain means, o1 = 2.95 / 5, o2 = 1.4 / 5; okr = their mean
    o1, o2 = data.find_objective("bob/o1"), data.find_objective("bob/o2")
    assert objective_progress(data, "bob", o1) == pytest.approx(0.59)
    assert objective_progress(data, "bob", o2) == pytest.approx(0.28)
    assert score_person(data, "bob").okr == pytest.approx(43.5)


def test_weighted_objectives_and_key_results(base_repo: Path) -> None:
    # alice: o1 (60) = 0.5 x (99.8-99.5)/(99.95-99.5) + 0.5 x 0 = 1/3; o2 (40) = 0.7
    # okr = 100 x (0.6 x 1/3 + 0.4 x 0.7) = 48
    s = score_person(load(base_repo), "alice")
    assert [round_half_up(o.score) for o in s.objectives] == [33.33, 70.0]
    assert s.okr == pytest.approx(48.0)


def test_development_objectives_are_not_scored(base_repo: Path) -> None:
    goals = (base_repo / CYCLE / "goals/bob.yaml").read_text()
    goals = goals.replace(
        "kpis:",
        "  - id: grow\n    title: Learn Go\n    kind: development\n    key_results:\n"
        "      - {id: kr1, title: Course done, type: milestone, done: false}\nkpis:",
    )
    write(base_repo, "goals/bob.yaml", goals)
    s = score_person(load(base_repo), "bob")
    assert [o.id for o in s.objectives] == ["o1"]
    assert s.okr == pytest.approx(75.0)  # 9/12 from o1 only


def test_aggregate_sum_takes_current_from_contributors(base_repo: Path) -> None:
    sales = (base_repo / CYCLE / "departments/sales.yaml").read_text()
    write(
        base_repo,
        "departments/sales.yaml",
        sales.replace("unit: EUR,", "unit: EUR, aggregate: sum,"),
    )
    data = load(base_repo)
    sales_kr = data.find_key_result("sales/o1/kr1")
    company_kr = data.find_key_result("company/o1/kr2")
    # sam's 900,000 adds into sales/o1/kr1, which (summed) adds into company/o1/kr2
    assert kr_current(data, "sales", sales_kr) == 900_000
    assert kr_current(data, "company", company_kr) == 900_000
    assert kr(data, "company/o1/kr2") == pytest.approx(0.9)
    assert kr(data, "sales/o1/kr1") == pytest.approx(0.9)
    # an own current wins over the sum
    write(
        base_repo,
        "departments/sales.yaml",
        sales.replace("unit: EUR,", "unit: EUR, aggregate: sum, current: 500000,"),
    )
    data = load(base_repo)
    assert kr(data, "company/o1/kr2") == pytest.approx(0.5)


# --- KPIs -----------------------------------------------------------------------------------


def kpi_case(repo: Path, kpis: str, availability: str, incidents: str) -> float | None:
    template = (repo / CYCLE / "templates/engineering.yaml").read_text()
    head, _, tail = template.partition("kpis:\n")
    _, _, rest = tail.partition("allow_custom_kpis")
    write(repo, "templates/engineering.yaml", head + "kpis:\n" + kpis + "allow_custom_kpis" + rest)
    goals = (repo / CYCLE / "goals/bob.yaml").read_text()
    goals = goals.replace("availability: {target: 99.9, actual: 99.8}", availability)
    goals = goals.replace("incidents: {target: 1, actual: 1}", incidents)
    write(repo, "goals/bob.yaml", goals)
    return score_person(load(repo), "bob").kpi


LINEAR_AND_BANDS = """  - {id: availability, name: A, scoring: linear, cap: 1.2, weight: 60}
  - id: incidents
    name: I
    direction: lower
    weight: 40
    scoring: bands
    bands: [{min: 1.0, score: 100}, {min: 0.8, score: 70}, {min: 0, score: 0}]
"""


def test_kpi_cap_and_bands(base_repo: Path) -> None:
    # availability a = 150/100 = 1.5, capped at 1.2 -> 120; incidents a = 4/5 = 0.8 -> 70
    # kpi = (60 x 120 + 40 x 70) / 100 = 100
    value = kpi_case(
        base_repo,
        LINEAR_AND_BANDS,
        "availability: {target: 100, actual: 150}",
        "incidents: {target: 4, actual: 5}",
    )
    assert value == pytest.approx(100.0)


def test_kpi_default_cap_and_undershoot_band(base_repo: Path) -> None:
    # no cap: min(1.5, 1.0) -> 100; incidents a = 2/3 -> below 0.8 -> band 0; equal weights
    kpis = """  - {id: availability, name: A}
  - id: incidents
    name: I
    direction: lower
    scoring: bands
    bands: [{min: 1.0, score: 100}, {min: 0.8, score: 70}, {min: 0, score: 0}]
"""
    value = kpi_case(
        base_repo,
        kpis,
        "availability: {target: 10, actual: 15}",
        "incidents: {target: 2, actual: 3}",
    )
    assert value == pytest.approx(50.0)


def test_kpi_actual_zero_on_lower_is_better_gives_the_cap(base_repo: Path) -> None:
    # incidents linear lower, cap 1.5, actual 0 -> a = 1.5 -> 150; availability 0.5 -> 50
    kpis = """  - {id: availability, name: A, weight: 50}
  - {id: incidents, name: I, direction: lower, cap: 1.5, weight: 50}
"""
    value = kpi_case(
        base_repo,
        kpis,
        "availability: {target: 10, actual: 5}",
        "incidents: {target: 2, actual: 0}",
    )
    assert value == pytest.approx(100.0)  # (150 + 50) / 2


def test_kpi_target_zero_on_lower_is_better_scores_cap_or_nothing(base_repo: Path) -> None:
    # "no Sev-1 incidents": target 0, lower, cap 1.5. Actual 0 -> a = cap -> 150; actual 1
    # -> a = 0 / 1 = 0 -> 0. Availability 0.5 -> 50 either way.
    kpis = """  - {id: availability, name: A, weight: 50}
  - {id: incidents, name: I, direction: lower, cap: 1.5, weight: 50}
"""
    none = "incidents: {target: 0, actual: 0}"
    one = "incidents: {target: 0, actual: 1}"
    availability = "availability: {target: 10, actual: 5}"
    assert kpi_case(base_repo, kpis, availability, none) == pytest.approx(100.0)
    bob = base_repo / CYCLE / "goals/bob.yaml"
    bob.write_text(bob.read_text().replace(none, one))
    assert score_person(load(base_repo), "bob").kpi == pytest.approx(25.0)


def test_kpi_target_zero_on_higher_is_better_is_an_error(base_repo: Path) -> None:
    goals = base_repo / CYCLE / "goals" / "alice.yaml"
    text = goals.read_text()
    assert "availability: {target: 99.9" in text
    goals.write_text(text.replace("availability: {target: 99.9", "availability: {target: 0", 1))
    errors = [p.message for p in validate_cycle(base_repo, "2026-h2").problems if p.is_error]
    assert any(
        "KPI 'availability': a target of 0 cannot be scored when higher is better" in message
        for message in errors
    ), errors


def test_kpi_actual_zero_on_banded_lower_kpi_scores_its_top_band(base_repo: Path) -> None:
    # a = cap (1.2 for incidents below) -> first band with min <= 1.2 is 100
    kpis = LINEAR_AND_BANDS.replace("direction: lower", "direction: lower\n    cap: 1.2")
    value = kpi_case(
        base_repo,
        kpis,
        "availability: {target: 10, actual: 10}",
        "incidents: {target: 2, actual: 0}",
    )
    assert value == pytest.approx(100.0)  # 0.6 x 100 + 0.4 x 100


def test_missing_kpi_actual_makes_the_person_incomplete(base_repo: Path) -> None:
    kpi_case(
        base_repo,
        LINEAR_AND_BANDS,
        "availability: {target: 99.9}",
        "incidents: {target: 1, actual: 1}",
    )
    s = score_person(load(base_repo), "bob")
    assert (s.kpi, s.final, s.rating, s.complete) == (None, None, None, False)
    assert s.missing == ("KPI actual for availability",)


def test_template_without_kpis(base_repo: Path) -> None:
    # sections okr 70, review 30; bob: okr 75, review (manager only) 50 -> 0.7x75 + 0.3x50 = 67.5
    write(
        base_repo,
        "templates/engineering.yaml",
        """id: engineering
sections: {okr: 70, review: 30}
reviews:
  scale: 5
  groups: {self: 10, peer: 20, manager: 60, skip_level: 10, designated: 0, upward: 0}
  questions:
    - {id: impact, text: Impact?}
    - {id: collaboration, text: Collaboration?}
""",
    )
    for person in ("alice", "bob"):
        goals = (base_repo / CYCLE / f"goals/{person}.yaml").read_text()
        kept = [
            line
            for line in goals.splitlines()
            if line != "kpis:" and not line.startswith(("  availability:", "  incidents:"))
        ]
        write(base_repo, f"goals/{person}.yaml", "\n".join(kept) + "\n")
    s = score_person(load(base_repo), "bob")
    assert (s.kpi, s.complete, s.rating) == (None, True, "B")
    assert s.final == pytest.approx(67.5)


# --- reviews ------------------------------------------------------------------------------


def test_review_groups_weights_and_designated_zero_weight(base_repo: Path) -> None:
    # alice: self 4,4 -> 75; manager dave 4,5 -> 87.5; peer bob 5,4 -> 87.5;
    # designated sam 3,4 -> 62.5 with weight 0, ignored.
    # review = (10x75 + 60x87.5 + 20x87.5) / 90 = 86.11
    s = score_person(load(base_repo), "alice")
    groups = {g.relation: (g.weight, g.score) for g in s.review_groups}
    assert groups == {
        "self": (10, 75.0), "manager": (60, 87.5), "designated": (0, 62.5), "peer": (20, 87.5)
    }  # fmt: skip
    assert s.review == pytest.approx(7750 / 90)
    # final = 0.5 x 48 + 0.2 x kpi + 0.3 x review;
    # kpi = 0.6 x 100 x 99.93/99.9 + 0.4 x 0 (incidents 2/3 < 0.8)
    kpi = 0.6 * 100 * 99.93 / 99.9
    assert s.kpi == pytest.approx(kpi)
    assert s.final == pytest.approx(0.5 * 48 + 0.2 * kpi + 0.3 * 7750 / 90)
    assert (s.proposed, s.bonus) == ("C", 0.6)  # 61.84


def test_upward_and_designated_groups_count_when_weighted(base_repo: Path) -> None:
    # Give designated and upward weight; dave gets an upward review from alice.
    template = (base_repo / CYCLE / "templates/engineering.yaml").read_text()
    template = template.replace("designated: 0, upward: 0", "designated: 10, upward: 20")
    write(base_repo, "templates/engineering.yaml", template)
    # alice: (10x75 + 60x87.5 + 10x62.5 + 20x87.5) / 100 = 83.75
    s = score_person(load(base_repo), "alice")
    assert s.review == pytest.approx(83.75)
    # dave: manager carol 5,5 -> 100; upward alice 2,3 -> 37.5; (60x100 + 20x37.5) / 80
    write(base_repo, "reviews/dave/carol.yaml", "ratings: {impact: 5, collaboration: 5}\n")
    write(base_repo, "reviews/dave/alice.yaml", "ratings: {impact: 2, collaboration: 3}\n")
    s = score_person(load(base_repo), "dave")
    assert {g.relation for g in s.review_groups} == {"manager", "upward"}
    assert s.review == pytest.approx(6750 / 80)


def test_person_without_a_manager_review_is_incomplete(base_repo: Path) -> None:
    # sam: okr 75, kpi 75, but only no review from carol (his manager): no review section
    s = score_person(load(base_repo), "sam")
    assert (s.okr, s.kpi) == (75.0, 75.0)
    assert (s.review, s.final, s.rating, s.bonus, s.complete) == (None, None, None, None, False)
    assert s.missing == ("manager review",)
    # A self-review alone does not make a review section
    write(base_repo, "reviews/sam/sam.yaml", "ratings: {results: 5}\n")
    data = load(base_repo)
    assert score_person(data, "sam").review is None
    scores = score_cycle(data)
    rows = [own_fields(scores, p) for p in scores]
    table = table_text(data.id, rows, {p.id: p.department for p in data.org.people.values()})
    assert "sam: lacks manager review" in table  # `score`'s table, as printed
    assert "carol: lacks goals, manager review" in table


# --- the command ------------------------------------------------------------------------------


def test_score_json_has_exactly_the_spec_keys(base_repo: Path, cli) -> None:
    result = cli("score", "--json", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["cycle"] == "2026-h2"
    assert [p["id"] for p in out["people"]] == ["carol", "dave", "alice", "bob", "sam", "henry"]
    keys = {"id", "okr", "kpi", "review", "final", "rating", "bonus", "complete"}
    assert all(set(p) == keys for p in out["people"])
    bob = next(p for p in out["people"] if p["id"] == "bob")
    # okr 75; kpi 0.6 x 100 x 99.8/99.9 + 0.4 x 100 = 99.94; review 50 (manager only)
    # final 0.5x75 + 0.2x99.93994 + 0.3x50 = 72.488 -> 72.49, B
    assert bob == {
        "id": "bob", "okr": 75.0, "kpi": 99.94, "review": 50.0, "final": 72.49,
        "rating": "B", "bonus": 1.0, "complete": True,
    }  # fmt: skip


def test_score_table_and_breakdown(base_repo: Path, cli) -> None:
    table = cli("score", cwd=base_repo).stdout
    assert "alice   platform    48.00  60.02   86.11  61.84  C        0.60  yes" in table
    # an incomplete person is listed with the sections they have
    assert "sam     sales       " in table and table.split("sam     sales")[1].split("\n")[
        0
    ].endswith("no")
    assert "2 complete, 4 incomplete" in table
    one = cli("score", "--person", "alice", cwd=base_repo).stdout
    assert "designated  62.50  weight 0  by sam  (weight 0: not counted)" in one
    assert "incidents  0.00  weight 40  (actual 3, target 2)" in one
    bad = cli("score", "--person", "nobody", cwd=base_repo)
    assert bad.returncode == 2 and "no person 'nobody'" in bad.stderr


def test_calibrated_rating_sets_rating_and_bonus(base_repo: Path) -> None:
    # bob earns B (72.49); the eng group's file rates him A: rating A, bonus 1.2
    write(
        base_repo,
        "calibration/eng.yaml",
        "ratings:\n  alice: {rating: C}\n  bob: {rating: A, reason: Carried on-call}\n",
    )
    scores = score_cycle(load(base_repo))
    bob = scores["bob"]
    assert (bob.proposed, bob.calibrated, bob.rating, bob.bonus) == ("B", "A", "A", 1.2)
    assert scores["alice"].calibrated == "C"


def test_invalid_file_leaves_its_owner_out_and_scores_everyone_else(base_repo: Path, cli) -> None:
    write(base_repo, "goals/bob.yaml", "owner: bob\nobjectives: 3\n")
    result = cli("score", cwd=base_repo)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "  bob: lacks a valid goals/bob.yaml" in result.stdout
    alice = next(line for line in result.stdout.splitlines() if line.startswith("alice "))
    assert alice.endswith("yes")  # everyone else is scored as before
    assert result.stderr == (
        "perfloop: cycle 2026-h2 has 1 error(s); left out of this report for their own "
        "errors: goals/bob.yaml; run `perfloop validate`\n"
    )


def test_lower_is_better_kr_at_its_start_has_no_negative_zero(base_repo: Path) -> None:
    """(current - start) / (target - start) is 0 / -500 = -0.0 at the start: shown as "-0%"
    by `tree` until clamped to a plain 0."""
    goals = base_repo / CYCLE / "goals" / "alice.yaml"
    goals.write_text(goals.read_text().replace("target: 300, current: 450", "target: 300"))
    data = load(base_repo)
    progress = kr(data, "alice/o2/kr1")
    assert (progress, math.copysign(1, progress)) == (0.0, 1.0)
    tree = render(build_tree(data))  # what `tree` prints
    assert "p95 latency" in tree and "-0%" not in tree


def test_numeric_key_result_graded_by_hand_stays_numeric(base_repo: Path) -> None:
    """SPEC §3: a numeric KR with a hand grade contributes its target and current (coverage,
    `aggregate: sum`) and its grade sets its score; it is no validation error."""
    sales = (base_repo / CYCLE / "departments/sales.yaml").read_text()
    write(
        base_repo,
        "departments/sales.yaml",
        sales.replace("unit: EUR,", "unit: EUR, aggregate: sum,"),
    )
    goals = (base_repo / CYCLE / "goals/sam.yaml").read_text()
    write(
        base_repo,
        "goals/sam.yaml",
        goals.replace("current: 900000,", "current: 900000, score: 0.4,"),
    )
    data = load(base_repo)  # free of errors: a grade on a numeric KR is valid
    assert kr(data, "sam/o1/kr1") == pytest.approx(0.4)  # the grade, not 900,000 / 1,200,000
    assert score_person(data, "sam").okr == pytest.approx(40)
    assert kr_current(data, "sales", data.find_key_result("sales/o1/kr1")) == 900_000
    root = build_tree(data)
    tree = json.loads(json.dumps(root.to_json()))  # `tree --json`'s "tree"
    sales_node = next(c for c in tree["children"] if c["id"] == "sales")
    sales_kr = sales_node["objectives"][0]["key_results"][0]
    assert (sales_kr["current"], sales_kr["coverage"]) == (900_000, 1.2)
    sam_kr = next(c for c in sales_node["children"] if c["id"] == "sam")["objectives"][0][
        "key_results"
    ][0]
    assert (sam_kr["kind"], sam_kr["current"], sam_kr["progress"]) == ("numeric", 900_000, 0.4)
    assert "900,000 of 1,200,000 EUR, graded by hand" in render(root)
