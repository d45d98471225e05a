"""The command line as a user meets it: exit codes, output format, Actions annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import commit_all, run_cli
from perfloop import schema

GOALS = "cycles/2026-h2/goals/bob.yaml"


def break_file(repo: Path, text: str, rel: str = GOALS) -> None:
    (repo / rel).write_text(text, encoding="utf-8")


def test_valid_repository_exits_0_and_prints_nothing_on_stdout(base_repo: Path) -> None:
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "0 error(s)" in result.stderr


def test_problems_are_sorted_relative_and_exit_1(base_repo: Path) -> None:
    break_file(base_repo, "owner: bob\nobjectives:\n  - {id: O1, title: x}\n")
    (base_repo / "cycles/2026-h2/reviews/alice/bob.yaml").write_text("ratings: {impact: 9}\n")
    result = run_cli("validate", cwd=base_repo / "cycles")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))
    assert all(line.startswith("cycles/2026-h2/") for line in lines)
    assert "cycles/2026-h2/goals/bob.yaml:3:6: error: objectives[0].id: 'O1' is not a valid id" in (
        result.stdout
    )


def test_validate_one_file_reports_only_that_file(base_repo: Path) -> None:
    break_file(base_repo, "owner: bob\nobjectives: 3\n")
    (base_repo / "cycles/2026-h2/goals/sam.yaml").write_text("owner: sam\nbad: 1\n")
    result = run_cli("validate", GOALS, cwd=base_repo)
    assert result.returncode == 1
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {GOALS}

    (base_repo / "README.md").write_text("# Our goals\n")
    outside = run_cli("validate", "README.md", cwd=base_repo)  # not a file perfloop reads
    assert outside.returncode == 2 and "is not under cycles/" in outside.stderr
    assert run_cli("validate", "cycles", cwd=base_repo).returncode == 1  # every cycle


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("validate", cwd=tmp_path).returncode == 2
    assert run_cli("validate", "no/such/path", cwd=tmp_path).returncode == 2
    assert run_cli("frobnicate", cwd=tmp_path).returncode == 2


def test_json_output(base_repo: Path) -> None:
    break_file(base_repo, "owner: bob\nobjectives: 3\n")
    result = run_cli("validate", "--json", cwd=base_repo)
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["cycles"] == ["2026-h2"]
    assert data["problems"][0]["path"] == GOALS and data["problems"][0]["line"] == 2


def test_json_text_is_what_json_writes(example_repo: Path) -> None:
    """Every command's --json text (written by orjson, jsontext.py) is exactly the text
    `json.dumps(indent=2, ensure_ascii=False)` writes for the same value, non-ASCII kept."""
    from perfloop import jsontext

    org = example_repo / "cycles/2026-h2/org.yaml"
    org.write_text(org.read_text().replace("name: Engineering", "name: Ingeniería 工程"))
    commit_all(example_repo, "example")  # for history, and check against HEAD
    commands = [
        ("validate", "--json"),
        ("score", "--json"),
        ("calibrate", "--json"),
        ("status", "--json"),
        ("tree", "--json"),
        ("history", "alice", "--json"),
        ("check", "--base", "HEAD", "--json"),
    ]
    for command in commands:
        done = run_cli(*command, cwd=example_repo)
        assert done.returncode in (0, 1), (command, done.stderr)
        value = json.loads(done.stdout)
        assert done.stdout == json.dumps(value, indent=2, ensure_ascii=False) + "\n", command
    assert "Ingeniería 工程" in run_cli("tree", "--json", cwd=example_repo).stdout
    odd = {"é": [1.5, -0.0, 1e16, 2**70, {}, [], None, True], "n": {1: "int key"}}
    assert jsontext.dumps(odd) == json.dumps(odd, indent=2, ensure_ascii=False)


def test_github_annotations_are_escaped_capped_and_summarised(
    base_repo: Path, tmp_path: Path
) -> None:
    # 12 unknown fields, one whose name tries to smuggle a workflow command in
    hostile = '"x\\n::set-env name=PWNED::1"'
    fields = "".join(f"f{i}: 1\n" for i in range(11)) + f"{hostile}: 1\n"
    break_file(base_repo, "owner: bob\n" + fields)
    summary = tmp_path / "summary.md"
    result = run_cli(
        "validate",
        cwd=base_repo,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 10
    assert "::notice::2 more problem(s)" in result.stdout
    # no line of output starts a workflow command other than our own annotations
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert all(c.startswith(("::error file=", "::notice::")) for c in commands)
    assert not any("set-env" in c and not c.startswith("::error") for c in commands)
    assert annotations[0].startswith(f"::error file={GOALS},line=")
    text = summary.read_text()
    assert text.count("| error |") == 12  # every problem is in the summary
    assert "%0A" not in text and "<" not in text.replace("&lt;", "")


def test_annotation_escaping_of_properties() -> None:
    from perfloop.problems import error
    from perfloop.report import annotation

    line = annotation(error("a,b:c.yaml", 3, 4, "50% done\r\nnext"))
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,col=4::50%25 done%0D%0Anext"


def test_init_creates_a_repository_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "perf"
    result = run_cli("init", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (target / ".git").is_dir() and (target / "mkdocs.yml").is_file()
    check = run_cli("validate", cwd=target)
    assert check.returncode == 0, check.stdout + check.stderr
    again = run_cli("init", str(target), cwd=tmp_path)
    assert again.returncode == 2 and "not empty" in again.stderr


@pytest.mark.parametrize("kind", schema.kinds())
def test_schema_command_prints_a_valid_2020_12_schema(kind: str, tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    result = run_cli("schema", kind, cwd=tmp_path)
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["description"]


def _undescribed(node: dict, where: str):
    for name, prop in (node.get("properties") or {}).items():
        if not prop.get("description") and "$ref" not in prop:
            yield f"{where}.{name}"
        yield from _undescribed(prop, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _undescribed(node[key], f"{where}[]")
    for key in ("oneOf", "anyOf"):
        for branch in node.get(key, []):
            yield from _undescribed(branch, where)
    for name, sub in (node.get("$defs") or {}).items():
        yield from _undescribed(sub, f"$defs.{name}")


def test_every_field_is_described_for_editors() -> None:
    missing = [
        f"{kind}: {field}"
        for kind in [*schema.kinds(), "_defs"]
        for field in _undescribed(json.loads(schema.schema_text(kind)), kind)
    ]
    assert missing == []


def test_oversized_file_is_a_located_error_not_a_read(base_repo: Path) -> None:
    big = base_repo / "cycles/2026-h2/goals/carol.yaml"
    big.write_bytes(b"owner: carol\n" + b"# padding\n" * 110_000)  # > 1 MiB
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 1
    assert "cycles/2026-h2/goals/carol.yaml:1:1: error: file is " in result.stdout
    assert "the limit is 1048576" in result.stdout
    assert "Traceback" not in result.stderr
