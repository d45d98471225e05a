"""Calibration: quotas, the proposal, the file check, drafting files, history, leniency."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from perfloop.calibration import breakdown, propose, quota_count, quotas
from perfloop.commands.calibrate import report_text
from perfloop.leniency import leniency
from perfloop.model import CalibrationConfig, CycleData, Group, Quota
from perfloop.progress import round_half_up
from perfloop.ratings_history import history, streaks
from perfloop.scoring import PersonScore, own_fields, score_cycle
from perfloop.validation import validate_cycle

CYCLE = "cycles/2026-h2"


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def base_data(repo: Path) -> CycleData:
    data = validate_cycle(repo, "2026-h2").data
    assert data is not None
    return data


def validate(repo: Path) -> tuple[int, str]:
    """What `perfloop validate` decides and prints: (1 with errors else 0, the problems
    one a line), from the core in-process."""
    problems = validate_cycle(repo, "2026-h2").problems
    return int(any(p.is_error for p in problems)), "\n".join(p.format() for p in problems)


def with_distribution(data: CycleData, rounding: str = "nearest", **shares: Quota) -> CycleData:
    config = CalibrationConfig(None, shares, rounding)
    return dataclasses.replace(data, cycle=dataclasses.replace(data.cycle, calibration=config))


def person(pid: str, final: float | None, rating: str | None) -> PersonScore:
    complete = final is not None
    missing = () if complete else ("manager review",)
    return PersonScore(pid, None, None, None, final, rating, None, complete, missing, rating)


# --- quotas ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "size", "rounding", "count"),
    [
        (0.25, 10, "nearest", 3),  # exactly 2.5 people: half up
        (0.25, 10, "down", 2),
        (0.25, 10, "up", 3),
        (0.1, 30, "up", 3),  # 0.1 x 30 is 3.0000000000000004 in floats; exactly 3 here
        (0.3, 10, "up", 3),
        (0.35, 10, "nearest", 4),  # 3.5
        (0.349, 10, "nearest", 3),
        (0.05, 12, "nearest", 1),  # 0.6
        (0.05, 9, "nearest", 0),  # 0.45
        (0.05, 9, "up", 1),
        (0.2, 0, "up", 0),
    ],
)
def test_quota_counts(share: float, size: int, rounding: str, count: int) -> None:
    assert quota_count(share, size, rounding) == count


def test_quotas_for_every_rating(base_repo: Path) -> None:
    data = with_distribution(base_data(base_repo), S=Quota(max=0.1), D=Quota(min=0.05))
    assert {r: (q.min, q.max) for r, q in quotas(data.cycle, 20).items()} == {
        "S": (0, 2), "A": (0, 20), "B": (0, 20), "C": (0, 20), "D": (1, 20)
    }  # fmt: skip


# --- the proposal ---------------------------------------------------------------------------

TEN = {
    "p1": (95.004, "S"),  # shows 95.00
    "p2": (94.996, "S"),  # shows 95.00 too: tied with p1 at the S cut
    "p3": (85.0, "A"),
    "p4": (84.0, "A"),
    "p5": (82.0, "A"),
    "p6": (70.0, "B"),
    "p7": (68.0, "B"),
    "p8": (60.0, "C"),
    "p9": (55.0, "C"),
    "p10": (52.0, "C"),
}


def ten_people(repo: Path, **shares: Quota) -> tuple[CycleData, Group, dict[str, PersonScore]]:
    data = with_distribution(base_data(repo), **shares)
    scores = {pid: person(pid, final, rating) for pid, (final, rating) in TEN.items()}
    scores["p11"] = person("p11", None, None)
    grp = Group("g", ("eng",), tuple(scores), ("carol",))
    return data, grp, scores


def test_tie_at_the_cut_moves_together_and_moves_cascade(base_repo: Path) -> None:
    # S max 10% of 10 = 1, but p1 and p2 both show 95.00: both move to A.
    # A max 30% of 10 = 3 now holds p1, p2, p3, p4, p5: p4 and p5 move on to B.
    data, grp, scores = ten_people(base_repo, S=Quota(max=0.1), A=Quota(max=0.3))
    proposal = propose(data, grp, scores)
    assert proposal.size == 10  # p11 is incomplete and not counted
    assert proposal.incomplete == {"p11": ("manager review",)}
    assert proposal.proposed == {
        "p1": "A", "p2": "A", "p3": "A", "p4": "B", "p5": "B",
        "p6": "B", "p7": "B", "p8": "C", "p9": "C", "p10": "C",
    }  # fmt: skip
    assert [(m.person, m.from_rating, m.to_rating) for m in proposal.moves] == [
        ("p1", "S", "A"),
        ("p2", "S", "A"),
        ("p4", "A", "B"),
        ("p5", "A", "B"),
    ]
    assert "tied at 95.00 with p2" in proposal.moves[0].reason
    assert "S allows at most 1 (10% of 10, rounded nearest)" in proposal.moves[0].reason
    assert proposal.flags == []
    assert proposal.counts() == {"S": 0, "A": 3, "B": 4, "C": 3, "D": 0}


def test_unmet_minimum_is_flagged_never_filled(base_repo: Path) -> None:
    data, grp, scores = ten_people(base_repo, D=Quota(min=0.1))
    proposal = propose(data, grp, scores)
    assert proposal.moves == []
    assert "D" not in proposal.proposed.values()
    assert proposal.flags == [
        "D holds 0, fewer than at least 1 (10% of 10, rounded nearest): the calibration file "
        "must rate more people D, each with a reason"
    ]


def test_the_lowest_rating_over_its_max_is_flagged(base_repo: Path) -> None:
    data, grp, scores = ten_people(base_repo, C=Quota(max=0.2), D=Quota(max=0.0))
    proposal = propose(data, grp, scores)
    # C max 2: p10 (52) moves to D; D max 0 has nowhere to go
    assert proposal.proposed["p10"] == "D"
    assert proposal.flags == [
        "D holds 1, more than at most 0 (0% of 10, rounded nearest), and there is no lower "
        "rating to move anyone to"
    ]


# --- the calibration file check (perfloop validate) ------------------------------------------


def calibration_phase(repo: Path, distribution: str = "{S: {max: 0.2}, A: {max: 0.4}}") -> None:
    cycle = repo / CYCLE / "cycle.yaml"
    text = cycle.read_text().replace("phase: review", "phase: calibration")
    text = text.replace(
        "distribution: {S: {max: 0.2}, A: {max: 0.4}}", f"distribution: {distribution}"
    )
    cycle.write_text(text)


def test_a_correct_file_validates(base_repo: Path) -> None:
    calibration_phase(base_repo)
    # eng: alice 61.84 -> C, bob 72.49 -> B; henry has no score and is not listed
    write(
        base_repo,
        f"{CYCLE}/calibration/eng.yaml",
        "ratings:\n  alice: {rating: C}\n  bob: {rating: B}\n",
    )
    code, out = validate(base_repo)
    assert code == 0, out


def test_file_check_errors_are_located(base_repo: Path) -> None:
    calibration_phase(base_repo)
    write(
        base_repo,
        f"{CYCLE}/calibration/eng.yaml",
        "ratings:\n"
        "  alice: {rating: A}\n"  # 61.84 proposes C; no reason
        "  dave: {rating: A, reason: Held the team together}\n"  # incomplete: warning only
        "  sam: {rating: B}\n"  # in group sales
        "  carol: {rating: Z}\n",  # not on the scale
    )
    code, out = validate(base_repo)
    assert code == 1
    path = f"{CYCLE}/calibration/eng.yaml"
    assert (
        f"{path}:2:3: error: alice is rated A, not the rating their score proposes: give a "
        "reason" in out
    )
    assert f"{path}:3:3: warning: dave is incomplete (lacks goals, manager review)" in out
    assert f"{path}:4:3: error: sam is not a member of group eng; they are in group sales" in out
    assert f"{path}:5:3: error: carol: rating 'Z' is not on the scale (S, A, B, C, D)" in out
    assert f"{path}:1:1: error: bob has no rating: add one (`perfloop calibrate`" in out
    assert "72.49" not in out  # bob's score: no message carries a score into CI logs


def test_quota_violation_and_reasoned_difference(base_repo: Path) -> None:
    calibration_phase(base_repo)
    # n = 2: A max 40% of 2 = 0.8 -> 1. Two A's break it; both carry reasons.
    write(
        base_repo,
        f"{CYCLE}/calibration/eng.yaml",
        "ratings:\n  alice: {rating: A, reason: Led the outage work}\n"
        "  bob: {rating: A, reason: Built the dashboards}\n",
    )
    code, out = validate(base_repo)
    assert code == 1
    assert "error: 2 people rated A; the quota allows at most 1 (40% of 2, rounded nearest)" in out
    assert "give a reason" not in out


def test_unknown_group_file(base_repo: Path) -> None:
    write(base_repo, f"{CYCLE}/calibration/ops.yaml", "ratings: {}\n")
    code, out = validate(base_repo)
    assert code == 1
    assert "no calibration group 'ops' in this cycle (groups: eng, sales)" in out


# --- perfloop calibrate -----------------------------------------------------------------------


def test_calibrate_json(base_repo: Path, cli) -> None:
    calibration_phase(base_repo)
    result = cli("calibrate", "--json", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    eng = out["groups"][0]
    assert {k: eng[k] for k in ("id", "size", "proposed", "flags")} == {
        "id": "eng", "size": 2, "proposed": {"bob": "B", "alice": "C"}, "flags": [],
    }  # fmt: skip
    assert eng["quotas"]["S"] == {"min": 0, "max": 0}  # 20% of 2 = 0.4 -> 0
    assert eng["quotas"]["A"] == {"min": 0, "max": 1}  # 40% of 2 = 0.8 -> 1
    assert eng["quotas"]["B"] == {"min": 0, "max": 2}
    sales = out["groups"][1]
    assert (sales["id"], sales["size"], sales["incomplete"]) == (
        "sales",
        0,
        {"sam": ["manager review"]},
    )
    bad = cli("calibrate", "--group", "ops", cwd=base_repo)
    assert bad.returncode == 2 and "no calibration group 'ops'" in bad.stderr


def test_write_drafts_a_valid_file_with_reasons_and_never_overwrites(base_repo: Path, cli) -> None:
    # B may hold nobody: bob (72.49, B) moves to C, and the draft says why.
    calibration_phase(base_repo, "{S: {max: 0.2}, A: {max: 0.4}, B: {max: 0}}")
    result = cli("calibrate", "--group", "eng", "--write", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    target = base_repo / CYCLE / "calibration/eng.yaml"
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../../public/schemas/calibration.")
    assert '  bob:\n    rating: "C"\n    reason: "B allows at most 0' in text
    assert '  alice:\n    rating: "C"\n' in text and text.count("reason:") == 1
    assert not (base_repo / CYCLE / "calibration/sales.yaml").exists()
    assert cli("validate", cwd=base_repo).returncode == 0
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind

    target.write_text("ratings:\n  alice: {rating: C}\n  bob: {rating: B}\n")
    kept = cli("calibrate", "--group", "eng", "--write", cwd=base_repo)
    assert kept.returncode == 1  # the kept file breaks B's quota: reported, and a failure
    assert "eng.yaml" in kept.stderr and "B" in kept.stdout
    assert "kept existing cycles/2026-h2/calibration/eng.yaml (use --force" in kept.stderr
    assert target.read_text() == "ratings:\n  alice: {rating: C}\n  bob: {rating: B}\n"
    forced = cli("calibrate", "--group", "eng", "--write", "--force", cwd=base_repo)
    assert forced.returncode == 0
    assert 'rating: "C"\n    reason:' in target.read_text()


def test_history_flags_two_cycles_running_at_an_end(base_repo: Path) -> None:
    calibration_phase(base_repo)
    earlier = base_repo / "cycles/2026-h1"
    shutil.copytree(base_repo / CYCLE, earlier)
    cycle = (earlier / "cycle.yaml").read_text().replace("id: 2026-h2", "id: 2026-h1")
    cycle = cycle.replace("phase: calibration", "phase: closed")
    (earlier / "cycle.yaml").write_text(cycle)
    write(
        earlier,
        "calibration/eng.yaml",
        "ratings:\n  alice: {rating: D, reason: r}\n  bob: {rating: S, reason: r}\n",
    )
    write(
        base_repo,
        f"{CYCLE}/calibration/eng.yaml",
        "ratings:\n  alice: {rating: D, reason: Missed the queue}\n  bob: {rating: B}\n",
    )
    data = base_data(base_repo)
    flags = streaks(history(data, score_cycle(data)))  # as `calibrate` reports them
    assert [(f.person, f.end, f.rating, f.cycles) for f in flags] == [
        ("alice", "bottom", "D", ("2026-h1", "2026-h2"))
    ]
    assert flags[0].message == "alice rated D (bottom of the scale) in 2026-h1 and 2026-h2"


def test_leniency_and_distribution_breakdowns(base_repo: Path) -> None:
    calibration_phase(base_repo)
    cycle = base_repo / CYCLE / "cycle.yaml"
    cycle.write_text(
        cycle.read_text().replace(
            "groups: departments", "groups: [{id: all, departments: [eng, sales]}]"
        )
    )
    write(base_repo, f"{CYCLE}/reviews/sam/carol.yaml", "ratings: {results: 5}\n")
    data = base_data(base_repo)
    scores = score_cycle(data)
    raters = leniency(data, scores)
    # manager reviews in the group: dave->alice 87.5, dave->bob 50, carol->sam 100
    # group mean 237.5 / 3 = 79.17; dave 68.75 (-10.42), carol 100 (+20.83): both beyond 10
    shown = [
        (r.manager, r.reviews, round_half_up(r.mean), round_half_up(r.group_mean)) for r in raters
    ]
    assert shown == [("carol", 1, 100.0, 79.17), ("dave", 2, 68.75, 79.17)]
    assert all(r.flagged and r.group == "all" for r in raters)
    # sam: 0.3 x 75 + 0.5 x 75 + 0.2 x 100 = 80 -> A
    rated = {p: own_fields(scores, p)["rating"] for p in scores}
    by_dept, by_manager = breakdown(data, rated, "department"), breakdown(data, rated, "manager")
    assert by_dept == {
        "platform": {"S": 0, "A": 0, "B": 1, "C": 1, "D": 0},
        "sales": {"S": 0, "A": 1, "B": 0, "C": 0, "D": 0},
    }
    assert by_manager["dave"] == {"S": 0, "A": 0, "B": 1, "C": 1, "D": 0}
    text = report_text(data, [], [], raters, by_dept, by_manager)  # `calibrate`'s report
    assert "dave            2 review(s)  mean  68.75  group  79.17  gap -10.42  FLAG" in text
