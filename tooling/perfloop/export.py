"""Results exports (CSV, XLSX), limited to the rows an audience may see.

Audiences follow the spec's confidentiality rule: `hr` sees everyone, `dept:D` the people of
D and the departments below it, `person:P` only P. Review text is not exported; the
calibration reason is (it explains the rating to whoever may see the rating).

Cells from files are untrusted: a text starting with = + - @ would run as a formula in a
spreadsheet, so CSV text cells get a leading apostrophe and XLSX text cells are typed as
text, never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import CycleData
from .progress import round_half_up
from .scoring import PersonScore, score_cycle

BASE_COLUMNS = (
    "person",
    "name",
    "department",
    "group",
    "manager",
    "template",
    "okr",
    "kpi",
    "review",
    "final",
    "proposed",
    "rating",
    "calibrated",
    "reason",
    "bonus",
    "complete",
    "missing",
)
NUMERIC = {"okr", "kpi", "review", "final", "bonus"}


class AudienceError(ValueError):
    """An audience that is malformed or names nobody in the cycle."""


@dataclass(frozen=True)
class Audience:
    kind: str  # "hr" | "dept" | "person"
    id: str | None = None

    @property
    def label(self) -> str:
        return self.kind if self.id is None else f"{self.kind}-{self.id}"


def parse_audience(text: str, data: CycleData) -> Audience:
    kind, _, ident = text.partition(":")
    if kind == "hr" and not ident:
        return Audience("hr")
    if kind == "dept" and ident:
        if ident not in data.org.departments:
            raise AudienceError(f"no department {ident!r} in cycle {data.id}")
        return Audience("dept", ident)
    if kind == "person" and ident:
        if ident not in data.org.people:
            raise AudienceError(f"no person {ident!r} in cycle {data.id}")
        return Audience("person", ident)
    raise AudienceError(f"audience {text!r}: use hr, dept:DEPARTMENT or person:PERSON")


def visible_people(data: CycleData, audience: Audience) -> list[str]:
    """The people whose results `audience` may see, in org order."""
    if audience.kind == "hr":
        return list(data.org.people)
    if audience.kind == "dept":
        allowed = set(data.org.members(audience.id or "", nested=True))
        return [p for p in data.org.people if p in allowed]
    return [audience.id] if audience.id and audience.id in data.org.people else []


# --- rows -----------------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    return None if x is None else round_half_up(x)


def result_row(data: CycleData, score: PersonScore) -> dict[str, Any]:
    """One person's results and breakdown as typed values (numbers rounded as shown)."""
    person = data.org.people[score.id]
    group = data.group_of(score.id)
    calibration = data.calibrations.get(group.id) if group else None
    entry = calibration.ratings.get(score.id) if calibration else None
    row: dict[str, Any] = {
        "person": score.id,
        "name": person.name,
        "department": person.department,
        "group": group.id if group else None,
        "manager": person.manager,
        "template": score.template,
        "okr": _num(score.okr),
        "kpi": _num(score.kpi),
        "review": _num(score.review),
        "final": _num(score.final),
        "proposed": score.proposed,
        "rating": score.rating,
        "calibrated": score.calibrated is not None,
        "reason": entry.reason if entry and score.calibrated else None,
        "bonus": score.bonus,
        "complete": score.complete,
        "missing": ", ".join(score.missing) or None,
    }
    if score.sealed:  # "sealed, not readable by you" where the number would be
        hidden = ("review", "final") if "review" in score.sealed else ()
        for name in (*hidden, "rating", "bonus", "complete"):
            row[name] = "sealed"
    for o in score.objectives:
        row[f"okr:{o.id}"] = _num(o.score)
    for k in score.kpis:
        row[f"kpi:{k.id}"] = _num(k.score)
    for g in score.review_groups:
        if g.counted:
            row[f"review:{g.relation}"] = _num(g.score)
    return row


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """The base columns, then the breakdown columns the rows use, in first-seen order."""
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in BASE_COLUMNS:
                extra.setdefault(key, None)
    return [*BASE_COLUMNS, *extra]


def results(
    data: CycleData, audience: Audience, scores: Mapping[str, PersonScore] | None = None
) -> list[dict[str, Any]]:
    found = scores if scores is not None else score_cycle(data)
    return [result_row(data, found[p]) for p in visible_people(data, audience) if p in found]


# --- formats --------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    cols = columns(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in cols])
    return out.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    title = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
    base, n = title, 2
    while title.lower() in used:
        suffix = f"-{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def to_xlsx(data: CycleData, rows: list[dict[str, Any]]) -> bytes:
    """A workbook with every visible person on 'all people', then a sheet per calibration
    group (people outside any group on 'ungrouped'): a bold header row with filter buttons,
    frozen header and name columns, typed cells.

    Written in openpyxl's streaming (write-only) mode: about twice as fast and flat in
    memory for a company-sized export.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    book.properties.title = f"Perfloop results {data.id} (confidential)"
    by_group: dict[str, list[dict[str, Any]]] = {g.id: [] for g in data.groups}
    for row in rows:
        by_group.setdefault(row["group"] or "ungrouped", []).append(row)
    # everyone on one sheet first (filter and sort across groups), then a sheet per group
    sheets = [("all people", rows), *((g, r) for g, r in by_group.items() if r)]
    used: set[str] = set()
    bold = Font(bold=True)
    for group_id, group_rows in sheets:
        sheet = book.create_sheet(_sheet_title(group_id, used))
        cols = columns(group_rows) if group_rows else list(BASE_COLUMNS)
        sheet.freeze_panes = "C2"  # must precede the rows in write-only mode
        for c, key in enumerate(cols, start=1):
            width = max([len(key)] + [len(str(row.get(key) or "")) for row in group_rows])
            sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        header = []
        for key in cols:
            cell = WriteOnlyCell(sheet, value=key)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in group_rows:
            cells = []
            for key in cols:
                value = row.get(key)
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text from files is never a formula
                elif isinstance(value, float):
                    cell.number_format = "0.00"
                cells.append(cell)
            sheet.append(cells)
        last = f"{get_column_letter(len(cols))}{len(group_rows) + 1}"
        sheet.auto_filter.ref = f"A1:{last}"  # the header row's filter and sort buttons
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
