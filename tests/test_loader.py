"""The loader on hostile and tricky YAML: pure function tests, no files needed."""

from __future__ import annotations

import pytest

from perfloop.loader import MAX_BYTES, load_file, parse_bytes, parse_text


def parse(text: str):
    doc, problems = parse_text(text, "f.yaml")
    return doc, [p.format() for p in problems]


def test_values_resolve_by_yaml_12_core_schema_and_remember_pitfalls() -> None:
    doc, problems = parse('a: [on, no, "on", 2026-01-01, 1.5, 0x1f, ~, true, 12]\n')
    assert problems == []
    assert doc.data == {"a": ["on", "no", "on", "2026-01-01", 1.5, 31, None, True, 12]}
    assert doc.pitfalls == {("a", 0): "bool", ("a", 1): "bool", ("a", 3): "date"}


def test_every_value_keeps_its_position() -> None:
    doc, _ = parse("x:\n  p: 1\n  q:\n    - {k: v}\n")
    assert doc.pos(("x", "p")) == (2, 3)
    assert doc.pos(("x", "q", 0)) == (4, 7)
    assert doc.pos(("x", "q", 0, "k")) == (4, 8)
    # an unknown path is located at its nearest known ancestor
    assert doc.pos(("x", "q", 0, "missing")) == (4, 8 - 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x 1\nb: *x\n", "f.yaml:1:4: error: anchors (&x) are not allowed"),
        ("a: *x\n", "f.yaml:1:4: error:"),
        ("a: !!python/object/apply:os.system [ls]\n", "f.yaml:1:4: error: tags ("),
        ("a: !custom x\n", "f.yaml:1:4: error: tags (!custom) are not allowed"),
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1: error: duplicate key 'a'"),
        ("on: 1\n", "f.yaml:1:1: error: key on is read as a boolean by YAML 1.1 tools"),
        ("y: 1\n", "f.yaml:1:1: error: key y is read as a boolean by YAML 1.1 tools"),
        ("x: {2026-01-01: 1}\n", "f.yaml:1:5: error: key 2026-01-01 is read as a date"),
        ("x: {1: 2}\n", 'f.yaml:1:5: error: key 1 is not text; quote it: "1"'),
        ("? [a]\n: 1\n", "f.yaml:1:3: error: keys must be plain text"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: error: a file holds one YAML document"),
        ("a: [1\n", "f.yaml:2:1: error: YAML syntax:"),
        (
            "a:\n\tb: 1\n",
            "f.yaml:2:1: error: YAML syntax: while scanning for the next token "
            "found character that cannot start any token (a tab: YAML indents with spaces only)",
        ),
        ("a: \x07\n", "f.yaml:1:4: error: YAML: character #x0007 is not allowed"),
    ],
)
def test_hostile_yaml_is_a_located_error(text: str, expected: str) -> None:
    doc, problems = parse(text)
    assert doc is None
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems


def test_alias_bomb_is_refused_before_any_expansion() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    doc, problems = parse(bomb)
    assert doc is None
    assert problems == ["f.yaml:1:4: error: anchors (&a) are not allowed; write the value out"]


def test_deep_nesting_is_refused_without_recursion() -> None:
    doc, problems = parse("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert doc is None
    assert "nesting deeper than 64 levels" in problems[0]


def test_oversized_file_is_refused_without_reading(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_BYTES + b"\n")
    doc, problems = load_file(big, "cycles/c/big.yaml")
    assert doc is None
    assert problems[0].format().startswith("cycles/c/big.yaml:1:1: error: file is ")
    assert "the limit is 1048576" in problems[0].message


def test_invalid_utf8_names_the_line() -> None:
    doc, problems = parse_bytes(b"a: 1\nb: \xff\n", "f.yaml")
    assert doc is None and problems[0].format() == "f.yaml:2:1: error: file is not valid UTF-8"


def test_empty_file_is_null_data() -> None:
    doc, problems = parse("# only a comment\n")
    assert problems == [] and doc.data is None
