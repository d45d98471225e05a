"""`perfloop check`: real git repositories, a base in each phase, pull requests by different
authors. The base (tests/data/base): carol heads eng (no manager); dave heads platform and
manages alice and bob; sam heads sales (manager carol); henry is HR and admin."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import git
import pytest

from conftest import BASE, run_cli

CYCLE = "cycles/2026-h2"
ALICE = f"{CYCLE}/goals/alice.yaml"


def make_repo(tmp_path: Path, phase: str) -> git.Repo:
    """A repository whose main branch is the base data in `phase`, on a PR branch."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    cycle = root / CYCLE / "cycle.yaml"
    cycle.write_text(re.sub(r"(?m)^phase: \w+", f"phase: {phase}", cycle.read_text()))
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    repo.git.checkout("-b", "pr")
    return repo


def edit(repo: git.Repo, rel: str, old: str, new: str) -> None:
    file = Path(repo.working_tree_dir) / rel
    text = file.read_text()
    assert old in text, f"{old!r} not in {rel}"
    file.write_text(text.replace(old, new, 1))


def write(repo: git.Repo, rel: str, text: str) -> None:
    file = Path(repo.working_tree_dir) / rel
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)


def check(repo: git.Repo, author: str, commit: bool = True) -> tuple[int, dict]:
    if commit:
        repo.git.add("-A")
        repo.git.commit("-m", "change", "--author", f"{author} <{author}@example.com>")
    result = run_cli(
        "check", "--base", "main", "--author", author, "--json", cwd=repo.working_tree_dir
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def kinds(out: dict) -> dict[str, str]:
    return {c["path"]: c["kind"] for c in out["changes"]}


def messages(out: dict) -> str:
    return "\n".join(f"{e['path']}: {e['message']}" for e in out["errors"])


KR1 = "start: 99.5, target: 99.95, current: 99.8"


def test_own_goals_in_planning_need_the_manager(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "planning")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    code, out = check(repo, "alicec")
    assert code == 0, messages(out)
    assert out["ok"] is True and out["errors"] == []
    assert kinds(out) == {ALICE: "goals"}
    assert out["approvers"] == ["dave"]
    assert out["approver_logins"] == ["davek"]
    assert out["author"] == "alice"


def test_someone_elses_goals_are_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "planning")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.0, current: 99.8")
    code, out = check(repo, "bobli")
    assert code == 1
    assert "bob may not make this change: only alice or their manager may" in messages(out)


def test_target_change_in_execution_is_an_adjustment_for_manager_and_skip_level(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    code, out = check(repo, "alicec")
    assert code == 0, messages(out)
    assert kinds(out) == {ALICE: "goal_adjustment"}
    assert out["changes"][0]["fields"] == ["objectives.o1.key_results.kr1.target"]
    assert out["approvers"] == ["dave", "carol"]
    assert [r["role"] for r in out["required"]] == ["manager", "skip_level"]


def test_checkin_only_needs_no_approval(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.9")
    edit(
        repo,
        ALICE,
        "kr2, title: Ship the retry queue, type: milestone, done: false",
        "kr2, title: Ship the retry queue, type: milestone, done: true",
    )
    edit(repo, ALICE, "incidents: {target: 2, actual: 3}", "incidents: {target: 2, actual: 1}")
    with open(Path(repo.working_tree_dir) / ALICE, "a") as f:
        f.write("  - {date: 2026-10-01, values: {o1/kr1: 99.9}, confidence: 0.9, note: Done}\n")
    code, out = check(repo, "alicec")
    assert code == 0, messages(out)
    assert kinds(out) == {ALICE: "checkin"}
    assert out["approvers"] == []


def test_reformatting_goals_is_no_adjustment(tmp_path: Path) -> None:
    # Same data, different text: block style instead of flow style for one key result.
    repo = make_repo(tmp_path, "execution")
    edit(
        repo,
        ALICE,
        "      - {id: kr1, title: p95 latency, start: 800, target: 300, current: 450,"
        " unit: ms, direction: lower}",
        "      - id: kr1\n        title: p95 latency\n        start: 800\n        target: 300\n"
        "        current: 450\n        unit: ms\n        direction: lower",
    )
    code, out = check(repo, "alicec")
    assert code == 0, messages(out)
    assert kinds(out) == {ALICE: "checkin"}


def test_checkin_in_calibration_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "calibration")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.9")
    code, out = check(repo, "alicec")
    assert code == 1
    assert (
        "check-ins are made only in the execution or review phase; the cycle is in "
        "calibration" in messages(out)
    )


def test_adjustment_in_review_is_refused_but_checkin_is_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.0, current: 99.8")
    code, out = check(repo, "alicec")
    assert code == 1
    assert "only in the execution phase; the cycle is in review" in messages(out)


def test_review_by_an_unrelated_person_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    # sam is neither bob's manager, skip level, peer, report nor designated reviewer
    write(repo, f"{CYCLE}/reviews/bob/sam.yaml", "ratings: {impact: 4, collaboration: 4}\n")
    code, out = check(repo, "samo")
    assert code == 1
    assert kinds(out) == {f"{CYCLE}/reviews/bob/sam.yaml": "review"}
    assert "sam is not related to bob, so may not review them" in messages(out)


def test_self_review_needs_the_manager_and_peer_review_nobody(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    write(repo, f"{CYCLE}/reviews/bob/bob.yaml", "ratings: {impact: 4, collaboration: 4}\n")
    code, out = check(repo, "bobli")
    assert code == 0, messages(out)
    assert kinds(out) == {f"{CYCLE}/reviews/bob/bob.yaml": "self_review"}
    assert out["approvers"] == ["dave"]


def test_someone_writing_anothers_review_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    write(repo, f"{CYCLE}/reviews/bob/bob.yaml", "ratings: {impact: 5, collaboration: 5}\n")
    code, out = check(repo, "davek")
    assert code == 1
    assert "only the reviewer (bob) may" in messages(out)


def test_review_outside_the_review_phase_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, f"{CYCLE}/reviews/bob/dave.yaml", "impact: 3", "impact: 4")
    code, out = check(repo, "davek")
    assert code == 1
    assert kinds(out) == {f"{CYCLE}/reviews/bob/dave.yaml": "manager_review"}
    assert "reviews are written only in the review phase; the cycle is in execution" in (
        messages(out)
    )


CALIBRATION = "ratings:\n  alice: {rating: C}\n  bob: {rating: B}\n"  # as proposed


def test_calibration_by_a_non_head_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "calibration")
    write(repo, f"{CYCLE}/calibration/eng.yaml", CALIBRATION)
    code, out = check(repo, "alicec")
    assert code == 1
    assert kinds(out) == {f"{CYCLE}/calibration/eng.yaml": "calibration"}
    assert "alice may not make this change: only a head of group eng's departments or HR" in (
        messages(out)
    )


def test_calibration_by_the_head_needs_hr_standing_in_for_the_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "calibration")
    write(repo, f"{CYCLE}/calibration/eng.yaml", CALIBRATION)
    code, out = check(repo, "carold", commit=True)
    assert code == 0, messages(out)
    # carol is the head the calibration needs; she authored it, so HR stands in (once).
    assert out["approvers"] == ["henry"]
    assert {r["role"] for r in out["required"]} == {"hr"}
    assert not [e for e in out["errors"] if "may not" in e["message"]]


def test_any_change_in_a_closed_cycle_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "closed")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.9")
    code, out = check(repo, "henryp")
    assert code == 1
    assert "cycle 2026-h2 is closed: its files are frozen" in messages(out)


def test_making_oneself_manager_in_the_pr_does_not_grant_the_right(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "planning")
    org = f"{CYCLE}/org.yaml"
    edit(
        repo,
        org,
        "github: alicec, department: platform, manager: dave",
        "github: alicec, department: platform, manager: bob",
    )
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.0, current: 99.8")
    code, out = check(repo, "bobli")
    assert code == 1
    assert kinds(out) == {org: "cycle", ALICE: "goals"}
    text = messages(out)
    assert f"{org}: bob may not make this change: only HR or an admin may" in text
    assert f"{ALICE}: bob may not make this change: only alice or their manager may" in text
    # and the approvers are still the base's: dave for alice's goals, henry (HR) for org.yaml
    assert set(out["approvers"]) == {"dave", "henry"}


def test_moving_the_phase_in_the_pr_is_judged_by_the_base_phase(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    edit(repo, f"{CYCLE}/cycle.yaml", "phase: review", "phase: planning")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.0, current: 99.8")
    code, out = check(repo, "henryp")
    assert code == 1
    assert "the cycle is in review" in messages(out)


def test_the_approver_as_author_is_replaced_by_the_next_role_up(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "planning")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    code, out = check(repo, "davek")
    assert code == 0, messages(out)
    assert out["approvers"] == ["carol", "alice"]  # alice signs what her manager wrote
    assert out["required"][0]["role"] == "skip_level"
    assert out["required"][0]["instead_of"] == "manager"


def test_tooling_changes_need_an_admin(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    write(repo, ".github/workflows/x.yml", "name: x\n")
    write(repo, "site/index.md", "# Home\n")
    write(
        repo, "mkdocs.yml", "site_name: x\ndocs_dir: site\nsite_dir: public\nplugins: [perfloop]\n"
    )
    code, out = check(repo, "bobli")
    assert code == 0, messages(out)
    assert set(kinds(out).values()) == {"tooling"}
    assert out["approvers"] == ["henry"]


def test_mixed_pull_request_needs_every_approver_set(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    edit(repo, f"{CYCLE}/goals/bob.yaml", "target: 12, current: 9", "target: 12, current: 10")
    code, out = check(repo, "davek")
    assert code == 0, messages(out)
    assert kinds(out) == {ALICE: "goal_adjustment", f"{CYCLE}/goals/bob.yaml": "checkin"}
    assert out["approvers"] == ["carol", "alice"]


def test_uncommitted_and_untracked_files_are_checked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    write(repo, f"{CYCLE}/reviews/bob/bob.yaml", "ratings: {impact: 4, collaboration: 9}\n")
    code, out = check(repo, "bobli", commit=False)
    assert code == 1
    assert kinds(out) == {f"{CYCLE}/reviews/bob/bob.yaml": "self_review"}
    assert any(
        e["path"] == f"{CYCLE}/reviews/bob/bob.yaml" and e["line"] == 1 for e in out["errors"]
    )  # the rating 9 is outside the 1..5 scale


def test_stale_codeowners_fails_the_check(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "planning")
    root = Path(repo.working_tree_dir)
    # a second admin, so that henry's org.yaml change has someone to approve it
    edit(repo, f"{CYCLE}/org.yaml", "admins: [henry]", "admins: [henry, carol]")
    assert run_cli("codeowners", cwd=root).returncode == 0
    repo.git.add("-A")
    repo.git.commit("-m", "codeowners")
    repo.git.branch("-f", "main", "HEAD")
    edit(repo, f"{CYCLE}/org.yaml", "github: bobli", "github: bob-li")
    code, out = check(repo, "henryp")
    assert code == 1
    assert {
        "path": ".github/CODEOWNERS",
        "line": 1,
        "col": 1,
        "message": "CODEOWNERS is stale: run `perfloop codeowners` and commit the result",
    } in out["errors"]
    assert run_cli("codeowners", cwd=root).returncode == 0
    code, out = check(repo, "henryp")
    assert code == 0, messages(out)
    assert kinds(out) == {f"{CYCLE}/org.yaml": "cycle", ".github/CODEOWNERS": "codeowners"}
    # henry (the only HR) wrote it, so an admin other than him stands in
    assert out["approvers"] == ["carol"]
    assert out["required"][0]["instead_of"] == "hr"


def test_text_output_and_bad_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    result = run_cli("check", "--base", "main", "--author", "alicec", cwd=repo.working_tree_dir)
    assert result.returncode == 0
    assert f"goal_adjustment    modified {ALICE}" in result.stdout
    assert "dave (@davek): manager" in result.stdout
    bad = run_cli("check", "--base", "nope", cwd=repo.working_tree_dir)
    assert bad.returncode == 2
    assert "unknown revision 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_without_author_the_author_is_the_person_with_gits_email(tmp_path: Path) -> None:
    """A local run: `git config user.email` names the author through org.yaml."""
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    repo.git.config("user.email", "Alice@Example.com")
    result = run_cli("check", "--base", "main", cwd=repo.working_tree_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "author alice (@alicec)" in result.stdout
    repo.git.config("user.email", "stranger@example.com")
    result = run_cli("check", "--base", "main", cwd=repo.working_tree_dir)
    assert "author unknown" in result.stdout


@pytest.mark.parametrize("phase", ["planning", "execution"])
def test_job_summary_lists_changes_approvers_and_score_moves(tmp_path: Path, phase: str) -> None:
    repo = make_repo(tmp_path, phase)
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.95")
    summary = tmp_path / "summary.md"
    result = run_cli(
        "check",
        "--base",
        "main",
        "--author",
        "alicec",
        cwd=repo.working_tree_dir,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = summary.read_text()
    kind = "goals" if phase == "planning" else "checkin"
    assert f"| `{ALICE}` | modified | {kind} |" in text
    # alice's o1/kr1 goes from (99.8-99.5)/(0.45) = 2/3 to 1: o1 = mean(kr1, kr2 = 0) moves
    # 1/3 -> 1/2, weight 60; o2 = (800-450)/500 = 0.7, weight 40.
    # OKR before = 100 * (0.6/3 + 0.4*0.7) = 48.00; after = 100 * (0.3 + 0.28) = 58.00
    assert "| alice | 48.00 → 58.00 (+10.00) |" in text
    assert "final scores and ratings are confidential" in text
    assert "| person | OKR |\n" in text and "KPI |" not in text  # KPI actuals: restricted


def test_configured_peer_review_approvers_apply(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    # on the base: peer reviews need the subject's manager
    edit(repo, f"{CYCLE}/cycle.yaml", "  cycle: [hr]", "  cycle: [hr]\n  peer_review: [manager]")
    repo.git.commit("-am", "peer reviews need the manager")
    repo.git.branch("-f", "main", "HEAD")
    write(repo, f"{CYCLE}/reviews/bob/alice.yaml", "ratings: {impact: 4, collaboration: 5}\n")
    code, out = check(repo, "alicec")
    assert code == 0, messages(out)
    assert kinds(out) == {f"{CYCLE}/reviews/bob/alice.yaml": "peer_review"}
    assert out["approvers"] == ["dave"]


def test_a_committed_cache_is_refused(tmp_path: Path) -> None:
    """`.perfloop-cache/` (where older versions kept the cache) is never read; forcing one
    into a PR, at the root or deeper, is still an error."""
    repo = make_repo(tmp_path, "execution")
    for folder in (".perfloop-cache/0123456789abcdef", "site/.perfloop-cache/runs"):
        stored = Path(repo.working_tree_dir) / folder / "entry"
        stored.parent.mkdir(parents=True)
        stored.write_bytes(b"forged")
    repo.git.add("-A", "--force")
    code, out = check(repo, "alicec")
    assert code == 1
    cached = [e for e in out["errors"] if ".perfloop-cache/" in e["path"]]
    assert len(cached) == 2 and all("never commit it" in e["message"] for e in cached)


def test_a_committed_export_is_refused(tmp_path: Path) -> None:
    """`perfloop export` writes scores and ratings next to the repository's files; a PR that
    adds one is refused, whoever authors it (even an admin, whose `tooling` change it
    would otherwise be)."""
    repo = make_repo(tmp_path, "calibration")
    root = Path(repo.working_tree_dir)
    exported = run_cli("export", "--format", "xlsx", cwd=root)
    assert exported.returncode == 0, exported.stderr
    written = sorted(p.name for p in root.glob("results-*.xlsx"))
    assert written
    repo.git.add("-A", "--force")
    (root / "results-copy.csv").write_text("id,final\nalice,88.1\n")
    repo.git.add("results-copy.csv")
    code, out = check(repo, "henryp")
    assert code == 1
    refused = {e["path"] for e in out["errors"] if "perfloop export" in e["message"]}
    assert refused == {*written, "results-copy.csv"}


def test_a_person_id_given_as_the_author_login_is_told_the_login(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.9")
    code, out = check(repo, "alice")  # alice's login is alicec
    assert code == 1
    messages = [e["message"] for e in out["errors"]]
    assert (
        "GitHub user alice is not in org.yaml (github:) at the base; alice is a person id: "
        "their GitHub login is alicec" in messages
    ), messages


def test_a_file_name_that_is_not_utf8_is_refused_and_shown_escaped(tmp_path: Path) -> None:
    """Git names files by bytes; one that is not UTF-8 must neither crash a printer (a
    traceback, and no verdict) nor reach the log as it is."""
    repo = make_repo(tmp_path, "execution")
    for folder in ("", f"{CYCLE}/goals/"):  # validation names the one in the cycle too
        name = Path(repo.working_tree_dir).joinpath(f"{folder}caf").as_posix().encode()
        with open(name + b"\xe9.yaml", "w") as file:
            file.write("owner: x\n")
    code, out = check(repo, "alicec")
    assert code == 1
    assert {e["path"] for e in out["errors"]} == {"caf\\xe9.yaml", f"{CYCLE}/goals/caf\\xe9.yaml"}
    assert "must be UTF-8" in messages(out)
    text = run_cli("check", "--base", "main", "--author", "alicec", cwd=repo.working_tree_dir)
    assert text.returncode == 1 and "Traceback" not in text.stderr, text.stderr
    assert "caf\\xe9.yaml:1:1: error: a file name may not hold" in text.stdout


def test_a_symbolic_link_at_a_committed_head_is_refused(tmp_path: Path) -> None:
    """The gate may judge a commit rather than the working tree: a link is found there too."""
    from perfloop.pullcheck import run_check

    repo = make_repo(tmp_path, "execution")
    (Path(repo.working_tree_dir) / "site").mkdir()
    (Path(repo.working_tree_dir) / "site" / "data").symlink_to("../cycles/2026-h2/reviews")
    repo.git.add("-A")
    repo.git.commit("-m", "link", "--author", "Alice Chen <alice@example.com>")
    head = repo.head.commit.hexsha
    repo.git.checkout("main")  # the working tree holds no link: only the commit does
    result = run_check(Path(repo.working_tree_dir), "main", "alicec", head=head)
    assert [(p.path, p.message[:16]) for p in result.errors] == [("site/data", "a symbolic link:")]


def test_a_submodule_is_refused(tmp_path: Path) -> None:
    """A submodule's files are another repository's: nothing would check what it holds."""
    from perfloop.pullcheck import run_check

    repo = make_repo(tmp_path, "execution")
    base = repo.head.commit.hexsha
    repo.git.update_index("--add", "--cacheinfo", f"160000,{base},site/sub")
    repo.git.commit("-m", "sub", "--author", "Alice Chen <alice@example.com>")
    (Path(repo.working_tree_dir) / "site" / "sub").mkdir(parents=True)  # as a checkout makes
    code, out = check(repo, "alicec", commit=False)
    assert code == 1 and "site/sub: a submodule" in messages(out), messages(out)
    at_head = run_check(Path(repo.working_tree_dir), "main", "alicec", head="HEAD")
    assert [p.path for p in at_head.errors] == ["site/sub"]
