"""Where each generated page lives, and page-relative links between them.

The current cycle sits at stable addresses (`tree/`, `departments/…`, `people/…`) so that
bookmarks survive a new cycle; earlier cycles keep the same shape under `archive/<id>/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mkdocs.utils import get_relative_url

from .markup import link

ARCHIVE = "archive"


def _file_id(ident: str) -> str:
    # an id may be "index", which would collide with a folder's index page
    return f"{ident}_" if ident == "index" else ident


@dataclass(frozen=True)
class Layout:
    cycle_id: str
    current: bool

    @property
    def prefix(self) -> str:
        return "" if self.current else f"{ARCHIVE}/{self.cycle_id}/"

    @property
    def overview(self) -> str:
        return f"{self.prefix}index.md"

    @property
    def tree(self) -> str:
        return f"{self.prefix}tree.md"

    @property
    def departments(self) -> str:
        return f"{self.prefix}departments/index.md"

    def department(self, dept: str) -> str:
        return f"{self.prefix}departments/{_file_id(dept)}.md"

    @property
    def people(self) -> str:
        return f"{self.prefix}people/index.md"

    def person(self, person: str) -> str:
        return f"{self.prefix}people/{_file_id(person)}.md"

    @property
    def results(self) -> str:
        return f"{self.prefix}results/index.md"


ARCHIVE_INDEX = f"{ARCHIVE}/index.md"


class Linker:
    """Links from one page to others by source path; a link to a page that is not part of
    the build is left as plain text, so no generated link can dangle."""

    def __init__(self, urls: Mapping[str, str], here: str):
        self.urls = urls
        self.here = urls.get(here, here)

    def href(self, src_uri: str, anchor: str | None = None) -> str | None:
        url = self.urls.get(src_uri)
        if url is None:
            return None
        rel = get_relative_url(url, self.here)
        return f"{rel}#{anchor}" if anchor else rel

    def a(self, src_uri: str, label: str, anchor: str | None = None) -> str:
        href = self.href(src_uri, anchor)
        return link(href, label) if href is not None else label
