"""What a reader gets from the site, measured in headless Chromium at a desk (1400 px) and
on a phone (390 px), in light and dark mode: charts as wide as the content column with
axis labels of a readable size and a legend, a table of contents on the long pages, and
no table column that is empty on every row.

One public build and one HR build of the example, shared by the module's tests. Uses
Debian's chromium through playwright, as test_site_browser.py does. Screenshots of the
pages people read every week land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import AS_HR, ROOT, run_cli
from sitebuild import example_with_site, mkdocs_build
from test_site_browser import ARGS, CHROMIUM

ARTIFACTS = ROOT / "test-artifacts"
VIEWS = [(1400, "default"), (1400, "slate"), (390, "default"), (390, "slate")]
MIN_LABEL_PX = 10.5  # an axis label smaller than this on screen is hard to read
# pages with charts, as (build, path): a person's check-ins, a department's and the
# company's progress over the cycle, HR's distributions and ratings across cycles
CHARTS = [
    ("public", "people/alice/"),
    ("public", "departments/platform/"),
    ("public", "departments/marketing/"),  # alignment warnings too
    ("public", ""),
    ("hr", "results/"),
]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    repo = example_with_site(tmp_path_factory.mktemp("reader") / "example")
    public = mkdocs_build(repo)
    assert public.returncode == 0, public.stderr
    hr = run_cli("site", "--audience", "hr", cwd=repo, env=AS_HR)
    assert hr.returncode == 0, hr.stderr
    return {"public": repo / "public", "hr": repo / "build" / "site-hr"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def bases(sites: dict[str, Path]) -> Iterator[dict[str, str]]:
    servers, out = [], {}
    for name, folder in sites.items():
        handler = functools.partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        out[name] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield out
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "chromium is missing: run scripts/install.sh"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _open(chromium, url: str, width: int, scheme: str):
    page = chromium.new_page(viewport={"width": width, "height": 1000})
    page.goto(url)
    # what Material's palette toggle does
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    return page


# Every chart of the article: its width against the column's, its smallest axis label as
# rendered, its legend's list style, and the contrast of its labels with the page.
_MEASURE = """() => {
  const column = document.querySelector('article h1').getBoundingClientRect().width;
  const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = c => { const v = rgb(c).map(x => { x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  let bg = getComputedStyle(document.body).backgroundColor;
  if (rgb(bg).length < 3 || bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
  const quiet = [...document.querySelectorAll(
    'article .pl-muted, article .pl-sub, article .pl-id, article .pl-warnings li')]
    .map(e => { const [a, b] = [lum(getComputedStyle(e).color), lum(bg)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05); });
  const faintest = Math.min(10, ...quiet);
  return [...document.querySelectorAll('article svg.pl-chart')].map(svg => {
    const scale = svg.getScreenCTM().a;
    const labels = [...svg.querySelectorAll('text.pl-axis')];
    const sizes = labels.map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    const fill = labels.length ? getComputedStyle(labels[0]).fill : 'rgb(0,0,0)';
    const [a, b] = [lum(fill), lum(bg)].sort((x, y) => y - x);
    const box = svg.getBoundingClientRect();
    const rects = labels.map(t => t.getBoundingClientRect());
    const clipped = rects.filter(r => r.left < box.left - 1 || r.right > box.right + 1
      || r.top < box.top - 1 || r.bottom > box.bottom + 1).length;
    let overlaps = 0;
    rects.forEach((a, i) => rects.slice(i + 1).forEach(b => {
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
          && b.top < a.bottom - 1) overlaps++; }));
    const legend = svg.parentElement.querySelector('ul.pl-legend');
    return {
      ratio: svg.getBoundingClientRect().width / column,
      smallest: Math.min(...sizes),
      contrast: (a + 0.05) / (b + 0.05),
      legend: legend ? legend.children.length : 0,
      bullets: legend ? getComputedStyle(legend.children[0]).listStyleType : 'none',
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      faintest,  // the muted text (notes, ids) against the page
      clipped,  // labels cut by the chart's edge
      overlaps,  // labels drawn over each other
    };
  });
}"""


@pytest.mark.parametrize(("width", "scheme"), VIEWS)
def test_charts_fill_the_column_and_read_at_normal_zoom(chromium, bases, width, scheme) -> None:
    for build, path in CHARTS:
        page = _open(chromium, urljoin(bases[build], path), width, scheme)
        charts = page.evaluate(_MEASURE)
        assert charts, f"{build} {path}: no chart"
        for chart in charts:
            where = f"{build} /{path} at {width} px, {scheme}: {chart}"
            assert chart["ratio"] >= 0.95, where
            assert chart["smallest"] >= MIN_LABEL_PX, where
            assert chart["contrast"] >= 3 and chart["faintest"] >= 3, where
            assert chart["legend"] >= 1 and chart["bullets"] == "none", where
            assert chart["clipped"] == 0 and chart["overlaps"] == 0, where
            assert not chart["overflow"], where  # no page wider than the screen
        page.close()


# the long pages and what their table of contents must list
_TOC = [
    ("public", "tree/", ["Become the billing platform mid-market SaaS companies trust"]),
    ("public", "people/", ["Engineering", "Platform", "Sales"]),
    ("hr", "results/", ["Ratings across cycles", "Engineering", "Sales", "People"]),
]


@pytest.mark.parametrize("width", [1400, 390])
def test_long_pages_have_a_table_of_contents_or_jump_links(chromium, bases, width) -> None:
    for build, path, expected in _TOC:
        page = _open(chromium, urljoin(bases[build], path), width, "default")
        entries = page.eval_on_selector_all(
            "nav.md-nav--secondary a.md-nav__link", "els => els.map(e => e.textContent.trim())"
        )
        for name in expected:
            assert name in entries, (path, entries)
        for href in page.eval_on_selector_all(
            "nav.md-nav--secondary a.md-nav__link", "els => els.map(e => e.hash)"
        ):
            assert page.locator(f"[id='{href[1:]}']").count() == 1, (path, href)
        if width == 390 and path != "people/":  # no table of contents beside the page
            assert page.locator("article p.pl-jump a").first.is_visible(), path
        page.close()


def test_screenshots_of_the_pages_people_read(chromium, bases) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name, build, path, width, scheme in (
        ("home", "public", "", 1400, "default"),
        ("tree", "public", "tree/", 1400, "slate"),
        ("department", "public", "departments/platform/", 1400, "default"),
        ("person", "public", "people/alice/", 390, "default"),
        ("person-dark", "public", "people/alice/", 1400, "slate"),
        ("results", "hr", "results/", 1400, "default"),
    ):
        page = chromium.new_page(viewport={"width": width, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.goto(urljoin(bases[build], path))
        page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        assert page.locator("article h1").is_visible(), name
        page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=True)
        page.close()
        assert not errors, (name, errors)


class _Tables(HTMLParser):
    """Each table's cells by column: a header cell, then the text of each body cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []  # table -> row -> cell text
        self.stack: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "table":
            self.stack.append([])
        elif tag == "tr" and self.stack:
            self.stack[-1].append([])
        elif tag in ("td", "th") and self.stack and self.stack[-1]:
            self.cell = []
        elif tag in ("svg", "span") and self.cell is not None and ("role", "progressbar") in attrs:
            self.cell.append("bar")

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self.cell is not None and self.stack and self.stack[-1]:
            self.stack[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.stack:
            self.tables.append(self.stack.pop())

    def handle_data(self, data) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_no_table_has_a_column_empty_on_every_row(sites) -> None:
    found = []
    for build, site in sites.items():
        for page in sorted(site.rglob("*.html")):
            parser = _Tables()
            parser.feed(page.read_text(encoding="utf-8"))
            for rows in parser.tables:
                body = rows[1:]
                if not body:
                    continue
                for col in range(len(rows[0])):
                    if all(len(r) > col and not r[col] for r in body):
                        header = rows[0][col] if col < len(rows[0]) else col
                        found.append(f"{build}: {page.relative_to(site)}: column {header!r}")
    assert not found, found[:10]
