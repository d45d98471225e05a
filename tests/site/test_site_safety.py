"""What a site build may never do: destroy the last good site, publish confidential text,
or show a restricted reader someone else's development plan. Real `mkdocs build --strict`
and `perfloop site` runs on the small base repository."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from sitebuild import MINIMAL_MKDOCS, add_minimal_site, mkdocs_build, output_files, page_text


def _snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".") and "build" in p.name]


def _break_goals(repo: Path) -> Path:
    goals = repo / "cycles" / "2026-h2" / "goals" / "bob.yaml"
    goals.write_text(goals.read_text().replace("current: 9", "current: nine"))
    return goals


def test_a_failed_build_keeps_the_last_good_site_and_names_the_file(base_repo: Path) -> None:
    repo = add_minimal_site(base_repo)
    assert mkdocs_build(repo).returncode == 0
    good = _snapshot(repo / "public")
    assert "people/bob/index.html" in good

    goals = _break_goals(repo)
    result = mkdocs_build(repo)
    assert result.returncode == 1
    assert "cycles/2026-h2/goals/bob.yaml:" in result.stderr
    assert "Error building page" not in result.stderr  # it named a page that was fine
    assert _snapshot(repo / "public") == good
    assert not _leftovers(repo)

    (repo / "site" / "about.md").write_text("# About\n\nSee [the plan](nowhere.md).\n")
    goals.write_text(goals.read_text().replace("current: nine", "current: 9"))
    result = mkdocs_build(repo)  # strict: a warning fails the build, after every page
    assert result.returncode == 1 and "nowhere.md" in result.stderr
    assert _snapshot(repo / "public") == good
    (repo / "site" / "about.md").unlink()

    hr = run_cli("site", "--audience", "hr", cwd=repo)
    assert hr.returncode == 0, hr.stderr
    restricted = repo / "build" / "site-hr"
    good = _snapshot(restricted)
    _break_goals(repo)
    hr = run_cli("site", "--audience", "hr", cwd=repo)
    assert hr.returncode == 1
    assert "cycles/2026-h2/goals/bob.yaml:" in hr.stderr
    assert "Error building page" not in hr.stderr
    assert _snapshot(restricted) == good
    assert not _leftovers(repo / "build")


PLAN = "Pair with the billing team on one incident review a month"


def test_a_carried_development_plan_is_shown_only_to_whom_may_see_it(base_repo: Path) -> None:
    """`cycle new` carries Bob's review improvement plan into his goals: his own build, his
    department heads' and HR's show it; a colleague's or another department's do not (not
    on his page, his department's page or in the search index)."""
    repo = add_minimal_site(base_repo)
    goals = repo / "cycles" / "2026-h2" / "goals" / "bob.yaml"
    carried = (
        "  - id: development\n"
        "    title: Development plan agreed in the 2026-h1 reviews\n"
        "    kind: development\n"
        "    carried_from: 2026-h1/reviews/bob\n"
        "    key_results:\n"
        f"      - {{id: a1, title: '{PLAN}', type: milestone, done: false}}\n"
    )
    goals.write_text(goals.read_text().replace("kpis:\n", carried + "kpis:\n", 1))
    assert run_cli("validate", cwd=repo).returncode == 0

    def shown(audience: str) -> bool:
        out = repo / "build" / audience
        built = run_cli("site", "--audience", audience, "--out", str(out), cwd=repo)
        assert built.returncode == 0, built.stderr
        return any(
            PLAN in (page_text(p) if p.suffix == ".html" else p.read_text(errors="replace"))
            for p in output_files(out)
        )

    assert not shown("person:alice")
    assert not shown("dept:sales")
    assert shown("person:bob")
    assert shown("dept:eng")  # Platform is part of Engineering


def test_the_public_build_refuses_a_restricted_audience(base_repo: Path) -> None:
    repo = add_minimal_site(base_repo)
    (repo / "mkdocs.yml").write_text(
        MINIMAL_MKDOCS.replace("  - perfloop\n", "  - perfloop:\n      audience: hr\n")
    )
    for result in (mkdocs_build(repo), run_cli("site", cwd=repo)):
        assert result.returncode == 1
        assert "mkdocs.yml sets audience: hr" in result.stderr
        assert "perfloop site --audience hr" in result.stderr
    assert not (repo / "public").exists()


REVIEW = "cycles/2026-h2/reviews/bob/dave.yaml"
COMMENT = "Bob kept the checkout dashboards honest when the pager went quiet for a week."


def _with_review_text(repo: Path) -> None:
    review = repo / REVIEW
    review.write_text(review.read_text() + f"comments: >-\n  {COMMENT}\n")


@pytest.mark.parametrize(
    ("setup", "named"),
    [
        (
            lambda repo: (repo / "site" / "data").symlink_to("../cycles/2026-h2/reviews"),
            "site/data is a symbolic link",
        ),
        (
            lambda repo: (
                (repo / "mkdocs.yml").write_text(
                    MINIMAL_MKDOCS + "markdown_extensions:\n  - pymdownx.snippets\n"
                ),
                (repo / "site" / "team.md").write_text(f'# Team\n\n--8<-- "{REVIEW}"\n'),
            ),
            "pymdownx.snippets: base_path '.' reaches cycles/",
        ),
        (
            lambda repo: (repo / "mkdocs.yml").write_text(
                MINIMAL_MKDOCS.replace("  font: false\n", "  font: false\n  custom_dir: cycles\n")
            ),
            "the theme folder cycles reaches cycles/",
        ),
        (
            lambda repo: (
                (repo / "mkdocs.yml").write_text(
                    MINIMAL_MKDOCS
                    + "markdown_extensions:\n  - pymdownx.snippets:SnippetExtension\n"
                ),
                (repo / "site" / "team.md").write_text(f'# Team\n\n--8<-- "{REVIEW}"\n'),
            ),
            "pymdownx.snippets:SnippetExtension: base_path '.' reaches cycles/",
        ),
        *(
            (
                lambda repo, off=off: (
                    (repo / "mkdocs.yml").write_text(
                        MINIMAL_MKDOCS + "markdown_extensions:\n  - pymdownx.snippets:\n"
                        f"      base_path: [site/snippets]\n      restrict_base_path: {off}\n"
                    ),
                    (repo / "site" / "snippets").mkdir(),
                    (repo / "site" / "team.md").write_text(f'# Team\n\n--8<-- "../../{REVIEW}"\n'),
                ),
                "pymdownx.snippets: restrict_base_path: false is refused",
            )
            for off in ("0", '"no"')
        ),
    ],
    ids=[
        "symlink-under-site",
        "snippets-from-the-root",
        "theme-folder",
        "snippets-by-its-class",
        "snippets-unrestricted-as-0",
        "snippets-unrestricted-as-no",
    ],
)
def test_the_public_build_reads_cycles_only_through_the_plugin(
    base_repo: Path, setup, named: str
) -> None:
    repo = add_minimal_site(base_repo)
    _with_review_text(repo)
    setup(repo)
    result = mkdocs_build(repo)
    assert result.returncode == 1, result.stderr
    assert named in result.stderr
    assert not (repo / "public").exists()


def test_the_public_build_fails_when_its_output_holds_confidential_text(base_repo: Path) -> None:
    repo = add_minimal_site(base_repo)
    _with_review_text(repo)
    calibration = repo / "cycles" / "2026-h2" / "calibration" / "platform.yaml"
    calibration.parent.mkdir()
    calibration.write_text('ratings:\n  alice:\n    rating: "A"\n  bob:\n    rating: "B"\n')
    assert mkdocs_build(repo).returncode == 0  # nothing confidential in it yet
    good = _snapshot(repo / "public")

    # a hand-written page quoting the review, a committed copy of the calibration file
    (repo / "site" / "notes.md").write_text(f"# Notes\n\nDave wrote: *{COMMENT}*\n")
    (repo / "site" / "ratings.yaml").write_text(calibration.read_text())
    result = mkdocs_build(repo)
    assert result.returncode == 1
    assert f"public/notes/index.html (from site/notes.md) holds text of {REVIEW}" in result.stderr
    assert (
        "public/ratings.yaml (from site/ratings.yaml) holds text of "
        "cycles/2026-h2/calibration/platform.yaml"
    ) in result.stderr
    assert "search_index.json holds text of " + REVIEW in result.stderr
    assert "pager went quiet" not in result.stderr  # names files, never the text (CI logs)
    assert _snapshot(repo / "public") == good


def test_the_public_build_fails_when_its_output_holds_a_reviews_ratings(base_repo: Path) -> None:
    """A review's ratings are numbers under question names, too short to be prose: the
    block as a whole is searched for (here as a highlighted code block would show it)."""
    repo = add_minimal_site(base_repo)
    review = repo / REVIEW
    review.write_text(
        review.read_text().replace(
            "ratings: {impact: 3, collaboration: 3}",
            "ratings:\n  # What impact did the work have?\n  impact: 3\n  collaboration: 3",
        )
    )
    (repo / "site" / "team.md").write_text(
        "# Team\n\n<pre><span>ratings</span><span>:</span>\n  <span>impact</span>"
        "<span>:</span> <span>3</span>\n  <span>collaboration</span><span>:</span> 3</pre>\n"
    )
    result = mkdocs_build(repo)
    assert result.returncode == 1
    assert f"public/team/index.html (from site/team.md) holds text of {REVIEW}" in result.stderr
    assert not (repo / "public").exists()


def _without_the_plugin(repo: Path) -> None:
    (repo / "mkdocs.yml").write_text(
        MINIMAL_MKDOCS.replace("docs_dir: site", "docs_dir: cycles").replace("  - perfloop\n", "")
    )


def _with_a_decoy(repo: Path) -> None:
    """The plugin reading a decoy cycles/ (no reviews) while MkDocs copies the real one."""
    shutil.copytree(repo / "cycles", repo / "decoy" / "cycles")
    shutil.rmtree(repo / "decoy" / "cycles" / "2026-h2" / "reviews")
    (repo / "mkdocs.yml").write_text(
        MINIMAL_MKDOCS.replace("docs_dir: site", "docs_dir: cycles").replace(
            "  - perfloop\n", "  - perfloop:\n      cycles_dir: decoy/cycles\n"
        )
    )


@pytest.mark.parametrize(
    ("setup", "named"),
    [
        (
            lambda repo: (repo / "mkdocs.yml").write_text(
                MINIMAL_MKDOCS.replace("  - perfloop\n", "  - perfloop:\n      enabled: false\n")
            ),
            "the perfloop plugin is missing or disabled",
        ),
        (_without_the_plugin, "docs_dir cycles reaches cycles/"),
        (_with_a_decoy, "the perfloop plugin's cycles_dir must be the repository's cycles/"),
    ],
    ids=["plugin-disabled", "plugin-removed-docs-in-cycles", "plugin-on-a-decoy"],
)
def test_publishing_refuses_a_configuration_that_switches_the_protections_off(
    base_repo: Path, setup, named: str
) -> None:
    """The plugin's protections only run while it does: `perfloop site` (the publishing
    job's build) loads mkdocs.yml as MkDocs will and refuses it, naming the file."""
    repo = add_minimal_site(base_repo)
    _with_review_text(repo)
    setup(repo)
    result = run_cli("site", "--out", "public", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert f"mkdocs.yml:1:1: error: {named}" in result.stderr
    assert not (repo / "public").exists()


def test_checking_an_mkdocs_yml_runs_none_of_its_hooks(base_repo: Path) -> None:
    """MkDocs imports hook files while it loads a configuration: the check of a pull
    request's mkdocs.yml (which the gate runs, holding the app's key) must not run them."""
    from perfloop.site.fences import changed_config_errors

    repo = add_minimal_site(base_repo)
    marker = repo / "ran"
    (repo / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    text = (MINIMAL_MKDOCS + "hooks:\n  - evil.py\n").encode()
    assert changed_config_errors(repo, text) == []
    assert not marker.exists()


def test_checking_an_mkdocs_yml_shows_no_variable_of_the_job(
    base_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`!ENV` in a pull request's mkdocs.yml would put the gate's token into an error
    message (posted on the pull request): the check reads it without the environment."""
    from perfloop.site.fences import changed_config_errors

    repo = add_minimal_site(base_repo)
    monkeypatch.setenv("PERFLOOP_APP_TOKEN", "ghs_s3cr3t")
    monkeypatch.chdir(repo)  # snippets' base paths are relative to where MkDocs runs
    text = (
        MINIMAL_MKDOCS + "markdown_extensions:\n  - pymdownx.snippets:\n"
        "      base_path: [!ENV [PERFLOOP_APP_TOKEN, cycles]]\n"
    ).encode()
    errors = [p.message for p in changed_config_errors(repo, text)]
    assert errors and not any("s3cr3t" in e for e in errors), errors
    assert "base_path 'cycles' reaches cycles/" in errors[0]
    assert os.environ["PERFLOOP_APP_TOKEN"] == "ghs_s3cr3t"  # given back afterwards


def test_checking_an_mkdocs_yml_reads_no_file_outside_the_repository(
    base_repo: Path, tmp_path: Path
) -> None:
    """INHERIT names a file MkDocs reads (and a parse error quotes): in a pull request's
    mkdocs.yml, only one of the repository."""
    from perfloop.site.fences import changed_config_errors

    repo = add_minimal_site(base_repo)
    secret = tmp_path / "credentials"
    secret.write_text("token: ghs_s3cr3t: [\n")
    (repo / "base.yml").write_text(f"INHERIT: {secret}\n")
    for text in (f"INHERIT: {secret}\n{MINIMAL_MKDOCS}", f"INHERIT: base.yml\n{MINIMAL_MKDOCS}"):
        errors = [p.message for p in changed_config_errors(repo, text.encode())]
        assert errors == [
            f"INHERIT: {secret} is not a file of the repository; the public site build refuses it"
        ]


HOOK = """import shutil
from pathlib import Path

from mkdocs.plugins import event_priority


@event_priority(-1000)  # after the perfloop plugin scanned the site
def on_post_build(config):
    shutil.copy("{review}", Path(config.site_dir) / "notes.txt")
"""


def test_publishing_scans_what_was_written_after_the_plugins_scan(base_repo: Path) -> None:
    repo = add_minimal_site(base_repo)
    _with_review_text(repo)
    (repo / "hook.py").write_text(HOOK.format(review=REVIEW))
    (repo / "mkdocs.yml").write_text(MINIMAL_MKDOCS + "hooks:\n  - hook.py\n")
    result = run_cli("site", "--out", "public", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert f"public/notes.txt holds text of {REVIEW}" in result.stderr
    assert "pager went quiet" not in result.stderr
    assert not (repo / "public").exists()


def test_the_scan_finds_text_as_pages_and_the_search_index_write_it(tmp_path: Path) -> None:
    from perfloop.site import leaks

    review = (
        "ratings: {impact: 4}\n"
        "comments: >-\n"
        "  Ana's runbooks (the on-call ones) are the ones support\n"
        "  engineers actually read.\n"
        "improvement_plan:\n"
        "  - action: Lead the quarterly architecture review for payments\n"
        "    due: 2027-03-31\n"
        "strengths: Shipped the ledger migration without downtime\n"
    )
    found = list(leaks.needles_of(review, "reviews", "r.yaml"))
    texts = {n.text for n in found}
    assert "ana s runbooks (the on-call ones) are the ones support" in texts
    assert not any("quarterly architecture" in t for t in texts)  # plans may become goals
    block = "ratings:\n  impact: 4\n  # a question's comment\n  craft: 3\ncomments: ok\n"
    assert [n.text for n in leaks.needles_of(block, "reviews", "r.yaml")] == [
        "ratings: impact: 4 craft: 3"
    ]
    results = "people:\n  ana:\n    final: 87.25\n    rating: A\n"
    assert [n.text for n in leaks.needles_of(results, "results", "x")] == ["final: 87.25"]

    goals = tmp_path / "cycles" / "c1" / "goals"
    goals.mkdir(parents=True)
    (goals / "ana.yaml").write_text(
        "objectives:\n  - title: Shipped the ledger migration without downtime\n"
    )
    needles = leaks.Needles([*found, leaks.Needle("final: 87.25", "x")], tmp_path)
    page = b"<p>Ana&#39;s runbooks &#40;the on-call ones&#41; are the ones <em>support</em></p>"
    assert [n.source for n in needles.find(page)] == ["r.yaml"]
    index = json.dumps(
        {"docs": [{"text": "Ana\u2019s runbooks (the on-call ones) are the ones support"}]}
    )
    assert needles.find(index.encode(), json_file=True)
    # a goal's title a reviewer quoted is public: not a leak
    assert not needles.find(b"<p>Shipped the ledger migration without downtime</p>")
    assert needles.find(b"okr: 80\nfinal: 87.25\n")
    assert not needles.find(b"<p>Progress 87% of 25 services</p>")


def test_a_build_never_replaces_the_repository_with_the_site(base_repo: Path) -> None:
    """A successful build replaces its output folder: that folder may not hold the cycles
    or the hand-written pages (MkDocs alone used to empty it, keeping only dot files)."""
    repo = add_minimal_site(base_repo)
    (repo / "site" / "about.md").write_text("# About\n")
    for out in (".", "site"):
        result = run_cli("site", "--audience", "hr", "--out", out, cwd=repo)
        assert result.returncode == 2, result.stderr
        assert "would replace" in result.stderr
    assert (repo / "cycles" / "2026-h2" / "org.yaml").is_file()
    assert (repo / "site" / "about.md").is_file()
