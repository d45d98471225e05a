"""Time the lifecycle's core on the example repository (no process start-up, cache off).

    python benchmarks/lifecycle.py [REPO]

Prints the median of 5 runs of: loading a cycle, drafting the next cycle, checking the
would-be cycle (the in-memory overlay every write goes through), building results.yaml,
and applying a check-in to a goals file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from perfloop.checkin import apply_checkin, parse_assignments
from perfloop.lifecycle import next_cycle_files, results_text
from perfloop.repository import load_cycle
from perfloop.sealing.reader import reader_for
from perfloop.writes import check

HR_KEY = Path(__file__).resolve().parent.parent / "examples" / "keys" / "helen.key"

os.environ["PERFLOOP_CACHE"] = "0"  # read at each load: measure the work, not the cache


def timed(label: str, fn, runs: int = 5):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    print(f"{label:<40} {statistics.median(times) * 1000:8.1f} ms")
    return result


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(source / "cycles", root / "cycles")
        cycle = "2026-h2"
        # a sealed cycle's files are read as HR: the example's key, or PERFLOOP_IDENTITY
        hr = reader_for(os.environ.get("PERFLOOP_IDENTITY") or str(HR_KEY))
        data, _ = timed(f"load_cycle {cycle}", lambda: load_cycle(root, cycle, reader=hr))
        print(f"  ({len(data.documents)} files, {len(data.org.people)} people)")
        files = timed("next_cycle_files (cycle new)", lambda: next_cycle_files(data, "2027-h1"))
        timed("check new cycle (in memory)", lambda: check(root, "2027-h1", files))
        timed("results_text (cycle close)", lambda: results_text(data, dt.date(2026, 12, 31)))
        goals = data.goals["alice"]
        text = (root / data.dir / "goals/alice.yaml").read_text()
        updates = parse_assignments(goals, ["o1/kr1=99.96", "kpi:availability=99.97"])
        new = timed(
            "apply_checkin (round-trip edit)",
            lambda: apply_checkin(text, goals, updates, dt.date(2026, 12, 1), 0.9, "note"),
        )
        timed("check a check-in (in memory)", lambda: check(root, cycle, {"goals/alice.yaml": new}))


if __name__ == "__main__":
    main()
