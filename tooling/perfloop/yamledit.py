"""Round-trip YAML editing (the only ruamel.yaml import): comments and key order survive.

Files people wrote are edited here, never re-dumped from plain data, so a check-in or a
phase change touches only the lines it means to. Only text that `loader` already accepted
(no tags, anchors or duplicate keys) is ever given to this module.

The layout matches the examples and the spec: mappings indented by 2, list items by 2 with
their dash, long text never re-wrapped.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

__all__ = [
    "CommentedMap",
    "CommentedSeq",
    "comment_before",
    "dump",
    "load",
    "text",
]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line someone wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Our loader refuses anchors and aliases, so the dumper must never emit them.
    yaml.representer.ignore_aliases = lambda *_: True
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


def comment_before(mapping: CommentedMap, key: str, comment: str, indent: int = 0) -> None:
    """Put `comment` (one or more lines, without '#') on the lines above `key`."""
    mapping.yaml_set_comment_before_after_key(key, before=comment, indent=indent)
