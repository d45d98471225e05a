"""Generated pages skip Python-Markdown: their bodies are HTML already.

A generated body is HTML blocks and `## Heading` lines separated by blank lines. Converting
it with Python-Markdown (a new converter per page, an HTML parser over every raw block, the
inline patterns over the headings) only to get the raw HTML back cost more than building
the page. So the plugin writes the headings itself, with the ids and the table of contents
Python-Markdown's `toc` extension would make (`slugify`, `_1` suffixes for repeats), and
hands MkDocs an empty Markdown source.

The search index gets a light view of the same page: the headings and the text, without
the tags that only lay it out and without charts, so the search plugin's HTML parser reads
a fraction of the tags.
"""

from __future__ import annotations

import html
import re

from markdown.extensions.toc import nest_toc_tokens, slugify, unique

_HEADING = re.compile(r"(#{1,6}) ([A-Za-z0-9][A-Za-z0-9 ,.'-]*)")

# Tags the search plugin keeps or splits sections at; everything else is layout for it.
_SEARCH_TAGS = r"h[1-6]|p|li|ol|ul|code|pre|sub|sup"
_LAYOUT_TAG = re.compile(rf"<(?!/?(?:{_SEARCH_TAGS})[\s>])[^>]*>")
_CHART = re.compile(r"<svg\b.*?</svg>", re.S)
_SPACES = re.compile(r"[ \t]{2,}")


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
            out.append(block)
            continue
        level, name = len(heading.group(1)), html.escape(heading.group(2), quote=False)
        ident = unique(slugify(heading.group(2), "-"), used)
        out.append(f'<h{level} id="{ident}">{name}</h{level}>')
        flat.append({"level": level, "id": ident, "name": name, "html": name, "data-toc-label": ""})
    return "\n".join(out), nest_toc_tokens(flat)


def search_view(page_html: str) -> str:
    """Headings, paragraphs and list items with their text; other tags become spaces."""
    light = _LAYOUT_TAG.sub(" ", _CHART.sub(" ", page_html))
    return _SPACES.sub(" ", light)
