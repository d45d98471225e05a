"""Generated pages skip Python-Markdown: their bodies are HTML already.

A generated body is HTML blocks and `## Heading` lines separated by blank lines. Converting
it with Python-Markdown (a new converter per page, an HTML parser over every raw block, the
inline patterns over the headings) only to get the raw HTML back cost more than building
the page. So the plugin writes the headings itself, with the ids and the table of contents
Python-Markdown's `toc` extension would make (`slugify`, `_1` suffixes for repeats), and
hands MkDocs an empty Markdown source.

The search index gets a light view of the same page: the headings and the text between
them, without tags, character references or charts, so the search plugin's HTML parser
(which reads every page in MkDocs' process) has a handful of tags to read. Pages there is
one of per person or department give a `summary` instead: what a reader searches them by,
as one entry (the whole light view of every person's page was 22 of the index's 25 MB at
10,000 people, and a browser downloads the index on the first search).
"""

from __future__ import annotations

import html
import re

from markdown.extensions.toc import nest_toc_tokens, slugify, unique

_HEADING = re.compile(r"(#{1,6}) ([A-Za-z0-9][A-Za-z0-9 ,.'-]*)")
# A heading written as HTML (its text is a value: a department's or a group's name) or a
# table-of-contents entry without a heading (`toc_entry`: an element drawn otherwise, such
# as a tree node); both reach the table of contents with the id they give.
_HTML_HEADING = re.compile(r'<h([2-6]) id="([^"<>]+)"[^>]*>(.*?)</h\1>', re.S)
_TOC_ENTRY = re.compile(
    r'<i hidden class="pl-toc" data-level="([2-6])" id="toc-([^"<>]+)">(.*?)</i>'
)
_TAG = re.compile(r"<[^>]*>")

# The search view keeps the headings (the search plugin makes a section of each one with an
# id); every other tag becomes a space, and character references become characters.
_HEADING_TAG = re.compile(r"(</?h[1-6](?:\s[^>]*)?>)")
_OTHER_TAG = re.compile(r"<(?!/?h[1-6][\s>])[^>]*>")
_CHART = re.compile(r"<svg\b.*?</svg>", re.S)


def render(body: str) -> tuple[str, list[dict]]:
    """(the page's HTML, its table-of-contents tokens as Python-Markdown makes them)."""
    out: list[str] = []
    flat: list[dict] = []
    used: set[str] = set()
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        heading = _HEADING.fullmatch(block)
        if heading is None:
            entry = _TOC_ENTRY.fullmatch(block) or _HTML_HEADING.fullmatch(block)
            if entry is not None:
                level, ident, inner = int(entry.group(1)), entry.group(2), entry.group(3)
                used.add(ident)
                name = " ".join(_TAG.sub(" ", inner).split())
                flat.append(
                    {"level": level, "id": ident, "name": name, "html": name, "data-toc-label": ""}
                )
                if entry.re is _TOC_ENTRY:
                    continue  # an entry only: the element it names is elsewhere on the page
            out.append(block)
            continue
        level, name = len(heading.group(1)), html.escape(heading.group(2), quote=False)
        ident = unique(slugify(heading.group(2), "-"), used)
        out.append(f'<h{level} id="{ident}">{name}</h{level}>')
        flat.append({"level": level, "id": ident, "name": name, "html": name, "data-toc-label": ""})
    return "\n".join(out), nest_toc_tokens(flat)


def toc_entry(level: int, ident: str, name: str) -> str:
    """A table-of-contents entry for the element `ident` of the page (not a heading), named
    `name` (markup). A block of its own in a page body; `render` leaves it out of the HTML."""
    return f'<i hidden class="pl-toc" data-level="{level}" id="toc-{ident}">{name}</i>'


def search_view(page_html: str) -> str:
    """The page's headings, with its text between them: what the search plugin keeps of
    a page (it drops layout tags) without the tags and references it would have to parse.
    Text is escaped again (`<`, `>`, `&`), so no value becomes markup here either."""
    light = _OTHER_TAG.sub(" ", _CHART.sub(" ", page_html))
    parts = _HEADING_TAG.split(light)
    for i in range(0, len(parts), 2):  # text between heading tags
        parts[i] = html.escape(" ".join(html.unescape(parts[i]).split()), quote=False)
    return " ".join(p for p in parts if p)


def summary(*parts: str) -> str:
    """A page's search entry as one section without a heading (the search plugin titles it
    with the page's title): the non-empty plain texts `parts`, escaped, joined by "; "
    (ASCII: the index is JSON with non-ASCII characters written as 6-character escapes)."""
    return "; ".join(
        html.escape(flat, quote=False) for part in parts if (flat := " ".join(part.split()))
    )
