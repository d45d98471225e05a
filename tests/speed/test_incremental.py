"""A pull request's check derived from the base's verdict equals a full check.

Each case starts from a demo company whose base commit was validated (so its verdict is
stored, as CI restores it from main), changes the working tree the way a pull request
would, and compares what `incremental.check` derives with an uncached full validation of
the same tree: every problem, and every person's score. Each case also asserts that its
change shows (a problem appears or a score moves), so that a case cannot pass by
changing nothing.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import commit_all, make_demo, run_cli
from perfloop import engine
from perfloop.gitrepo import GitRepo
from perfloop.repository import load_cycle
from perfloop.root import cache_folder
from perfloop.scoring import score_cycle
from perfloop.sources import content_digest, digest_text
from perfloop.speed import incremental, listings, store, verdict

CYCLE = "2026-h2"
DIR = f"cycles/{CYCLE}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"), 40, 3)


@pytest.fixture
def company(demo: Path, tmp_path: Path) -> Path:
    root = tmp_path / "company"
    shutil.copytree(demo, root)
    return root


# --- editing the demo ------------------------------------------------------------------------


def read(root: Path, rel: str) -> Any:
    return yaml.safe_load((root / DIR / rel).read_text(encoding="utf-8"))


def write(root: Path, rel: str, data: Any) -> None:
    (root / DIR / rel).write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def edit(root: Path, rel: str, change: Callable[[Any], Any]) -> None:
    data = read(root, rel)
    write(root, rel, change(data) or data)


def org(root: Path) -> dict[str, dict]:
    return {p["id"]: p for p in read(root, "org.yaml")["people"]}


def contributor(root: Path) -> tuple[str, int, int]:
    """A person with a key result that contributes to a department's: (id, obj, kr)."""
    for file in sorted((root / DIR / "goals").glob("*.yaml")):
        goals = read(root, f"goals/{file.name}")
        for i, objective in enumerate(goals.get("objectives") or []):
            for j, kr in enumerate(objective.get("key_results") or []):
                if kr.get("contributes_to") and kr.get("target"):
                    return file.stem, i, j
    raise AssertionError("the demo has no contributing key result")


def report_and_manager(root: Path) -> tuple[str, str]:
    people = org(root)
    for pid, person in people.items():
        manager = person.get("manager")
        if (
            manager
            and pid != manager
            and (root / DIR / f"goals/{manager}.yaml").exists()
            and (root / DIR / f"reviews/{pid}/{manager}.yaml").exists()
        ):
            return pid, manager
    raise AssertionError("no report with a reviewing manager")


def peer_review(root: Path) -> tuple[str, str]:
    for file in sorted((root / DIR / "goals").glob("*.yaml")):
        for peer in read(root, f"goals/{file.name}").get("peers") or []:
            if (root / DIR / f"reviews/{file.stem}/{peer}.yaml").exists():
                return file.stem, peer
    raise AssertionError("no peer review")


def calibration_file(root: Path) -> str:
    return sorted(p.name for p in (root / DIR / "calibration").glob("*.yaml"))[-1]


# --- the comparison -----------------------------------------------------------------------------


def derive(root: Path) -> incremental.CycleResult | None:
    repo = GitRepo(root)
    changed = {c.path: c.status for c in repo.changed("HEAD")}
    return incremental.check(root, CYCLE, repo, repo.resolve("HEAD"), changed)


def full(root: Path, monkeypatch: pytest.MonkeyPatch):
    """An uncached validation: (result, scores, the examined files' load problems)."""
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    result = engine.full(root, CYCLE)
    assert result.data is not None
    scores = dict(score_cycle(result.data))
    _, load = load_cycle(root, CYCLE)
    monkeypatch.delenv("PERFLOOP_CACHE")
    return result, scores, sorted(p for p in load if p.path in result.data.examined)


def compare(root: Path, monkeypatch: pytest.MonkeyPatch, head: Callable[[Path], None]):
    """Validate the base (its verdict stored), apply `head` to the working tree, and check
    that the derived result equals the full one; returns (base, head) full results."""
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    engine.full(root, CYCLE)  # main's verdict, as CI restores it
    before = full(root, monkeypatch)
    head(root)
    derived = derive(root)
    assert derived is not None, "this change should be checked from the base's verdict"
    after = full(root, monkeypatch)
    assert derived.problems == after[0].problems
    stored = verdict.lookup(root, DIR, after[0].data.content)
    assert stored is not None, "the derived verdict is kept under the head's content"
    assert dict(stored.scores) == after[1]
    assert sorted(stored.load) == after[2]
    return before, after


def new_messages(before, after) -> list[str]:
    old = {(p.path, p.message) for p in before[0].problems}
    return [f"{p.path}: {p.message}" for p in after[0].problems if (p.path, p.message) not in old]


def moved(before, after) -> list[str]:
    return [pid for pid, s in after[1].items() if before[1].get(pid) != s]


# --- cases -------------------------------------------------------------------------------


def test_a_checkin_moves_a_score(company, monkeypatch):
    pid, i, j = contributor(company)

    def head(root):
        def change(goals):
            kr = goals["objectives"][i]["key_results"][j]
            kr["current"] = ((kr.get("start") or 0) + kr["target"]) / 2 + 0.125
            goals.setdefault("checkins", []).append(
                {"date": read(root, "cycle.yaml")["period"]["end"], "values": {}}
            )

        edit(root, f"goals/{pid}.yaml", change)

    before, after = compare(company, monkeypatch, head)
    assert pid in moved(before, after)


def test_a_contribution_changes_a_departments_coverage(company, monkeypatch):
    pid, i, j = contributor(company)

    def head(root):
        def change(goals):
            goals["objectives"][i]["key_results"][j]["target"] = 100_000

        edit(root, f"goals/{pid}.yaml", change)

    before, after = compare(company, monkeypatch, head)
    assert any("over-covered" in m for m in new_messages(before, after))


def test_removing_an_objective_breaks_what_aligns_to_it(company, monkeypatch):
    report, manager = report_and_manager(company)
    target = read(company, f"goals/{manager}.yaml")["objectives"][0]["id"]
    edit(
        company,
        f"goals/{report}.yaml",
        lambda g: g["objectives"][0].update(aligns_to=f"{manager}/{target}"),
    )
    commit_all(company, "Align to the manager")

    def head(root):
        edit(root, f"goals/{manager}.yaml", lambda g: g["objectives"].pop(0) and None)

    before, after = compare(company, monkeypatch, head)
    assert any(
        m.startswith(f"{DIR}/goals/{report}.yaml") and "does not resolve" in m
        for m in new_messages(before, after)
    )


def test_an_alignment_that_does_not_resolve(company, monkeypatch):
    pid, _, _ = contributor(company)

    def head(root):
        edit(root, f"goals/{pid}.yaml", lambda g: g["objectives"][0].update(aligns_to="eng/o99"))

    before, after = compare(company, monkeypatch, head)
    assert any("does not resolve" in m for m in new_messages(before, after))


def test_dropping_a_peer_makes_their_review_unrelated(company, monkeypatch):
    subject, peer = peer_review(company)

    def head(root):
        edit(root, f"goals/{subject}.yaml", lambda g: g["peers"].remove(peer))

    before, after = compare(company, monkeypatch, head)
    assert any(
        f"reviews/{subject}/{peer}.yaml" in m and "may not review" in m
        for m in new_messages(before, after)
    )


def test_a_managers_rating_moves_the_score_and_the_calibration(company, monkeypatch):
    report, manager = report_and_manager(company)

    def head(root):
        edit(
            root,
            f"reviews/{report}/{manager}.yaml",
            lambda r: r.update(ratings={q: 1 for q in r["ratings"]}),
        )

    before, after = compare(company, monkeypatch, head)
    assert report in moved(before, after)


def test_a_review_by_someone_unrelated(company, monkeypatch):
    people = org(company)
    report, manager = report_and_manager(company)
    stranger = next(
        p
        for p in people
        if p not in (report, manager)
        and not (company / DIR / f"reviews/{report}/{p}.yaml").exists()
        and people[p].get("manager") != report
        and p not in (read(company, f"goals/{report}.yaml").get("peers") or [])
    )

    def head(root):
        source = root / DIR / f"reviews/{report}/{manager}.yaml"
        shutil.copy(source, root / DIR / f"reviews/{report}/{stranger}.yaml")

    before, after = compare(company, monkeypatch, head)
    assert any("may not review" in m for m in new_messages(before, after))


def test_a_deleted_manager_review_leaves_the_person_incomplete(company, monkeypatch):
    report, manager = report_and_manager(company)

    def head(root):
        (root / DIR / f"reviews/{report}/{manager}.yaml").unlink()

    before, after = compare(company, monkeypatch, head)
    assert not after[1][report].complete and before[1][report].complete


def test_a_calibration_rating_changed(company, monkeypatch):
    name = calibration_file(company)

    def head(root):
        def change(cal):
            for entry in cal["ratings"].values():
                entry["rating"] = "S"
                entry.pop("reason", None)

        edit(root, f"calibration/{name}", change)

    before, after = compare(company, monkeypatch, head)
    assert new_messages(before, after)
    assert moved(before, after)  # their ratings follow the file


def test_a_calibration_file_deleted(company, monkeypatch):
    name = calibration_file(company)

    def head(root):
        (root / DIR / f"calibration/{name}").unlink()

    before, after = compare(company, monkeypatch, head)
    assert moved(before, after)


def test_a_goals_file_deleted(company, monkeypatch):
    report, _ = report_and_manager(company)

    def head(root):
        (root / DIR / f"goals/{report}.yaml").unlink()

    before, after = compare(company, monkeypatch, head)
    assert before[1][report].complete and not after[1][report].complete


def test_a_goals_file_that_breaks_its_schema(company, monkeypatch):
    pid, _, _ = contributor(company)

    def head(root):
        edit(root, f"goals/{pid}.yaml", lambda g: g.update(objectives="none"))

    before, after = compare(company, monkeypatch, head)
    assert any(m.startswith(f"{DIR}/goals/{pid}.yaml") for m in new_messages(before, after))


def test_a_review_that_does_not_parse(company, monkeypatch):
    report, manager = report_and_manager(company)

    def head(root):
        path = root / DIR / f"reviews/{report}/{manager}.yaml"
        path.write_text("ratings:\n  direction: 4\n  direction: 5\n", encoding="utf-8")

    before, after = compare(company, monkeypatch, head)
    assert any(f"reviews/{report}/{manager}.yaml" in m for m in new_messages(before, after))


def test_goals_of_someone_not_in_the_org(company, monkeypatch):
    pid, _, _ = contributor(company)

    def head(root):
        goals = read(root, f"goals/{pid}.yaml")
        goals["owner"] = "nobody-here"
        write(root, "goals/nobody-here.yaml", goals)

    before, after = compare(company, monkeypatch, head)
    assert any("nobody-here" in m for m in new_messages(before, after))


def chain(root: Path) -> tuple[str, str, str]:
    """A person, their manager and the manager's manager, all with goals."""
    people = org(root)
    for pid, person in people.items():
        manager = person.get("manager")
        grand = people.get(manager, {}).get("manager") if manager else None
        if grand and all((root / DIR / f"goals/{p}.yaml").exists() for p in (pid, manager, grand)):
            return pid, manager, grand
    raise AssertionError("no three-level chain")


def add_kr(root: Path, owner: str, kr: dict) -> str:
    """Append `kr` to `owner`'s first objective (weights dropped); return its reference."""

    def change(goals):
        objective = goals["objectives"][0]
        for other in objective["key_results"]:
            other.pop("weight", None)
        objective["key_results"].append(kr)

    edit(root, f"goals/{owner}.yaml", change)
    return f"{owner}/{read(root, f'goals/{owner}.yaml')['objectives'][0]['id']}/{kr['id']}"


def test_sums_of_key_results_move_the_scores_above(company, monkeypatch):
    """Key results that sum their reports': a check-in moves the manager's score and the
    manager's manager's, two and three files away from the change."""
    report, manager, grand = chain(company)
    whole = {"title": "Things", "target": 10, "unit": "things", "aggregate": "sum"}
    top = add_kr(company, grand, {"id": "all", **whole})
    team = add_kr(company, manager, {"id": "team", **whole, "contributes_to": top})
    mine = {"id": "mine", "title": "Mine", "target": 5, "current": 1, "unit": "things"}
    add_kr(company, report, {**mine, "contributes_to": team})
    commit_all(company, "Team key results")

    def head(root):
        edit(
            root,
            f"goals/{report}.yaml",
            lambda g: g["objectives"][0]["key_results"][-1].update(current=5),
        )

    before, after = compare(company, monkeypatch, head)
    assert {report, manager, grand} <= set(moved(before, after))
    assert before[1][grand].okr != after[1][grand].okr


def test_several_files_at_once(company, monkeypatch):
    report, manager = report_and_manager(company)
    subject, peer = peer_review(company)
    name = calibration_file(company)

    def head(root):
        edit(root, f"goals/{subject}.yaml", lambda g: g["peers"].remove(peer))
        edit(
            root,
            f"reviews/{report}/{manager}.yaml",
            lambda r: r.update(ratings={q: 5 for q in r["ratings"]}),
        )
        edit(root, f"calibration/{name}", lambda c: c["ratings"].clear())

    before, after = compare(company, monkeypatch, head)
    assert new_messages(before, after) and moved(before, after)


# --- the base's listing, kept by its tree ---------------------------------------------------


def _notes(root: Path) -> list[Path]:
    return sorted(Path(cache_folder(root)).glob("*/listings/*"))


def _no_listing(*args: Any) -> Any:
    raise AssertionError("the base's tree was listed again")


def test_validate_keeps_the_listing_of_heads_tree(company):
    """A full `validate` keeps the listing of its cycle at HEAD, named by the tree id, and
    it is what listing the tree with git says."""
    assert run_cli("validate", "-q", cwd=company).returncode == 0
    repo = GitRepo(company)
    (note,) = _notes(company)
    assert note.name.startswith(f"{repo.tree_id('HEAD', DIR)}-")
    fresh = listings._listing(repo, "HEAD", DIR)
    assert fresh is not None and "org.yaml" in fresh and len(fresh) > 100
    listed = listings.listing(company, repo, "HEAD", DIR)
    assert listed is not None and listed.blobs == fresh
    assert listed.digest == content_digest(fresh)


def test_the_pr_check_takes_its_bases_listing_from_the_note(company, monkeypatch):
    report, manager = report_and_manager(company)

    def head(root):
        listings.note_head(root, CYCLE)  # as the `validate` on main leaves it
        edit(
            root,
            f"reviews/{report}/{manager}.yaml",
            lambda r: r.update(ratings={q: 1 for q in r["ratings"]}),
        )
        monkeypatch.setattr(GitRepo, "listing", _no_listing)

    before, after = compare(company, monkeypatch, head)
    assert report in moved(before, after)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(b"\x00not marshal", id="unreadable"),
        # the others sealed with the cache's key: as if written wrong, not damaged later
        pytest.param("org.yaml\0abc\ngoals\n", id="odd"),
        pytest.param("org.yaml\0abc", id="unended"),
        pytest.param(({"org.yaml": "abc"}, "digest"), id="not-text"),
    ],
)
def test_a_damaged_note_is_listed_afresh(company, monkeypatch, damage):
    engine.full(company, CYCLE)
    listings.note_head(company, CYCLE)
    (note,) = _notes(company)
    if isinstance(damage, bytes):
        note.write_bytes(damage)
    else:
        store.write(note, damage)
    pid, i, j = contributor(company)
    edit(
        company,
        f"goals/{pid}.yaml",
        lambda g: g["objectives"][i]["key_results"][j].update(current=0),
    )
    assert derive(company) is not None
    repo = GitRepo(company)
    fresh = listings._listing(repo, "HEAD", DIR)
    assert fresh is not None
    listed = listings.listing(company, repo, "HEAD", DIR)
    assert listed is not None and listed.blobs == fresh
    assert listed.digest == content_digest(fresh)
    assert store.read(note) == listed.text


def test_a_patched_digest_text_is_the_heads():
    """The head's digest is spliced from the base's text: random additions (first, last,
    between), changes and deletions, alone and together, give `digest_text` of the head."""
    rng = random.Random(7)
    base = {f"goals/p{i:03}.yaml": f"{i:040x}" for i in range(2, 200, 2)}
    base |= {"org.yaml": "a" * 40, "reviews/p004/p006.yaml": "b" * 40}
    base = dict(sorted(base.items()))
    listed = listings.Listing(base, digest_text(base), "")
    for _ in range(200):
        head = dict(base)
        for rel in rng.sample(sorted(base), rng.randint(0, 3)):
            if rng.random() < 0.5:
                del head[rel]
            else:
                head[rel] = f"{rng.getrandbits(160):040x}"
        for i in rng.sample(range(0, 202), rng.randint(0, 3)):
            head.setdefault(f"goals/p{i:03}.yaml", f"{rng.getrandbits(160):040x}")
        changed = sorted(rel for rel in {*base, *head} if base.get(rel) != head.get(rel))
        assert listings.patched(listed.text, listed, head, changed) == digest_text(head)


def test_a_note_of_a_tree_with_a_stray_file_says_check_the_whole_cycle(company, monkeypatch):
    (company / DIR / "goals" / "notes.yml").write_text("a: 1\n")
    commit_all(company, "A stray file")
    engine.full(company, CYCLE)
    listings.note_head(company, CYCLE)
    assert _notes(company)
    monkeypatch.setattr(GitRepo, "listing", _no_listing)  # the note alone answers
    assert listings.listing(company, GitRepo(company), "HEAD", DIR) is None
    assert derive(company) is None


# --- what is not derived -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: edit(root, "org.yaml", lambda o: o["people"].pop()), id="org"),
        pytest.param(
            lambda root: edit(root, "cycle.yaml", lambda c: c.update(name="Renamed")), id="cycle"
        ),
        pytest.param(
            lambda root: (root / DIR / "goals" / "notes.yml").write_text("a: 1\n"), id="stray"
        ),
    ],
)
def test_other_changes_check_the_whole_cycle(company, monkeypatch, change):
    engine.full(company, CYCLE)
    change(company)
    assert derive(company) is None


def test_a_damaged_base_score_checks_the_whole_cycle(company, monkeypatch):
    engine.full(company, CYCLE)
    folder = verdict.folder(company)
    (file,) = folder.iterdir()
    stored = store.read(file)
    name = calibration_file(company)
    group = read(company, f"calibration/{name}")
    member = next(iter(group["ratings"]))
    stored["scores"][member] = b"\x00damaged"
    store.write(file, stored)  # sealed: a score damaged when it was written
    edit(company, f"calibration/{name}", lambda c: c["ratings"][member].update(rating="C"))
    assert derive(company) is None
    # ... and a command that reads the verdict scores that person afresh
    (file,) = [f for f in folder.iterdir()]
    result = engine.full(company, CYCLE)
    assert result.data is not None and score_cycle(result.data)[member].id == member


# --- the command ----------------------------------------------------------------------------------


def test_the_pr_check_prints_what_a_full_check_prints(company):
    report, manager = report_and_manager(company)
    assert run_cli("validate", "-q", cwd=company).returncode == 0  # main's cache
    edit(
        company,
        f"reviews/{report}/{manager}.yaml",
        lambda r: r.update(ratings={q: 1 for q in r["ratings"]}),
    )
    edit(company, f"goals/{report}.yaml", lambda g: g["objectives"][0].update(aligns_to="x/o1"))
    commit_all(company, "A change")
    args = ("check", "--base", "HEAD~1", "--json", "--summary")
    summaries = {}
    for cache in ("1", "0"):
        summary = company.parent / f"summary-{cache}.md"
        env = {"PERFLOOP_CACHE": cache, "GITHUB_STEP_SUMMARY": str(summary)}
        summaries[cache] = (run_cli(*args, cwd=company, env=env), summary.read_text())
    (derived, derived_summary), (uncached, uncached_summary) = summaries["1"], summaries["0"]
    assert derived.stdout == uncached.stdout
    assert derived.returncode == uncached.returncode == 1
    assert "does not resolve" in derived.stdout
    # the job summary's score moves: the base's from its verdict, the same numbers
    assert report in derived_summary
    assert derived_summary == uncached_summary
    # the validate that follows answers from the verdict the check stored
    again = run_cli("validate", cwd=company)
    assert again.stdout == run_cli("validate", cwd=company, env={"PERFLOOP_CACHE": "0"}).stdout


def test_validate_after_an_edit_starts_from_heads_verdict(company):
    """`validate` after editing a few files, with HEAD's verdict stored (a validate after
    the pull stored it): derived, and it prints what a full check prints, file count too."""
    report, manager = report_and_manager(company)
    assert run_cli("validate", cwd=company).returncode == 0  # stores HEAD's verdict
    edit(
        company,
        f"reviews/{report}/{manager}.yaml",
        lambda r: r.update(ratings={q: 1 for q in r["ratings"]}),
    )
    (company / DIR / f"goals/{report}.yaml").write_text("owner: [\n", encoding="utf-8")
    derived = incremental.against_head(company, CYCLE)
    assert derived is not None
    full_run = run_cli("validate", cwd=company, env={"PERFLOOP_CACHE": "0"})
    run = run_cli("validate", cwd=company)
    assert (run.returncode, run.stdout, run.stderr) == (
        full_run.returncode,
        full_run.stdout,
        full_run.stderr,
    )
    assert "file(s)" in run.stderr and f"goals/{report}.yaml" in run.stdout
    # score and calibrate then answer from the verdict the derivation stored
    for command in (("score", "--json"), ("calibrate", "--json")):
        assert (
            run_cli(*command, cwd=company).stdout
            == run_cli(*command, cwd=company, env={"PERFLOOP_CACHE": "0"}).stdout
        )


def test_validate_outside_git_checks_the_whole_cycle(company):
    shutil.rmtree(company / ".git")
    assert incremental.against_head(company, CYCLE) is None
    assert run_cli("validate", cwd=company).returncode == 0


def test_validate_sees_a_file_git_ignores(company, monkeypatch):
    """`validate` reads what the loader reads: a goals file git ignores is part of it."""
    (company / ".gitignore").write_text(".perfloop-cache/\ncycles/*/goals/zed.yaml\n")
    commit_all(company, "Ignore a file")
    engine.full(company, CYCLE)  # HEAD's verdict
    pid, _, _ = contributor(company)
    goals = read(company, f"goals/{pid}.yaml")
    goals["owner"] = "zed"
    write(company, "goals/zed.yaml", goals)
    derived = incremental.against_head(company, CYCLE)
    assert derived is not None
    after = full(company, monkeypatch)
    assert derived.problems == after[0].problems
    assert any("goals/zed.yaml" in p.path for p in derived.problems)


def test_validate_sees_a_stray_file_in_a_folder_git_ignores(company):
    """A folder git ignores is listed file by file: its stray file is not missed."""
    (company / ".gitignore").write_text(".perfloop-cache/\ncycles/*/scratch/\n")
    commit_all(company, "Ignore a folder")
    assert run_cli("validate", cwd=company).returncode == 0  # HEAD's verdict
    (company / DIR / "scratch").mkdir()
    (company / DIR / "scratch" / "notes.yaml").write_text("a: 1\n")
    assert incremental.against_head(company, CYCLE) is None  # a stray file: check it all
    run = run_cli("validate", cwd=company)
    assert run.returncode == 1 and "scratch/notes.yaml" in run.stdout
