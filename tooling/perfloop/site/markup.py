"""Turning untrusted values into page text.

Titles, notes and comments arrive in pull requests. Pages are emitted as raw HTML blocks
(which Markdown leaves alone), every value is HTML-escaped, and the characters Markdown,
Jinja or an extension could still read as syntax are written as numeric character
references, so a value can only ever be shown as the text it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from ..progress import round_half_up

# Characters that mean something to Markdown, its common extensions (attr_list, emoji,
# magiclink, arithmatex) or a template engine. As references they render as themselves.
_SYNTAX = "[]()`*_{}#|!~\\$^:@+="
_TABLE = {ord(c): f"&#{ord(c)};" for c in _SYNTAX} | {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("'"): "&#x27;",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NOT_PLAIN = re.compile(r"[<>&\"'`{}\[\]\\|*_#!~$^]")


# Anything `text` would change: escapes, syntax characters, control characters and every
# character str.splitlines() breaks at. Most values (names, titles, ids) have none of them.
_SPECIAL = re.compile("[&<>\"'" + re.escape(_SYNTAX) + "\x00-\x1f\x7f\x85\u2028\u2029]")


def text(value: object) -> str:
    """Any value as inline HTML text: escaped, Markdown-inert, line breaks as <br>."""
    if value is None:
        return ""
    raw = value if isinstance(value, str) else str(value)
    if _SPECIAL.search(raw) is None:
        return raw.strip()
    return _escaped(raw)


def _escaped(raw: str) -> str:
    raw = _CONTROL.sub("", raw)
    # one pass: escaping first and then replacing `#` broke the `&#x27;` of an apostrophe
    escaped = raw.translate(_TABLE)
    # Values never create a blank line: that could end the surrounding HTML block.
    return "<br>".join(line.strip() for line in escaped.splitlines() if line.strip())


def attr(value: object) -> str:
    """A value for a double-quoted HTML attribute."""
    return text(value).replace("<br>", " ")


def plain(value: object) -> str:
    """A value for places that templates print unescaped (page titles, nav, <title>):
    markup characters are dropped, not escaped, because some templates unescape first."""
    if value is None:
        return ""
    cleaned = _NOT_PLAIN.sub("", _CONTROL.sub(" ", str(value)))
    return " ".join(cleaned.split()) or "untitled"


def number(x: float | None, places: int = 2) -> str:
    """A number as people write it: no trailing zeros, no exponent, thousands separated."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{places}f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=1 << 14)  # pages show the same few hundred percentages again and again
def percent(fraction: float | None) -> str:
    """A fraction in [0, 1] as a whole percentage (half up, as shown elsewhere)."""
    if fraction is None:
        return "–"
    return f"{round_half_up(fraction * 100, 0) + 0.0:.0f}%"  # + 0.0: no "-0%" for -0.0


def plural(count: int, word: str, words: str | None = None) -> str:
    """`count` and the noun it counts: "1 contributor", "3 contributors", "1 person"."""
    return f"{number(count)} {word if count == 1 else words or word + 's'}"


def link(href: str, label: str) -> str:
    """An anchor; `href` is built by the site from ids, `label` is already markup."""
    return f'<a href="{attr(href)}">{label}</a>'


def table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    cls: str = "pl-table",
    caption: str = "",
    numeric: frozenset[int] = frozenset(),
    ids: Sequence[str] | None = None,
) -> str:
    """An HTML table of markup cells, without the columns that are empty in every row (a
    Weight column nobody set says nothing); `numeric`: indexes of right-aligned columns;
    `ids`: each row's id (an anchor), already attribute-safe."""
    keep = [i for i in range(len(head)) if i == 0 or any(row[i].strip() for row in rows)]

    def cell(tag: str, i: int, value: str) -> str:
        opening = f'<{tag} class="pl-num">' if i in numeric else f"<{tag}>"
        return f"{opening}{value}</{tag}>"

    header = "".join(cell("th", i, head[i]) for i in keep)
    body = "".join(
        (f'<tr id="{ids[n]}">' if ids else "<tr>")
        + "".join(cell("td", i, row[i]) for i in keep)
        + "</tr>"
        for n, row in enumerate(rows)
    )
    title = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<table class="{cls}">{title}<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
    )
