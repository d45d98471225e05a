"""Guard: the public site of the example holds no review text, score or rating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import AS_HR, ORG_IDENTITY, ROOT, run_cli, seal_text
from perfloop.loader import parse_bytes
from perfloop.sealing.age import load_identities
from sitebuild import example_with_site, mkdocs_build, output_files, page_text

MIN_LEN = 16  # shorter strings could occur by chance ("Good work")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def confidential_texts() -> set[str]:
    """Every free text of every review and calibration file of the example, plain (2026-h1)
    or sealed (2026-h2, opened with the example's org key)."""
    org = load_identities(ORG_IDENTITY)
    texts = set()
    for folder in ("reviews", "calibration"):
        for path in (ROOT / "cycles").glob(f"*/{folder}/**/*.yaml*"):
            raw = org.open(path.read_bytes()) if path.suffix == ".age" else path.read_bytes()
            assert raw is not None, path
            doc, problems = parse_bytes(raw, str(path))
            assert doc is not None, problems
            texts |= {" ".join(s.split()) for s in _strings(doc.data) if len(s) >= MIN_LEN}
    return texts


@pytest.fixture(scope="module")
def public_site(tmp_path_factory) -> Path:
    repo = example_with_site(tmp_path_factory.mktemp("public") / "example")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    return repo / "public"


def test_the_example_has_confidential_text_to_look_for() -> None:
    assert len(confidential_texts()) > 600  # both cycles' (2026-h1 alone has 166)


def test_no_review_or_calibration_text_anywhere(public_site: Path) -> None:
    texts = confidential_texts()
    for path in output_files(public_site):
        shown = page_text(path) if path.suffix == ".html" else path.read_text(errors="replace")
        shown = " ".join(shown.split())
        leaked = [t for t in texts if t in shown]
        assert not leaked, f"{path.relative_to(public_site)}: {leaked[0][:80]}"


def test_no_score_rating_or_bonus_anywhere(public_site: Path) -> None:
    scores = json.loads(run_cli("score", "--json", cwd=ROOT, env=AS_HR).stdout)
    finals = {
        f"{p[k]:.2f}" for p in scores["people"] for k in ("okr", "kpi", "review", "final") if p[k]
    }
    assert finals
    for path in public_site.rglob("*.html"):
        text = page_text(path)
        for word in ("Final score", "Final rating", "Bonus", "Calibrated", "Review group"):
            assert word not in text, f"{path.relative_to(public_site)}: {word}"
        if not path.relative_to(public_site).as_posix().startswith("guide/"):  # it names them
            for word in (
                "Ratings across cycles",  # restricted builds' distribution trend
                "Share of each rating",
                "self-review of",  # who still owes a review: restricted builds' home page
            ):
                assert word not in text, f"{path.relative_to(public_site)}: {word}"
        assert 'class="pl-restricted"' not in path.read_text()  # no restricted build's banner
        numbers = set(text.replace(",", " ").split())
        assert not (finals & numbers), f"{path.relative_to(public_site)}: {finals & numbers}"
    assert not (public_site / "results").exists()


def test_public_build_never_reads_confidential_files(tmp_path: Path) -> None:
    """A review file the public build would choke on does not matter: it is never parsed."""
    repo = example_with_site(tmp_path / "example")
    review = "cycles/2026-h2/reviews/alice/sofia.yaml"
    seal_text(repo, review, "ratings: [this is not: valid")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    restricted = run_cli("site", "--audience", "hr", cwd=repo, env=AS_HR)
    assert restricted.returncode == 1  # the HR build reads it, and refuses it
    assert f"{review}.age:" in restricted.stderr


def test_development_plans_carried_from_reviews_stay_off_the_public_site(tmp_path: Path) -> None:
    """`cycle new` turns review improvement plans into a development objective in the next
    goals: what reviewers wrote. The public site leaves it out (the person's own build
    shows it) until the person drops `carried_from` and so makes it their own."""
    repo = example_with_site(tmp_path / "example")
    goals = repo / "cycles" / "2026-h2" / "goals" / "alice.yaml"
    action = "Write a promotion case for staff engineer with her manager (by 2027-02-15)"
    carried = (
        "  - id: development\n"
        "    title: Development plan agreed in the 2026-h1 reviews\n"
        "    kind: development\n"
        "    carried_from: 2026-h1/reviews/alice\n"
        "    key_results:\n"
        f"      - {{id: a1, title: '{action}', type: milestone, done: false}}\n"
    )
    text = goals.read_text()
    goals.write_text(text.replace("\nkpis:\n", "\n" + carried + "kpis:\n", 1))
    assert run_cli("validate", cwd=repo).returncode == 0

    def shown(site: Path) -> bool:
        return any(
            action in (page_text(p) if p.suffix == ".html" else p.read_text(errors="replace"))
            for p in output_files(site)
        )

    assert mkdocs_build(repo).returncode == 0
    assert not shown(repo / "public")
    own = run_cli("site", "--audience", "person:alice", "--out", "own", cwd=repo)
    assert own.returncode == 0, own.stderr
    assert shown(repo / "own")
    banner = "Restricted to Alice Chen (person:alice). Do not forward."
    assert banner in page_text(repo / "own" / "people" / "alice" / "index.html")

    goals.write_text(goals.read_text().replace("    carried_from: 2026-h1/reviews/alice\n", ""))
    assert mkdocs_build(repo).returncode == 0
    assert shown(repo / "public")  # adopted: an objective like any other
