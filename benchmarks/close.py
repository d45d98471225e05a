#!/usr/bin/env python3
"""Time `perfloop cycle close` end to end on a demo company, as HR runs it.

    python benchmarks/close.py [--people 1000,10000] [--workdir DIR]

For each N: `perfloop demo` makes the company (phase calibration) unless DIR/close-N exists,
`perfloop validate` warms its cache (as the day's earlier commands would), then a copy is
closed with `--allow-incomplete`. Prints wall time, peak memory (of the close process, as
`/usr/bin/time` reports it), the size of results.yaml and the load average at the start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PERFLOOP = [sys.executable, "-m", "perfloop"]


def measure(args: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak resident KB of one command (it must succeed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode})")
    return time.perf_counter() - start, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="1000,10000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/perfloop-close-bench"))
    opts = parser.parse_args()
    opts.workdir.mkdir(parents=True, exist_ok=True)
    for n in (int(x) for x in opts.people.split(",")):
        company = opts.workdir / f"close-{n}"
        if not company.exists():
            subprocess.run([*PERFLOOP, "demo", str(company), "--people", str(n)], check=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run([*PERFLOOP, "validate"], cwd=company, **quiet)  # warms the cache
        trial = opts.workdir / f"trial-{n}"
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(company, trial, symlinks=True)
        load = os.getloadavg()[0]
        args = [*PERFLOOP, "cycle", "close", "--allow-incomplete", "--date", "2026-12-31"]
        wall, peak = measure(args, trial)
        size = next(trial.glob("cycles/*/results.yaml")).stat().st_size
        print(
            f"{n:>6} people: close {wall:6.2f} s, peak {peak / 1024:6.0f} MB, "
            f"results.yaml {size / 1e6:.1f} MB (load {load:.2f})"
        )
        shutil.rmtree(trial)


if __name__ == "__main__":
    main()
