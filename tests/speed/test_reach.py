"""What a change reaches follows from what each rule declares it reads (rules/reads.py).

One test, rule by rule: with only that rule in force, the base's verdict is stored, each
kind of file is mutated in turn, and the check derived from the base's verdict
(incremental.py, which follows only the relations the rule declares) must equal a full
check of the same tree. A rule that reads along a relation it does not declare makes its
derived check miss a problem a full check finds, and this test names the rule and the
mutation.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from perfloop import engine, rules
from perfloop.model import CycleData
from perfloop.problems import Problem
from perfloop.root import cache_folder
from perfloop.rules.reads import Reads
from perfloop.scoring import score_cycle
from perfloop.validation import validate_cycle
from test_incremental import (
    CYCLE,
    DIR,
    calibration_file,
    commit_all,
    company,  # noqa: F401 (a fixture)
    contributor,
    demo,  # noqa: F401 (a fixture)
    derive,
    edit,
    peer_review,
    read,
    report_and_manager,
)

Mutation = Callable[[Path], None]
READS = Reads.of()  # `scored`'s declaration: it reads nothing a rule reports on


def scored(data: CycleData) -> list[Problem]:
    """Score the cycle, as the calibration rule does in a full check: a verdict holds the
    scores, and a derivation starts from them."""
    score_cycle(data)
    return []


# always checked in full (check-points too: a few files a cycle, not worth a derivation)
STRUCTURAL = {"cycle", "org", "template", "objectives", "checkpoint"}


def mutations(root: Path) -> list[tuple[str, str, Mutation]]:
    """(file kind, what, the change) for every kind of file, each a change some rule sees."""
    report, manager = report_and_manager(root)
    pid, i, j = contributor(root)
    subject, peer = peer_review(root)
    template = sorted(p.name for p in (root / DIR / "templates").glob("*.yaml"))[0]
    department = sorted(p.name for p in (root / DIR / "departments").glob("*.yaml"))[0]

    def over_cover(goals: dict) -> None:
        goals["objectives"][i]["key_results"][j]["target"] = 100_000

    def rate_all(value: int) -> Callable[[dict], None]:
        return lambda review: review.update(ratings={q: value for q in review["ratings"]})

    def recalibrate(calibration: dict) -> None:
        for entry in calibration["ratings"].values():
            entry["rating"] = "S"
            entry.pop("reason", None)

    def bad_checkin(goals: dict) -> None:
        goals.setdefault("checkins", []).append({"date": "1999-01-01", "values": {}})

    def checkpoint_of_a_stranger(r: Path) -> None:  # a new file: the loop removes it
        (r / DIR / "checkpoints").mkdir(exist_ok=True)
        (r / DIR / "checkpoints" / "nobody-here.yaml").write_text("summary: Who?\n")

    manager_review = f"reviews/{report}/{manager}.yaml"
    return [
        ("goals", "an objective others align to removed", lambda r: edit(
            r, f"goals/{manager}.yaml", lambda g: g["objectives"].pop(0) and None)),
        ("goals", "a contribution over-covers", lambda r: edit(
            r, f"goals/{pid}.yaml", over_cover)),
        ("goals", "a reviewing peer dropped", lambda r: edit(
            r, f"goals/{subject}.yaml", lambda g: g["peers"].remove(peer))),
        ("goals", "a check-in out of the period", lambda r: edit(
            r, f"goals/{pid}.yaml", bad_checkin)),
        ("review", "ratings out of the scale", lambda r: edit(r, manager_review, rate_all(9))),
        ("review", "the lowest ratings", lambda r: edit(r, manager_review, rate_all(1))),
        ("calibration", "every rating the top one", lambda r: edit(
            r, f"calibration/{calibration_file(r)}", recalibrate)),
        ("objectives", "a department's objectives gone", lambda r: edit(
            r, f"departments/{department}", lambda d: d.update(objectives=[]))),
        ("org", "someone their own manager", lambda r: edit(
            r, "org.yaml", lambda o: o["people"][1].update(manager=o["people"][1]["id"]))),
        ("cycle", "no check-in interval", lambda r: edit(
            r, "cycle.yaml", lambda c: c.update(checkin_interval_days=0))),
        ("template", "no questions", lambda r: edit(
            r, f"templates/{template}", lambda t: t.update(questions=[]))),
        ("checkpoint", "a check-point of someone not in org.yaml", checkpoint_of_a_stranger),
    ]  # fmt: skip


def test_each_rules_derived_check_equals_a_full_check_on_every_kind_of_change(
    company: Path,  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report, manager = report_and_manager(company)
    target = read(company, f"goals/{manager}.yaml")["objectives"][0]["id"]
    edit(
        company,
        f"goals/{report}.yaml",
        lambda g: g["objectives"][0].update(aligns_to=f"{manager}/{target}"),
    )
    commit_all(company, "Align to the manager")  # so that removing it breaks a reference
    cases = mutations(company)
    kinds = {kind for kind, _, _ in cases}
    assert kinds == {k for r in rules.RULES for k in rules.reads_of(r).kinds}

    def full() -> list[str]:
        monkeypatch.setenv("PERFLOOP_CACHE", "0")
        result = validate_cycle(company, CYCLE)
        monkeypatch.delenv("PERFLOOP_CACHE")
        return [p.format() for p in result.problems]

    wrong, seen = [], set()
    for rule in list(rules.RULES):
        monkeypatch.setattr(rules, "RULES", [rule, scored])
        name = rule.__module__.rsplit(".", 1)[-1]
        shutil.rmtree(cache_folder(company), ignore_errors=True)  # the last rule's verdicts
        base = [p.format() for p in engine.full(company, CYCLE).problems]  # its verdict
        for kind, what, mutate in cases:
            mutate(company)
            derived = derive(company)
            expected = full()
            if expected != base:
                seen.add(what)
            if derived is None:
                if kind not in STRUCTURAL:
                    wrong.append(f"{name}, {what}: not derived")
            elif [p.format() for p in derived.problems] != expected:
                wrong.append(f"{name}, {what}: derived check differs from a full check")
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=company, check=True)
            subprocess.run(["git", "clean", "-fdq", "--", DIR], cwd=company, check=True)
    assert wrong == []
    assert seen == {what for _, what, _ in cases}, "each change shows in some rule's check"
