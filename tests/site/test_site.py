"""The site: `mkdocs build --strict` on real repositories, pages checked as a reader sees them."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AS_HR, ROOT, run_cli
from perfloop.repository import current_cycle_id
from perfloop.validation import validate_cycle
from sitebuild import (
    add_minimal_site,
    broken_links,
    details_element,
    example_with_site,
    main_text,
    mkdocs_build,
    output_files,
    page_text,
)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    repo = example_with_site(tmp_path_factory.mktemp("site") / "example")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    return repo / "public"


def test_example_builds_every_page(example_site: Path) -> None:
    for page in (
        "index.html",
        "tree/index.html",
        "departments/index.html",
        "departments/platform/index.html",
        "people/index.html",
        "people/alice/index.html",
        "archive/index.html",
        "archive/2026-h1/index.html",
        "archive/2026-h1/tree/index.html",
        "archive/2026-h1/people/alice/index.html",
        "about/index.html",
    ):
        assert (example_site / page).is_file(), page


def test_home_shows_cycle_phase_deadlines_and_completion(example_site: Path) -> None:
    text = main_text(example_site / "index.html")
    assert "H2 2026 (2026-07-01 to 2026-12-31) is in the calibration phase" in text
    assert "review 2026-11-15" in text and "calibration 2026-11-30" in text
    # Engineering has 13 people (eng, platform, product-eng), all with goals and check-ins.
    assert "Engineering 13 13 (100%) 13 (100%)" in text
    assert "<!-- perfloop:summary -->" not in (example_site / "index.html").read_text()


def test_tree_shows_company_and_department_objectives_and_links_to_peoples(
    example_site: Path,
) -> None:
    tree = example_site / "tree" / "index.html"
    text, raw = main_text(tree), tree.read_text()
    assert "Become the billing platform mid-market SaaS companies trust" in text
    assert "<details" in raw  # collapsible
    # platform/o1 shows under the company objective it aligns to (through eng/o2) ...
    assert raw.index('id="o-company--o2"') < raw.index('id="o-platform--o1"')
    # ... and people's objectives are on their department's page, linked from here: Sofia,
    # Alice, Li Wei and Oskar align one objective each to platform/o1
    assert 'id="o-alice--o1"' not in raw
    link = re.search(r'href="([^"]*departments/platform/[^"]*)">4 in Platform</a>', raw)
    assert link and html.unescape(link.group(1)).endswith("#aligned-platform--o1")
    platform = (example_site / "departments" / "platform" / "index.html").read_text()
    group = platform.index('id="aligned-platform--o1"')
    assert group < platform.index('id="o-alice--o1"') < platform.index('id="aligned-platform--o2"')
    # Jonas's o2 aligns to nothing: the tree counts it, his department's page draws it and
    # lists its warning
    assert "jonas/o2" not in text and "1 in Product Engineering" in text
    product = example_site / "departments" / "product-eng" / "index.html"
    assert 'id="o-jonas--o2"' in details_element(product.read_text(), "not-aligned")
    assert "objective jonas/o2 is not aligned to any objective above it" in main_text(product)


def test_a_department_page_holds_its_peoples_objectives(example_site: Path) -> None:
    page = example_site / "departments" / "customer-success" / "index.html"
    text, raw = main_text(page), page.read_text()
    assert "People's objectives" in text
    # Noah's o1 aligns to the department's o1; Amara's o2 to Noah's o1 (her manager, in the
    # same department), so it is drawn inside Noah's
    group = details_element(raw, "aligned-customer-success--o1")
    noah = details_element(group, "o-noah--o1")
    assert 'id="o-amara--o2"' in noah and "Save the accounts at risk" in noah
    assert 'id="o-amara--o1"' in group and 'id="o-amara--o1"' not in noah
    assert "Save the accounts at risk" in text


def test_person_page_key_results_progress_plan_kpis_and_timeline(example_site: Path) -> None:
    page = example_site / "people" / "alice" / "index.html"
    text, raw = main_text(page), page.read_text()
    assert "Take the pager off the billing path" in text
    # kr2: start 6, target 2, current 1 -> (1-6)/(2-6) = 1.25, clamped to 100%
    row = re.search(r'<tr id="o-alice--o1--kr2">.*?</tr>', raw, re.S).group(0)
    assert 'aria-valuenow="100"' in row
    assert "Chaos game day on the billing path" in text  # plan
    assert "Availability of the services you own 99.95 %" in text  # KPI target
    assert "<svg" in raw and "<polyline" in raw  # check-in timeline
    # the 2026-08-05 check-in put o2/kr1 at 640 ms: (640-800)/(300-800) = 32%
    assert "o2/kr1 p95 invoice generation latency: 32% on 2026-08-05" in text


def test_people_pages_stay_out_of_the_navigation_but_are_listed(example_site: Path) -> None:
    home = (example_site / "index.html").read_text()
    nav = home[home.index("md-nav--primary") : home.index("md-sidebar--secondary")]
    assert "people/alice/" not in nav
    assert 'href="people/"' in nav
    listing = (example_site / "people" / "index.html").read_text()
    assert 'href="../people/alice/"' in listing or 'href="alice/"' in listing
    assert "Guide" in nav and "guide/validation/" in nav  # hand-written guide without listing


def test_progress_of_the_small_repository_is_hand_computed(base_repo: Path) -> None:
    add_minimal_site(base_repo)
    result = mkdocs_build(base_repo)
    assert result.returncode == 0, result.stderr
    raw = (base_repo / "public" / "people" / "bob" / "index.html").read_text()
    # bob o1/kr1: start 0, target 12, current 9 -> 75%
    row = re.search(r'<tr id="o-bob--o1--kr1">.*?</tr>', raw, re.S).group(0)
    assert 'aria-valuenow="75"' in row
    # no hand-written index.md: the plugin generates a home page
    assert "Test company" in main_text(base_repo / "public" / "index.html")


def test_every_internal_link_resolves(example_site: Path) -> None:
    broken = broken_links(example_site)
    assert not broken, broken[:10]


def test_no_generated_page_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "site"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    generated = re.compile(r"^site/(tree\.md|departments/|people/|archive/|results/)")
    assert not [p for p in tracked if generated.match(p)]


def test_no_external_resource_is_loaded(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        raw = page.read_text()
        assert not re.findall(r'(?:src|href)="(?:https?:)?//[^"]*(?:googleapis|cdn)', raw), page


def test_search_index_has_the_generated_pages(example_site: Path) -> None:
    index = json.loads((example_site / "search" / "search_index.json").read_text())
    locations = {d["location"] for d in index["docs"]}
    assert "people/alice/" in locations and "tree/" in locations


HOSTILE = {
    "script": "<script>window.__pwned=1</script>",
    "img": '<img src=x onerror="window.__pwned=1">',
    "jinja": "{{ config.site_name }}{% raw %}",
    "link": "[click](javascript:window.__pwned=1)",
}


def hostile_repo(repo: Path) -> Path:
    """The small repository with hostile text in every kind of free-text field."""
    goals = repo / "cycles" / "2026-h2" / "goals" / "bob.yaml"
    text = goals.read_text()
    text = text.replace("title: Observability for checkout", f"title: '{HOSTILE['script']}'")
    text = text.replace("title: Services with SLO dashboards", f"title: '{HOSTILE['img']}'")
    text += (
        "plan:\n"
        f"  - {{task: '{HOSTILE['link']}', due: 2026-09-30, standard: '{HOSTILE['jinja']}'}}\n"
        "checkins:\n"
        f"  - {{date: 2026-08-01, values: {{o1/kr1: 10}}, note: '{HOSTILE['jinja']}',"
        f" blockers: '{HOSTILE['link']}'}}\n"
    )
    goals.write_text(text)
    org = repo / "cycles" / "2026-h2" / "org.yaml"
    org.write_text(org.read_text().replace("name: Bob Li", "name: '<b>Bob</b> &amp; {{ 7*7 }}'"))
    return add_minimal_site(repo)


def test_untrusted_text_never_becomes_markup(base_repo: Path) -> None:
    repo = hostile_repo(base_repo)
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    site = repo / "public"
    for path in output_files(site):
        raw = path.read_text(encoding="utf-8", errors="replace")
        assert "window.__pwned=1</script>" not in raw, path
        assert "<img src=x" not in raw and "<img src=\\u0022x" not in raw, path
        assert 'href="javascript:' not in raw.lower(), path
        assert "<b>Bob</b>" not in raw, path
    # shown as the literal text, not interpreted (no Jinja: the site name is not substituted)
    text = page_text(site / "people" / "bob" / "index.html")
    for value in HOSTILE.values():
        assert value in text
    assert "<b>Bob</b> &amp; {{ 7*7 }}" in text
    assert "{{ 7*7 }}" in text and "49" not in text


def test_restricted_audiences_see_only_what_they_may(tmp_path: Path) -> None:
    repo = example_with_site(tmp_path / "example")
    hr = run_cli("site", "--audience", "hr", cwd=repo, env=AS_HR)  # HR builds them
    assert hr.returncode == 0, hr.stderr
    site = repo / "build" / "site-hr"
    results = main_text(site / "results" / "index.html")
    # perfloop score: maya final 87.33, tomas 80.81
    assert "Maya Okafor 87.33 A" in results and "Tomás Herrera 80.81 A" in results
    # numbers as `perfloop score` prints them: two decimals, the bonus too
    assert "Maya Okafor 83.85 97.75 – 87.33 A 1.20" in results
    assert "Tomás Herrera 85.42 94.16 65.69 80.81 B 1.00" in results
    # the rating distribution across cycles, with mean (scale points) and median
    assert "Ratings across cycles" in results and "Mean Median" in results
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]
    assert len(pages) > 20
    banner = '<p class="pl-restricted">Restricted to HR. Do not forward.</p>'
    for page in pages:  # the tree and guide pages too, not only the results
        assert page.read_text().count(banner) == 1, page
    index = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    tree = [d for d in index if d["location"].startswith("tree/")]
    assert tree and not any("Restricted to" in d["text"] for d in tree)  # not in every result

    sales = run_cli("site", "--audience", "dept:sales", cwd=repo, env=AS_HR)
    assert sales.returncode == 0, sales.stderr
    site = repo / "build" / "site-dept-sales"
    assert "## Results" not in (site / "people" / "alice" / "index.html").read_text()
    assert "Results" not in main_text(site / "people" / "alice" / "index.html")
    marcus = main_text(site / "people" / "marcus" / "index.html")
    assert "Results" in marcus and "Final rating" in marcus
    assert "Engineering" not in main_text(site / "results" / "index.html").split("People")[0]
    # across cycles, a department's audience counts its own people only (6 in Sales)
    assert "2026-h2: B 3 of 6 (50%)" in main_text(site / "results" / "index.html")

    assert "Restricted to Sales (dept:sales). Do not forward." in main_text(site / "index.html")

    public = repo / "public"
    assert not public.exists() or not (public / "results").exists()


def test_restricted_build_never_goes_to_the_public_folder(tmp_path: Path) -> None:
    repo = example_with_site(tmp_path / "example")
    result = run_cli("site", "--audience", "hr", "--out", "public", cwd=repo)
    assert result.returncode == 2
    assert "never goes into the public site folder" in result.stderr
    assert not (repo / "public").exists()


def test_bad_audience_is_a_usage_error(tmp_path: Path) -> None:
    repo = example_with_site(tmp_path / "example")
    result = run_cli("site", "--audience", "everyone", cwd=repo)
    assert result.returncode == 2 and "public, hr, dept:DEPARTMENT" in result.stderr
    result = run_cli("site", "--audience", "dept:nowhere", cwd=repo)
    assert result.returncode == 2 and "no department 'nowhere'" in result.stderr


def test_invalid_data_fails_the_build_with_a_located_error(base_repo: Path) -> None:
    add_minimal_site(base_repo)
    goals = base_repo / "cycles" / "2026-h2" / "goals" / "bob.yaml"
    goals.write_text(goals.read_text().replace("target: 12", "target: 12, colour: red"))
    result = mkdocs_build(base_repo)
    assert result.returncode != 0
    assert "cycles/2026-h2/goals/bob.yaml:" in result.stderr and "colour" in result.stderr
    # no page showing data was written before the errors were known (the theme's 404 is)
    written = [p.name for p in (base_repo / "public").rglob("*.html")]
    assert written in ([], ["404.html"])


def test_invalid_org_fails_the_build_with_a_located_error(base_repo: Path) -> None:
    """org.yaml is all that MkDocs' process reads itself when a worker builds the pages."""
    add_minimal_site(base_repo)
    org = base_repo / "cycles" / "2026-h2" / "org.yaml"
    org.write_text(org.read_text().replace("head: sam}", "head: sam, colour: red}"))
    result = mkdocs_build(base_repo)
    assert result.returncode != 0
    assert "cycles/2026-h2/org.yaml:" in result.stderr and "colour" in result.stderr


@pytest.fixture(scope="module")
def company_300(tmp_path_factory) -> Path:
    """A 300-person demo company, built (read-only for the tests that share it)."""
    repo = tmp_path_factory.mktemp("demo300") / "company"
    made = run_cli("demo", str(repo), "--people", "300", cwd=repo.parent)
    assert made.returncode == 0, made.stderr
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    return repo


def test_a_300_person_company_has_small_pages_and_every_objective_reachable(
    company_300: Path,
) -> None:
    repo = company_300
    site = repo / "public"
    sizes = {p.relative_to(site): p.stat().st_size for p in site.rglob("*.html")}
    largest = max(sizes, key=sizes.__getitem__)
    # with every person's objectives on it the tree page was 1.2 MB here (33 MB at 10,000)
    assert sizes[largest] < 400_000, (largest, sizes[largest])

    data = validate_cycle(repo, current_cycle_id(repo)).data
    tree = (site / "tree" / "index.html").read_text()
    for dept in data.departments.values():
        for objective in dept.objectives:
            assert f'id="o-{dept.owner}--{objective.id}"' in tree
    pages: dict[str, str] = {}
    for pid, goals in data.goals.items():
        dept = data.org.people[pid].department
        if dept not in pages:
            pages[dept] = (site / "departments" / dept / "index.html").read_text()
        for objective in goals.objectives:
            assert f'id="o-{pid}--{objective.id}"' in pages[dept], (pid, objective.id)
            assert f'id="o-{pid}--{objective.id}"' not in tree
    broken = broken_links(site)
    assert not broken, broken[:10]


def test_search_index_finds_people_and_objectives_in_one_entry_a_page(
    company_300: Path,
) -> None:
    """A person's and a department's page are one entry each (no entry per heading), with
    the words people search them by; the index stays small per person (it was 2.5 kB per
    person, 25 MB at 10,000 people)."""
    raw = (company_300 / "public" / "search" / "search_index.json").read_bytes()
    docs = json.loads(raw)["docs"]
    entries: dict[str, list[dict]] = {}
    for doc in docs:
        entries.setdefault(doc["location"].split("#")[0], []).append(doc)
    data = validate_cycle(company_300, current_cycle_id(company_300)).data

    def entry(location: str) -> dict:
        found = entries.get(location, [])
        assert len(found) == 1, (location, [d["location"] for d in found])
        assert "#" not in found[0]["location"]
        return found[0]

    def searchable(doc: dict) -> str:
        return html.unescape(f"{doc['title']} {doc['text']}")

    for pid, person in data.org.people.items():
        doc = entry(f"people/{pid}/")
        assert html.unescape(doc["title"]) == person.name
        words = searchable(doc)
        assert data.org.departments[person.department].name in words, pid
        if person.title:
            assert person.title in words, pid
        for objective in getattr(data.goals.get(pid), "objectives", ()):
            assert objective.title in words, (pid, objective.id)
            for kr in objective.key_results:
                assert kr.title in words, (pid, kr.id)
        assert "Check-ins" not in words and "Manager:" not in words
    for dept_id, dept in data.org.departments.items():
        words = searchable(entry(f"departments/{dept_id}/"))
        assert dept.name in words
        for objective in getattr(data.departments.get(dept_id), "objectives", ()):
            assert objective.title in words, (dept_id, objective.id)
    tree = searchable(entry("tree/"))
    for objective in data.company.objectives:
        assert objective.title in tree
    # every name is once in the index, as its own page's title
    assert sum("people/" in loc for loc in entries) == len(data.org.people) + 1
    assert len(raw) / len(data.org.people) < 700, len(raw) / len(data.org.people)


def test_a_build_reuses_the_cycle_verdict_that_validate_stored(tmp_path: Path) -> None:
    """CI validates, then builds the site: the HR audience's build reads every file, as
    validate did, and takes validate's verdict; the public build (which never reads the
    confidential files) checks once and reuses its own next time. Both still report
    what validate reports."""
    from perfloop.speed.verdict import folder

    def verdicts() -> set[Path]:
        return set(folder(repo).glob("*"))

    repo = example_with_site(tmp_path / "example")
    assert run_cli("validate", cwd=repo).returncode == 0
    after_validate = verdicts()
    assert len(after_validate) == 2  # one per cycle
    hr = run_cli("site", "--audience", "hr", cwd=repo)
    assert hr.returncode == 0, hr.stderr
    assert verdicts() == after_validate
    for _ in range(2):
        public = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        assert public.returncode == 0, public.stderr
        assert len(verdicts()) == 4  # the public content's own verdicts, made once


def test_a_persons_page_links_to_edit_their_goals_file(example_site: Path) -> None:
    """mkdocs.yml's perfloop `edit_url`: a reader's way from reading to a pull request."""
    edit = "https://github.com/northwind-cloud/performance/edit/main/cycles/2026-h2/"
    alice = html.unescape((example_site / "people" / "alice" / "index.html").read_text())
    assert f'<a href="{edit}goals/alice.yaml" rel="edit">Edit these goals</a>' in alice
    assert 'class="md-content__button md-icon" rel="edit"' in alice  # the theme's pencil
    platform = html.unescape((example_site / "departments" / "platform" / "index.html").read_text())
    assert f'href="{edit}departments/platform.yaml"' in platform
    # nothing to edit on an index, a closed cycle's page or a page without a forge file
    for page in (
        "people/index.html",
        "archive/2026-h1/people/alice/index.html",
        "about/index.html",
    ):
        assert 'rel="edit"' not in (example_site / page).read_text(), page


def test_tree_and_people_pages_count_in_english(example_site: Path) -> None:
    tree = main_text(example_site / "tree" / "index.html")
    assert "by 1 contributor" in tree and "contributor(s)" not in tree
    for page in example_site.rglob("*.html"):  # the generated pages (the guide quotes the CLI)
        if not page.relative_to(example_site).as_posix().startswith(("guide/", "about/")):
            assert "(s)" not in main_text(page), page


def test_init_and_demo_sites_have_the_examples_palette(tmp_path: Path) -> None:
    from perfloop.commands.demo import site_files

    assert "scheme: slate" in site_files(50)["mkdocs.yml"]
    made = run_cli("init", "repo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    result = mkdocs_build(tmp_path / "repo")
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "repo" / "public" / "index.html").read_text()
    assert 'data-md-color-scheme="slate"' in home and 'title="Dark mode"' in home
