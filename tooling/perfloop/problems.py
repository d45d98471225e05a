"""Problems are data: a located message, turned into text, JSON or annotations at the edge."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Text from pull requests (paths, YAML values) ends up in what CI prints. The Actions runner
# reads a log line as a workflow command when it starts with `::` after white space, or
# holds `##[` anywhere (its older syntax); a line break (or a Unicode line separator) in
# the text would start such a line. So printed text shows control characters as escapes
# and never holds `::` or `##[` as they are.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))} | {
    9: "\\t",
    10: "\\n",
    13: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def safe_text(text: str) -> str:
    """`text` made inert in a CI log: on one line, with control characters and bytes that
    are not UTF-8 (a name git gave as it is) shown as escapes, and `::` and `##[` broken
    up, so it can never be or start a workflow command. Every printer of a pull request's
    text goes through here (problems, the check's and the gate's output, annotations and
    job summaries, whose own escaping comes on top)."""
    if _NOT_TEXT.search(text):
        text = printable(text).translate(_CONTROL)
    if "::" in text:
        text = text.replace("::", "\\x3a:")
    if "##[" in text:
        text = text.replace("##[", "\\x23#[")
    return text


def printable(text: str) -> str:
    """`text` with bytes that are not UTF-8 (kept by surrogateescape) shown as `\\xNN`:
    printing them as they are fails on a UTF-8 stream."""
    return _SURROGATE.sub(_surrogate, text) if _SURROGATE.search(text) else text


def _surrogate(found: re.Match[str]) -> str:
    code = ord(found.group())
    # surrogateescape keeps a byte that is not UTF-8 as U+DC80..U+DCFF
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def unsafe_name(path: str) -> bool:
    """Whether a file name holds a control character, a line separator or bytes that are
    not UTF-8: names no person means, that only serve to disguise text in a log."""
    return _NOT_TEXT.search(path) is not None


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about one place in one file; `path` is relative to the repository root."""

    path: str
    line: int
    col: int
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        return (
            f"{safe_text(self.path)}:{self.line}:{self.col}: {self.severity.value}: "
            f"{safe_text(self.message)}"
        )

    def to_json(self) -> dict:
        return {
            "path": printable(self.path),  # JSON is UTF-8: a name that is not, escaped
            "line": self.line,
            "col": self.col,
            "severity": self.severity.value,
            "message": self.message,
        }


def error(path: str, line: int, col: int, message: str) -> Problem:
    return Problem(path, line, col, Severity.ERROR, message)


def warning(path: str, line: int, col: int, message: str) -> Problem:
    return Problem(path, line, col, Severity.WARNING, message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted by path, line, column; duplicates (same place, same message) dropped."""
    return sorted(set(problems))


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)
