"""Page builders: each returns a `Page` (plain title, HTML body) from a cycle's view."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    title: str  # plain text (see markup.plain): templates print it unescaped
    body: str  # HTML blocks separated by blank lines; every value escaped
    # what the search index gets (blocks.summary), or None for the body's light view
    search: str | None = None
