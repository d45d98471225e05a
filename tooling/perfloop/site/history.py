"""Check-in timelines of a whole cycle from git, read once per build.

`perfloop.history.checkin_timeline` answers for one person: one `git log` and one tree walk
per commit of their goals file. For a site that is a `git log` process per person and a
parse of the goals folder's tree per person, quadratic in the company's size (the folder
has one entry per person). Here the same timelines come from one
`git log --raw -- cycles/<cycle>/goals/` (which names each commit's blob of each goals file)
and one `git cat-file --batch` process for the blobs; a blob that is the working tree's
file is not read or parsed again, the loaded cycle already holds it. Each person's timeline
is worked out when first asked for.

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


def cycle_timelines(root: Path, cycle_id: str, documents: Mapping[str, Document]) -> Timelines:
    """person -> `person/objective/kr` -> [(date, value, commit)], oldest first, for every
    goals file of the cycle with a committed history. Raises GitProblem (or a git error)
    outside a git checkout."""
    repo = GitRepo(root)
    folder = f"{CYCLES}/{cycle_id}/goals/"
    log = repo.run(
        "log",
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

    return Timelines(root, cycle_id, repo, versions, documents)


class Timelines:
    """The timelines of a cycle's people, each worked out when first asked for: the first
    pages of a site need a few, and the whole company's would hold them up."""

    def __init__(self, root: Path, cycle_id: str, repo: GitRepo, versions: dict, documents):
        self.root, self.repo, self.versions, self.documents = root, repo, versions, documents
        self.folder = f"{CYCLES}/{cycle_id}/goals/"
        self.parsed: dict[str, Any] = {}  # blob id -> the file's data at that version
        self.done: dict[str, dict[str, list[Point]]] = {}

    def __contains__(self, person: str) -> bool:
        return person in self.versions

    def __iter__(self):
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def __getitem__(self, person: str) -> dict[str, list[Point]]:
        found = self.get(person)
        if found is None:
            raise KeyError(person)
        return found

    def get(self, person: str, default=None):
        if person not in self.versions:
            return default
        if person not in self.done:
            path = f"{self.folder}{person}.yaml"
            doc, file = self.documents.get(path), self.root / path
            if doc is not None and file.is_file():  # the working tree's version: loaded
                self.parsed.setdefault(blob_id(file.read_bytes()), doc.data)
            datas = (
                (sha, when, self._data(blob, path) if blob else None)
                for sha, when, blob in self.versions[person]
            )
            self.done[person] = timeline_of(person, datas)
        return self.done[person]

    def _data(self, blob: str, path: str) -> Any:
        if blob not in self.parsed:
            raw = self.repo.blob(blob)
            doc = parse_bytes(raw, path)[0]
            self.parsed[blob] = doc.data if doc is not None else None
        return self.parsed[blob]
