"""`perfloop export`: rows limited to the audience, CSV and typed XLSX, safe cells."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

from openpyxl import load_workbook

from perfloop.export import parse_audience, results, to_csv, to_xlsx
from perfloop.model import CycleData
from perfloop.validation import validate_cycle

CYCLE = "cycles/2026-h2"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def load(repo: Path) -> CycleData:
    """The cycle, free of errors."""
    result = validate_cycle(repo, "2026-h2")
    assert not [p.format() for p in result.problems if p.is_error]
    assert result.data is not None
    return result.data


def exported(data: CycleData, audience: str = "hr") -> list[dict]:
    """`export --audience AUDIENCE`'s rows, typed (before CSV or XLSX)."""
    return results(data, parse_audience(audience, data))


def workbook(data: CycleData, audience: str = "hr"):
    """`export --format xlsx --audience AUDIENCE`'s workbook, as a spreadsheet opens it."""
    return load_workbook(io.BytesIO(to_xlsx(data, exported(data, audience))))


def test_csv_for_hr_department_and_person(base_repo: Path) -> None:
    data = load(base_repo)
    everyone = rows(to_csv(exported(data)))
    assert [r["person"] for r in everyone] == ["carol", "dave", "alice", "bob", "sam", "henry"]
    alice = everyone[2]
    assert {k: alice[k] for k in ("group", "okr", "kpi", "review", "final", "rating", "bonus")} == {
        "group": "eng", "okr": "48.00", "kpi": "60.02", "review": "86.11", "final": "61.84",
        "rating": "C", "bonus": "0.60",
    }  # fmt: skip
    # the breakdown: objectives, KPIs and counted review groups (designated weighs 0)
    assert (alice["okr:o1"], alice["okr:o2"], alice["kpi:incidents"]) == ("33.33", "70.00", "0.00")
    assert alice["review:manager"] == "87.50" and "review:designated" not in alice
    assert everyone[4]["missing"] == "manager review" and everyone[4]["complete"] == "no"

    dept = rows(to_csv(exported(data, "dept:platform")))
    assert [r["person"] for r in dept] == ["dave", "alice", "bob"]
    eng = rows(to_csv(exported(data, "dept:eng")))
    assert [r["person"] for r in eng] == ["carol", "dave", "alice", "bob", "henry"]  # nested
    one = rows(to_csv(exported(data, "person:bob")))
    assert [r["person"] for r in one] == ["bob"]
    assert "okr:o2" not in one[0]  # only bob's own breakdown columns


def test_unknown_audience_is_a_usage_error(base_repo: Path, cli) -> None:
    for audience in ("dept:nope", "person:nobody", "boss", "dept:"):
        result = cli("export", "--audience", audience, cwd=base_repo)
        assert result.returncode == 2, audience
        assert "--audience" in result.stderr
        assert result.stdout == ""


def test_xlsx_sheet_per_group_typed_cells_frozen_header(base_repo: Path) -> None:
    book = workbook(load(base_repo))
    assert book.sheetnames == ["all people", "eng", "sales"]
    everyone = [row[0] for row in book["all people"].iter_rows(min_row=2, values_only=True)]
    assert sorted(everyone) == ["alice", "bob", "carol", "dave", "henry", "sam"]
    eng = book["eng"]
    assert eng.auto_filter.ref == f"A1:{eng.cell(1, eng.max_column).column_letter}6"
    header = [c.value for c in eng[1]]
    assert header[:6] == ["person", "name", "department", "group", "manager", "template"]
    assert all(c.font.bold for c in eng[1])
    assert eng.freeze_panes == "C2"
    table = {
        row[0]: dict(zip(header, row, strict=False))
        for row in eng.iter_rows(min_row=2, values_only=True)
    }
    assert list(table) == ["carol", "dave", "alice", "bob", "henry"]
    alice = table["alice"]
    assert alice["final"] == 61.84 and isinstance(alice["final"], float)
    assert (alice["rating"], alice["bonus"], alice["complete"]) == ("C", 0.6, True)
    assert alice["okr:o1"] == 33.33
    assert table["carol"]["final"] is None and table["carol"]["complete"] is False
    sales = [row[0] for row in book["sales"].iter_rows(min_row=2, values_only=True)]
    assert sales == ["sam"]


def test_xlsx_default_name_and_department_audience(base_repo: Path, cli) -> None:
    result = cli("export", "--format", "xlsx", "--audience", "dept:sales", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    out = base_repo / "results-2026-h2-dept-sales.xlsx"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # confidential: owner only
    book = load_workbook(out)
    # no sheet for a group the audience cannot see
    assert book.sheetnames == ["all people", "sales"]
    assert [r[0] for r in book["all people"].iter_rows(min_row=2, values_only=True)] == ["sam"]


def test_text_that_looks_like_a_formula_stays_text(base_repo: Path) -> None:
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("name: Bob Li,", 'name: "=HYPERLINK(\\"http://x\\")",'))
    data = load(base_repo)  # a valid name
    bob = next(r for r in rows(to_csv(exported(data))) if r["person"] == "bob")
    assert bob["name"] == '\'=HYPERLINK("http://x")'
    sheet = workbook(data)["eng"]
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "bob")
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x")'


def test_a_csv_file_opens_in_excel_with_its_accents(base_repo: Path, cli, tmp_path: Path) -> None:
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("name: Bob Li,", "name: Chloé Li,"))
    out = tmp_path / "r.csv"
    assert cli("export", "-o", str(out), cwd=base_repo).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel decodes UTF-8 only after a BOM
    assert "Chloé Li" in raw.decode("utf-8-sig")
    piped = cli("export", cwd=base_repo).stdout  # a pipe gets plain UTF-8
    assert not piped.startswith("\ufeff") and "Chloé Li" in piped
