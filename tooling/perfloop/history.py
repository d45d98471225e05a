"""The audit trail, from git: every change to a person's files, and each key result's
check-in timeline from the history of the goals file.

Only metadata leaves this module for reviews (who changed which file, when, in which pull
request); their text is never read here. Goals are public inside the company, so their
values are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .changes import area_of
from .engine import load_revision
from .gitrepo import GitProblem, GitRepo
from .loader import load_file, parse_bytes
from .model import CycleData
from .repository import CYCLES

_PR_MERGE = re.compile(r"^Merge pull request #(\d+)\b")
_PR_SQUASH = re.compile(r"\(#(\d+)\)\s*$")
_SEP, _END = "\x1f", "\x1e"


@dataclass(frozen=True)
class Event:
    """One commit's change to one of the person's files."""

    commit: str
    date: str  # ISO 8601, the author date
    author: str
    email: str
    pr: int | None
    path: str
    status: str  # added | modified | deleted
    kind: str  # as `perfloop check` would classify it against the commit's parent

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "date": self.date,
            "author": self.author,
            "email": self.email,
            "pr": self.pr,
            "path": self.path,
            "status": self.status,
            "kind": self.kind,
        }


def _person_paths(person: str, cycle_id: str | None) -> tuple[list[str], Any]:
    cycle = cycle_id or "*"
    specs = [
        f"{CYCLES}/{cycle}/goals/{person}.yaml",
        f"{CYCLES}/{cycle}/reviews/{person}/*.yaml",
        f"{CYCLES}/{cycle}/reviews/*/{person}.yaml",
        f"{CYCLES}/{cycle}/calibration/*.yaml",  # kept where the change rates the person
    ]

    def mine(path: str) -> bool:
        area = area_of(path)
        if cycle_id and area.cycle != cycle_id:
            return False
        if area.name == "goals":
            return area.ids == (person,)
        return area.name == "calibration" or (area.name == "review" and person in area.ids)

    return specs, mine


def _rating_of(repo: GitRepo, rev: str | None, path: str, person: str) -> Any:
    """The person's entry in a calibration file at `rev` (None where it has none)."""
    raw = repo.read(rev, path) if rev else None
    doc = parse_bytes(raw, path)[0] if raw is not None else None
    ratings = doc.data.get("ratings") if doc is not None and isinstance(doc.data, dict) else None
    return ratings.get(person) if isinstance(ratings, dict) else None


def _log(repo: GitRepo, specs: list[str]) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """(commit fields, [(status letter, path)]) newest first, for commits touching `specs`."""
    fmt = _END + _SEP.join(["%H", "%P", "%an", "%ae", "%aI", "%s"])
    out = repo.run(
        "log",
        f"--format={fmt}",
        "--name-status",
        "--no-renames",
        "--",
        *[repo.prefix + s for s in specs],
    )
    commits = []
    for chunk in out.split(_END)[1:]:
        head, _, body = chunk.partition("\n")
        files = []
        for line in body.splitlines():
            if "\t" in line:
                code, path = line.split("\t", 1)
                rel = path[len(repo.prefix) :] if path.startswith(repo.prefix) else path
                files.append((code[:1], rel))
        commits.append((head.split(_SEP), files))
    return commits


def pr_number(repo: GitRepo, commit: str, subject: str) -> int | None:
    """The pull request that brought `commit` in: a squash merge's `(#N)`, else the first
    `Merge pull request #N` merge commit descending from it on the current branch."""
    found = _PR_SQUASH.search(subject) or _PR_MERGE.match(subject)
    if found:
        return int(found.group(1))
    merges = repo.run(
        "log", "--ancestry-path", "--merges", "--reverse", "--format=%H %P%x1f%s", f"{commit}..HEAD"
    )
    for line in merges.splitlines():
        shas, _, subject = line.partition(_SEP)
        found = _PR_MERGE.match(subject)
        first_parent = shas.split()[1]
        # the merge brought `commit` in only if its first parent did not have it already
        if found and not _is_ancestor(repo, commit, first_parent):
            return int(found.group(1))
    return None


def _is_ancestor(repo: GitRepo, commit: str, of: str) -> bool:
    return repo.succeeds("merge-base", "--is-ancestor", commit, of)


def history(root: Path, person: str, cycle_id: str | None = None) -> list[Event]:
    """Every commit that changed the person's goals, a review of or by them, or their entry
    in a calibration file, oldest first. Calibration and reviews give metadata only (who,
    when, which file): confidential, for restricted outputs, never the public site."""
    from .pullcheck import classify_change

    repo = GitRepo(root)
    specs, mine = _person_paths(person, cycle_id)
    events = []
    rules_cache: dict[tuple[str, str, frozenset[str]], CycleData | None] = {}
    for (sha, parents, author, email, date, subject), files in reversed(_log(repo, specs)):
        parent = parents.split()[0] if parents else None
        files = [
            (code, path)
            for code, path in files
            if mine(path)
            and (
                area_of(path).name != "calibration"
                or _rating_of(repo, parent, path, person) != _rating_of(repo, sha, path, person)
            )
        ]
        # The goals files the permission rules read for this commit's reviews (a reviewer's
        # relation to each subject), loaded once for all of them.
        needed: dict[str, set[str]] = {}
        for _, path in files:
            area = area_of(path)
            if area.name == "review" and area.cycle:
                needed.setdefault(area.cycle, set()).add(f"goals/{area.ids[0]}.yaml")
        for code, path in files:
            status = {"A": "added", "D": "deleted"}.get(code, "modified")
            kind = "new"
            area = area_of(path)
            if parent and area.cycle:
                key = (parent, area.cycle, frozenset(needed.get(area.cycle, ())))
                if key not in rules_cache:
                    rules_cache[key] = load_revision(repo, parent, area.cycle, key[2])[0]
                rules = rules_cache[key]
                if rules is not None:
                    change, _ = classify_change(
                        repo, root, parent, sha, path, status, rules, new_cycle=False
                    )
                    kind = change.kind
                else:
                    kind = "cycle"  # the cycle was new in this commit
            elif not parent:
                kind = "cycle"
            pr = pr_number(repo, sha, subject)
            events.append(Event(sha, date, author, email, pr, path, status, kind))
    return events


# --- check-in timelines -------------------------------------------------------------------

Point = tuple[dt.date, float | bool, str]


def _values(data: Any) -> dict[str, float | bool]:
    """objective/kr -> its progress value: a milestone's `done`; a numeric key result's
    `current` (else `start`), even when a hand grade sets its score (it stays numeric, and
    its check-ins are currents); a hand-graded one's `score`."""
    out: dict[str, float | bool] = {}
    if not isinstance(data, dict):
        return out
    for objective in data.get("objectives") or []:
        if not isinstance(objective, dict):
            continue
        for kr in objective.get("key_results") or []:
            if not isinstance(kr, dict):
                continue
            ref = f"{objective.get('id')}/{kr.get('id')}"
            fields = ("current", "start") if "target" in kr else ("done", "score")
            for field in fields:
                value = kr.get(field)
                if isinstance(value, int | float):
                    out[ref] = value
                    break
    return out


def _checkins(data: Any) -> set[tuple[str, str, Any]]:
    """(date, kr, value) of each of the file's check-ins."""
    found: set[tuple[str, str, Any]] = set()
    if not isinstance(data, dict):
        return found
    for entry in data.get("checkins") or []:
        if isinstance(entry, dict) and isinstance(entry.get("values"), dict):
            for ref, value in entry["values"].items():
                if isinstance(value, int | float):
                    found.add((str(entry.get("date")), str(ref), value))
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal as values of a key result: `true` is not 1."""
    return a == b and type(a) is type(b)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return dt.date.min


def checkin_timeline(root: Path, cycle_id: str, person: str) -> dict[str, list[Point]]:
    """`owner/objective/kr` -> [(date, value, commit)], oldest first: each time the key
    result's value changed in the goals file's committed history. The date is that of the
    check-in the commit added for the key result, else the commit's date. Outside git, the
    file's own `checkins:` entries are used, with an empty commit."""
    path = f"{CYCLES}/{cycle_id}/goals/{person}.yaml"
    try:
        repo = GitRepo(root)
        log = repo.run("log", "--format=%H %aI", "--reverse", "--", repo.prefix + path)
    except GitProblem:  # no git, or no commit yet: the file itself
        return _from_file(root, path, person)

    def versions() -> Iterator[tuple[str, str, Any]]:
        for line in log.splitlines():
            sha, _, when = line.partition(" ")
            raw = repo.read(sha, path)
            doc = parse_bytes(raw, path)[0] if raw is not None else None
            yield sha, when, None if doc is None else doc.data

    return timeline_of(person, versions())


def timeline_of(person: str, versions: Iterable[tuple[str, str, Any]]) -> dict[str, list[Point]]:
    """Points from a goals file's versions, oldest first — (commit, its ISO date, the file's
    data or None where it was deleted or did not parse) — merged by date.

    Every check-in any version holds is a point on its own date (several back-dated in one
    commit are several points; one a later commit corrected shows the corrected value). A
    commit adds a point on its own date where, after its check-ins, the latest point would
    not be the value it leaves in the file: a value set without a check-in, or check-ins
    back-dated before a value an earlier commit set. So the line always ends where the key
    result is."""
    points: dict[str, dict[tuple[str, str], tuple[Point, int]]] = {}  # kr -> key -> point
    last: dict[str, float | bool] = {}
    seen: set[tuple[str, str, Any]] = set()
    kept: dict[str, None] = {}  # key results in the order the file lists them
    order = 0
    for sha, when, data in versions:
        if data is None:
            continue  # deleted, or did not parse at that commit: nothing to read
        checkins = _checkins(data)
        added = checkins - seen
        seen = checkins
        for day, ref, value in sorted(added, key=lambda c: (c[0], c[1])):
            known = points.setdefault(ref, {}).get(("checkin", day))
            if known is None or not _same(known[0][1], value):
                order += 1
                points[ref][("checkin", day)] = ((_date(day), value, sha), order)
        checked = {ref for _, ref, _ in added}
        for ref, value in _values(data).items():
            kept.setdefault(ref, None)
            changed = ref not in last or not _same(last[ref], value)
            last[ref] = value
            mine = points.setdefault(ref, {})
            latest = max(mine.values(), key=lambda p: (p[0][0], p[1]), default=None)
            if latest is not None and _same(latest[0][1], value):
                continue  # the line already ends at this value
            if changed or ref in checked:
                order += 1
                mine[("commit", sha)] = ((_date(when), value, sha), order)
    ordered = [ref for ref in {**kept, **dict.fromkeys(points)} if points.get(ref)]
    return {
        f"{person}/{ref}": [
            p for p, _ in sorted(points[ref].values(), key=lambda i: (i[0][0], i[1]))
        ]
        for ref in ordered
    }


def _from_file(root: Path, path: str, person: str) -> dict[str, list[Point]]:
    doc, _ = load_file(root / path, path) if (root / path).is_file() else (None, [])
    timeline: dict[str, list[Point]] = {}
    if doc is None or not isinstance(doc.data, dict):
        return timeline
    for entry in doc.data.get("checkins") or []:
        if not isinstance(entry, dict):
            continue
        for ref, value in (entry.get("values") or {}).items():
            timeline.setdefault(f"{person}/{ref}", []).append(
                (_date(str(entry.get("date"))), value, "")
            )
    return timeline
