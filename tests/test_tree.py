"""The OKR tree: structure, progress, sum roll-ups, alignment warnings; no scores."""

from __future__ import annotations

import json
from pathlib import Path

from perfloop.model import CycleData
from perfloop.tree import Node, bar, build_tree, render
from perfloop.validation import validate_cycle

CYCLE = "cycles/2026-h2"


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / CYCLE / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def load(repo: Path) -> CycleData:
    data = validate_cycle(repo, "2026-h2").data
    assert data is not None
    return data


def warnings(root: Node) -> int:
    """What `tree` counts in its last line, "N alignment warning(s)"."""
    return sum(len(n.warnings()) for n in root.walk())


def test_structure_company_departments_people(base_repo: Path) -> None:
    root = build_tree(load(base_repo))
    assert (root.kind, root.id) == ("company", "company")
    assert [c.id for c in root.children] == ["eng", "sales"]
    eng = root.children[0]
    # sub-departments first, then the department's own people
    assert [(c.kind, c.id) for c in eng.children] == [
        ("department", "platform"),
        ("person", "carol"),
        ("person", "henry"),
    ]
    platform = eng.children[0]
    assert [c.id for c in platform.children] == ["dave", "alice", "bob"]
    alice = platform.children[1]
    assert [round(o.progress, 4) for o in alice.objectives] == [0.3333, 0.7]
    assert not platform.children[0].has_goals  # dave has no goals file
    assert not eng.has_goals  # no departments/eng.yaml


def test_sum_roll_up_and_coverage_warning(base_repo: Path) -> None:
    # sales/o1/kr1 sums its contributor (sam, 900,000 of 1,200,000) and feeds company/o1/kr2
    edit(base_repo, "departments/sales.yaml", "unit: EUR,", "unit: EUR, aggregate: sum,")
    edit(base_repo, "goals/sam.yaml", "target: 1200000, current", "target: 2000000, current")
    root = build_tree(load(base_repo))
    sales = root.find("sales")
    assert sales is not None
    kr = sales.objectives[0].key_results[0]
    assert (kr.current, kr.progress, kr.aggregated) == (900_000, 0.9, True)
    assert kr.contributors == ("sam/o1/kr1",)
    assert kr.coverage == 2.0  # 2,000,000 / 1,000,000
    assert kr.warnings == (
        "sales/o1/kr1 is over-covered: contributors' targets cover 2.00x its target "
        "(expected 1x to 1.5x); contributors: sam/o1/kr1",
    )
    company_kr = root.objectives[0].key_results[1]
    assert (company_kr.current, company_kr.progress) == (900_000, 0.9)

    text = render(root)
    assert (
        "[█████████░]  90%  kr1 New ARR (900,000 of 1,000,000 EUR, sum of 1 contributor(s))" in text
    )
    assert "! sales/o1/kr1 is over-covered" in text
    assert warnings(root) == 1


def test_unaligned_objective_warning_and_lower_is_better(base_repo: Path) -> None:
    edit(base_repo, "goals/bob.yaml", "    aligns_to: platform/o1\n", "")
    platform = build_tree(load(base_repo)).find("platform")  # `tree --department platform`
    assert platform is not None
    out = render(platform)
    assert "! bob/o1 is not aligned to any objective above it" in out
    assert "[███████░░░]  70%  kr1 p95 latency (450 of 300 ms from 800, lower is better)" in out
    assert "Sales" not in out  # only the platform subtree


def test_tree_json_holds_no_scores_or_ratings(base_repo: Path, cli) -> None:
    result = cli("tree", "--json", cwd=base_repo)
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["cycle"] == "2026-h2"
    text = result.stdout
    for confidential in ('"final"', '"rating"', '"okr":', '"review":', '"bonus"', "Alice carried"):
        assert confidential not in text
    bad = cli("tree", "--department", "nope", cwd=base_repo)
    assert bad.returncode == 2


def test_bar() -> None:
    assert bar(0.0) == "[░░░░░░░░░░]"
    assert bar(0.25) == "[███░░░░░░░]"  # 2.5 cells round half up
    assert bar(1.7) == "[██████████]"
