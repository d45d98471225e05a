"""The public build's last check: its output holds no review, calibration or results text.

The plugin never reads confidential files for a public build (loading.py) and fences.py
refuses the known ways around it, but a hand-written page, a committed copy of a file or
another plugin can still carry confidential text. So before the new site replaces the last
good one, every file it wrote is searched for what only confidential files hold:

- text: each line of a free-text value of a review (comments, strengths, improvements, any
  other prose), a calibration file (reasons) or a check-point (summary, notes, next steps),
  of at least MIN_CHARS characters;
- structures, where the values alone are too short to be told from chance: a review's
  ratings block (`ratings:` and each `<question>: <n>` under it, or its flow form), a
  calibration entry's `<person>: rating: <R>` and a results snapshot's `final: <score>`.

Improvement-plan actions are not searched: `cycle new` carries them into goals, and a person
who adopts one makes it public. Nor is a text that a public cycle file also holds (a
reviewer quoting a goal's title). Sealed (`.age`) files, comments, compressed and binary
output are not read.

Cheap at 10,000 people: reading the confidential files' lines is the cost (no YAML
parsing). Each text is filed under its rarest word of five letters or more; a written file
costs one pass that lists its words and one set intersection, and only a file holding such
a word is searched for the few texts filed under it.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..repository import CYCLES

MIN_CHARS = 24  # shorter text could be there by chance ("Good work this cycle")
# A text's words, for filing: runs of ASCII letters and digits, lower case. Made by one
# bytes.translate and one split, the fastest pass Python has over hundreds of megabytes.
_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if chr(c).isalnum() and c < 128 else 32 for c in range(256)
)
_TAG = re.compile(r"<[^>]*>")
_TAG_BYTES = re.compile(rb"<[^>]*>")
_QUOTES = ('"', "'", "`", "‘", "’", "“", "”")
_KEY = re.compile(r"^(\s*)(?:-\s+)?([^\s:#'\"{\[][^\s:]*)\s*:(?:\s+(.*))?$")  # `key: value`
_BLOCK = re.compile(r"^[>|][+-]?\d*$")
_FLOW_ITEM = re.compile(r"""[{,]\s*[\w-]+\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,{}]*)""")
_NOT_SECRET = {"action", "due"}  # improvement plans: carried into next cycle's goals
_MARGIN = 2_000_000_000  # ns: file times lag the clock by up to a tick; rescan rather than miss
_UNREAD = {".gz", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2"}


def norm(value: str) -> str:
    """Text as compared: lower case, quotes as spaces (as in a file's words), single
    spaces."""
    value = value.lower()
    for quote in _QUOTES:
        if quote in value:
            value = value.replace(quote, " ")
    # `impact : 4`: a highlighted code block's tags, taken out, leave a space before colons
    return " ".join(value.split()).replace(" :", ":")


@dataclass(frozen=True)
class Needle:
    text: str  # normalized
    source: str  # the confidential file, relative to the repository


def confidential_files(root: Path) -> Iterator[tuple[str, str]]:
    """(kind, path relative to `root`) of every plain confidential file of every cycle
    (strings, not Path objects: there are 60,000 at 10,000 people)."""
    base = root / CYCLES
    for cycle in sorted(base.iterdir()) if base.is_dir() else ():
        if cycle.is_symlink() or not cycle.is_dir():
            continue
        prefix = f"{CYCLES}/{cycle.name}"
        if (cycle / "results.yaml").is_file():
            yield "results", f"{prefix}/results.yaml"
        for kind in ("reviews", "calibration", "results", "checkpoints"):
            top = str(cycle / kind)
            for here, dirs, names in os.walk(top):
                dirs.sort()
                folder = prefix + "/" + kind + here[len(top) :].replace(os.sep, "/")
                for name in sorted(names):
                    if name.endswith((".yaml", ".yml")):
                        yield kind, f"{folder}/{name}"


def needles_of(text: str, kind: str, source: str) -> Iterator[Needle]:
    """The texts and structures of one confidential file worth searching for."""
    block: int | None = None  # indentation of the key whose block scalar we are in
    parent = ""  # the last key without a value (a calibration entry's person)
    ratings: list[str] | None = None  # a review's ratings block, while in it
    at = 0  # its key's indentation
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if ratings is not None:
            if indent > at:
                ratings.append(stripped)
                continue
            yield from _ratings(ratings, source)
            ratings = None
        if block is not None and indent > block:
            yield from _prose(stripped, source)
            continue
        block = None
        found = _KEY.match(line)
        if found is None:
            if kind == "checkpoints" and stripped.startswith(("{", "- {")):
                yield from _flow_prose(stripped, source)  # `- {action: …, due: …}`
            elif not stripped.startswith(("{", "[", "- {", "- [")):
                yield from _prose(stripped.removeprefix("- "), source)
            continue
        key, value = found.group(2), (found.group(3) or "").strip()
        if key in _NOT_SECRET and kind != "checkpoints":  # a check-point's steps are its own
            continue
        if kind == "reviews" and key == "ratings" and not _BLOCK.match(value):
            if value:  # the flow form: `ratings: {impact: 4, craft: 3}`
                yield Needle(norm(f"ratings: {value}"), source)
            else:
                ratings, at = ["ratings:"], len(found.group(1))
            continue
        if not value:
            parent = key
        elif _BLOCK.match(value):
            block = len(found.group(1))
        elif kind == "calibration" and key == "rating" and parent:
            yield Needle(norm(f"{parent}: rating: {value}"), source)
        elif kind == "results" and key == "final" and value != "null":
            yield Needle(norm(f"final: {value}"), source)
        elif not value.startswith(("{", "[")):
            yield from _prose(value, source)
    if ratings is not None:
        yield from _ratings(ratings, source)


def _ratings(lines: list[str], source: str) -> Iterator[Needle]:
    """A ratings block as one text: its values alone (`impact: 4`) are everywhere."""
    if len(lines) > 1:
        yield Needle(norm(" ".join(lines)), source)


def _flow_prose(line: str, source: str) -> Iterator[Needle]:
    """The values of a one-line flow mapping (a check-point's next step)."""
    for found in _FLOW_ITEM.finditer(line):
        yield from _prose(found.group(1), source)


def _prose(value: str, source: str) -> Iterator[Needle]:
    text = norm(value)
    if len(text) >= MIN_CHARS and " " in text:
        yield Needle(text, source)


def words(data: bytes) -> set[bytes]:
    return set(data.translate(_WORDS).split())


class Needles:
    """Confidential texts, each filed under its rarest word, and searched for in a written
    file only when that file holds every word of it (see the module's docstring)."""

    def __init__(
        self, needles: list[Needle], public: Path | None = None, common: frozenset = frozenset()
    ):
        first = {n.text: n for n in reversed(needles)}  # a text many files hold: the first
        found = {n: words(n.text.encode()) for n in first.values()}
        counts = Counter(w for each in found.values() for w in each)
        # Words every page has (`common`: names, the site's labels) make poor filing words:
        # a file holding one would be searched for every text filed under it.
        counts.update({w: len(found) for w in common if w in counts})
        one = {w: w for w in counts}  # one copy of each word for all the texts holding it
        self.by_word: dict[bytes, list[tuple[tuple[bytes, ...], Needle]]] = {}
        for needle, each in found.items():
            # rarest first, numbers last (a page's charts are full of them)
            ranked = sorted(each, key=lambda w: (w.isdigit(), counts[w], -len(w), w))
            if ranked:
                rest = tuple(one[w] for w in ranked[1:])
                self.by_word.setdefault(ranked[0], []).append((rest, needle))
        self.words = frozenset(self.by_word)
        self.public = public  # the repository, whose public cycle files may hold a text too
        self._public_text: str | None = None

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_word.values())

    def find(self, raw: bytes, json_file: bool = False) -> list[Needle]:
        """The needles `raw` (a written file's content) holds."""
        shown = None
        if json_file:  # its escapes (\u2019s) would glue words: read as the search reads it
            shown = _shown(raw.decode("utf-8", errors="replace"), json_file)
            raw = shown.encode()
        listed = _TAG_BYTES.sub(b" ", raw).translate(_WORDS).split()
        if self.words.isdisjoint(listed):  # nearly every file: no set of its words made
            return []
        present = set(listed)
        candidates = [
            needle
            for word in self.words.intersection(present)
            for rest, needle in self.by_word[word]
            if all(w in present for w in rest)
        ]
        if not candidates:
            return []
        if shown is None:
            shown = _shown(raw.decode("utf-8", errors="replace"), json_file)
        return [n for n in candidates if n.text in shown and not self._public(n)]

    def _public(self, needle: Needle) -> bool:
        if self.public is None:
            return False
        if self._public_text is None:
            self._public_text = _public_text(self.public)
        return needle.text in self._public_text


def collect(root: Path, common: frozenset = frozenset()) -> Needles:
    """Every confidential file's needles; `common` words (a generated page's) are not
    filed under, nor are people's and departments' names (org.yaml)."""
    needles: list[Needle] = []
    base = root / CYCLES
    for org in sorted(base.glob("*/org.yaml")) if base.is_dir() else ():
        common = common | words(org.read_bytes())
    for kind, rel in confidential_files(root):
        try:
            with open(os.path.join(root, rel), "rb") as file:
                text = file.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        needles.extend(needles_of(text, kind, rel))
    return Needles(needles, root, common)


def scan(
    folder: Path,
    needles: Needles,
    articles: frozenset[str] = frozenset(),
    since: int | None = None,
) -> Iterator[tuple[str, Needle]]:
    """(file relative to `folder`, needle) for every confidential text written there, each
    pair once. Of the pages in `articles` (the plugin's: the theme around them is the same
    as on the hand-written pages, which are read whole), only the article is read. With
    `since` (time.time_ns()), only files modified from then on (less a margin: a file's
    time comes from a coarser clock)."""
    if not needles.words:
        return
    for here, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(here) / name
            if path.suffix.lower() in _UNREAD:
                continue
            try:
                if since is not None and path.stat().st_mtime_ns < since - _MARGIN:
                    continue
                raw = path.read_bytes()
            except OSError:
                continue
            rel = path.relative_to(folder).as_posix()
            if rel in articles:
                raw = _article(raw)
            sources = {n.source for n in needles.find(raw, json_file=path.suffix == ".json")}
            for source in sorted(sources):
                yield rel, Needle("", source)


def page_words(page: Path) -> frozenset[bytes]:
    """The words of a written page's article: the labels every generated page has."""
    try:
        return frozenset(words(_TAG_BYTES.sub(b" ", _article(page.read_bytes()))))
    except OSError:
        return frozenset()


def _article(page: bytes) -> bytes:
    start, end = page.find(b"<article"), page.rfind(b"</article>")
    return page[start:end] if 0 <= start < end else page


def _shown(raw: str, json_file: bool) -> str:
    """A written file's text as a reader (or a search) gets it, normalized."""
    if json_file:
        with contextlib.suppress(ValueError):  # not JSON after all: read as text
            raw = " ".join(_strings(json.loads(raw)))
    return norm(html.unescape(_TAG.sub(" ", raw)))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _public_text(root: Path) -> str:
    """Every public cycle file's text, normalized (read once, on a first hit only)."""
    from .loading import is_confidential

    parts = []
    base = root / CYCLES
    for cycle in sorted(base.iterdir()) if base.is_dir() else ():
        for here, _, names in os.walk(cycle):
            for name in names:
                path = Path(here) / name
                rel = path.relative_to(cycle).as_posix()
                secret = is_confidential(rel) or rel.startswith("results/")
                if name.endswith((".yaml", ".yml")) and not secret:
                    parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return norm("\n".join(parts))
