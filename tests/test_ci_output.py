"""CI output within GitHub's limits: 10 error and 10 warning annotations per step, errors
first, and a job summary under 1 MiB that says what it left out."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

GOALS = Path("cycles/2026-h2/goals")


def test_annotations_show_ten_errors_and_ten_warnings_errors_first(
    base_repo: Path, tmp_path: Path
) -> None:
    # 12 warnings in alice.yaml (check-ins after the cycle), 12 errors in bob.yaml, which
    # sorts after it: in path order the 10 annotations were all warnings
    late = "".join(
        f"  - {{date: 2027-02-{day:02d}, values: {{o1/kr1: 99.8}}, confidence: 0.8}}\n"
        for day in range(1, 13)
    )
    with (base_repo / GOALS / "alice.yaml").open("a", encoding="utf-8") as handle:
        handle.write(late)
    fields = "".join(f"f{i}: 1\n" for i in range(12))
    (base_repo / GOALS / "bob.yaml").write_text("owner: bob\n" + fields, encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = run_cli(
        "validate",
        cwd=base_repo,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    kinds = [c.split(" ", 1)[0].split("::")[1] for c in commands]
    assert kinds == ["error"] * 10 + ["warning"] * 10 + ["notice"]
    assert "4 more problem(s) (2 error(s), 2 warning(s))" in commands[-1]
    text = summary.read_text(encoding="utf-8")
    assert text.count("| error |") == 12 and text.count("| warning |") == 12
    assert text.index("| error |") < text.index("| warning |")


def test_a_huge_job_summary_stays_under_one_mib_and_says_how_much_it_left_out(
    tmp_path: Path, monkeypatch
) -> None:
    from perfloop.problems import error, warning
    from perfloop.report import append_step_summary, summary_table

    # 7,005 errors in long paths: the table alone would be about 1.8 MB
    problems = [
        error(f"cycles/2026-h2/goals/{'x' * 120}-{i}.yaml", 1, 1, "unknown field 'y' " * 4)
        for i in range(7005)
    ] + [warning("cycles/2026-h2/goals/a.yaml", 1, 1, "late")]
    assert sum(len(p.path) + len(p.message) for p in problems) > 1024 * 1024
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    append_step_summary(summary_table(problems, "Perfloop validate"))
    append_step_summary("### Perfloop check\n\nCheck **failed**.\n")  # what check adds
    size = summary.stat().st_size
    assert size < 1024 * 1024
    text = summary.read_text(encoding="utf-8")
    assert "7005 error(s), 1 warning(s)" in text
    shown = text.count("| error |")
    assert 0 < shown < 7005
    assert f"… and {7005 + 1 - shown} more line(s)" in text
    assert text.rstrip().endswith("Check **failed**.")  # the check's own part still fits
    # a summary already full gets nothing more rather than going over
    summary.write_text("x" * (1024 * 1024 - 100), encoding="utf-8")
    append_step_summary(summary_table(problems, "again"))
    assert summary.stat().st_size == 1024 * 1024 - 100
