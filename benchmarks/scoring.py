"""How long scoring, calibration, the tree, status and export take as a company grows.

The example cycle (2026-h2, ~30 people) is copied K times in memory: every person, goals
file and review gets a suffixed id, departments stay as they are (so calibration groups grow
K-fold). Parsing is not measured here; see the loader's own numbers.

Run from the repository root: `python benchmarks/scoring.py [K ...]` (default 1 30 300).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from pathlib import Path

from perfloop.calibration import check, propose_all
from perfloop.export import Audience, results, to_xlsx
from perfloop.model import CycleData, Goals, Org
from perfloop.repository import load_cycle
from perfloop.scoring import score_cycle
from perfloop.status import owed
from perfloop.tree import build_tree

ROOT = Path(__file__).resolve().parent.parent


def scaled(data: CycleData, k: int) -> CycleData:
    """`data` with every person copied k times (ids suffixed -0 .. -k-1)."""
    if k == 1:
        return data
    org = data.org

    def rid(pid: str | None, i: int) -> str | None:
        return f"{pid}-{i}" if pid in org.people else pid

    people, goals, reviews, calibrations = {}, {}, {}, {}
    for i in range(k):
        for p in org.people.values():
            people[rid(p.id, i)] = dataclasses.replace(
                p, id=rid(p.id, i), manager=rid(p.manager, i), github=None
            )
        for pid, g in data.goals.items():
            goals[rid(pid, i)] = Goals(
                owner=rid(pid, i),
                objectives=g.objectives,
                where=g.where,
                kpis=g.kpis,
                plan=g.plan,
                peers=tuple(rid(x, i) for x in g.peers),
                checkins=g.checkins,
            )
        for (s, r), review in data.reviews.items():
            reviews[(rid(s, i), rid(r, i))] = dataclasses.replace(
                review, subject=rid(s, i), reviewer=rid(r, i)
            )
    departments = {
        d.id: dataclasses.replace(d, head=rid(d.head, 0)) for d in org.departments.values()
    }
    new_org = Org(departments, people, tuple(rid(h, 0) for h in org.hr), (), org.where)
    cycle = dataclasses.replace(
        data.cycle,
        person_templates={
            rid(p, i): t for p, t in data.cycle.person_templates.items() for i in range(k)
        },
        designated={},
    )
    return dataclasses.replace(
        data, org=new_org, cycle=cycle, goals=goals, reviews=reviews, calibrations=calibrations
    )


def timed(label: str, fn) -> object:
    started = time.perf_counter()
    value = fn()
    print(f"  {label:28} {time.perf_counter() - started:8.3f} s")
    return value


def main(factors: list[int]) -> None:
    from perfloop.sealing.reader import reader_for

    # the example's 2026-h2 is sealed: read it as HR (its example key), reviews included
    hr = reader_for(str(ROOT / "examples" / "keys" / "helen.key"))
    base, _ = load_cycle(ROOT, "2026-h2", reader=hr)
    assert base is not None
    for k in factors:
        measure(scaled(base, k))


def measure(data: CycleData) -> None:
    print(f"{len(data.org.people)} people, {len(data.reviews)} reviews")
    scores = timed("score_cycle", lambda: score_cycle(data))
    timed("propose (all groups)", lambda: propose_all(data, scores))
    timed("calibration check", lambda: check(data, scores))
    timed("build_tree", lambda: build_tree(data))
    timed("status", lambda: owed(data, dt.date(2026, 11, 25), scores))
    rows = timed("export rows (hr)", lambda: results(data, Audience("hr"), scores))
    timed("export xlsx", lambda: to_xlsx(data, rows))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 30, 300])
