"""A faster reading of the common file, taken only where it is provably what `loader` reads.

The loader builds data from PyYAML's events; making those Python event objects is most of
a cold run. yaml-rs, a Rust parser (saphyr), builds the same plain data directly, and much
faster. It is not the authority:
its answer is taken for a file only when all of these hold, and otherwise the loader reads
the file, so a result never differs, only its speed.

* libyaml accepts the text: PyYAML's `raw_parse` runs the C parser the loader reads events
  from, without making a Python object per event, and counts the events. A file libyaml
  refuses goes to the loader, which locates the error.
* yaml-rs accepts it too, with duplicate keys refused, and its data accounts for exactly
  as many events (a node each, an end for each mapping and list, four for the stream and
  the document): the two parsers saw the same structure.
* The text has nothing our loader refuses and yaml-rs would take: anchors, aliases, tags,
  directives, a second document, merge keys (`&`, `*`, `!`, `%`, `<<`, `---`, `...`);
  and no number written the ways the two read differently (underscores, `0b`, `0X`, a
  sign before `0x`), nor escapes, tabs or line breaks other than `\\n`.
* Every key is text our YAML 1.2 reading would also give as text when written plain; no
  value is an infinity or NaN (`.iNf` is one to yaml-rs, text to us), nor an integer the
  loader refuses as too large for a float to hold exactly; nothing nests
  deeper than the loader allows.
* Every string value our reading would take for a number, null or boolean if it were
  written plain (yaml-rs gives strings only for quoted ones, but we cannot see quotes)
  sends the file to the loader, except the YAML 1.1 look-alikes (`2026-01-01`, `no`):
  they are the same text either way, and are returned as pitfall candidates for the
  caller to check that no schema rule would object to them even if they were plain.

`tests/speed/test_fastload.py` compares the two readings on every file of a demo company, the
example cycles, a corpus of tricky YAML, and random scalars.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from ..loader import MAX_DEPTH, MAX_INTEGER, JsonPath, resolve_plain

yaml_rs: Any
try:
    import yaml_rs
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - a platform without a wheel: the loader reads all
    yaml_rs = None
else:
    _DUPLICATES = yaml_rs.DuplicateKeyPolicy.Error
if os.environ.get("PERFLOOP_FASTLOAD") == "0":  # the loader reads every file
    yaml_rs = None

# What the text may not hold anywhere: anchors, aliases, tags, escapes, tabs, line breaks
# other than "\n", a byte order mark; and merge keys.
_TEXT_ONLY = ("&", "*", "!", "\\", "\t", "\r", "\x85", "\u2028", "\u2029", "\ufeff", "<<")
# A number the two read differently: with a base prefix other than 0x and 0o (or with a
# sign before one), or with underscores.
_PREFIXED = re.compile(r"0[bBXO]")
_SIGNED_PREFIX = re.compile(r"[-+]0[xo]")
# A line starting with this many spaces and block indicators may open as many levels of
# nesting (two per character at most): yaml-rs recurses once per level and overflows the
# stack past about 10,000. Flow collections it refuses past 256 levels itself.
_DEEP_LINE = re.compile(r"\n[ ?:-]{200}")
_DEEP_FIRST = re.compile(r"[ ?:-]{200}")
_KEY_INDICATOR = re.compile(r"(?:^|[\s\[{,])\?", re.M)
_WORD = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.+-")
_NUMBER_START = frozenset("0123456789._")
# A plain scalar starting with one of these letters is always text to the loader, as is one
# longer than five characters starting with any letter (the longest word it reads as null
# or a boolean, or takes for a YAML 1.1 boolean, is "false").
_FIRST_SAFE = frozenset("abcdeghijklmpqrsuvwxzABCDEGHIJKLMPQRSUVWXZ")


def available() -> bool:
    return yaml_rs is not None


def disable() -> None:
    """Leave every file to the loader from now on, in this process."""
    global yaml_rs
    yaml_rs = None


def parse(text: str) -> tuple[Any, dict[JsonPath, str]] | None:
    """The data of `text` and its pitfall candidates (path -> "date" | "bool"), or None when
    the loader must read it."""
    if yaml_rs is None or not text:
        return None
    for part in _TEXT_ONLY:
        if part in text:
            return None
    # directives, a second document, a document end (one `---` opening the file is fine)
    if text[:1] == "%" or text[:3] == "..." or "\n%" in text or "\n---" in text:
        return None
    if "\n..." in text or _odd_number(text):
        return None
    # a last line without its line break, a `?` key indicator: the two read them differently
    if text[-1] != "\n" or ("?" in text and _KEY_INDICATOR.search(text)):
        return None
    if _DEEP_FIRST.match(text) or _DEEP_LINE.search(text):
        return None
    try:
        # yaml-rs first: it refuses flow collections nested past 256 levels at once, and
        # libyaml takes quadratic time over them (the loader stops at 64, as it streams)
        data = yaml_rs.loads(text, parse_datetime=False, duplicate_key_policy=_DUPLICATES)
        events = CParser(text).raw_parse()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a Rust panic is a BaseException: the loader decides
        return None
    if data is None:
        return None
    found = _walk(data)
    if found is None or found[0] + 4 != events:
        return None
    return data, found[1]


def _walk(data: Any) -> tuple[int, dict[JsonPath, str]] | None:
    """(events the data accounts for, pitfall candidates), or None if it cannot be trusted."""
    if data.__class__ is not dict and data.__class__ is not list:
        return None  # the file is one scalar: no kind of file is, and the two differ on some
    candidates: dict[JsonPath, str] = {}
    events, stack = 0, [(data, ())]
    path: JsonPath = ()
    pairs: Any = ()
    while True:
        for at, item in pairs:
            cls = item.__class__
            if cls is dict or cls is list:
                stack.append((item, (*path, at)))
                continue
            events += 1
            if cls is str:
                if item and (item[0] in _FIRST_SAFE or (len(item) > 5 and item[0].isalpha())):
                    continue  # text however it was written: the common case
                pitfall = _plain_reading(item)
                if pitfall is None:
                    return None
                if pitfall:
                    candidates[(*path, at)] = pitfall
            elif cls is float and not math.isfinite(item):
                return None
            elif cls is int and not -MAX_INTEGER <= item <= MAX_INTEGER:
                return None  # the loader refuses it, located
        if not stack:
            return events, candidates
        value, path = stack.pop()
        if len(path) >= MAX_DEPTH - 1:
            return None
        if value.__class__ is dict:
            for key in value:
                if key.__class__ is not str or (key not in _SAFE_KEYS and not _safe_key(key)):
                    return None
            events += 2 + len(value)  # its start, its end and its keys
            pairs = value.items()
        else:
            events += 2
            pairs = enumerate(value)


def _odd_number(text: str) -> bool:
    """Whether the text may hold a number written a way the two read differently."""
    if _PREFIXED.search(text):
        return True
    if ("0x" in text or "0o" in text) and _SIGNED_PREFIX.search(text):
        return True
    at, previous = text.find("_"), -2
    while at >= 0:  # an underscore inside what may be a number: one starting with a digit,
        start = at  # a dot or an underscore, after a sign perhaps ("0x_1f", "+_1", "._5")
        while start and text[start - 1] in _WORD and start - 1 != previous:
            start -= 1
        if start - 1 != previous:  # else the word of the underscore before: decided already
            first = text[start + 1] if text[start] in "+-" else text[start]
            if first in _NUMBER_START:
                return True
        at, previous = text.find("_", at + 1), at
    return False


_SAFE_KEYS: set[str] = set()  # keys seen to be plain text: a company uses a few dozen


def _safe_key(key: str) -> bool:
    if resolve_plain(key) != (key, None):
        return False
    if len(_SAFE_KEYS) < 4096:  # bounded: keys come from untrusted files
        _SAFE_KEYS.add(key)
    return True


def _plain_reading(text: str) -> str | None:
    """ "" when `text`, written plain, reads as this text with no pitfall; its pitfall
    ("date" or "bool") when it reads as this text with one; None when it would read as
    something else (the loader must see whether it was quoted)."""
    if not text.strip():  # an empty block scalar is "" to libyaml and "\n" to yaml-rs
        return None
    value, pitfall = resolve_plain(text)
    if value.__class__ is not str or value != text:
        return None
    return pitfall or ""
