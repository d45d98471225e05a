"""Writes are checked before they happen and atomic when they do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from perfloop import writes

GOALS = "cycles/2026-h2/goals/bob.yaml"


def test_an_interrupted_write_leaves_the_old_file_whole(base_repo: Path) -> None:
    """The process dies after writing the temporary file, just before the rename."""
    before = (base_repo / GOALS).read_bytes()
    script = textwrap.dedent(
        """
        import os, sys
        real = os.replace
        def replace(src, dst):  # the process is killed between the write and the rename
            if str(dst).endswith("bob.yaml"):
                os._exit(137)
            real(src, dst)
        os.replace = replace
        sys.argv = ["perfloop", "checkin", "bob", "o1/kr1=11", "--note", "late"]
        from perfloop.cli import main
        main()
        """
    )
    died = subprocess.run(
        [sys.executable, "-c", script], cwd=base_repo, capture_output=True, text=True
    )
    assert died.returncode == 137
    assert (base_repo / GOALS).read_bytes() == before
    leftovers = list((base_repo / GOALS).parent.glob(".bob.yaml.*.tmp"))
    assert len(leftovers) == 1  # the dead process's temp file: hidden, ignored by the loader
    assert run_cli("validate", cwd=base_repo).returncode == 0
    again = run_cli("checkin", "bob", "o1/kr1=11", cwd=base_repo)
    assert again.returncode == 0, again.stderr
    assert "current: 11" in (base_repo / GOALS).read_text()


def test_a_failing_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "goals.yaml"
    target.write_text("owner: bob\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        writes.atomic_write(target, "owner: bob\nobjectives: []\n")
    with pytest.raises(OSError):
        writes.atomic_write(target, b"owner: bob\n", mode=0o600)
    assert target.read_text() == "owner: bob\n"
    assert [p.name for p in tmp_path.iterdir()] == ["goals.yaml"]


def test_atomic_write_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "goals.yaml"
    target.write_text("a: 1\n")
    target.chmod(0o640)
    writes.atomic_write(target, "a: 2\n")
    assert target.read_text() == "a: 2\n" and (target.stat().st_mode & 0o777) == 0o640


CRASH = """
import os, sys
from pathlib import Path
from perfloop.writes import atomic_write

def crash(fd):  # the machine dies with the new bytes written but not yet renamed into place
    os._exit(137)

os.fsync = crash
atomic_write(Path(sys.argv[1]), b"\\x00new content, half of it" * 1000, mode=0o600)
"""


def test_a_crash_mid_write_leaves_the_old_file(tmp_path: Path) -> None:
    """One writer for text and bytes (exports, sealed files, CODEOWNERS, YAML): killed
    mid-write, the file is the old one, whole."""
    target = tmp_path / "results.xlsx"
    target.write_bytes(b"old workbook")
    died = subprocess.run([sys.executable, "-c", CRASH, str(target)], capture_output=True)
    assert died.returncode == 137, died.stderr
    assert target.read_bytes() == b"old workbook"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] != []  # it died


def test_text_and_bytes_are_written_as_given(tmp_path: Path) -> None:
    text = tmp_path / "goals.yaml"
    writes.atomic_write(text, "name: Chloé\r\nnote: ✓\n")
    assert text.read_bytes() == "name: Chloé\r\nnote: ✓\n".encode()  # no newline translation
    raw = tmp_path / "sub" / "r.csv"  # the folder is made
    writes.atomic_write(raw, b"\xef\xbb\xbfperson\n")
    assert raw.read_bytes() == b"\xef\xbb\xbfperson\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["goals.yaml", "r.csv", "sub"]


def test_a_given_mode_wins_over_the_replaced_files(tmp_path: Path) -> None:
    """A confidential export (0600) over a file anyone could read becomes owner-only."""
    target = tmp_path / "results.csv"
    target.write_text("old\n")
    target.chmod(0o644)
    writes.atomic_write(target, b"person\n", mode=0o600)
    assert target.read_bytes() == b"person\n" and (target.stat().st_mode & 0o777) == 0o600


def test_a_new_file_gets_what_the_umask_allows(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a committed file (CODEOWNERS, a goals file) is readable as any."""
    old = os.umask(0o022)
    try:
        writes.atomic_write(tmp_path / "CODEOWNERS", "* @henryp\n")
    finally:
        os.umask(old)
    assert ((tmp_path / "CODEOWNERS").stat().st_mode & 0o777) == 0o644


def test_a_new_cycle_folder_appears_whole_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "cycles").mkdir()
    written = []
    real = Path.write_text

    def fail_third(self: Path, *args, **kwargs):
        written.append(self.name)
        if len(written) == 3:
            raise OSError(5, "I/O error")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_third)
    files = {"cycle.yaml": "a: 1\n", "org.yaml": "b: 1\n", "goals/x.yaml": "c: 1\n"}
    with pytest.raises(OSError):
        writes.create_cycle_folder(tmp_path, "2027-h1", files)
    assert list((tmp_path / "cycles").iterdir()) == []  # no cycle, no staging left over


def test_a_write_that_adds_errors_is_refused_and_changes_nothing(base_repo: Path) -> None:
    before = (base_repo / GOALS).read_text()
    result = run_cli("checkin", "bob", "kpi:availability=-5", cwd=base_repo)
    assert result.returncode == 1
    assert f"{GOALS}:" in result.stderr and "actual is negative" in result.stderr
    assert "nothing was written" in result.stderr
    assert (base_repo / GOALS).read_text() == before


def test_errors_already_in_the_cycle_do_not_block_an_unrelated_write(base_repo: Path) -> None:
    sam = base_repo / "cycles/2026-h2/goals/sam.yaml"
    sam.write_text(sam.read_text().replace("owner: sam", "owner: sam\nbogus: 1"))
    assert run_cli("validate", cwd=base_repo).returncode == 1
    root = base_repo
    text = (root / GOALS).read_text().replace("current: 9", "current: 10")
    outcome = writes.check(root, "2026-h2", {"goals/bob.yaml": text})
    assert outcome.ok
    broken = text.replace("aligns_to: platform/o1", "aligns_to: platform/o9")
    outcome = writes.check(root, "2026-h2", {"goals/bob.yaml": broken})
    assert [p.message for p in outcome.added] == [
        "aligns_to 'platform/o9' does not resolve to an objective"
    ]


def test_a_new_file_is_checked_with_the_rest_of_the_cycle(base_repo: Path) -> None:
    """A file that is valid alone can still break the cycle: a review by a stranger."""
    review = "ratings: {impact: 3, collaboration: 3}\n"
    outcome = writes.check(base_repo, "2026-h2", {"reviews/bob/sam.yaml": review})
    assert not outcome.ok
    assert "sam may not review bob" in outcome.added[0].message
    assert not (base_repo / "cycles/2026-h2/reviews/bob/sam.yaml").exists()


def test_schema_line() -> None:
    line = "# yaml-language-server: $schema=perfloop:schemas/goals.schema.json\n"  # placed later
    assert writes.schema_line("goals") == line
    assert writes.with_schema_line("owner: a\n", "goals") == line + "owner: a\n"
    relative = "# yaml-language-server: $schema=../../x.json\nowner: a\n"
    assert writes.with_schema_line(relative, "goals") == relative
