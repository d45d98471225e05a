"""A closed cycle is frozen in its data: results.yaml is its record.

`perfloop cycle close` records in results.yaml (`files:`) a digest of every data file of the
cycle as it closed. `validate` compares: a file changed, added or deleted since is a located
error. `score`, `export` and the restricted site read a closed cycle's numbers from
results.yaml, never from its files, so an edit that slipped past branch protection changes
no published result (and `validate` says where it is).

A digest is the first 16 hex digits (64 bits) of the sha256 of the file's bytes, CRLF line
ends read as LF (a Windows checkout is the same file). 64 bits catch any edit; a forger with
push access could as well rewrite results.yaml, which git history answers, not a longer
hash. Full digests would add ~7 MB to a 10,000-person results.yaml (limit 16 MiB).

A sealed file (`<path>.age`) is recorded under its own name. In a sealed cycle the record
is sealed too (results.yaml.age: HR and the org key) and holds the digest of each sealed
file's *plaintext*: `perfloop reseal` (a new key, a file sealed to exactly its audience
again) changes every byte of the ciphertext and none of the record's truth, and only a
reader of the record (HR, the gate with the org identity), who opens every file anyway,
can compare. A plain record is readable by everyone: it holds a sealed file's digest of
its bytes, never of its plaintext (the digest of a short YAML such as a rating is a
guessing oracle).

The checks and the reading of the record are pure; `cycle_digests` and `frozen_problems`
are the edge that reads files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .loader import load_file
from .model import CycleData, Kpi
from .problems import Problem, error
from .repository import FileKind, classify
from .root import CYCLES
from .scoring import FORMULAS, GroupScore, KpiScore, ObjectiveScore, PersonScore
from .sources import DirectorySource

RESULTS = "results.yaml"
SEALED = ".age"
SEALED_RESULTS = RESULTS + SEALED
DIGESTS = "files"  # results.yaml's key: path inside the cycle folder -> digest
DIGEST_LENGTH = 16
UNREAD = ""  # the digest of a file that cannot be read: not compared
# a sealed file that the reader of a sealed record does not open: equal to no digest (HR
# and the org key are in every sealed file's audience, so it was sealed to other keys)
NOT_OPENED = "not opened"

Opener = Callable[[bytes], "bytes | None"]  # a sealed file's plaintext, None: not a recipient


def digest(raw: bytes) -> str:
    """The recorded digest of a file's bytes."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:DIGEST_LENGTH]


def _recorded_files(folder: Path) -> list[str]:
    """The data files of a cycle folder that the record covers: every file the loader
    reads (hidden files skipped, as it does), sealed ones included, but results.yaml
    itself (in either form)."""
    return [
        entry.rel
        for entry in DirectorySource(folder).entries()
        if not entry.symlink
        and entry.rel not in (RESULTS, SEALED_RESULTS)
        and (entry.rel.endswith(SEALED) or isinstance(classify(entry.rel), FileKind))
    ]


def cycle_digests(root: Path, cycle_id: str, opener: Opener | None = None) -> dict[str, str]:
    """path inside the cycle folder -> digest, for every file the record covers, in path
    order; "" for a file that cannot be read (the load reports it).

    `opener`: for a sealed record, opens a sealed file, whose digest is then of its
    plaintext (NOT_OPENED when it does not open); without one, of its bytes."""
    folder = root / CYCLES / cycle_id
    out = {}
    for rel in _recorded_files(folder):
        try:
            raw = (folder / rel).read_bytes()
        except OSError:
            out[rel] = UNREAD
            continue
        if opener is not None and rel.endswith(SEALED):
            try:
                plaintext = opener(raw)
            except ValueError:  # not an age file at all: the load reports it
                plaintext = None
            out[rel] = NOT_OPENED if plaintext is None else digest(plaintext)
        else:
            out[rel] = digest(raw)
    return out


def as_written(
    digests: Mapping[str, str], written: Mapping[str, str], sealed: bool = False
) -> dict[str, str]:
    """`digests` with the files in `written` (path -> text) as they are about to be.
    `sealed`: a sealed cycle, whose confidential files are written as `<path>.age` (the
    digest is of the text, their plaintext: the record is sealed too)."""
    from .sealing.audience import is_confidential

    out = dict(digests)
    for rel, text in written.items():
        name = rel + SEALED if sealed and is_confidential(rel) else rel
        out[name] = digest(text.encode("utf-8"))
    out.pop(RESULTS, None)
    out.pop(SEALED_RESULTS, None)
    return dict(sorted(out.items()))


def caller_opener() -> Opener | None:
    """The caller's identity (`--identity`, set by the command through `engine.read_as`)
    as an opener of sealed files; None without one."""
    from . import engine

    reader = engine._reader
    return reader.open if reader is not None else None


def sealed_record(folder: Path) -> bool:
    """Whether a cycle's record is sealed: results.yaml.age, and no plain results.yaml."""
    return (folder / SEALED_RESULTS).is_file() and not (folder / RESULTS).is_file()


def changed_since_close(
    cycle_dir: str, closed_on: str, recorded: Mapping[str, str], actual: Mapping[str, str]
) -> list[Problem]:
    """One located error per file of the cycle that differs from the record: changed,
    added or deleted after the close. `cycle_dir` is the folder from the repository root."""
    tail = f"after the cycle closed on {closed_on}; {RESULTS} is the record of a closed cycle"
    restore = "restore the file as it was closed (`git log` shows it)"
    problems = []
    for rel in sorted(set(recorded) | set(actual)):
        before, now = recorded.get(rel), actual.get(rel)
        if before == now or now == UNREAD:
            continue
        path = f"{cycle_dir}/{rel}"
        if before is None:
            problems.append(error(path, 1, 1, f"added {tail}: remove it"))
        elif now is None:
            problems.append(error(path, 1, 1, f"deleted {tail}: {restore}"))
        elif now == NOT_OPENED:  # HR and the org key are in every sealed file's audience
            problems.append(error(path, 1, 1, f"changed {tail} (sealed to other keys): {restore}"))
        else:
            problems.append(error(path, 1, 1, f"changed {tail}: {restore}"))
    return problems


def with_changes(problems: list[Problem], changed: list[Problem], cycle_dir: str) -> list[Problem]:
    """A cycle's problems once `changed` (changed_since_close) is known: with files changed
    since the close, the problems of the files that did not change are left out. The cycle
    validated when it closed; an error there now (a calibration file that no longer matches
    an edited score) follows from the edit: one mistake, one error."""
    if not changed:
        return problems
    touched = {p.path for p in changed}
    inside = cycle_dir + "/"
    return changed + [p for p in problems if p.path in touched or not p.path.startswith(inside)]


def recorded_digests(results: Any) -> dict[str, str] | None:
    """The digests results.yaml records; None for a record without them (closed before
    digests were recorded: nothing to compare)."""
    files = results.get(DIGESTS) if isinstance(results, dict) else None
    return dict(files) if isinstance(files, dict) else None


def frozen_problems(
    root: Path,
    cycle_id: str,
    results: Any = None,
    model: Callable[[], CycleData | None] | None = None,
    closing: bool = False,
) -> list[Problem]:
    """`validate`'s check of a closed cycle against its record: the files that changed
    since, and, when none did, results.yaml against what `cycle close` computes from them
    (results_problems; `model` gives the whole cycle as loaded). `results`: results.yaml's
    data when the caller loaded it. A cycle without results.yaml (every open one) costs a
    stat; a closed one hashes its files, and loads them whole only when they are as closed.
    `closing`: the check of the pull request that closes the cycle, whose record must be
    what today's formulas give; `validate` later recomputes a record only when it was
    written under today's formulas (scoring.FORMULAS), so a change of formulas leaves the
    records of earlier closes as they were."""
    folder = root / CYCLES / cycle_id
    # a sealed record holds plaintext digests: compared only by the identity that opens the
    # record and the cycle's sealed files (HR's or the org key's opens all)
    sealed = sealed_record(folder)
    opener = caller_opener() if sealed else None
    if sealed and opener is None:
        return []
    data: CycleData | None = None  # the whole model, loaded once (it opens every sealed file)
    if results is None and opener is not None:
        data = model() if model is not None else None  # read as the model opened it
        results = data.results if data is not None else None
        if results is None:
            return []
    if results is None:
        path = f"{CYCLES}/{cycle_id}/{RESULTS}"
        if not (folder / RESULTS).is_file():
            return []
        doc, found = load_file(folder / RESULTS, path)
        if found or doc is None:
            return []  # its own errors are reported by the load
        results = doc.data
    recorded = recorded_digests(results)
    if recorded is None:
        return []
    closed_on = str(results.get("closed_on") or "its close")
    actual = cycle_digests(root, cycle_id, opener)
    changed = changed_since_close(f"{CYCLES}/{cycle_id}", closed_on, recorded, actual)
    if changed or model is None:
        return changed
    recorded_formulas = results.get("formulas", 1)
    if recorded_formulas != FORMULAS:
        if not closing:
            return []  # recorded under earlier formulas: the record stands as it was
        path = f"{CYCLES}/{cycle_id}/{RESULTS}"
        return [
            error(
                path,
                1,
                1,
                f"results.yaml records formulas {recorded_formulas!r}; "
                f"`perfloop cycle close` writes {FORMULAS} (restore it as close wrote it)",
            )
        ]
    data = data or model()
    return results_problems(data) if data is not None else []


def results_problems(data: CycleData) -> list[Problem]:
    """results.yaml of the closed cycle `data` where it differs from what `perfloop cycle
    close` writes from the cycle's files (lifecycle.results_differences), located: the
    closed cycle's numbers are read from it (score, export, the restricted site), so a
    hand edit (a rating, a bonus) would become the record."""
    from .lifecycle import results_differences

    path = f"{data.dir}/{RESULTS}"
    doc = data.documents.get(path)
    problems = []
    for where, what in results_differences(data, data.results):
        message = (
            f"{RESULTS} is what `perfloop cycle close` computes from the cycle's files, "
            f"never edited by hand: {what} (restore it as close wrote it)"
        )
        problems.append(doc.problem(where, message) if doc else error(path, 1, 1, message))
    return problems


# --- reading the record ---------------------------------------------------------------------


def is_recorded(data: CycleData) -> bool:
    """Whether `data` is a closed cycle whose results.yaml answers for its numbers."""
    results = data.results
    return (
        data.cycle.phase == "closed"
        and isinstance(results, dict)
        and isinstance(results.get("people"), dict)
    )


def recorded_scores(data: CycleData) -> dict[str, PersonScore] | None:
    """Each person's score as results.yaml records it, for a closed cycle (None for an
    open one, whose numbers come from its files). Numbers are the recorded ones (rounded
    as shown); titles and names, which are not numbers, come from the cycle's files."""
    if not is_recorded(data):
        return None
    people: dict[str, Any] = data.results["people"]
    return {pid: _person(data, pid, row) for pid, row in people.items() if isinstance(row, dict)}


def recorded_reason(data: CycleData, person: str) -> str | None:
    """The calibration reason results.yaml records for `person`."""
    row = data.results["people"].get(person) if is_recorded(data) else None
    return row.get("reason") if isinstance(row, dict) else None


def _person(data: CycleData, pid: str, row: dict[str, Any]) -> PersonScore:
    breakdown = row.get("breakdown") or {}
    goals = data.goals.get(pid)
    titles = {o.id: o.title for o in goals.objectives} if goals else {}
    template = data.templates.get(row.get("template") or "")
    kpis: dict[str, Kpi] = {k.id: k for k in template.kpis} if template else {}
    if goals:
        kpis.update({k: e.custom for k, e in goals.kpis.items() if e.custom is not None})
    reviewers: dict[str, list[str]] = {}
    for review in sorted(data.reviews_of(pid), key=lambda r: r.reviewer):
        reviewers.setdefault(data.relation(pid, review.reviewer) or "", []).append(review.reviewer)
    rating, proposed = row.get("rating"), row.get("proposed")
    return PersonScore(
        id=pid,
        okr=row.get("okr"),
        kpi=row.get("kpi"),
        review=row.get("review"),
        final=row.get("final"),
        rating=rating,
        bonus=row.get("bonus"),
        complete=bool(row.get("complete")),
        missing=tuple(row.get("missing") or ()),
        proposed=proposed,
        calibrated=rating if rating != proposed else _calibrated(data, pid, rating),
        template=row.get("template"),
        objectives=tuple(
            ObjectiveScore(o["id"], titles.get(o["id"], o["id"]), o.get("weight"), o.get("score"))
            for o in breakdown.get("objectives") or ()
        ),
        kpis=tuple(_kpi(k, kpis.get(k["id"])) for k in breakdown.get("kpis") or ()),
        review_groups=tuple(
            GroupScore(
                g["relation"],
                g.get("weight", 0.0),
                tuple(reviewers.get(g["relation"], ())),
                g.get("score"),
            )
            for g in breakdown.get("reviews") or ()
        ),
        weights=dict(breakdown.get("weights") or {}),
    )


def _calibrated(data: CycleData, pid: str, rating: str | None) -> str | None:
    """The recorded rating when the calibration file set it to the proposed one (the
    record does not say; the frozen calibration file does)."""
    group = data.group_of(pid)
    calibration = data.calibrations.get(group.id) if group else None
    entry = calibration.ratings.get(pid) if calibration else None
    return rating if rating is not None and entry is not None and entry.rating == rating else None


def _kpi(row: dict[str, Any], spec: Kpi | None) -> KpiScore:
    """A recorded KPI; its achievement (not recorded) from the recorded target and actual,
    as scoring computes it."""
    target, actual = row.get("target"), row.get("actual")
    achievement = None
    if target is not None and actual is not None:
        if spec is not None and spec.direction == "lower":
            achievement = spec.cap if actual == 0 else target / actual
        elif target:
            achievement = actual / target
    name = spec.name if spec is not None else row["id"]
    return KpiScore(
        row["id"], name, row.get("weight"), target, actual, achievement, row.get("score")
    )


def recorded_rows(data: CycleData, audience: Any) -> list[dict[str, Any]] | None:
    """`perfloop export`'s rows for a closed cycle, from its record (None for an open one):
    numbers and the calibration reason as results.yaml holds them."""
    from .export import results

    scores = recorded_scores(data)
    if scores is None:
        return None
    rows = results(data, audience, scores)
    for row in rows:
        row["reason"] = recorded_reason(data, row["person"])
    return rows
