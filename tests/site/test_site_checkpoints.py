"""A mid-cycle check-point on the restricted site: shown on the person's page to exactly
the check-point's audience (SPEC section 7: the person, their manager, HR), written or owed,
"sealed, not readable by you" where the identity does not open it; never on the public
site, and the public build's leak scan knows its text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import AS_HR, ORG_IDENTITY, run_cli
from perfloop.loader import parse_bytes
from perfloop.sealing.age import load_identities
from sealkit import seal_cycle
from sitebuild import add_minimal_site, example_with_site, main_text, output_files, page_text

CYCLE = "cycles/2026-h2"
SUMMARY = "Availability is well ahead of target, the latency work is behind plan."
EMPLOYEE = "I would like more time for the cache layer before December."
MANAGER = "The retry queue carried the quarter; keep the latency work first."
ACTION = "Pair with Bob on the invoice cache layer"
TEXTS = (SUMMARY, EMPLOYEE, MANAGER, ACTION)
CHECKPOINT = f"""date: 2026-10-01
summary: {SUMMARY}
employee_notes: {EMPLOYEE}
manager_notes: "{MANAGER}"
next_steps:
  - {{action: {ACTION}, due: 2026-10-31}}
"""


def with_checkpoint(repo: Path, phase: str = "execution") -> Path:
    """tests/data/base in `phase` with a check-point that is overdue by the build's day,
    alice's written (her manager is dave; carol heads eng, above him), bob's not."""
    add_minimal_site(repo)
    today = dt.date.today()
    opens = min(today, dt.date(2026, 12, 31)) - dt.timedelta(days=30)
    due = opens + dt.timedelta(days=10)
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(
        cycle.read_text().replace(
            "phase: review\n", f"phase: {phase}\ncheckpoint: {{date: {opens}, due: {due}}}\n"
        )
    )
    (repo / CYCLE / "checkpoints").mkdir()
    (repo / CYCLE / "checkpoints" / "alice.yaml").write_text(CHECKPOINT)
    checked = run_cli("validate", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return repo


def build(repo: Path, audience: str, *args: str, env: dict[str, str] | None = None) -> Path:
    out = repo / "build" / audience.replace(":", "-")
    done = run_cli("site", "--audience", audience, "--out", str(out), *args, cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def page(site: Path, person: str) -> str:
    return main_text(site / "people" / person / "index.html")


def anywhere(site: Path, texts: tuple[str, ...]) -> list[str]:
    """The `texts` any output file of `site` holds (pages as read, the search index...)."""
    found = set()
    for path in output_files(site):
        shown = page_text(path) if path.suffix == ".html" else path.read_text(errors="replace")
        shown = " ".join(shown.split())
        found |= {t for t in texts if t in shown}
    return sorted(found)


@pytest.mark.parametrize("audience", ["hr", "person:alice", "person:dave", "dept:platform"])
def test_the_check_points_audience_sees_it_on_the_persons_page(
    base_repo: Path, audience: str
) -> None:
    """HR, the person, their manager (his own build, and the build of the department he
    heads) see every field of it, with the due date and when the two met."""
    site = build(with_checkpoint(base_repo), audience)
    shown = page(site, "alice")
    assert "Check-point" in shown
    for text in TEXTS:
        assert text in shown, (audience, text)
    assert "2026-10-01" in shown  # when the two met
    assert "Dave Kim" in shown  # who held it with her
    # the search index keeps what a person is searched by, not a private conversation
    assert not anywhere(site / "search", TEXTS)


@pytest.mark.parametrize("audience", ["person:bob", "person:carol", "dept:eng", "dept:sales"])
def test_nobody_else_sees_it(base_repo: Path, audience: str) -> None:
    """A peer, the skip level (as a person and as head of the department above: a
    check-point is not a review) and another department: not a word of it, nor that it
    was held or is owed."""
    site = build(with_checkpoint(base_repo), audience)
    assert not anywhere(site, TEXTS)
    for person in {"alice", "bob"} - {audience.removeprefix("person:")}:  # Bob's own: his
        assert "Check-point" not in page(site, person), (audience, person)
    assert "Check-point" in page(build(base_repo, "hr"), "bob")  # so the test can fail


def test_one_not_written_is_owed_and_overdue_to_its_audience(base_repo: Path) -> None:
    """Bob has none: HR, Bob and his manager read that it is overdue; past execution it
    is no longer owed, only not written."""
    repo = with_checkpoint(base_repo)
    for audience in ("hr", "person:bob", "person:dave"):
        shown = page(build(repo, audience), "bob")
        assert "Check-point" in shown and "overdue" in shown, audience
        assert "not written yet" in shown
    assert "Check-point" not in page(build(repo, "person:alice"), "bob")
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: execution", "phase: review"))
    shown = page(build(repo, "hr"), "bob")
    assert "Not written" in shown and "overdue" not in shown


def test_the_public_site_holds_none_of_it_and_its_scan_knows_its_text(base_repo: Path) -> None:
    """The public build never reads check-points; a hand-written page that quotes one
    (its summary, a next step) fails the build, naming the check-point's file only."""
    repo = with_checkpoint(base_repo)
    public = repo / "public"
    done = run_cli("site", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not anywhere(public, TEXTS)
    for person in ("alice", "bob"):
        assert "Check-point" not in page(public, person)
    assert SUMMARY in page(build(repo, "hr"), "alice")  # the restricted build does show it
    for quoted in (SUMMARY, ACTION):
        (repo / "site" / "notes.md").write_text(f"# Notes\n\nFrom the meeting: {quoted}\n")
        leaked = run_cli("site", cwd=repo)
        assert leaked.returncode == 1, quoted
        assert f"holds text of {CYCLE}/checkpoints/alice.yaml" in leaked.stderr
        assert quoted not in leaked.stdout + leaked.stderr
        assert not anywhere(public, TEXTS)  # the last good site stays


def test_sealed_each_identity_reads_what_it_opens(base_repo: Path, tmp_path: Path) -> None:
    """In a sealed cycle a build reads the check-point with the caller's identity: HR's,
    Alice's and her manager's open it; without a key it is sealed, never missing or owed."""
    repo = with_checkpoint(base_repo)
    identity = seal_cycle(
        repo, tmp_path / "keys", ("alice", "bob", "dave", "carol", "henry", "sam")
    )
    cycle = repo / CYCLE / "cycle.yaml"  # seal_cycle's edit expects the review phase
    cycle.write_text(cycle.read_text() + "confidentiality: sealed\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PERFLOOP_IDENTITY": ""}
    sealed = run_cli("seal", cwd=repo, env=env)
    assert sealed.returncode == 0, sealed.stderr
    assert (repo / CYCLE / "checkpoints" / "alice.yaml.age").exists()
    for audience, who in (("hr", "henry"), ("person:alice", "alice"), ("person:dave", "dave")):
        shown = page(build(repo, audience, "-i", str(identity[who]), env=env), "alice")
        assert SUMMARY in shown and ACTION in shown, audience
    keyless = page(build(repo, "hr", env=env), "alice")
    assert "sealed, not readable by you" in keyless
    assert SUMMARY not in keyless and "not written" not in keyless
    carol = build(repo, "person:carol", "-i", str(identity["carol"]), env=env)
    assert "Check-point" not in page(carol, "alice")


def test_the_example_shows_its_check_points_to_hr_only(tmp_path: Path) -> None:
    """The example company's sealed check-points: on HR's site (HR's example key), on no
    page or search index of the public site."""
    repo = example_with_site(tmp_path / "example")
    org = load_identities(ORG_IDENTITY)
    texts: list[str] = []
    for sealed in sorted((repo / CYCLE / "checkpoints").glob("*.yaml.age")):
        doc, problems = parse_bytes(org.open(sealed.read_bytes()), str(sealed))
        assert doc is not None, problems
        texts.append(doc.data["summary"])
        texts += [step["action"] for step in doc.data.get("next_steps", [])]
    assert len(texts) >= 2
    hr = build(repo, "hr", env=AS_HR)
    assert sorted(anywhere(hr / "people", tuple(texts))) == sorted(texts)
    done = run_cli("site", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not anywhere(repo / "public", tuple(texts))
    assert (repo / "public" / "search" / "search_index.json").exists()
