"""Round-trip YAML editing (the only ruamel.yaml import): comments and key order survive.

Files people wrote are edited here, never re-dumped from plain data, so a check-in or a
phase change touches only the lines it means to. Only text that `loader` already accepted
(no tags, anchors or duplicate keys) is ever given to this module.

The layout matches the examples and the spec: mappings indented by 2, list items by 2 with
their dash, long text never re-wrapped. A file that writes its list items at their key's
indentation (`key:` then `- id: …`, as files perfloop drafts from plain data do) keeps
that layout when it is edited, so the diff of an edit is only the edit.
"""

from __future__ import annotations

import io
import re
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


# A block list's item, and the key line that opens a list (`objectives:`, a comment after).
_FIRST_ITEM = re.compile(r"^( *)- ", re.M)
_KEY_LINE = re.compile(r"^( *)[^ #\n][^\n]*:[ \t]*(?:#[^\n]*)?$")


def _list_offset(text: str) -> int:
    """How far `text` indents a list's dash from its key: 0 (`key:` then `- a` below it)
    or 2 (the default, also when the text has no block list to tell by)."""
    for item in _FIRST_ITEM.finditer(text):  # the first item right below its key decides
        above = [
            line
            for line in text[: item.start()].split("\n")[-6:]
            if line.strip() and not line.lstrip().startswith("#")
        ]
        key = _KEY_LINE.match(above[-1]) if above else None
        if key is not None:
            return 0 if len(key.group(1)) == len(item.group(1)) else 2
    return 2


def _yaml(offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line someone wrote
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    # Our loader refuses anchors and aliases, so the dumper must never emit them.
    yaml.representer.ignore_aliases = lambda *_: True
    return yaml


def load(source: str) -> Any:
    """Round-trip data (CommentedMap/CommentedSeq) of a YAML text."""
    return _yaml().load(source)


def dump(data: Any, like: str | None = None) -> str:
    """The text of `data`; `like`: the text it was loaded from, whose list layout it keeps."""
    out = io.StringIO()
    _yaml(_list_offset(like) if like is not None else 2).dump(data, out)
    return out.getvalue()


def text(value: str, width: int = 88) -> Any:
    """A string to write: folded block style when long, so files stay readable."""
    if len(value) > width and "\n" not in value:
        return FoldedScalarString(value)
    return value


def comment_before(mapping: CommentedMap, key: str, comment: str, indent: int = 0) -> None:
    """Put `comment` (one or more lines, without '#') on the lines above `key`."""
    mapping.yaml_set_comment_before_after_key(key, before=comment, indent=indent)
