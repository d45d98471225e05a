"""Round-trip YAML editing (the only ruamel.yaml import): comments and key order survive.

Files people wrote are edited here, never re-dumped from plain data, so a check-in or a
phase change touches only the lines it means to. Only text that `loader` already accepted
(no tags, anchors or duplicate keys) is ever given to this module.

The layout matches the examples and the spec: mappings indented by 2, list items by 2 with
their dash, long text never re-wrapped.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

__all__ = [
    "CommentedMap",
    "CommentedSeq",
    "comment_after",
    "comment_before",
    "dump",
    "load",
    "plain",
    "text",
]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line someone wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Our loader refuses anchors and aliases, so the dumper must never emit them.
    yaml.representer.ignore_aliases = lambda *_: True
    # `null` rather than an empty value: results and drafts should read plainly.
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def load(source: str) -> Any:
    """Round-trip data (CommentedMap/CommentedSeq) of a YAML text."""
    return _yaml().load(source)


def dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def text(value: str, width: int = 88) -> Any:
    """A string to write: folded block style when long, so files stay readable."""
    if len(value) > width and "\n" not in value:
        return FoldedScalarString(value)
    return value


def plain(value: Any) -> Any:
    """Round-trip data as plain dicts, lists and scalars (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def comment_before(mapping: CommentedMap, key: str, comment: str, indent: int = 0) -> None:
    """Put `comment` (one or more lines, without '#') on the lines above `key`."""
    mapping.yaml_set_comment_before_after_key(key, before=comment, indent=indent)


def comment_after(mapping: CommentedMap, key: str, comment: str) -> None:
    """An end-of-line comment after `key`'s value."""
    mapping.yaml_add_eol_comment(comment, key)
