"""Team key results (issue 26, item 1; site/guide/lifecycle.md, "Team key results").

The base (tests/data/base): carol heads eng; dave heads platform (below eng) and manages
alice and bob; sam heads sales. Here Platform's kr1 (checkout availability, 99.5 -> 99.95)
is a team key result, checked in by alice (`owner: alice`), and bob lists it in his goals
by reference. Pure logic in-process (load, rules, scores, tree); the pull request's kinds
and approvers through real git repositories and the real CLI, as tests/test_check.py does;
the schema through check-jsonschema and the YAML language server (what editors run).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import git
import pytest

from conftest import BASE, commit_all, run_cli
from perfloop import engine
from perfloop.gitrepo import GitRepo
from perfloop.model import CycleData
from perfloop.progress import kr_progress
from perfloop.scoring import score_cycle
from perfloop.speed import incremental, verdict
from perfloop.tree import build_tree, render
from perfloop.validation import validate_cycle
from sitebuild import add_minimal_site, mkdocs_build
from test_schema_tools import SCHEMAS, LanguageServer, check_jsonschema

CYCLE = "cycles/2026-h2"
PLATFORM = f"{CYCLE}/departments/platform.yaml"
BOB = f"{CYCLE}/goals/bob.yaml"
ALICE = f"{CYCLE}/goals/alice.yaml"
SAM = f"{CYCLE}/goals/sam.yaml"
KR1 = 'start: 99.5, target: 99.95, unit: "%"}'
BOB_KR1 = "{id: kr1, title: Services with SLO dashboards, target: 12, current: 9}"
REFERENCE = "      - {ref: platform/o1/kr1, weight: 50}\n"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    file = root / rel
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def team_repo(tmp_path: Path, phase: str = "review", owner: str | None = "alice") -> Path:
    """The base with Platform's kr1 a team key result (at 99.8) that bob lists."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns(".perfloop-cache"))
    edit(root, f"{CYCLE}/cycle.yaml", "phase: review", f"phase: {phase}")
    named = f", owner: {owner}" if owner else ""
    edit(
        root,
        PLATFORM,
        KR1,
        f'start: 99.5, target: 99.95, current: 99.8, unit: "%", team: true{named}}}',
    )
    edit(root, BOB, BOB_KR1, BOB_KR1[:-1] + ", weight: 50}\n" + REFERENCE.rstrip("\n"))
    return root


def load(root: Path) -> tuple[CycleData, list[str]]:
    result = validate_cycle(root, "2026-h2")
    assert result.data is not None
    return result.data, [p.format() for p in result.problems if p.is_error]


# --- scored once, counted by each member ----------------------------------------------------


def test_a_team_key_result_is_scored_once_and_counts_in_each_members_okr_section(
    tmp_path: Path,
) -> None:
    root = team_repo(tmp_path)
    data, errors = load(root)
    assert errors == []
    team = data.find_key_result("platform/o1/kr1")
    assert team is not None and team.team and team.owner == "alice"
    once = kr_progress(data, "platform", team, "o1")
    assert once == pytest.approx((99.8 - 99.5) / (99.95 - 99.5))
    bob = score_cycle(data)["bob"]
    # bob's own kr1 (9 of 12) and the team key result, 50/50: nothing of its own in his file
    assert bob.okr == pytest.approx(100 * (0.75 * 50 + once * 50) / 100)
    assert data.team_listing == {"platform/o1/kr1": ("bob",)}

    # the team reaches its target: every member's section moves with it, from one number
    edit(root, PLATFORM, "current: 99.8", "current: 99.95")
    data, errors = load(root)
    assert errors == []
    assert score_cycle(data)["bob"].okr == pytest.approx(87.5)


def test_members_of_the_departments_below_may_list_it_others_may_not(tmp_path: Path) -> None:
    root = team_repo(tmp_path)
    (root / CYCLE / "departments" / "eng.yaml").write_text(
        "owner: eng\nobjectives:\n  - id: o1\n    title: Ship safely\n    aligns_to: company/o1\n"
        "    key_results:\n"
        "      - {id: kr1, title: Change failure rate, start: 20, target: 5, current: 11,"
        " direction: lower, team: true}\n",
        encoding="utf-8",
    )
    # bob is of platform, below eng: he may count Engineering's team key result
    edit(
        root,
        BOB,
        REFERENCE,
        REFERENCE.replace("50}", "25}") + "      - {ref: eng/o1/kr1, weight: 25}\n",
    )
    data, errors = load(root)
    assert errors == []
    assert data.team_listing["eng/o1/kr1"] == ("bob",)
    assert score_cycle(data)["bob"].okr == pytest.approx(
        100 * (0.75 * 50 + (0.3 / 0.45) * 25 + (9 / 15) * 25) / 100
    )
    # sam heads sales, not below eng: one located error, nothing else
    edit(
        root,
        SAM,
        "contributes_to: sales/o1/kr1}",
        "contributes_to: sales/o1/kr1}\n      - {ref: eng/o1/kr1}",
    )
    _, errors = load(root)
    assert errors == [
        f"{SAM}:8:10: error: ref 'eng/o1/kr1': sam is not of eng or a department below it, so "
        "cannot count its team key result"
    ]


# each a single mistake: (file, old text, new text, the one error it gets)
BAD = {
    "a key result not marked team": (
        BOB,
        "{ref: platform/o1/kr1",
        "{ref: platform/o1/kr2",
        f"{BOB}:8:10: error: ref 'platform/o1/kr2' is not a team key result: only a key result "
        "marked team: true in departments/platform.yaml can be listed",
    ),
    "no such key result": (
        BOB,
        "{ref: platform/o1/kr1",
        "{ref: platform/o7/kr1",
        f"{BOB}:8:10: error: ref 'platform/o7/kr1' does not resolve to a key result",
    ),
    "a person's key result": (
        BOB,
        "{ref: platform/o1/kr1",
        "{ref: alice/o1/kr1",
        f"{BOB}:8:10: error: ref 'alice/o1/kr1': alice is a person; only a department's team "
        "key result can be listed (copy a person's key result, or contribute to it)",
    ),
    "an objective, not a key result": (
        BOB,
        "{ref: platform/o1/kr1",
        "{ref: platform/o1",
        f"{BOB}:8:10: error: ref 'platform/o1' must name a team key result "
        "(department/objective/kr)",
    ),
    "a value of its own": (
        BOB,
        "{ref: platform/o1/kr1, weight: 50}",
        "{ref: platform/o1/kr1, weight: 50, current: 99.9}",
        f"{BOB}:8:44: error: a reference to a team key result holds only ref and weight: its "
        "current is platform/o1/kr1's own; remove current",
    ),
    "listed twice": (
        BOB,
        REFERENCE,
        REFERENCE.replace("50}", "25}") * 2,
        f"{BOB}:9:10: error: ref 'platform/o1/kr1': this file lists the team key result twice",
    ),
    "team in a person's goals": (
        ALICE,
        'current: 99.8, unit: "%", weight: 50}',
        'current: 99.8, unit: "%", weight: 50, team: true}',
        f"{ALICE}:8:125: error: only a department's key result can be a team key result "
        "(team: true)",
    ),
    "an owner without team": (
        PLATFORM,
        "{id: kr2, title: Retry queue shipped, type: milestone, done: false}",
        "{id: kr2, title: Retry queue shipped, type: milestone, done: false, owner: bob}",
        f"{PLATFORM}:8:77: error: owner names who checks in for a team key result: mark it "
        "team: true, or remove owner",
    ),
    "an owner who is nobody": (
        PLATFORM,
        "team: true, owner: alice}",
        "team: true, owner: alicia}",
        f"{PLATFORM}:7:115: error: owner 'alicia' is not a person in org.yaml",
    ),
    "a department's check-in of its own key result": (
        PLATFORM,
        "done: false}\n",
        "done: false}\ncheckins:\n  - {date: 2026-08-01, values: {o1/kr2: true}}\n",
        f"{PLATFORM}:10:33: error: o1/kr2 is not a team key result (team: true): a department "
        "checks in for its team key results only",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_reference_or_team_field_is_one_located_error(tmp_path: Path, case: str) -> None:
    rel, old, new, expected = BAD[case]
    root = team_repo(tmp_path)
    edit(root, rel, old, new)
    _, errors = load(root)
    assert errors == [expected]


def test_a_left_out_department_file_leaves_its_members_incomplete_without_more_errors(
    tmp_path: Path,
) -> None:
    root = team_repo(tmp_path)
    edit(root, PLATFORM, "owner: platform\n", "owner: platform\nmission: reliability\n")
    data, errors = load(root)
    assert len(errors) == 1 and errors[0].startswith(f"{PLATFORM}:2:1: error: unknown field")
    bob = score_cycle(data)["bob"]
    assert not bob.complete
    assert bob.missing[0] == "a valid departments/platform.yaml"


# --- the pull request's kinds and approvers -------------------------------------------------


def repo_in(tmp_path: Path, phase: str, owner: str | None = "alice") -> git.Repo:
    root = team_repo(tmp_path, phase, owner)
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    repo.git.checkout("-b", "pr")
    return repo


def check(repo: git.Repo, author: str) -> dict:
    repo.git.add("-A")
    repo.git.commit("-m", "change", "--author", f"{author} <{author}@example.com>")
    done = run_cli(
        "check", "--base", "main", "--author", author, "--json", cwd=repo.working_tree_dir
    )
    assert done.returncode in (0, 1) and done.stdout, done.stderr
    return json.loads(done.stdout)


def messages(out: dict) -> list[str]:
    return [f"{e['path']}: {e['message']}" for e in out["errors"]]


def root_of(repo: git.Repo) -> Path:
    return Path(str(repo.working_tree_dir))


CHECKIN = (
    "current: 99.8, ",
    "current: 99.9, ",
)


def test_the_owner_checks_in_for_a_team_key_result_in_the_department_file(
    tmp_path: Path,
) -> None:
    repo = repo_in(tmp_path, "execution")
    root = root_of(repo)
    edit(root, PLATFORM, *CHECKIN)
    with (root / PLATFORM).open("a", encoding="utf-8") as file:
        file.write(
            "checkins:\n  - {date: 2026-10-01, values: {o1/kr1: 99.9}, note: Failover drill}\n"
        )
    out = check(repo, "alicec")
    assert messages(out) == []
    assert out["changes"] == [
        {
            "path": PLATFORM,
            "kind": "checkin",
            "status": "modified",
            "team_key_results": ["platform/o1/kr1"],
        }
    ]
    assert out["approvers"] == []  # approvals: checkin: [] (the usual check-in approvers)
    text = run_cli("check", "--base", "main", "--author", "alicec", cwd=root)
    assert "moves team key result(s) platform/o1/kr1" in text.stdout, text.stdout + text.stderr


def test_the_usual_checkin_approvers_are_the_owners(tmp_path: Path) -> None:
    root = team_repo(tmp_path, "execution")
    edit(root, f"{CYCLE}/cycle.yaml", "checkin: []", "checkin: [manager]")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    repo.git.checkout("-b", "pr")
    edit(root, PLATFORM, *CHECKIN)
    out = check(repo, "alicec")
    assert messages(out) == []
    assert out["approvers"] == ["dave"]  # alice's manager, as for her own check-in


def test_only_the_owner_checks_in_not_the_head_nor_a_member(tmp_path: Path) -> None:
    repo = repo_in(tmp_path, "execution")
    edit(root_of(repo), PLATFORM, *CHECKIN)
    out = check(repo, "davek")
    assert out["ok"] is False
    assert (
        f"{PLATFORM}: dave may not make this change: only alice, who checks in for "
        in "\n".join(messages(out))
    )


def test_an_owner_cannot_take_another_owners_value_out_of_a_shared_check_in(
    tmp_path: Path,
) -> None:
    root = team_repo(tmp_path, "execution")
    edit(
        root, PLATFORM, "type: milestone, done: false}", "type: milestone, done: false, team: true}"
    )
    with (root / PLATFORM).open("a", encoding="utf-8") as file:  # kr2's owner: dave, the head
        file.write("checkins:\n  - {date: 2026-09-01, values: {o1/kr1: 99.8, o1/kr2: false}}\n")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    repo.git.checkout("-b", "pr")
    # alice drops dave's value from the check-in they share: dave's history, not hers alone
    edit(root, PLATFORM, "{o1/kr1: 99.8, o1/kr2: false}", "{o1/kr1: 99.8}")
    out = check(repo, "alicec")
    assert out["ok"] is False
    assert out["changes"][0]["team_key_results"] == ["platform/o1/kr1", "platform/o1/kr2"]
    assert "the owner of each team key result, in a check-in of their own" in "\n".join(
        messages(out)
    )


def test_the_head_checks_in_when_no_owner_is_named(tmp_path: Path) -> None:
    repo = repo_in(tmp_path, "review", owner=None)
    edit(root_of(repo), PLATFORM, *CHECKIN)
    out = check(repo, "davek")
    assert messages(out) == []
    assert [c["kind"] for c in out["changes"]] == ["checkin"]


def test_a_check_in_to_a_team_key_result_after_review_is_refused(tmp_path: Path) -> None:
    repo = repo_in(tmp_path, "calibration")
    edit(root_of(repo), PLATFORM, *CHECKIN)
    out = check(repo, "alicec")
    assert "check-ins are made only in the execution or review phase" in "\n".join(messages(out))


def test_listing_a_team_key_result_after_planning_needs_its_owner(tmp_path: Path) -> None:
    root = team_repo(tmp_path, "execution")
    edit(root, BOB, REFERENCE, "")  # bob has not listed it yet at the base
    edit(root, BOB, ", weight: 50}", "}")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    repo.git.checkout("-b", "pr")
    edit(root, BOB, BOB_KR1, BOB_KR1[:-1] + ", weight: 50}\n" + REFERENCE.rstrip("\n"))
    out = check(repo, "bobli")
    assert messages(out) == []
    change = out["changes"][0]
    assert change["kind"] == "goal_adjustment" and change["refs"] == ["platform/o1/kr1"]
    assert "contributes_to" not in change
    assert sorted(out["approvers"]) == ["alice", "carol", "dave"]  # the owner, as for a link
    owner = next(r for r in out["required"] if "alice" in r["any_of"])
    assert owner["role"] == "owner of platform/o1/kr1"

    # dropping it later is the owner's to agree to as well
    repo.git.checkout("main")
    repo.git.merge("pr")
    repo.git.checkout("-b", "drop")
    edit(root, BOB, "\n" + REFERENCE.rstrip("\n"), "")
    out = check_against(repo, "bobli", "main")
    assert "alice" in out["approvers"]


def check_against(repo: git.Repo, author: str, base: str) -> dict:
    repo.git.add("-A")
    repo.git.commit("-m", "change", "--author", f"{author} <{author}@example.com>")
    done = run_cli("check", "--base", base, "--author", author, "--json", cwd=repo.working_tree_dir)
    assert done.returncode in (0, 1) and done.stdout, done.stderr
    return json.loads(done.stdout)


def test_the_owner_listing_their_own_team_key_result_needs_no_more(tmp_path: Path) -> None:
    repo = repo_in(tmp_path, "planning")
    edit(root_of(repo), ALICE, "weight: 40\n", "weight: 20\n")
    edit(
        root_of(repo),
        ALICE,
        "kpis:",
        "  - id: o3\n    title: Checkout, together\n    aligns_to: platform/o1\n    weight: 20\n"
        "    key_results:\n      - {ref: platform/o1/kr1}\nkpis:",
    )
    out = check(repo, "alicec")
    assert messages(out) == []
    assert [c["kind"] for c in out["changes"]] == ["goals"]
    assert out["approvers"] == ["dave"]  # her manager: she owns the team key result


def test_a_member_cannot_move_the_team_key_results_target(tmp_path: Path) -> None:
    repo = repo_in(tmp_path, "execution")
    edit(root_of(repo), PLATFORM, "target: 99.95", "target: 99.85")
    out = check(repo, "bobli")
    shown = "\n".join(messages(out))
    assert [c["kind"] for c in out["changes"]] == ["department_goals"]
    assert "department goals are set only in the planning phase" in shown
    assert "bob may not make this change: only the head of platform or an admin may" in shown


# --- what a change reaches (the pull request's derived check) -------------------------------


def test_a_derived_check_of_a_reference_equals_a_full_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = team_repo(tmp_path)
    # a calibration file: the calibration rule scores everyone, so the verdict holds scores
    (root / CYCLE / "calibration").mkdir()
    (root / CYCLE / "calibration" / "eng.yaml").write_text("ratings: {}\n", encoding="utf-8")
    # bob's objective aligns to the company's: his file's one link to Platform's is the
    # reference, which alone must bring Platform's file into the derived check
    edit(root, BOB, "aligns_to: platform/o1", "aligns_to: company/o1")
    commit_all(root, "base")
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    engine.full(root, "2026-h2")  # the base's verdict, as CI restores it
    # bob drops his own key result (the team key result is now all of his OKR section);
    # sam lists it though he is no member
    edit(root, BOB, "      - " + BOB_KR1[:-1] + ", weight: 50}\n", "")
    edit(root, BOB, "weight: 50}", "weight: 100}")
    edit(
        root,
        SAM,
        "contributes_to: sales/o1/kr1}",
        "contributes_to: sales/o1/kr1}\n      - {ref: platform/o1/kr1}",
    )
    repo = GitRepo(root)
    changed = {c.path: c.status for c in repo.changed("HEAD")}
    derived = incremental.check(root, "2026-h2", repo, repo.resolve("HEAD"), changed)
    assert derived is not None, "a goals change is checked from the base's verdict"
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    full = engine.full(root, "2026-h2")
    assert full.data is not None
    scores = dict(score_cycle(full.data))
    monkeypatch.delenv("PERFLOOP_CACHE")
    assert derived.problems == full.problems
    assert any("sam is not of platform" in p.message for p in full.problems)
    stored = verdict.lookup(root, CYCLE, full.data.content)
    assert stored is not None
    assert dict(stored.scores) == scores
    assert scores["bob"].okr == pytest.approx(100 * 0.3 / 0.45)


# --- shown once: the tree and the site ------------------------------------------------------


def test_the_tree_shows_a_team_key_result_under_its_department_once(tmp_path: Path) -> None:
    data, errors = load(team_repo(tmp_path))
    assert errors == []
    tree = build_tree(data)
    text = render(tree)
    assert (
        "kr1 Checkout availability (99.8 of 99.95 % from 99.5; team: counts for 1 member)" in text
    )
    assert (
        "team Checkout availability (team key result platform/o1/kr1, shown under its department)"
        in text
    )
    assert text.count("99.8 of 99.95 % from 99.5") == 2  # the department's and alice's own kr1
    platform = tree.find("platform")
    bob = tree.find("bob")
    assert platform is not None and bob is not None
    team = platform.objectives[0].key_results[0].to_json()
    assert team["team"] == {"owner": "alice", "members": ["bob"]}
    listed = bob.objectives[0].key_results[1].to_json()
    assert listed["listed"] == "platform/o1/kr1" and listed["kind"] == "ref"
    assert listed["target"] is None and listed["current"] is None  # nothing of its own
    assert listed["progress"] == team["progress"]


def test_the_site_lists_it_on_each_members_page_linking_to_the_department(tmp_path: Path) -> None:
    root = add_minimal_site(team_repo(tmp_path))
    with (root / PLATFORM).open("a", encoding="utf-8") as file:
        file.write("checkins:\n  - {date: 2026-09-01, values: {o1/kr1: 99.7}}\n")
    built = mkdocs_build(root)
    assert built.returncode == 0, built.stderr
    bob = (root / "public" / "people" / "bob" / "index.html").read_text(encoding="utf-8")
    assert re.search(
        r'>team</span> Checkout availability<div class="pl-sub">team key result of '
        r'<a href="../../departments/platform/(#|&#35;)o-platform--o1--kr1">Platform</a>',
        bob,
    )
    # the progress chart draws the team key result from its department's check-ins
    assert "o1 team: Checkout availability: 44% on 2026-09-01" in html.unescape(bob)
    platform = (root / "public" / "departments" / "platform" / "index.html").read_text(
        encoding="utf-8"
    )
    assert "team: counts for 1 member</span>, checked in by Alice Chen" in platform
    tree = (root / "public" / "tree" / "index.html").read_text(encoding="utf-8")
    assert tree.count("team: counts for 1 member") == 1


# --- the schema, and what editors complete --------------------------------------------------


GOALS = """\
owner: bob
objectives:
  - id: o1
    title: Checkout, together
    key_results:
      - ref: platform/o1/kr1
        weight: 50
      - id: kr1
        title: Dashboards
        target: 12
        weight: 50
"""


def test_the_schema_takes_a_reference_without_id_or_title_and_editors_complete_it(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOALS, encoding="utf-8")
    bad = tmp_path / "bad.yaml"  # without a ref, a key result still needs its id and title
    bad.write_text(GOALS.replace("        title: Dashboards\n", ""), encoding="utf-8")
    assert check_jsonschema(SCHEMAS / "goals.schema.json", good).returncode == 0
    failed = check_jsonschema(SCHEMAS / "goals.schema.json", bad)
    assert failed.returncode == 1 and "'title' is a required property" in failed.stdout
    department = tmp_path / "platform.yaml"
    department.write_text(
        "objectives:\n  - id: o1\n    title: Reliable\n    key_results:\n"
        "      - {id: kr1, title: Availability, target: 99.95, team: true, owner: alice}\n"
        "checkins:\n  - {date: 2026-10-01, values: {o1/kr1: 99.9}}\n",
        encoding="utf-8",
    )
    assert check_jsonschema(SCHEMAS / "objectives.schema.json", department).returncode == 0

    # the language server an editor runs: no problem with the reference, and the new
    # fields offered where a key result is being written
    typing = tmp_path / "bob.yaml"
    schema_line = f"# yaml-language-server: $schema={(SCHEMAS / 'goals.schema.json').as_uri()}\n"
    typing.write_text(schema_line + GOALS + "      - id: kr2\n        \n", encoding="utf-8")
    server = LanguageServer(tmp_path)
    try:
        uri = server.open(typing)
        server.settle([uri])
        server.send(
            {
                "id": 7,
                "method": "textDocument/completion",
                "params": {"textDocument": {"uri": uri}, "position": {"line": 13, "character": 8}},
            }
        )
        reply = server.replies.get(timeout=30)
    finally:
        server.close()
    problems = [d["message"] for d in server.diagnostics[uri]]
    assert problems == ['Missing property "title".'], problems  # kr2's, not the reference's
    result = reply["result"]
    labels = {item["label"] for item in (result["items"] if isinstance(result, dict) else result)}
    assert {"ref", "team", "owner"} <= labels


def test_perfloop_schema_publishes_the_new_fields(tmp_path: Path) -> None:
    goals = run_cli("schema", "goals", cwd=tmp_path)
    assert goals.returncode == 0
    key_result = json.loads(goals.stdout)["$defs"]["key_result"]["properties"]
    assert {"ref", "team", "owner"} <= set(key_result)
    objectives = json.loads(run_cli("schema", "objectives", cwd=tmp_path).stdout)
    assert "checkins" in objectives["properties"]


def test_validate_and_score_through_the_cli(tmp_path: Path) -> None:
    root = team_repo(tmp_path)
    assert run_cli("validate", cwd=root).returncode == 0
    scored = run_cli("score", "--json", cwd=root)
    bob = next(p for p in json.loads(scored.stdout)["people"] if p["id"] == "bob")
    assert bob["okr"] == 70.83


# --- check-ins and what is owed -------------------------------------------------------------


def test_perfloop_checkin_writes_a_team_key_results_check_in_in_the_department_file(
    tmp_path: Path,
) -> None:
    root = team_repo(tmp_path, "execution")
    done = run_cli(
        "checkin", "platform", "o1/kr1=99.9", "--note", "Failover drill", "--date", "2026-10-01",
        cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data, errors = load(root)
    assert errors == []
    platform = data.departments["platform"]
    team = platform.objective("o1").key_result("kr1")  # type: ignore[union-attr]
    assert team.current == 99.9 and team.team
    assert [(str(c.date), dict(c.values), c.note) for c in platform.checkins] == [
        ("2026-10-01", {"o1/kr1": 99.9}, "Failover drill")
    ]
    assert score_cycle(data)["bob"].okr == pytest.approx(100 * (0.75 + 0.4 / 0.45) / 2)
    # a department key result that is not a team one, and a member's reference: refused
    # with what to do instead (a usage error: nothing written)
    other = run_cli("checkin", "platform", "o1/kr2=done", cwd=root)
    assert other.returncode == 2
    assert "o1/kr2 is not a team key result of platform (team key results: o1/kr1)" in other.stderr
    member = run_cli("checkin", "bob", "o1/platform/o1/kr1=99.95", cwd=root)
    assert member.returncode == 2
    assert "perfloop checkin platform o1/kr1=VALUE" in member.stderr


def test_status_lists_a_team_key_results_check_in_as_its_owners(tmp_path: Path) -> None:
    from datetime import date

    from perfloop.status import owed

    root = team_repo(tmp_path, "execution")
    with (root / PLATFORM).open("a", encoding="utf-8") as file:
        file.write("checkins:\n  - {date: 2026-09-01, values: {o1/kr1: 99.8}}\n")
    data, errors = load(root)
    assert errors == []
    checkins = [i.to_json() for i in owed(data, date(2026, 10, 1)) if i.what == "check-in"]
    team = [i for i in checkins if "platform/o1/kr1" in i["detail"]]
    assert team == [
        {
            **team[0],
            "who": ["alice"],
            "detail": "team key result platform/o1/kr1: last check-in 2026-09-01, 30 days ago",
            "due": "2026-09-15",
        }
    ]


# --- the example company ---------------------------------------------------------------------


def test_the_example_company_uses_team_key_results(example_repo: Path) -> None:
    data, errors = load(example_repo)
    assert errors == []
    assert data.team_listing == {
        "eng/o1/kr1": ("daniel-kim", "sofia"),
        "marketing/o1/kr2": ("olivia", "sam-patel"),
    }
    text = render(build_tree(data))
    assert "kr1 API availability (99.94 of 99.95 % from 99.9; team: counts for 2 members)" in text
    assert "team Demo requests per month (team key result marketing/o1/kr2" in text


def test_a_check_in_to_no_team_key_result_at_the_base_may_be_authored_by_nobody(
    tmp_path: Path,
) -> None:
    """Fail closed: no stand-in name a person's id could match (here a person called nobody)."""
    from perfloop.changes import Area, Change
    from perfloop.permissions import allowed_authors

    root = team_repo(tmp_path, "execution")
    org = root / CYCLE / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "roles:",
            "  - {id: nobody, name: No Body, email: nobody@example.com, github: nobody,"
            " department: platform, manager: dave}\nroles:",
        )
    )
    base, errors = load(root)
    assert errors == []
    change = Change(
        PLATFORM, "modified", "checkin", Area("department", "2026-h2", ("platform",)),
        team=("platform/o1/kr9",),
    )  # fmt: skip
    authors, words = allowed_authors(change, base)
    assert authors == set() and "platform/o1/kr9" in words
