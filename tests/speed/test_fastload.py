"""The fast reading (fastload.py) gives exactly what the loader gives, or declines.

Each test examines files both ways, the fast path on and off, and compares the outcomes a
run keeps: the data (by repr, so 1, 1.0 and True differ) and every located problem.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import ROOT, make_demo, run_cli
from perfloop import engine, loader, repository
from perfloop.speed import fastload, loading

CASES = Path(__file__).parent.parent / "data" / "yaml"

pytestmark = pytest.mark.skipif(not fastload.available(), reason="yaml-rs is not installed")


def outcome(raw: bytes, path: str, kind: str) -> tuple[str, list]:
    doc, problems = loading.examine(raw, path, kind)
    return repr(None if doc is None else doc.data), [p.format() for p in problems]


def both_ways(raw: bytes, path: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    fast = outcome(raw, path, kind)
    with monkeypatch.context() as patch:
        patch.setattr(fastload, "yaml_rs", None)  # what the loader alone reads
        slow = outcome(raw, path, kind)
    return fast, slow


def read_fast(raw: bytes, path: str, kind: str) -> bool:
    """Whether examining the file reads it the fast way."""
    text, _ = loader.decode(raw, path)
    return text is not None and loading._read_quickly(text, raw, path, kind) is not None


def cycle_files(root: Path) -> list[tuple[Path, str, str]]:
    """(file, path from the root, kind) of every data file of every cycle under root."""
    found = []
    for cycle in sorted((root / "cycles").iterdir()):
        for file in sorted(cycle.rglob("*.yaml")):
            kind = repository.classify(file.relative_to(cycle).as_posix())
            if not isinstance(kind, str):
                found.append((file, file.relative_to(root).as_posix(), kind.kind))
    return found


def compare_all(files: list[tuple[Path, str, str]], monkeypatch: pytest.MonkeyPatch) -> int:
    """Assert each file reads the same both ways; how many the fast path read."""
    taken = 0
    for file, path, kind in files:
        raw = file.read_bytes()
        fast, slow = both_ways(raw, path, kind, monkeypatch)
        assert fast == slow, path
        taken += read_fast(raw, path, kind)
    return taken


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.yaml")))
def test_a_tricky_file_reads_the_same_both_ways(case: str, monkeypatch: pytest.MonkeyPatch):
    raw = (CASES / case).read_bytes()
    taken = fastload.parse(raw.decode("utf-8", "replace")) is not None
    # the name says whether the fast path may take the file: taking one it should decline
    # (an anchor, a tag, `1_000`) is how a difference would get in
    assert taken == case.startswith("taken-"), case
    for kind in ("goals", "review", "objectives"):
        fast, slow = both_ways(raw, f"cycles/x/{case}", kind, monkeypatch)
        assert fast == slow, (case, kind)


def test_the_example_cycles_and_every_test_case_read_the_same(monkeypatch, plain_example_repo):
    # the example with its sealed files' plaintext: its reviews are the realistic ones
    roots = [plain_example_repo, *sorted((ROOT / "tests" / "data" / "valid").iterdir())]
    roots += sorted((ROOT / "tests" / "data" / "invalid").iterdir())
    files = [f for root in roots if (root / "cycles").is_dir() for f in cycle_files(root)]
    assert len(files) > 400  # the two example cycles and every case folder
    assert compare_all(files, monkeypatch) > len(files) * 0.8  # most are read the fast way


def test_a_demo_company_reads_the_same(tmp_path, monkeypatch):
    root = make_demo(tmp_path, 120, 11)
    files = cycle_files(root)
    assert compare_all(files, monkeypatch) == len(files)


def test_a_yaml11_lookalike_is_refused_where_text_is_expected_only_when_plain(monkeypatch):
    """A quoted date in a title is fine and a plain one is a problem: the fast path cannot
    see quotes, so it leaves a look-alike where the schema wants text to the loader."""
    goals = "owner: ana\nobjectives:\n  - id: o1\n    title: {title}\n    key_results: []\n"
    plain = goals.format(title="2026-01-01").encode()
    quoted = goals.format(title='"2026-01-01"').encode()
    path = "cycles/x/goals/ana.yaml"
    assert not read_fast(quoted, path, "goals")
    fast, slow = both_ways(plain, path, "goals", monkeypatch)
    assert fast == slow
    assert any("2026-01-01 is read as a date" in p for p in fast[1]), fast
    fast, slow = both_ways(quoted, path, "goals", monkeypatch)
    assert fast == slow
    assert not any("read as a date" in p for p in fast[1]), fast
    # where a date is expected, plain and quoted read the same, and the fast path reads it
    checkin = goals.format(title="Ship") + "checkins:\n  - date: 2026-03-01\n    note: ok\n"
    assert read_fast(checkin.encode(), path, "goals")


def test_nesting_past_the_limit_is_left_to_the_loader(monkeypatch):
    deep = ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 70)) + "  " * 70 + "c\n").encode()
    assert fastload.parse(deep.decode()) is None
    fast, slow = both_ways(deep, "cycles/x/goals/ana.yaml", "goals", monkeypatch)
    assert fast == slow
    assert "nesting deeper than" in fast[1][0]


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",  # libyaml is quadratic over these
        "{a: " * 20_000 + "}" * 20_000 + "\n",
        "- " * 20_000 + "a\n",  # yaml-rs recursed past its stack on these (a crash)
        "x:\n" + "".join(" " * i + "- k:\n" for i in range(0, 600, 2)) + " " * 600 + "v\n",
    ],
    ids=["deep-flow-lists", "deep-flow-maps", "deep-block-lists", "deep-indentation"],
)
def test_hostile_nesting_is_left_to_the_loader(text: str, monkeypatch):
    assert fastload.parse(text) is None
    fast, slow = both_ways(text.encode(), "cycles/x/goals/ana.yaml", "goals", monkeypatch)
    assert fast == slow
    assert "nesting deeper than 64 levels" in fast[1][0]


SCALAR_PARTS = [*"0123456789+-._eExXoObB:T Z", "inf", "Inf", "nan", "NaN", "null", "Null"]
SCALAR_PARTS += ["~", "true", "True", "FALSE", "yes", "No", "on", "OFF", "y", "n", "0x", "0o"]
SCALAR_PARTS += ["0b", "2026-01-01", "12:30:00", "#", "'", '"', "ok", "é", "中"]


def test_random_scalars_read_the_same_as_values_keys_and_list_items(monkeypatch):
    """Plain scalars are where two YAML readers differ most (1_000, 0b1, .iNf, 0X1F...)."""
    rng = random.Random(7)
    parts = SCALAR_PARTS
    tokens = {"".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) for _ in range(3000)}
    taken = 0
    for token in sorted(tokens):
        for text in (f"k: {token}\n", f"{token}: v\n", f"- [{token}, x]\n", f"k: '{token}'\n"):
            raw = text.encode()
            fast, slow = both_ways(raw, "cycles/x/notes.yaml", "unknown-kind", monkeypatch)
            assert fast == slow, text
            taken += fastload.parse(text) is not None
    assert taken > len(tokens)  # many are taken, so the comparison means something


def test_a_cold_run_with_the_fast_path_matches_one_without(tmp_path):
    """The whole CLI, on a demo company with a few files broken, both ways."""
    root = make_demo(tmp_path, 60, 3)
    goals = sorted((root / "cycles").glob("*/goals/*.yaml"))
    goals[0].write_text(goals[0].read_text() + "extra_field: 2026-01-01\n")
    goals[1].write_text(goals[1].read_text().replace("title:", "title: &a", 1))
    reviews = sorted((root / "cycles").glob("*/reviews/*/*.yaml"))
    reviews[0].write_text(reviews[0].read_text() + "ratings: {}\nratings: {}\n")
    results = []
    for fast in ("1", "0"):
        env = {"PERFLOOP_CACHE": "0", "PERFLOOP_FASTLOAD": fast}
        done = run_cli("validate", "--json", cwd=root, env=env)
        results.append((done.returncode, done.stdout, done.stderr))
    assert results[0] == results[1]
    assert results[0][0] == 1
    for expected in ("duplicate key", "anchors (&a)", "extra_field"):
        assert expected in results[0][1], expected


def test_a_parsing_worker_that_dies_leaves_the_files_to_the_loader(tmp_path, monkeypatch):
    """A parser crash on a hostile file kills its worker process; the run still ends with
    the loader's outcome for every file, not a traceback."""
    import os

    from perfloop.root import CYCLES

    root = make_demo(tmp_path, 40, 2)
    (cycle,) = [p.name for p in (root / CYCLES).iterdir()]
    expected = engine.load_cycle(root, cycle, use_cache=False)[1]
    real = fastload.parse

    def crashing(text: str):
        if "owner:" in text and os.getpid() != parent:
            os._exit(139)  # as a segfault in a worker would
        return real(text)

    parent = os.getpid()
    monkeypatch.setattr(fastload, "yaml_rs", fastload.yaml_rs)  # restored after the test
    monkeypatch.setattr(loading, "PARALLEL_MIN", 10)
    monkeypatch.setattr(fastload, "parse", crashing)
    data, problems = engine.load_cycle(root, cycle, use_cache=False)
    assert data is not None
    assert [p.format() for p in problems] == [p.format() for p in expected]
    assert not fastload.available()  # the rest of the run reads with the loader
