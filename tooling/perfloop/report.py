"""Turning problems into text, JSON, GitHub annotations and job summaries (the edge)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from . import jsontext
from .problems import Problem, printable, safe_text

# GitHub shows at most 10 error and 10 warning annotations per step (the rest are dropped
# silently), and refuses a step summary over 1 MiB.
MAX_ANNOTATIONS = 10  # of each kind
SUMMARY_LIMIT = 1024 * 1024 - 4096  # bytes of one step's summary file, with a margin
PROBLEMS_SHARE = SUMMARY_LIMIT // 2  # the problem table leaves room for what follows it


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


def summary_table(problems: Sequence[Problem], title: str, limit: int = PROBLEMS_SHARE) -> str:
    """The problems as a Markdown table, errors first, within `limit` bytes."""
    if not problems:
        return f"### {title}\n\nNo problems found.\n"
    ordered = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    rows = [
        f"| {markdown_cell(p.severity.value)} | `{markdown_cell(p.path)}:{p.line}:{p.col}` "
        f"| {markdown_cell(p.message)} |"
        for p in ordered
    ]
    errors = sum(p.is_error for p in problems)
    head = (
        f"### {title}\n\n{errors} error(s), {len(problems) - errors} warning(s)\n\n"
        "| severity | where | problem |\n|---|---|---|\n"
    )
    return capped(head + "\n".join(rows) + "\n", limit)


def capped(markdown: str, limit: int) -> str:
    """`markdown` cut at a line so that it fits in `limit` bytes (UTF-8), ending with a
    plain line that says how many lines were left out; "" if not even that fits."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    room = limit - 200  # the closing note
    if room <= 0:
        return ""
    lines = markdown.splitlines(keepends=True)
    kept, size = 0, 0
    for line in lines:
        size += len(line.encode("utf-8"))
        if size > room:
            break
        kept += 1
    more = len(lines) - kept
    note = (
        f"\n\n… and {more} more line(s): a job summary stops at 1 MiB; the log lists everything.\n"
    )
    return "".join(lines[:kept]) + note


def append_step_summary(markdown: str) -> None:
    """Add to the job summary, within what is left of the step's 1 MiB."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    text = capped(markdown + "\n", SUMMARY_LIMIT - used)
    if text:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def emit_problems(
    problems: Sequence[Problem], out: TextIO, err: TextIO, title: str = "Perfloop"
) -> None:
    """Print problems as `path:line:col: severity: message`; under Actions, annotate too."""
    for problem in problems:
        print(problem.format(), file=out)
    if in_github_actions():
        # errors first, and no more of each kind than GitHub shows
        errors = [p for p in problems if p.is_error]
        warnings = [p for p in problems if not p.is_error]
        for problem in errors[:MAX_ANNOTATIONS] + warnings[:MAX_ANNOTATIONS]:
            print(annotation(problem), file=out)
        more_errors = max(0, len(errors) - MAX_ANNOTATIONS)
        more_warnings = max(0, len(warnings) - MAX_ANNOTATIONS)
        if more_errors or more_warnings:
            print(
                f"::notice::{more_errors + more_warnings} more problem(s) "
                f"({more_errors} error(s), {more_warnings} warning(s)) not annotated: "
                "see the log and the job summary",
                file=out,
            )
        append_step_summary(summary_table(problems, title))


def problems_json(problems: Sequence[Problem]) -> str:
    return jsontext.dumps([p.to_json() for p in problems])
