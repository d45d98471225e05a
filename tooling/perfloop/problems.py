"""Problems are data: a located message, turned into text, JSON or annotations at the edge."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

# Text from files ends up in messages; a raw line break there could start a line that CI
# reads as a workflow command (`::set-env …`), so plain output shows control characters
# escaped.
_CONTROL = {c: f"\\x{c:02x}" for c in range(32) if c != 9} | {10: "\\n", 13: "\\r", 127: "\\x7f"}


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters shown as escapes."""
    return text.translate(_CONTROL)


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
            f"{one_line(self.path)}:{self.line}:{self.col}: {self.severity.value}: "
            f"{one_line(self.message)}"
        )

    def to_json(self) -> dict:
        return {
            "path": self.path,
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
