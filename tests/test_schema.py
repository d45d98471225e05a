"""The two schema validators agree: jsonschema-rs decides, python-jsonschema explains."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("goals/bob.yaml", ("goals", ("bob",))),
        ("reviews/bob/alice.yaml", ("review", ("bob", "alice"))),
        ("calibration/eng.yaml", ("calibration", ("eng",))),
        ("org.yaml", ("org", ())),
    ],
)
def test_file_kinds_from_paths(rel: str, expected: tuple) -> None:
    kind = classify(rel)
    assert (kind.kind, kind.ids) == expected


@pytest.mark.parametrize(
    "rel", ["goals/Bob.yaml", "goals/bob\n.yaml", "reviews/bob\n/alice.yaml", "goals/a/b.yaml"]
)
def test_paths_that_name_no_valid_id_are_refused(rel: str) -> None:
    """A trailing newline is not an id (a `$` in the pattern once let "bob\\n" through)."""
    assert isinstance(classify(rel), str) and classify(rel)
