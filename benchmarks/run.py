#!/usr/bin/env python3
"""How long Perfloop takes on a demo company of N people, as a user runs it.

    python benchmarks/run.py [--people 1000,10000] [--runs 3] [--seed 1] [--workdir DIR]

For each N: `perfloop demo` makes the company (timed once), then each row below runs `runs`
times and prints the median, min and max wall time and the peak memory:

- full, cold: `perfloop validate`, `score --json`, `calibrate --json` in a row, after
  deleting the cache folder (the OS file cache stays warm: the files were just written);
- full, files cached: the same with the parsed files cached but no stored command output
  and no cycle verdict (new processes on a checkout whose files are all in the cache:
  `validate` checks the cycle, `score` and `calibrate` reuse its verdict);
- full, warm: the same again with the cache the previous run left (outputs replayed);
- PR check: `perfloop check --base HEAD~1` after a one-file commit (a reason added in a
  calibration file, by an HR person), once with the cache as main left it (what CI sees
  with a restored cache: one changed file to examine) and once with no cache;
- validate after a one-file edit: `perfloop validate` after a check-in edited one goals
  file, with the verdict of HEAD stored (a validate after the pull left it);
- site: `mkdocs build --strict` of the public site into a temporary folder;
- check-jsonschema: the same files against the project's schemas, one process per kind
  (batched to fit the command line), which checks far less (no rules, no scores);
- sealed (`--rows sealed`, or `all`): `perfloop demo --sealed` of the same seed; `score
  --json` of the plain company cold, HR's `score --json --identity` of the sealed one cold
  and with its plain files cached, and the keyless PR check after HR re-sealed one
  calibration file with a reason added.

Every measurement runs in a fresh child process of this script (`--measure`), which runs the
commands and reports `resource.getrusage(RUSAGE_CHILDREN)`: the peak resident memory of the
largest process it waited for, as `/usr/bin/time -v` does (worker processes of a pool are
not added up). A command that does not exist yet is reported as n/a, one that fails as its
exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tooling" / "perfloop" / "schemas"
# The console script users type, beside this interpreter; `python -m perfloop` (which also
# imports runpy) only where it is not installed.
_SCRIPT = Path(sys.executable).with_name("perfloop")
PERFLOOP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "perfloop"]
CYCLE = "cycles/2026-h2"
TIMED_OUT = 124  # as GNU timeout reports it
TIMEOUT = 1800.0  # seconds per command; --timeout


def cache(repo: Path) -> Path:
    """The repository's cache folder (inside `.git/`, or the user's cache directory)."""
    from perfloop.root import cache_folder

    return Path(cache_folder(repo))


# Targets of issue 7 at 10,000 people on 2 cores: seconds and MiB.
TARGETS = {
    "full, cold": 3.0,
    "full, files cached": 3.0,  # the same target, read as "cold processes, warm cache"
    "full, warm": 0.5,
    "PR check, restored cache": 1.0,
    "site (mkdocs build)": 60.0,
}
SITE_MEMORY_TARGET = 1024

# file kind -> (schema, globs relative to the cycle folder)
KINDS = {
    "goals": ("goals", ["goals/*.yaml"]),
    "reviews": ("review", ["reviews/*/*.yaml"]),
    "objectives": ("objectives", ["company.yaml", "departments/*.yaml"]),
    "calibration": ("calibration", ["calibration/*.yaml"]),
    "org": ("org", ["org.yaml"]),
    "cycle": ("cycle", ["cycle.yaml"]),
    "templates": ("template", ["templates/*.yaml"]),
}


# --- one measurement, in a fresh process --------------------------------------------------


def measure(commands: list[list[str]], cwd: str, timeout: float) -> dict:
    """Run commands one after another; wall time of each, exit codes, peak RSS (MiB).
    A command still running after `timeout` seconds is killed and reported as exit 124."""
    times, codes = [], []
    for command in commands:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
            )
            code, err = done.returncode, done.stderr
        except subprocess.TimeoutExpired as exc:
            code, err = TIMED_OUT, exc.stderr or b""
        times.append(time.perf_counter() - started)
        codes.append(code)
        if code not in (0, 1):
            sys.stderr.write(err.decode(errors="replace")[-2000:])
            break
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"times": times, "codes": codes, "peak_mib": peak_kib / 1024}


def run_measured(commands: list[list[str]], cwd: Path) -> dict:
    """`measure` in a fresh child, so its RUSAGE_CHILDREN holds only these commands."""
    out = subprocess.run(  # commands on stdin: file lists outgrow a command line
        [sys.executable, __file__, "--measure", "--cwd", str(cwd), "--timeout", str(TIMEOUT)],
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        check=True,
    )
    if out.stderr:
        sys.stderr.write(out.stderr)
    return json.loads(out.stdout)


# --- rows -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    runs: list[dict] = field(default_factory=list)
    note: str = ""  # "n/a: ..." when not measured

    @property
    def totals(self) -> list[float]:
        return [sum(r["times"]) for r in self.runs]

    @property
    def failed(self) -> list[int]:
        return sorted({c for r in self.runs for c in r["codes"] if c != 0})

    def parts(self) -> list[float]:
        """Median time of each command of the row."""
        count = min(len(r["times"]) for r in self.runs)
        return [statistics.median(r["times"][i] for r in self.runs) for i in range(count)]


def available(command: str) -> bool:
    """Whether `perfloop COMMAND` exists in this version."""
    done = subprocess.run([*PERFLOOP, command, "--help"], capture_output=True, cwd=ROOT)
    return done.returncode == 0


def repeat(name: str, commands: list[list[str]], repo: Path, runs: int, before=None) -> Row:
    row = Row(name)
    for _ in range(runs):
        if before:
            before()
        row.runs.append(run_measured(commands, repo))
    return row


def drop_cache(repo: Path) -> None:
    shutil.rmtree(cache(repo), ignore_errors=True)


def drop_runs(repo: Path) -> None:
    """Forget stored command outputs and cycle verdicts but keep the parsed files: fresh
    processes on a checkout whose files are cached (CI after restoring main's cache, for
    unchanged files). The first command then checks the cycle; the next ones reuse its
    verdict, as they do for a user."""
    shutil.rmtree(cache(repo) / "runs", ignore_errors=True)
    for verdicts in cache(repo).glob("*/verdicts"):
        shutil.rmtree(verdicts, ignore_errors=True)


def schema_batches(repo: Path) -> list[list[str]]:
    """check-jsonschema commands covering every file of the cycle, batched by kind."""
    cycle = repo / CYCLE
    limit = 100_000  # bytes of file names per command: far below ARG_MAX
    commands = []
    for schema, globs in KINDS.values():
        files = sorted(str(p.relative_to(repo)) for g in globs for p in cycle.glob(g))
        schema_file = SCHEMAS / f"{schema}.schema.json"
        base = [
            "check-jsonschema",
            "--schemafile",
            str(schema_file),
            "--base-uri",  # resolve $ref "_defs.schema.json" next to it, not on the web
            schema_file.as_uri(),
        ]
        batch: list[str] = []
        size = 0
        for name in files:
            if batch and size + len(name) > limit:
                commands.append(base + batch)
                batch, size = [], 0
            batch.append(name)
            size += len(name) + 1
        if batch:
            commands.append(base + batch)
    return commands


BENCH_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def hr_of(repo: Path) -> tuple[str, str]:
    """The first HR person in the company's org.yaml: their id and their forge login."""
    org = (repo / CYCLE / "org.yaml").read_text(encoding="utf-8")
    hr = re.search(r"^  hr: \[([a-z0-9-]+)", org, re.M).group(1)  # type: ignore[union-attr]
    login = re.search(rf"^  - {{id: {hr}, .*?github: ([A-Za-z0-9-]+)", org, re.M).group(1)  # type: ignore[union-attr]
    return hr, login


def with_reason(calibration: str) -> str:
    """A calibration file's text with a reason added to its first rating that has none."""
    lines = calibration.splitlines(keepends=True)
    for i in range(2, len(lines) - 1):
        if lines[i].startswith("    rating:") and not lines[i + 1].startswith("    reason:"):
            lines.insert(i + 1, '    reason: "Confirmed in the calibration session."\n')
            break
    return "".join(lines)


def commit(repo: Path, path: Path, message: str) -> None:
    """Commit what changed under `path` (added, changed or removed) as the benchmark."""
    import git

    repo_ = git.Repo(repo)
    repo_.git.add("-A", str(path))
    with repo_.git.custom_environment(**BENCH_ENV):
        repo_.git.commit("-q", "-m", message)


def pr_check_rows(
    label: str, repo: Path, runs: int, snapshot: Path, change: Callable[[], str]
) -> list[Row]:
    """The PR check after `change` (one commit; returns its author's login), with main's
    cache restored as CI restores it (kept in `snapshot`; keyless, as CI's) and with none."""
    shutil.rmtree(snapshot, ignore_errors=True)
    run_measured([[*PERFLOOP, "validate", "-q"]], repo)  # main's cache
    if cache(repo).exists():
        shutil.copytree(cache(repo), snapshot)
    login = change()
    check = [[*PERFLOOP, "check", "--base", "HEAD~1", "--author", login, "--json"]]

    def restore() -> None:
        drop_cache(repo)
        if snapshot.exists():
            shutil.copytree(snapshot, cache(repo))

    rows = [
        repeat(f"{label}PR check, restored cache", check, repo, runs, restore),
        repeat(f"{label}PR check, no cache", check, repo, runs, lambda: drop_cache(repo)),
    ]
    shutil.rmtree(snapshot, ignore_errors=True)
    return rows


def one_file_change(repo: Path) -> str:
    """Commit a reason added to one calibration entry; return an HR person's login."""
    calibration = sorted((repo / CYCLE / "calibration").glob("*.yaml"))[-1]
    calibration.write_text(with_reason(calibration.read_text(encoding="utf-8")), encoding="utf-8")
    commit(repo, calibration, "Add a calibration reason")
    return hr_of(repo)[1]


def bench(
    people: int, runs: int, seed: int, workdir: Path, reference: bool = True
) -> tuple[list[Row], dict]:
    repo = workdir / f"company-{people}"
    shutil.rmtree(repo, ignore_errors=True)
    started = time.perf_counter()
    made = subprocess.run(
        [*PERFLOOP, "demo", str(repo), "--people", str(people), "--seed", str(seed)],
        capture_output=True,
        text=True,
    )
    info = {"demo_s": time.perf_counter() - started, "demo": made.stdout.strip()}
    if made.returncode != 0:
        raise SystemExit(f"perfloop demo failed:\n{made.stderr}")
    files = [p for p in (repo / CYCLE).rglob("*.yaml")]
    info["files"] = len(files)
    info["mb"] = sum(p.stat().st_size for p in files) / 1e6

    rows: list[Row] = []
    full = [["validate", "-q"], ["score", "--json"], ["calibrate", "--json"]]
    missing = [c[0] for c in full if not available(c[0])]
    commands = [[*PERFLOOP, *c] for c in full if c[0] not in missing]
    note = f"n/a: no {', '.join(missing)}" if missing else ""
    for name, before in (
        ("full, cold", lambda: drop_cache(repo)),
        ("full, files cached", lambda: drop_runs(repo)),
        ("full, warm", None),
    ):
        row = repeat(name, commands, repo, runs, before) if commands else Row(name)
        row.note = note
        rows.append(row)

    site_out = Path(tempfile.mkdtemp(prefix="perfloop-bench-site-"))
    if shutil.which("mkdocs"):
        build = ["mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site_out)]
        rows.append(repeat("site (mkdocs build)", [build], repo, runs))
    else:
        rows.append(Row("site (mkdocs build)", note="n/a: no mkdocs"))
    shutil.rmtree(site_out, ignore_errors=True)

    if not reference:
        rows.append(Row("check-jsonschema", note="n/a: --no-reference"))
    elif shutil.which("check-jsonschema"):
        rows.append(repeat("check-jsonschema", schema_batches(repo), repo, runs))
    else:
        rows.append(Row("check-jsonschema", note="n/a: pip install check-jsonschema"))

    if available("check"):
        snapshot = workdir / f"cache-{people}"
        rows += pr_check_rows("", repo, runs, snapshot, lambda: one_file_change(repo))
    else:
        rows.append(Row("PR check, restored cache", note="n/a: no perfloop check"))
    rows.append(edited_validate(repo, runs, workdir / f"cache-{people}"))
    return rows, info


def edited_validate(repo: Path, runs: int, snapshot: Path) -> Row:
    """`validate` after a check-in edited one goals file (its confidence), with HEAD's
    verdict stored, as a validate after the pull left it: a user's edit-and-check loop."""
    name = "validate after a one-file edit"
    validate = [*PERFLOOP, "validate", "-q"]
    drop_cache(repo)
    run_measured([validate], repo)
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(cache(repo), snapshot)
    goals = next(
        p for p in sorted((repo / CYCLE / "goals").glob("*.yaml")) if "confidence:" in p.read_text()
    )
    original = goals.read_text(encoding="utf-8")
    edited = re.sub(r"confidence: [0-9.]+", "confidence: 0.5", original, count=1)

    def before() -> None:
        drop_cache(repo)
        shutil.copytree(snapshot, cache(repo))
        goals.write_text(edited, encoding="utf-8")

    try:
        return repeat(name, [validate], repo, runs, before)
    finally:
        goals.write_text(original, encoding="utf-8")
        shutil.rmtree(snapshot, ignore_errors=True)


# --- a sealed company (SPEC section 7) ------------------------------------------------------


def bench_sealed(people: int, runs: int, seed: int, workdir: Path) -> tuple[list[Row], dict]:
    """HR's `score` of a sealed company against `score` of the plain one of the same seed
    (the same plaintext, so the same work but decrypting), and the keyless PR check."""
    plain = workdir / f"company-{people}"
    if not (plain / CYCLE).is_dir():
        demo = [*PERFLOOP, "demo", str(plain), "--people", str(people), "--seed", str(seed)]
        subprocess.run(demo, capture_output=True, check=True)
    repo, keys = workdir / f"sealed-{people}", workdir / f"keys-{people}"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.rmtree(keys, ignore_errors=True)
    started = time.perf_counter()
    made = subprocess.run(
        [
            *PERFLOOP,
            "demo",
            str(repo),
            *("--people", str(people), "--seed", str(seed)),
            "--sealed",
            "--keys",
            str(keys),
        ],
        capture_output=True,
        text=True,
    )
    info = {"demo_s": time.perf_counter() - started, "demo": made.stdout.strip()}
    if made.returncode != 0:
        raise SystemExit(f"perfloop demo --sealed failed:\n{made.stderr}")
    files = [p for p in (repo / CYCLE).rglob("*") if p.is_file()]
    info["files"] = len(files)
    info["sealed"] = sum(p.name.endswith(".age") for p in files)
    info["mb"] = sum(p.stat().st_size for p in files) / 1e6
    hr, login = hr_of(repo)
    as_hr = [*PERFLOOP, "score", "--json", "--identity", str(keys / f"{hr}.key")]

    rows = [
        repeat(
            "plain: score, cold",
            [[*PERFLOOP, "score", "--json"]],
            plain,
            runs,
            lambda: drop_cache(plain),
        ),
        repeat("sealed: HR's score, cold", [as_hr], repo, runs, lambda: drop_cache(repo)),
        # the plain files (goals, org...) from the cache the last run left; sealed ones opened
        repeat("sealed: HR's score, plain files cached", [as_hr], repo, runs),
    ]

    def change() -> str:
        one_sealed_change(repo, keys / f"{hr}.key")
        return login

    rows += pr_check_rows("sealed: ", repo, runs, workdir / f"sealed-cache-{people}", change)
    return rows, info


def one_sealed_change(repo: Path, identity: Path) -> None:
    """The plain company's one-file change, sealed: HR opens a calibration file, adds a
    reason, and `perfloop seal` seals it again (no plaintext committed)."""
    sealed = sorted((repo / CYCLE / "calibration").glob("*.yaml.age"))[-1]
    shown = subprocess.run(
        [*PERFLOOP, "show", str(sealed), "--identity", str(identity)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    plain = sealed.with_name(sealed.name[: -len(".age")])
    plain.write_text(with_reason(shown), encoding="utf-8")
    sealed.unlink()
    subprocess.run([*PERFLOOP, "seal", str(plain)], cwd=repo, capture_output=True, check=True)
    commit(repo, sealed.parent, "Add a calibration reason (sealed)")


def report_sealed(people: int, rows: list[Row], info: dict, runs: int) -> str:
    out = [
        f"\nN = {people:,} people, sealed: {info['files']:,} files ({info['sealed']:,} sealed), "
        f"{info['mb']:.1f} MB; perfloop demo --sealed took {info['demo_s']:.1f} s; "
        f"median of {runs} run(s)",
        f"{'':40}{'median s':>9}{'min s':>8}{'max s':>8}{'peak MiB':>10}  {'exit':<6}",
    ]
    by_name = {r.name: r for r in rows}
    for row in rows:
        totals = row.totals
        peak = max(r["peak_mib"] for r in row.runs)
        codes = ",".join(map(str, row.failed)) or "0"
        out.append(
            f"{row.name:40}{statistics.median(totals):9.2f}{min(totals):8.2f}{max(totals):8.2f}"
            f"{peak:10.0f}  {codes:<6}"
        )
    plain, hr = by_name["plain: score, cold"], by_name["sealed: HR's score, cold"]
    ratio = statistics.median(hr.totals) / statistics.median(plain.totals)
    verdict = (" ok" if ratio <= 2 else " MISSED") if people >= 10_000 else ""
    out.append(f"{'sealed HR score / plain score, cold':40}{ratio:9.2f}x  (target <= 2x){verdict}")
    return "\n".join(out)


# --- the table ------------------------------------------------------------------------------


def report(people: int, rows: list[Row], info: dict, runs: int) -> str:
    out = [
        f"\nN = {people:,} people: {info['files']:,} files, {info['mb']:.1f} MB; "
        f"perfloop demo took {info['demo_s']:.1f} s; median of {runs} run(s)",
        f"{'':34}{'median s':>9}{'min s':>8}{'max s':>8}{'peak MiB':>10}  {'exit':<6}target",
    ]
    by_name = {r.name: r for r in rows}
    for row in rows:
        if row.note and not row.runs:
            out.append(f"{row.name:34}{row.note}")
            continue
        totals = row.totals
        peak = max(r["peak_mib"] for r in row.runs)
        codes = ",".join(map(str, row.failed)) or "0"
        target = TARGETS.get(row.name) if people >= 10_000 else None  # the scale
        verdict = ""
        if target is not None:
            ok = statistics.median(totals) <= target
            if row.name.startswith("site"):
                ok = ok and peak <= SITE_MEMORY_TARGET
                verdict = f"<= {target:g} s, <= {SITE_MEMORY_TARGET} MiB"
            else:
                verdict = f"<= {target:g} s"
            verdict += " ok" if ok and not row.failed else " MISSED"
        out.append(
            f"{row.name:34}{statistics.median(totals):9.2f}{min(totals):8.2f}{max(totals):8.2f}"
            f"{peak:10.0f}  {codes:<6}{verdict}"
        )
        if row.name.startswith("full") and len(row.parts()) > 1:
            parts = " + ".join(f"{t:.2f}" for t in row.parts())
            out.append(f"{'  validate + score + calibrate':34}{parts}")
        if row.note:
            out.append(f"{'':34}{row.note}")
    reference = by_name.get("check-jsonschema")
    if reference and reference.runs:
        baseline = statistics.median(reference.totals)
        for name in ("full, cold", "full, files cached", "full, warm", "PR check, restored cache"):
            row = by_name.get(name)
            if row and row.runs:
                ratio = baseline / statistics.median(row.totals)
                out.append(f"check-jsonschema / {name:23}{ratio:9.1f}x  (target >= 3x)")
    return "\n".join(out)


def main() -> None:
    global TIMEOUT  # the measuring children get it on their command line
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where the companies go (default: a temp dir)")
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds before a command is killed"
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the check-jsonschema rows (minutes per run; they measure another tool)",
    )
    parser.add_argument(
        "--rows",
        choices=("all", "plain", "sealed"),
        default="all",
        help="the plain company's rows, the sealed company's (HR's score, the PR check), or both",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cwd", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.load(sys.stdin), args.cwd, args.timeout)))
        return
    TIMEOUT = args.timeout
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="perfloop-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Perfloop benchmarks on {os.cpu_count()} core(s); companies in {workdir}")
    for people in (int(n) for n in args.people.split(",")):
        if args.rows in ("all", "plain"):
            rows, info = bench(people, args.runs, args.seed, workdir, not args.no_reference)
            print(report(people, rows, info, args.runs), flush=True)
        if args.rows in ("all", "sealed"):
            rows, info = bench_sealed(people, args.runs, args.seed, workdir)
            print(report_sealed(people, rows, info, args.runs), flush=True)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
