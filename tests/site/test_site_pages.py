"""How generated pages reach MkDocs: HTML without Python-Markdown, a light search view, and
the same site whether a worker process builds the pages or MkDocs' process does."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import markdown
import pytest
from mkdocs.exceptions import PluginError

from perfloop.site import blocks
from perfloop.site.markup import percent, text
from perfloop.site.pages import Page
from perfloop.site.producer import Producer, Setup, spare_core
from sitebuild import example_with_site, mkdocs_build


def test_headings_and_toc_are_python_markdowns() -> None:
    body = "\n\n".join(
        [
            "<h1>Alice</h1>",
            "## Objectives",
            "<p>o1</p>",
            "## Check-ins",
            "### Reviews",
            "<p>text</p>",
            "## People",
            "## People",
            "## Earlier cycles",
        ]
    )
    page, toc = blocks.render(body)
    md = markdown.Markdown(extensions=["toc"])
    expected = md.convert(body)
    assert page.split() == expected.split()
    assert toc == md.toc_tokens


def test_search_view_keeps_headings_and_text_only() -> None:
    page = (
        '<h1>Bob</h1>\n<p class="pl-facts">A <a href="x/">link</a> · '
        + text("<script>x</script> it's [a](b)")
        + '</p>\n<h2 id="plan">Plan</h2>\n<table><tr><td>one</td><td>two</td></tr></table>'
        '<figure><svg viewBox="0 0 1 1"><title>chart</title></svg></figure>'
        "<ul><li>three</li></ul>"
    )
    view = blocks.search_view(page)
    assert view == (
        '<h1> Bob </h1> A link · &lt;script&gt;x&lt;/script&gt; it\'s [a](b) <h2 id="plan"> '
        "Plan </h2> one two three"
    )
    assert "chart" not in view


def test_search_summary_is_escaped_text_without_empty_parts() -> None:
    summary = blocks.summary("<script>x</script> & co", "", "  two\n words ", "it's")
    assert summary == "&lt;script&gt;x&lt;/script&gt; &amp; co; two words; it's"


def test_apostrophes_are_shown_as_apostrophes() -> None:
    assert html.unescape(text("contributors' targets")) == "contributors' targets"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path]:
    """The example built with the page worker (the default) and without it."""
    parallel = example_with_site(tmp_path_factory.mktemp("parallel") / "example")
    serial = example_with_site(tmp_path_factory.mktemp("serial") / "example")
    config = serial / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("  - perfloop:\n", "  - perfloop:\n      parallel: false\n")
    )
    assert "parallel: false" in config.read_text()
    for repo in (parallel, serial):
        result = mkdocs_build(repo)
        assert result.returncode == 0, result.stderr
    return parallel / "public", serial / "public"


def test_the_worker_changes_nothing(two_builds: tuple[Path, Path]) -> None:
    parallel, serial = two_builds
    pages = sorted(p.relative_to(serial) for p in serial.rglob("*.html"))
    assert pages == sorted(p.relative_to(parallel) for p in parallel.rglob("*.html"))
    assert len(pages) > 80
    for page in pages:
        assert (parallel / page).read_bytes() == (serial / page).read_bytes(), page
    index = "search/search_index.json"
    assert json.loads((parallel / index).read_text()) == json.loads((serial / index).read_text())


def _producer(parallel: bool, fail: str | None = None) -> Producer:
    """A producer of three tiny pages; `fail`: 'load' or 'page' (in the worker only), or
    'data' (errors in the data, anywhere)."""
    parent = os.getpid()

    def build(n: int) -> Page:
        if fail == "page" and n == 1 and os.getpid() != parent:
            raise RuntimeError("the worker stops here")
        return Page(f"Page {n}", f"<p>page {n}</p>\n\n## Part\n\n<p>{os.getpid() == parent}</p>")

    def load() -> str:
        if fail == "load" and os.getpid() != parent:
            raise RuntimeError("the worker stops at once")
        if fail == "data":
            raise PluginError("perfloop: cycle 2026-h2 has 1 error(s)")
        return "loaded"

    def prepare(loaded: str, message: tuple[str, list[str]]) -> Setup:
        assert loaded == "loaded" and message[0] == "plan"
        builders = {uri: lambda n=n: build(n) for n, uri in enumerate(message[1])}
        return Setup(builders, lambda: ["a", "b", "c"])

    order = ["p0.md", "p1.md", "p2.md"]
    producer = Producer.forked(load, prepare) if parallel else None
    if producer is None:
        return Producer.here(lambda: prepare(load(), ("plan", order)))
    producer.plan(("plan", order), order)
    return producer


@pytest.mark.parametrize("parallel", [True, False])
def test_producer_gives_every_page_and_the_summary(parallel: bool) -> None:
    producer = _producer(parallel)
    try:
        assert producer.problem() is None and producer.summary() == ["a", "b", "c"]
        for n in range(3):
            page = producer.get(f"p{n}.md")
            assert page.html.startswith(f'<p>page {n}</p>\n<h2 id="part">Part</h2>')
            assert page.toc[0]["id"] == "part" and "<p>" not in page.search
            # built by the worker (not this process) exactly when there is one
            assert page.html.endswith(f"<p>{not (parallel and spare_core())}</p>")
    finally:
        producer.close()


@pytest.mark.parametrize("where", ["load", "page"])
def test_a_stopped_worker_leaves_the_pages_to_this_process(where: str) -> None:
    producer = _producer(True, where)
    try:
        assert producer.problem() is None
        pages = [producer.get(f"p{n}.md").html for n in range(3)]
        assert all(f"page {n}" in page for n, page in enumerate(pages))
        assert pages[1].endswith("<p>True</p>")  # built here
        assert producer.summary() == ["a", "b", "c"]
    finally:
        producer.close()


def test_errors_in_the_data_stop_the_build() -> None:
    with pytest.raises(PluginError):
        _producer(False, "data")
    producer = _producer(True, "data")
    try:
        assert producer.problem() == "perfloop: cycle 2026-h2 has 1 error(s)"
    finally:
        producer.close()


def test_percentages_have_no_negative_zero() -> None:
    assert percent(-0.0) == "0%" and percent(0.0) == "0%" and percent(0.125) == "13%"
