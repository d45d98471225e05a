"""The authority on reading YAML. Every file comes from a pull request, so it is hostile.

(fastload.py reads the common file faster, but only where its reading provably equals this
one's; everything else, and every error's position, comes from here.)

We never let PyYAML construct objects: we read its *events* (from the C parser when it is
available) and build plain data ourselves. That gives us, in one pass:

* the position of every value (and of every mapping key), for located errors;
* duplicate keys, tags, anchors and aliases as errors (an alias bomb never expands);
* YAML 1.2 core-schema scalars, with the YAML 1.1 pitfalls (`on`, `no`, `2026-01-01`)
  remembered so that rules can refuse them wherever a plain string is expected.
"""

from __future__ import annotations

import io
import marshal
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem, error

MAX_BYTES = 1024 * 1024
# org.yaml lists everyone (~200 bytes a person: 10,000 people are ~2 MB) and only HR and
# admins may change it (spec section 5), so it may be larger; so may results.yaml, written
# by `cycle close` for everyone (~1.1 KB a person: 10,000 people are ~11 MB), by HR/admins.
MAX_ORG_BYTES = 16 * 1024 * 1024
_ORG_PATH = re.compile(r"(?:^|/)cycles/[^/]+/(?:org|results)\.yaml$")
MAX_DEPTH = 64

try:  # the C parser is ~10x faster; the pure-Python one gives the same events
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

JsonPath = tuple[str | int, ...]

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+$")
_OCT = re.compile(r"0o[0-7]+$")
_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"\.(nan|NaN|NAN)$")
# What YAML 1.1 (PyYAML's default, many editors and linters) would turn into a boolean or date.
_YAML11_BOOL = re.compile(r"(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_DATE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"([Tt ]|[ \t]+)?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?)?"
    r"([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?$"
)


@dataclass(frozen=True)
class Document:
    """A parsed file: plain data plus where each part of it came from.

    `positions` may be None for a document that came from the cache: valid files rarely
    need positions, so they are recomputed (by parsing `reload()`'s bytes again) only when
    a problem must be located.
    """

    path: str  # relative to the repository root, with forward slashes
    data: Any
    positions: dict[JsonPath, tuple[int, int]] | None = field(default_factory=dict, repr=False)
    # path -> "bool" | "date": plain scalars YAML 1.1 would not read as text
    pitfalls: dict[JsonPath, str] = field(default_factory=dict, repr=False)
    reload: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def packed(cls, path: str, data: bytes, reload: Callable[[], bytes]) -> Document:
        """A cached document whose data (marshalled) is decoded on first use: a command
        answered from a cycle's verdict reads a few of a big cycle's 70,000 files."""
        doc = object.__new__(cls)
        doc.__dict__.update(path=path, positions=None, pitfalls={}, reload=reload, _packed=data)
        return doc

    @classmethod
    def deferred(cls, path: str, fetch: Callable[[], Any], reload: Callable[[], bytes]) -> Document:
        """A document whose data `fetch` gives on first use: a cycle recalled from its
        verdict (recall.py) does not even read the cache entries of its 70,000 files."""
        doc = object.__new__(cls)
        doc.__dict__.update(path=path, positions=None, pitfalls={}, reload=reload, _fetch=fetch)
        return doc

    def __getattr__(self, name: str) -> Any:  # only for attributes not set: a deferred `data`
        if name != "data":
            raise AttributeError(name)
        fetch = self.__dict__.pop("_fetch", None)
        if fetch is not None:
            data = fetch()
        else:
            packed = self.__dict__.get("_packed")
            if packed is None:
                raise AttributeError(name)
            try:
                data = marshal.loads(packed)
            except (EOFError, ValueError, TypeError):  # a damaged cache entry: the file decides
                reloaded, _ = parse_bytes(self.reload(), self.path) if self.reload else (None, [])
                data = reloaded.data if reloaded is not None else None
            self.__dict__.pop("_packed", None)
        self.__dict__["data"] = data  # frozen: a cache fill
        return data

    def _positions(self) -> dict[JsonPath, tuple[int, int]]:
        if self.positions is None:
            found: dict[JsonPath, tuple[int, int]] = {}
            if self.reload is not None:
                try:
                    doc, _ = parse_bytes(self.reload(), self.path)
                except OSError:
                    doc = None
                found = doc.positions if doc and doc.positions is not None else {}
            object.__setattr__(self, "positions", found)  # a cache fill, not a mutation
        return self.positions  # type: ignore[return-value]

    def pos(self, path: JsonPath = ()) -> tuple[int, int]:
        """(line, col), 1-based, of `path` or of its nearest located ancestor."""
        positions = self._positions()
        while True:
            found = positions.get(path)
            if found is not None:
                return found
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(self, path: JsonPath, message: str) -> Problem:
        line, col = self.pos(path)
        return error(self.path, line, col, message)


class _Fail(Exception):
    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def resolve_plain(value: str) -> tuple[Any, str | None]:
    """YAML 1.2 core schema for an untagged plain scalar, plus its YAML 1.1 pitfall."""
    first = value[:1]
    if first.isalpha() and first not in "tTfFnNyYoO":
        return value, None  # ordinary text: the common case, decided by its first letter
    if value in _NULL:
        return None, None
    if value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    if first.isdigit() or first in "+-.":
        if _INT.match(value):
            return int(value), None
        if _YAML11_DATE.match(value):
            return value, "date"
        if _FLOAT.match(value):
            return float(value), None
        if _OCT.match(value):
            return int(value[2:], 8), None
        if _HEX.match(value):
            return int(value[2:], 16), None
        if _INF.match(value):
            return (float("-inf") if first == "-" else float("inf")), None
        if _NAN.match(value):
            return float("nan"), None
    if len(value) <= 5 and _YAML11_BOOL.match(value):
        return value, "bool"
    return value, None


# The largest integer a float holds exactly: scores are computed in floats, and a bigger
# integer (401 digits, say) cannot even be turned into one.
MAX_INTEGER = 2**53


def unusable_number(value: float, text: str) -> str | None:
    """Why a number YAML reads from plain `text` is no number a file may hold, or None:
    infinities and NaN (`.inf`, `.nan`, `1e400`) would reach the scores as nan or inf,
    where every comparison is false, so a rating or a quota would silently vanish."""
    if value.__class__ is float:
        if math.isfinite(value):
            return None
        return f"{text} is not a finite number; write an ordinary number such as 1.5"
    if -MAX_INTEGER <= value <= MAX_INTEGER:
        return None
    return f"number {text[:30]}{'…' if len(text) > 30 else ''} is too large (at most {MAX_INTEGER})"


def pitfall_message(value: str, pitfall: str, what: str = "value") -> str:
    """Explain a YAML 1.1 pitfall: text that other YAML tools would read as a bool or date."""
    kind = "a boolean" if pitfall == "bool" else "a date"
    return f'{what} {value} is read as {kind} by YAML 1.1 tools; quote it: "{value}"'


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _check_node_event(event: Any) -> None:
    if event.anchor is not None:
        line, col = _mark(event)
        raise _Fail(line, col, f"anchors (&{event.anchor}) are not allowed; write the value out")
    tag = event.tag
    if tag is not None and tag != "!":
        implicit = event.implicit
        explicit = not (implicit[0] or implicit[1]) if isinstance(implicit, tuple) else not implicit
        if explicit:
            line, col = _mark(event)
            raise _Fail(line, col, f"tags ({tag}) are not allowed")


def _build(events: Any) -> tuple[Any, dict[JsonPath, tuple[int, int]], dict[JsonPath, str]]:
    """Build plain data from a PyYAML event stream, without recursion.

    This is the hot path of every run (tens of thousands of files), hence the inlining.
    """
    positions: dict[JsonPath, tuple[int, int]] = {}
    pitfalls: dict[JsonPath, str] = {}
    root: Any = None
    documents = 0
    # One frame per open container: [container, its path, pending key or _NO_KEY, key mark]
    stack: list[list[Any]] = []
    top: list[Any] | None = None

    for event in events:
        cls = event.__class__
        if cls is _ScalarEvent or cls is _MappingStartEvent or cls is _SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                _check_node_event(event)
            start = event.start_mark
            mark = (start.line + 1, start.column + 1)
            pitfall = None
            if cls is _ScalarEvent:
                value = event.value
                if event.implicit[0]:  # plain and untagged: the core schema resolves it
                    value, pitfall = resolve_plain(value)
                    if value.__class__ is float or value.__class__ is int:
                        unusable = unusable_number(value, event.value)
                        if unusable:
                            raise _Fail(*mark, unusable)
            else:
                if top is not None and top[2] is _NO_KEY and top[0].__class__ is dict:
                    raise _Fail(*mark, "keys must be plain text, not mappings or lists")
                if len(stack) >= MAX_DEPTH:
                    raise _Fail(*mark, f"nesting deeper than {MAX_DEPTH} levels")
                value = {} if cls is _MappingStartEvent else []
            # attach the value to its parent
            if top is None:
                root, path = value, ()
                positions[path] = mark
            else:
                container = top[0]
                if container.__class__ is list:
                    path = (*top[1], len(container))
                    container.append(value)
                    positions[path] = mark
                elif top[2] is _NO_KEY:  # this scalar is a mapping key
                    if pitfall:
                        raise _Fail(*mark, pitfall_message(value, pitfall, "key"))
                    if value.__class__ is not str:
                        raise _Fail(*mark, f'key {value!r} is not text; quote it: "{value}"')
                    if value in container:
                        raise _Fail(*mark, f"duplicate key {value!r}")
                    top[2] = value
                    top[3] = mark
                    continue
                else:
                    path = (*top[1], top[2])
                    container[top[2]] = value
                    positions[path] = top[3]  # a mapping entry is located at its key
                    top[2] = _NO_KEY
            if pitfall:
                pitfalls[path] = pitfall
            if cls is not _ScalarEvent:
                top = [value, path, _NO_KEY, None]
                stack.append(top)
        elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
            stack.pop()
            top = stack[-1] if stack else None
        elif cls is _AliasEvent:
            raise _Fail(*_mark(event), f"aliases (*{event.anchor}) are not allowed")
        elif cls is _DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Fail(*_mark(event), "a file holds one YAML document; remove the '---'")
    return root, positions, pitfalls


_ScalarEvent = yaml.events.ScalarEvent
_MappingStartEvent = yaml.events.MappingStartEvent
_SequenceStartEvent = yaml.events.SequenceStartEvent
_MappingEndEvent = yaml.events.MappingEndEvent
_SequenceEndEvent = yaml.events.SequenceEndEvent
_AliasEvent = yaml.events.AliasEvent
_DocumentStartEvent = yaml.events.DocumentStartEvent
_NO_KEY = object()


def parse_text(text: str, path: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file's text. Never raises on bad input: problems are returned."""
    try:
        data, positions, pitfalls = _build(yaml.parse(text, Loader=_Loader))
    except _Fail as fail:
        return None, [error(path, fail.line, fail.col, fail.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if "maximum nesting depth" in message:  # libyaml's own limit (PyYAML >= 6.0.4) can
            # answer before our streaming count reaches MAX_DEPTH: the same refusal either way
            return None, [error(path, line, col, f"nesting deeper than {MAX_DEPTH} levels")]
        if mark and text[mark.index : mark.index + 1] == "\t":
            message += " (a tab: YAML indents with spaces only)"
        return None, [error(path, line, col, f"YAML syntax: {message}")]
    except yaml.reader.ReaderError as exc:  # control characters
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return None, [
            error(path, line, col, f"YAML: character #x{exc.character:04x} is not allowed")
        ]
    except yaml.YAMLError as exc:
        return None, [error(path, 1, 1, f"YAML: {exc}".replace("\n", " "))]
    return Document(path, data, positions, pitfalls), []


def max_bytes(path: str) -> int:
    """The size limit of the file at `path` (relative to the repository root)."""
    return MAX_ORG_BYTES if _ORG_PATH.search(path) else MAX_BYTES


def decode(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """A file's text, or why it has none: too large for its kind, or not UTF-8."""
    limit = max_bytes(path)
    if len(raw) > limit:
        return None, [error(path, 1, 1, f"file is {len(raw)} bytes; the limit is {limit}")]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(path, line, 1, "file is not valid UTF-8")]


def parse_bytes(raw: bytes, path: str) -> tuple[Document | None, list[Problem]]:
    text, problems = decode(raw, path)
    return (None, problems) if text is None else parse_text(text, path)


def load_file(file: Path, path: str) -> tuple[Document | None, list[Problem]]:
    """Read and parse `file`, reported as `path`; refuses oversized files before reading."""
    try:
        size, limit = file.stat().st_size, max_bytes(path)
        if size > limit:
            return None, [error(path, 1, 1, f"file is {size} bytes; the limit is {limit}")]
        raw = file.read_bytes()
    except OSError as exc:
        return None, [error(path, 1, 1, f"cannot read file: {exc.strerror}")]
    return parse_bytes(raw, path)


_Dumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C emitter when there is one
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def dump(data: Any) -> str:
    """Serialise plain data (dicts, lists, scalars) as block-style YAML, for files we write.

    The text is what `yaml.dump(data, Dumper=CSafeDumper, sort_keys=False, ...)` writes, but
    we hand the C emitter its events ourselves: PyYAML's pure-Python representer and
    serializer (a node per value, an anchor scan) took 9 of 10 seconds of an 11 MB
    results.yaml. Each distinct scalar is still represented by PyYAML's SafeRepresenter and
    its plain form checked by the YAML 1.1 resolver, as `yaml.dump` does; a string that our
    own (YAML 1.2) reading would not give back as plain text (`0o17`, `1e5`, `y`) is quoted
    too, since it would otherwise read back as a number or be refused as a pitfall.
    No anchors: a value used twice is written twice.
    """
    out = io.StringIO()
    emitter = _Dumper(out, allow_unicode=True, width=100)
    emit = emitter.emit
    representer = yaml.SafeDumper(None)  # type: ignore[arg-type]  # representer and resolver only
    scalars: dict[tuple[type, Any], yaml.events.ScalarEvent] = {}

    def scalar(value: Any) -> yaml.events.ScalarEvent:
        key = (value.__class__, value)  # 1, 1.0 and True are equal keys: keep them apart
        event = scalars.get(key)
        if event is None:
            node = representer.represent_data(value)  # raises on what it cannot represent
            if not isinstance(node, yaml.ScalarNode):
                raise yaml.representer.RepresenterError(f"cannot dump {value!r}")
            text = node.value
            plain = representer.resolve(yaml.ScalarNode, text, (True, False)) == node.tag
            if plain and node.tag == _STR_TAG:  # and our reading gives it back, no pitfall
                read, pitfall = resolve_plain(text)
                plain = read.__class__ is str and pitfall is None
            quoted = representer.resolve(yaml.ScalarNode, text, (False, True)) == node.tag
            event = scalars[key] = _ScalarEvent(None, node.tag, (plain, quoted), text)
        return event

    map_start = _MappingStartEvent(None, _MAP, True, flow_style=False)
    seq_start = _SequenceStartEvent(None, _SEQ, True, flow_style=False)
    map_end, seq_end = _MappingEndEvent(), _SequenceEndEvent()

    def node(value: Any) -> None:
        cls = value.__class__
        if cls is dict:
            emit(map_start)
            for key, item in value.items():
                emit(scalars.get((key.__class__, key)) or scalar(key))
                node(item)
            emit(map_end)
        elif cls is list:
            emit(seq_start)
            for item in value:
                node(item)
            emit(seq_end)
        else:
            emit(scalars.get((cls, value)) or scalar(value))

    try:
        emit(yaml.StreamStartEvent())
        emit(yaml.DocumentStartEvent(explicit=False))
        node(data)
        emit(yaml.DocumentEndEvent(explicit=False))
        emit(yaml.StreamEndEvent())
    finally:
        emitter.dispose()
    return out.getvalue()


_STR_TAG = "tag:yaml.org,2002:str"
