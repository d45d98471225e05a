"""Helpers for the site tests: copy a repository with its site, build it, read the output."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import EXAMPLE_KEYS, ROOT

MINIMAL_MKDOCS = """site_name: Test company
docs_dir: site
site_dir: public
theme:
  name: material
  font: false
plugins:
  - search
  - perfloop
"""


def example_with_site(target: Path) -> Path:
    """This repository's example cycles, hand-written pages and mkdocs.yml, copied, with the
    example keys (examples/keys/: a restricted build reads the sealed cycle with one)."""
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "cycles", target / "cycles")
    shutil.copytree(EXAMPLE_KEYS, target / "examples" / "keys")
    shutil.copytree(ROOT / "site", target / "site")
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    return target


def add_minimal_site(repo: Path) -> Path:
    (repo / "mkdocs.yml").write_text(MINIMAL_MKDOCS)
    (repo / "site").mkdir(exist_ok=True)
    return repo


def mkdocs_build(repo: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` exactly as CI runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def output_files(site: Path) -> list[Path]:
    """Every text file of a built site (HTML, search index, sitemap, CSS, JS)."""
    return [
        p
        for p in site.rglob("*")
        if p.is_file() and p.suffix in {".html", ".json", ".xml", ".js", ".css", ".txt"}
    ]


def page_text(path: Path) -> str:
    """What a reader sees of a page: tags dropped, entities decoded."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def main_text(path: Path) -> str:
    """The text of a page's article only (no navigation)."""
    raw = path.read_text(encoding="utf-8")
    match = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>', raw, re.S)
    body = match.group(1) if match else raw
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def broken_links(site: Path, pages: list[Path] | None = None) -> list[str]:
    """Links between the site's pages (from `pages`, default all) whose page is missing,
    or whose `#fragment` names no element of that page."""
    ids: dict[Path, set[str]] = {}
    broken = []
    for page in pages if pages is not None else sorted(site.rglob("*.html")):
        if page.name == "404.html":  # served from any depth, so its links are absolute
            continue
        for href in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            href = html.unescape(href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("#", "mailto:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif parts.fragment:
                if target not in ids:
                    found = re.findall(r'\bid="([^"]+)"', target.read_text(encoding="utf-8"))
                    ids[target] = {html.unescape(i) for i in found}
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    return broken


def details_element(raw: str, ident: str) -> str:
    """The `<details id="ident">` element of a page, with everything nested in it."""
    start = re.search(rf'<details\b[^>]*\bid="{re.escape(ident)}"', raw).start()
    depth, at = 0, start
    for tag in re.finditer(r"<(/?)details\b", raw[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            at = start + tag.end()
            break
    return raw[start : raw.index(">", at) + 1]
