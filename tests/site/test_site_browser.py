"""Headless Chromium over the built site, served on localhost: what a reader really gets.

Uses Debian's chromium (`scripts/install.sh` installs it) through playwright; no browser is
downloaded. A screenshot of the tree page lands in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from conftest import ROOT
from sitebuild import example_with_site, mkdocs_build
from test_site import HOSTILE, hostile_repo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "chromium is missing: run scripts/install.sh"
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True
        )
        yield context
        context.close()


def _watch(page, base: str) -> tuple[list[str], list[str]]:
    """Console errors and requests that leave localhost."""
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None,
    )
    return errors, outside


def test_reader_sees_tree_person_and_working_links(tmp_path, serve, browser) -> None:
    repo = example_with_site(tmp_path / "example")
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    base = serve(repo / "public")
    page = browser.new_page()
    errors, outside = _watch(page, base)
    expect = pytest.importorskip("playwright.sync_api").expect

    page.goto(urljoin(base, "tree/"))
    tree = page.locator("article").inner_text()
    for title in (
        "Become the billing platform mid-market SaaS companies trust",
        "Be the most reliable billing platform on the market",
        "Build a team that can double",
    ):
        assert title in tree
    company_nodes = page.locator("details.pl-company")
    assert company_nodes.count() == 3  # cycles/2026-h2/company.yaml has three objectives
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-tree.png"), full_page=False)

    # from the people index to a person, by clicking as a reader would
    page.goto(urljoin(base, "people/"))
    page.get_by_role("link", name="Alice Chen").first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/people/alice/"
    kr = page.locator('tr[id="o-alice--o2--kr1"]')
    assert "p95 invoice generation latency" in kr.inner_text()
    assert kr.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    assert page.locator("svg.pl-chart polyline").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "site-person.png"), full_page=True)

    # search: a colleague by name (first result), a key result by its words (a result that
    # matched every word); results follow each key typed, so wait for the whole query's
    alice = urljoin(base, "people/alice/")
    for query, link, first_only in (
        ("Alice Chen", f"{alice}?h=alice+chen", True),
        ("Take the pager off the billing path", f"{alice}?h=take+pager+billing+path", False),
    ):
        page.goto(urljoin(base, "tree/"))
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(query, delay=20)
        results = page.locator("li.md-search-result__item > a:first-child")
        if first_only:
            expect(results.first).to_have_attribute("href", link, timeout=15_000)
        else:
            found = page.locator(f'li.md-search-result__item > a[href="{link}"]')
            expect(found).to_have_count(1, timeout=15_000)

    # every link on the pages visited resolves
    for path in ("", "tree/", "people/", "people/alice/", "departments/platform/"):
        page.goto(urljoin(base, path))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in {h.split("#")[0] for h in hrefs if h.startswith(base)}:
            assert page.request.get(href).status == 200, f"{path} -> {href}"

    assert not errors, errors
    assert not outside, outside


def test_hostile_text_runs_nothing_in_the_browser(tmp_path, serve, browser, base_repo) -> None:
    repo = hostile_repo(base_repo)
    result = mkdocs_build(repo)
    assert result.returncode == 0, result.stderr
    base = serve(repo / "public")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("", "tree/", "people/", "people/bob/", "departments/platform/"):
        page.goto(urljoin(base, path))
        assert page.evaluate("window.__pwned") is None, path
    page.goto(urljoin(base, "people/bob/"))
    text = page.locator("article").inner_text()
    assert HOSTILE["script"] in text and HOSTILE["img"] in text
    # search for the hostile text too: results are rendered by Material's script (Bob's
    # entry shows his department and his objective and key-result titles, the hostile ones)
    page.locator("input.md-search__input").click()
    page.keyboard.type("platform")
    bob = page.locator(f'.md-search-result__link[href^="{urljoin(base, "people/bob/")}"]')
    bob.first.wait_for(timeout=15000)
    assert "window.__pwned=1" in bob.first.inner_text()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert not dialogs
