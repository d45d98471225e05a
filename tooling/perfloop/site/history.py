"""Check-in timelines of a whole cycle from git, read once per build.

`perfloop.history.checkin_timeline` answers for one person: one `git log` and one tree walk
per commit of their goals file. For a site that is a `git log` process per person and a
parse of the goals folder's tree per person, quadratic in the company's size (the folder
has one entry per person). Here the same timelines come from one
`git log --raw -- cycles/<cycle>/goals/` (which names each commit's blob of each goals file)
and one `git cat-file --batch` process for the blobs; a blob that is the working tree's
file is not read or parsed again, the loaded cycle already holds it.

The rules are `checkin_timeline`'s, with its own helpers: a point whenever a key result's
value changes between two versions of the file, dated by the check-in that version added
for it, else by the commit's author date. Merges count when they change the file against
every parent (what `git log -- <file>` shows).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..gitrepo import GitRepo
from ..history import Point, timeline_of
from ..loader import Document, parse_bytes
from ..repository import CYCLES
from ..sources import blob_id

_COMMIT = "\x1e"
_MISSING = "0" * 40


def cycle_timelines(
    root: Path, cycle_id: str, documents: Mapping[str, Document]
) -> dict[str, dict[str, list[Point]]]:
    """person -> `person/objective/kr` -> [(date, value, commit)], oldest first, for every
    goals file of the cycle with a committed history. Raises GitProblem (or a git error)
    outside a git checkout."""
    repo = GitRepo(root)
    folder = f"{CYCLES}/{cycle_id}/goals/"
    log = repo.repo.git.log(
        "--reverse",
        f"--format={_COMMIT}%H %aI",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "-c",  # merges: files that differ from every parent, as `git log -- <file>` shows
        "--",
        repo.prefix + folder,
    )
    versions: dict[str, list[tuple[str, str, str | None]]] = {}  # person -> (sha, when, blob)
    for chunk in log.split(_COMMIT)[1:]:
        head, _, raw = chunk.partition("\n")
        sha, _, when = head.strip().partition(" ")
        for line in raw.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            rel = path[len(repo.prefix) :] if path.startswith(repo.prefix) else None
            if rel is None or not rel.startswith(folder) or not rel.endswith(".yaml"):
                continue
            person = rel[len(folder) : -len(".yaml")]
            if "/" in person:
                continue
            blob = meta.split()[-2]  # the object ids come before the status letter(s)
            versions.setdefault(person, []).append((sha, when, None if blob == _MISSING else blob))

    parsed: dict[str, Any] = {}  # blob id -> the file's data at that version
    for person in versions:
        path = f"{folder}{person}.yaml"
        doc = documents.get(f"{CYCLES}/{cycle_id}/goals/{person}.yaml")
        file = root / path
        if doc is not None and file.is_file():
            parsed.setdefault(blob_id(file.read_bytes()), doc.data)

    def data_of(blob: str, path: str) -> Any:
        if blob not in parsed:
            raw = repo.repo.odb.stream(bytes.fromhex(blob)).read()
            doc = parse_bytes(raw, path)[0]
            parsed[blob] = doc.data if doc is not None else None
        return parsed[blob]

    out: dict[str, dict[str, list[Point]]] = {}
    for person, commits in versions.items():
        path = f"{folder}{person}.yaml"
        datas = ((sha, when, data_of(blob, path) if blob else None) for sha, when, blob in commits)
        out[person] = timeline_of(person, datas)
    return out
