"""The two schema validators agree: jsonschema-rs decides, python-jsonschema explains."""

from __future__ import annotations

from pathlib import Path

from conftest import DATA, ROOT
from perfloop import schema
from perfloop.loader import load_file
from perfloop.repository import classify


def _documents():
    for top in (ROOT / "cycles", DATA / "base" / "cycles", DATA / "invalid", DATA / "valid"):
        for file in sorted(top.rglob("*.yaml")):
            rel = file.relative_to(top).as_posix().split("/")
            # find the path inside the cycle folder: after ".../cycles/<id>/"
            rel = rel[rel.index("cycles") + 2 :] if "cycles" in rel else rel[1:]
            kind = classify("/".join(rel))
            if isinstance(kind, str) or kind.kind not in schema.kinds():
                continue
            doc, _ = load_file(file, str(file))
            if doc is not None and doc.data is not None:
                yield file, kind.kind, doc


def test_fast_and_explaining_validators_agree() -> None:
    checked = 0
    for file, kind, doc in _documents():
        fast = schema.fast_validator(kind).is_valid(doc.data)
        slow = not any(True for _ in schema.validator(kind).iter_errors(doc.data))
        assert fast == slow, (file, kind)
        checked += 1
    assert checked > 40


def test_invalid_document_is_explained(tmp_path: Path) -> None:
    from perfloop.loader import parse_text

    doc, _ = parse_text("owner: bob\nplan:\n  - {task: x, due: 2026-02-30}\n", "g.yaml")
    problems = schema.check(doc, "goals")
    assert [p.format() for p in problems] == [
        "g.yaml:3:15: error: plan[0].due: '2026-02-30' is not a valid date (YYYY-MM-DD)"
    ]
