"""The cycle's life through the real CLI in a real git repository: planning to closed, then
the next cycle drafted from it. Every step is one person's commit, accepted first by
`perfloop check` as that person's pull request.

The loop's numbers are computed by hand (spec section 4):
- alice: o1 = mean(6/10, done) = 0.8 -> okr 80; availability 99.95/99.9 -> kpi 100.05005;
  manager review (5, 4) -> 100 x 3.5/4 = 87.5 (self weight 0); final
  0.5 x 80 + 0.2 x 100.05005 + 0.3 x 87.5 = 86.26 -> A.
- bob: o1 = mean(10/10, not done) = 0.5 -> okr 50; 99.0/99.9 -> kpi 99.099099;
  review (3, 3) -> 50; final 25 + 19.81982 + 15 = 59.82 -> C, calibrated to B with a reason.
- carol (template lead: okr 80, kpi 20, no review): okr 100, kpi 100 -> final 100 -> S.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
from pathlib import Path

import git
import pytest

from conftest import AS_HR, run_cli
from perfloop.lifecycle import next_cycle_text, period_shift
from perfloop.loader import load_file

CYCLE = """\
# yaml-language-server: $schema=https://perfloop.dev/schemas/cycle.schema.json
# The loop test's cycle.
id: 2026-h1
name: H1 2026
period: {start: 2026-01-01, end: 2026-06-30}
phase: planning
deadlines: {planning: 2026-01-15, review: 2026-06-12, calibration: 2026-06-26}
templates:
  default: eng
  people: {carol: lead}
rating_scale:
  - {rating: S, min: 90, bonus: 1.5}
  - {rating: A, min: 80, bonus: 1.2}
  - {rating: B, min: 65, bonus: 1.0}
  - {rating: C, min: 50, bonus: 0.6}
  - {rating: D, min: 0, bonus: 0.0}
calibration:
  groups: departments
  distribution: {S: {max: 0.34}}
approvals: {goals: [manager], checkin: [], calibration: [department_head, hr], cycle: [hr]}
designated: {bob: [alice]}
"""

ORG = """\
departments:
  - {id: eng, name: Engineering, head: carol}
people:
  - {id: carol, name: Carol Diaz, github: carold, department: eng}
  - {id: alice, name: Alice Chen, github: alicec, department: eng, manager: carol}
  - {id: bob, name: Bob Li, github: bobli, department: eng, manager: carol}
roles: {hr: [carol, alice], admins: [carol]}  # two in HR: each approves the other's changes
"""

KPIS = """\
kpis:
  - {id: availability, name: Service availability, unit: "%", direction: higher,
     scoring: linear, cap: 1.2, weight: 100}
"""

ENG = (
    "id: eng\nsections: {okr: 50, kpi: 20, review: 30}\n"
    + KPIS
    + """\
reviews:
  scale: 5
  groups: {self: 0, manager: 100, designated: 0}
  questions:
    - {id: impact, text: What impact did their work have?}
    - {id: craft, text: How good is the quality of their work?}
"""
)

LEAD = "id: lead\nsections: {okr: 80, kpi: 20, review: 0}\n" + KPIS

COMPANY = """\
owner: company
objectives:
  - id: o1
    title: A product customers rely on
    key_results:
      - {id: kr1, title: Availability, start: 99.5, target: 99.9, unit: "%"}
"""

DEPARTMENT = """\
owner: eng
objectives:
  - id: o1
    title: Reliable services
    aligns_to: company/o1
    key_results:
      - {id: kr1, title: Services with SLOs, start: 0, target: 20}
"""

# What alice and bob write over their scaffolds in planning.
GOALS = """\
# yaml-language-server: $schema=https://perfloop.dev/schemas/goals.schema.json
owner: {person}
objectives:
  - id: o1
    title: Reliable services
    aligns_to: eng/o1
    key_results:
      - id: kr1  # counted by the SLO dashboard
        title: Services with SLOs
        start: 0
        target: 10
      - {{id: kr2, title: Runbook for every alert, type: milestone, done: false}}
kpis:
  availability: {{target: 99.9}}
"""

CAROL_GOALS = """\
owner: carol
objectives:
  - id: o1
    title: Hire the team
    aligns_to: eng/o1
    key_results:
      - {id: kr1, title: Engineers hired, start: 0, target: 4}
kpis:
  availability: {target: 99.9}
"""

LOGINS = {"alice": "alicec", "bob": "bobli", "carol": "carold"}
PEOPLE = {name: git.Actor(name, f"{name}@example.com") for name in ("alice", "bob", "carol")}


class Loop:
    """A performance repository in git where each step is one person's commit."""

    def __init__(self, root: Path):
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        self.cycle = root / "cycles" / "2026-h1"

    def write(self, rel: str, text: str) -> None:
        file = self.cycle / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")

    def run(self, *args: str, ok: bool = True):
        result = run_cli(*args, cwd=self.root)
        if ok:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def commit(self, who: str, message: str, check: bool = True) -> None:
        """Commit as `who`, after `perfloop check` accepts the change as their pull request."""
        if check:
            result = self.run("check", "--base", "HEAD", "--author", LOGINS[who], "--json")
            assert json.loads(result.stdout)["ok"], result.stdout
        self.repo.git.add("-A")
        self.repo.index.commit(message, author=PEOPLE[who], committer=PEOPLE[who])

    def phase(self, cycle: str = "2026-h1") -> str:
        path = f"cycles/{cycle}/cycle.yaml"
        doc, _ = load_file(self.root / path, path)
        return doc.data["phase"]


@pytest.fixture
def loop(tmp_path: Path) -> Loop:
    loop = Loop(tmp_path / "perf")
    for rel, text in {
        "cycle.yaml": CYCLE,
        "org.yaml": ORG,
        "templates/eng.yaml": ENG,
        "templates/lead.yaml": LEAD,
        "company.yaml": COMPANY,
        "departments/eng.yaml": DEPARTMENT,
        # carol heads the company: nobody is above her to approve her goals in a pull
        # request, so they come with the cycle's setup.
        "goals/carol.yaml": CAROL_GOALS,
    }.items():
        loop.write(rel, text)
    (loop.root / ".gitignore").write_text(".perfloop-cache/\n")
    loop.commit("carol", "Cycle 2026-h1: org, templates, objectives", check=False)
    return loop


def test_full_loop_from_planning_to_closed_and_into_the_next_cycle(loop: Loop) -> None:
    # --- planning: everyone scaffolds, then writes their own goals -------------------------
    loop.run("goals", "new", "alice")
    scaffold = (loop.cycle / "goals/alice.yaml").read_text()
    assert scaffold.startswith("# yaml-language-server: $schema=")
    assert "aligns_to: eng/o1" in scaffold and "availability:" in scaffold
    assert loop.run("validate").returncode == 0
    loop.write("goals/alice.yaml", GOALS.format(person="alice"))
    loop.commit("alice", "Goals of alice")
    loop.run("goals", "new", "bob")
    loop.write("goals/bob.yaml", GOALS.format(person="bob"))
    loop.commit("bob", "Goals of bob")

    loop.run("cycle", "advance")  # nothing owed in planning
    assert loop.phase() == "execution"
    loop.commit("carol", "2026-h1: execution")

    # --- execution: check-ins ---------------------------------------------------------------
    loop.run("checkin", "alice", "o1/kr1=3", "--date", "2026-03-01", "--confidence", "0.6")
    loop.commit("alice", "Check-in")
    loop.run(
        "checkin", "alice", "o1/kr1=6", "o1/kr2=done", "kpi:availability=99.95",
        "--date", "2026-05-20", "--note", "Runbooks written", "--confidence", "0.8",
    )  # fmt: skip
    loop.commit("alice", "Check-in")
    loop.run("checkin", "bob", "o1/kr1=10", "kpi:availability=99.0", "--date", "2026-05-21")
    loop.commit("bob", "Check-in")
    loop.run("checkin", "carol", "o1/kr1=4", "kpi:availability=99.9", "--date", "2026-05-22")
    loop.commit("carol", "Check-in")
    alice = (loop.cycle / "goals/alice.yaml").read_text()
    assert "      - id: kr1  # counted by the SLO dashboard\n" in alice  # comment kept
    assert "current: 6" in alice and "done: true" in alice and "actual: 99.95" in alice
    history = list(loop.repo.iter_commits(paths="cycles/2026-h1/goals/alice.yaml"))
    assert len(history) == 3  # goals + two check-ins: the file's history is its timeline

    # Today is long after the last check-ins, so status owes check-ins: advance refuses.
    refused = loop.run("cycle", "advance", ok=False)
    assert refused.returncode == 1
    assert "check-in" in refused.stderr and "--force" in refused.stderr
    assert loop.phase() == "execution"
    loop.run("cycle", "advance", "--force")
    assert loop.phase() == "review"
    loop.commit("carol", "2026-h1: review")

    # --- review: scaffold, then fill in --------------------------------------------------------
    reviews = {
        ("alice", "alice"): {"impact": 4, "craft": 4},
        ("alice", "carol"): {"impact": 5, "craft": 4},
        ("bob", "bob"): {"impact": 4, "craft": 3},
        ("bob", "carol"): {"impact": 3, "craft": 3},
    }
    for (subject, reviewer), ratings in reviews.items():
        loop.run("review", "new", subject, "--by", reviewer)
        rel = f"reviews/{subject}/{reviewer}.yaml"
        text = (loop.cycle / rel).read_text()
        for question, value in ratings.items():
            text = text.replace(f"  {question}: 3\n", f"  {question}: {value}\n")
        if (subject, reviewer) == ("alice", "carol"):
            text = text.replace(
                "improvement_plan: []",
                "improvement_plan:\n  - {action: Lead the on-call rotation, due: 2026-09-30}",
            )
        loop.write(rel, text)
        loop.commit(reviewer, f"Review of {subject} by {reviewer}")
    assert loop.run("validate").returncode == 0
    loop.run("cycle", "advance")  # every review that counts is in
    assert loop.phase() == "calibration"
    loop.commit("carol", "2026-h1: calibration")

    # --- calibration and close ----------------------------------------------------------------
    refused = loop.run("cycle", "close", ok=False)
    assert refused.returncode == 1 and "calibration/eng.yaml" in refused.stderr
    loop.write(
        "calibration/eng.yaml",
        "ratings:\n  carol: {rating: S}\n  alice: {rating: A}\n"
        "  bob: {rating: B, reason: Carried the migration}\n",
    )
    loop.commit("alice", "Calibration of eng")  # by HR, approved by carol as head
    loop.run("cycle", "close", "--date", "2026-06-30")
    loop.commit("carol", "Close 2026-h1")
    assert loop.phase() == "closed"
    results = load_file(loop.cycle / "results.yaml", "results.yaml")[0].data
    assert results["cycle"] == "2026-h1" and results["closed_on"] == "2026-06-30"
    people = results["people"]
    assert {p: (r["final"], r["proposed"], r["rating"], r["bonus"]) for p, r in people.items()} == {
        "carol": (100.0, "S", "S", 1.5),
        "alice": (86.26, "A", "A", 1.2),
        "bob": (59.82, "C", "B", 1.0),
    }
    assert people["bob"]["reason"] == "Carried the migration"
    assert people["alice"]["okr"] == 80.0 and people["alice"]["kpi"] == 100.05
    assert people["alice"]["review"] == 87.5
    assert results["summary"]["ratings"] == {"S": 1, "A": 1, "B": 1, "C": 0, "D": 0}
    assert {c.author.name for c in loop.repo.iter_commits()} == {"alice", "bob", "carol"}

    # A closed cycle is frozen for every writing command.
    for args in (
        ("checkin", "alice", "o1/kr1=7", "--cycle", "2026-h1"),
        ("cycle", "advance", "--cycle", "2026-h1"),
        ("cycle", "close", "--cycle", "2026-h1"),
        ("review", "new", "bob", "--by", "alice", "--cycle", "2026-h1"),
    ):
        assert loop.run(*args, ok=False).returncode == 1
    assert not loop.repo.is_dirty(untracked_files=True)
    # ... and for edits by hand: the PR check refuses them.
    goals = loop.cycle / "goals/alice.yaml"
    goals.write_text(goals.read_text().replace("current: 6", "current: 7"))
    refused = loop.run("check", "--base", "HEAD", "--author", "alicec", "--json", ok=False)
    assert refused.returncode == 1 and "closed" in refused.stdout
    loop.repo.git.checkout("--", "cycles/2026-h1/goals/alice.yaml")

    # --- the next cycle ---------------------------------------------------------------
    loop.run("cycle", "new", "2026-h2", "--from", "2026-h1", "--name", "H2 2026")
    nxt = loop.root / "cycles" / "2026-h2"
    assert sorted(p.relative_to(nxt).as_posix() for p in nxt.rglob("*.yaml")) == [
        "cycle.yaml",
        "goals/alice.yaml",
        "goals/bob.yaml",
        "goals/carol.yaml",
        "org.yaml",
        "templates/eng.yaml",
        "templates/lead.yaml",
    ]
    cycle = load_file(nxt / "cycle.yaml", "cycle.yaml")[0].data
    assert cycle["period"] == {"start": "2026-07-01", "end": "2026-12-31"}
    assert cycle["phase"] == "planning" and cycle["name"] == "H2 2026"
    assert cycle["deadlines"] == {
        "planning": "2026-07-15",
        "review": "2026-12-12",
        "calibration": "2026-12-26",
    }
    assert "designated" not in cycle
    assert (nxt / "cycle.yaml").read_text().splitlines()[1] == "# The loop test's cycle."

    def goals(person: str) -> dict:
        return load_file(nxt / f"goals/{person}.yaml", "g")[0].data

    assert goals("alice")["objectives"] == [
        {
            "id": "o1",
            "title": "Reliable services",
            "description": "Aligned in 2026-h1 to eng/o1.",
            "carried_from": "2026-h1/alice/o1",
            "key_results": [  # kr2 was done: it stays behind
                {
                    "id": "kr1",
                    "title": "Services with SLOs",
                    "start": 6,
                    "target": 10,
                    "carried_from": "2026-h1/alice/o1/kr1",
                }
            ],
        },
        {
            "id": "development",
            "title": "Development plan agreed in the 2026-h1 reviews",
            "kind": "development",
            "carried_from": "2026-h1/reviews/alice",
            "key_results": [
                {
                    "id": "a1",
                    "title": "Lead the on-call rotation (by 2026-09-30)",
                    "type": "milestone",
                    "done": False,
                }
            ],
        },
    ]
    assert goals("alice")["kpis"] == {"availability": {"target": 99.9}}
    bob_krs = goals("bob")["objectives"][0]["key_results"]
    assert bob_krs == [
        {
            "id": "kr2",
            "title": "Runbook for every alert",
            "type": "milestone",
            "done": False,
            "carried_from": "2026-h1/bob/o1/kr2",
        }
    ]
    assert "objectives" not in goals("carol")  # everything finished, no improvement plan
    validated = loop.run("validate", "cycles/2026-h2")
    assert "0 error(s)" in validated.stderr
    loop.commit("carol", "Cycle 2026-h2 from 2026-h1")
    # Never overwrites.
    again = loop.run("cycle", "new", "2026-h2", "--from", "2026-h1", ok=False)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_advance_refusal_writes_nothing_and_force_changes_only_the_phase(
    base_repo: Path,
) -> None:
    cycle = base_repo / "cycles/2026-h2/cycle.yaml"
    before = cycle.read_text()
    refused = run_cli("cycle", "advance", cwd=base_repo)
    assert refused.returncode == 1
    assert "carol: goals: no goals/carol.yaml" in refused.stderr
    assert cycle.read_text() == before
    forced = run_cli("cycle", "advance", "--force", cwd=base_repo)
    assert forced.returncode == 0, forced.stderr
    # Only the phase changes (and the schema line every written file carries is added).
    assert cycle.read_text() == (
        "# yaml-language-server: $schema=../../public/schemas/cycle.schema.json\n"
        + before.replace("phase: review", "phase: calibration")
    )
    into_close = run_cli("cycle", "advance", "--force", cwd=base_repo)
    assert into_close.returncode == 1 and "cycle close" in into_close.stderr


def test_close_refuses_outside_calibration_and_with_incomplete_people(base_repo: Path) -> None:
    result = run_cli("cycle", "close", cwd=base_repo)
    assert result.returncode == 1 and "phase review" in result.stderr
    cycle = base_repo / "cycles/2026-h2/cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    result = run_cli("cycle", "close", cwd=base_repo)
    assert result.returncode == 1
    assert not (base_repo / "cycles/2026-h2/results.yaml").exists()
    assert "phase: calibration" in cycle.read_text()


def test_cycle_new_from_the_example_validates(example_repo: Path) -> None:
    assert run_cli("codeowners", cwd=example_repo).returncode == 0
    before = (example_repo / ".github/CODEOWNERS").read_text()
    # HR's identity: cycle new reads the sealed reviews' improvement plans
    result = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", cwd=example_repo, env=AS_HR)
    assert result.returncode == 0, result.stderr
    assert "32 draft goals file(s)" in result.stdout
    # the new cycle is current: its owners are written in the same change
    assert "updated .github/CODEOWNERS" in result.stderr
    assert (example_repo / ".github/CODEOWNERS").read_text() != before
    assert run_cli("codeowners", "--check", cwd=example_repo).returncode == 0
    validated = run_cli("validate", "cycles/2027-h1", cwd=example_repo)
    assert validated.returncode == 0 and "0 error(s)" in validated.stderr


def test_usage_errors_of_cycle_new(base_repo: Path) -> None:
    assert run_cli("cycle", "new", "Bad_Id", "--from", "2026-h2", cwd=base_repo).returncode == 2
    assert run_cli("cycle", "new", "2027-h1", "--from", "nope", cwd=base_repo).returncode == 2
    assert not (base_repo / "cycles/2027-h1").exists()


@pytest.mark.parametrize(
    ("start", "end", "day", "moved"),
    [
        ("2026-01-01", "2026-06-30", "2026-06-30", "2026-12-31"),  # month end stays month end
        ("2026-01-01", "2026-06-30", "2026-01-15", "2026-07-15"),
        ("2026-01-01", "2026-03-31", "2026-02-28", "2026-05-31"),  # Feb 28 is Feb's last day
        ("2026-10-01", "2026-12-31", "2026-11-30", "2027-02-28"),  # wraps the year
        ("2026-01-05", "2026-02-03", "2026-01-20", "2026-02-19"),  # 30 days, not months
    ],
)
def test_period_shift(start: str, end: str, day: str, moved: str) -> None:
    shift = period_shift(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert shift(dt.date.fromisoformat(day)) == dt.date.fromisoformat(moved)


def test_next_cycle_text_keeps_comments_and_drops_the_old_name() -> None:
    text = next_cycle_text(CYCLE, "2026-h2", None)
    assert "# The loop test's cycle." in text
    assert "name:" not in text and "id: 2026-h2" in text
    assert "period: {start: 2026-07-01, end: 2026-12-31}" in text


HOSTILE = [
    "Carried the migration: twice # really",
    "- looks like a list item",
    *("yes", "no", "null", "~", "true", "on", "Off", "y"),
    *("12", "1.5", "0o17", "1e5", "0x1F", "1_000", ".inf", "+.5", "2026-06-30"),
    "'single' and \"double\" quotes",
    "line one\nline two\n",
    "Zoë — 日本語 ✓",
    *("", " leading space", "trailing space ", "&anchor", "*alias", "!tag", "%directive"),
    *("@at", "`tick", "|", ">", "? key", "{flow}", "[flow]", "tab\there", "word " * 30),
]


def test_dump_reads_back_as_the_same_data_in_block_style() -> None:
    import yaml

    from perfloop.loader import dump, parse_text

    data = {
        "closed_on": dt.date(2026, 6, 30),
        "numbers": [0, -3, 2.5, 86.26, 1e17, None, True, False],
        "people": {
            s or "-": {"reason": s, "missing": [s, s], "none": [], "no": {}} for s in HOSTILE
        },
        "yes": "key that YAML 1.1 reads as a boolean",
    }
    text = dump(data)
    doc, problems = parse_text(text, "results.yaml")
    assert not problems and doc is not None
    expected = {**data, "closed_on": "2026-06-30"}  # a date is written as its plain text
    assert doc.data == expected
    # Block style: a flow collection (`[]`, `{}`) only when empty.
    events = list(yaml.parse(text))
    for event, after in itertools.pairwise(events):
        if isinstance(event, yaml.CollectionStartEvent) and event.flow_style:
            assert isinstance(after, yaml.CollectionEndEvent)
    # What PyYAML's own dump writes, but for the strings YAML 1.2 reads as numbers.
    reference = yaml.dump(
        data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=100
    )
    for quoted in ("0o17", "1e5", "+.5", "y"):  # plain in YAML 1.1; not text (or a pitfall) to us
        pattern = rf"(?m)(^ *|: |- ){re.escape(quoted)}(:|$)"
        reference = re.sub(pattern, rf"\1'{quoted}'\2", reference)
    assert text == reference
    assert yaml.safe_load(text) == {**data, "people": data["people"]}  # YAML 1.1 readers agree


def test_close_writes_hostile_reasons_that_read_back_as_written(base_repo: Path) -> None:
    cycle = base_repo / "cycles/2026-h2/cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    # `0o17` and `+.5` are plain text to PyYAML's dump, numbers to our (YAML 1.2) reader.
    reasons = {"alice": "Led: the '#1' fix\n- yes, \"twice\" — Zoë", "bob": "0o17"}
    entries = "".join(
        f"  {p}: {{rating: B, reason: {json.dumps(r, ensure_ascii=False)}}}\n"
        for p, r in reasons.items()
    )
    calibration = base_repo / "cycles/2026-h2/calibration/eng.yaml"
    calibration.parent.mkdir(exist_ok=True)  # git keeps no empty folder: a clean clone has none
    calibration.write_text("ratings:\n" + entries)
    result = run_cli("cycle", "close", "--allow-incomplete", "--date", "2026-12-31", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    path = "cycles/2026-h2/results.yaml"
    doc, problems = load_file(base_repo / path, path)
    assert not problems and doc is not None
    assert {p: doc.data["people"][p]["reason"] for p in reasons} == reasons
    assert doc.data["closed_on"] == "2026-12-31" and doc.data["people"]["sam"]["rating"] is None
    assert run_cli("validate", cwd=base_repo).returncode == 0


def test_cycle_new_writes_a_sealed_cycle_once_there_is_an_org_key(
    plain_example_repo: Path,
) -> None:
    """SPEC section 7: `cycle new` writes `confidentiality: sealed`; a plain repository
    without the org key every sealed file needs keeps its next cycle plain."""
    from perfloop.sealing.age import generate_identity

    example_repo = plain_example_repo  # the example as it was before it was sealed

    plain = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", cwd=example_repo)
    assert plain.returncode == 0, plain.stderr
    assert "confidentiality" not in (example_repo / "cycles/2027-h1/cycle.yaml").read_text()
    shutil.rmtree(example_repo / "cycles/2027-h1")
    org = example_repo / "cycles/2026-h2/org.yaml"
    org.write_text(org.read_text() + f"org_key: {generate_identity()[1]}\n")
    sealed = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", cwd=example_repo)
    assert sealed.returncode == 0, sealed.stderr
    assert "confidentiality: sealed" in (example_repo / "cycles/2027-h1/cycle.yaml").read_text()
    validated = run_cli("validate", "cycles/2027-h1", cwd=example_repo)
    assert validated.returncode == 0, validated.stdout + validated.stderr
