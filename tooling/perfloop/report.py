"""Turning problems into text, JSON, GitHub annotations and job summaries (the edge)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from . import jsontext
from .problems import Problem, printable, safe_text

MAX_ANNOTATIONS = 10  # GitHub shows at most 10 of each kind per step; we stay under it


def escape_data(text: str) -> str:
    """A workflow command's data, escaped as the runner decodes it: `%`, CR and LF, so the
    text stays inside its one command (a line break shows in the annotation as one).
    Outside a command the runner decodes nothing: plain lines go through `safe_text`."""
    text = printable(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    kind = "error" if problem.is_error else "warning"
    return (
        f"::{kind} file={escape_property(problem.path)},line={problem.line},"
        f"col={problem.col}::{escape_data(problem.message)}"
    )


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: inert (`safe_text`), no HTML, no pipes."""
    out = safe_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("|", "\\|")
    return out.replace("`", "&#96;").replace("[", "&#91;").replace("]", "&#93;")


def summary_table(problems: Sequence[Problem], title: str) -> str:
    if not problems:
        return f"### {title}\n\nNo problems found.\n"
    rows = [
        f"| {markdown_cell(p.severity.value)} | `{markdown_cell(p.path)}:{p.line}:{p.col}` "
        f"| {markdown_cell(p.message)} |"
        for p in problems
    ]
    errors = sum(p.is_error for p in problems)
    head = (
        f"### {title}\n\n{errors} error(s), {len(problems) - errors} warning(s)\n\n"
        "| severity | where | problem |\n|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n"


def append_step_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


def emit_problems(
    problems: Sequence[Problem], out: TextIO, err: TextIO, title: str = "Perfloop"
) -> None:
    """Print problems as `path:line:col: severity: message`; under Actions, annotate too."""
    for problem in problems:
        print(problem.format(), file=out)
    if in_github_actions():
        for problem in problems[:MAX_ANNOTATIONS]:
            print(annotation(problem), file=out)
        hidden = len(problems) - MAX_ANNOTATIONS
        if hidden > 0:
            print(f"::notice::{hidden} more problem(s): see the job summary", file=out)
        append_step_summary(summary_table(problems, title))


def problems_json(problems: Sequence[Problem]) -> str:
    return jsontext.dumps([p.to_json() for p in problems])
