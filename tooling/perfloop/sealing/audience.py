"""Who may read each confidential file (SPEC section 7's table): pure, over the model.

The audience is people (by id) plus, always, the org key. HR reads everything; the table
adds the people closest to the file's subject. A confidential file's audience is also who
its sealed form is encrypted to, so this table is the whole access policy.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ..model import CycleData

DEFAULT_SUBJECT_READS = ("manager",)
_CONFIDENTIAL = re.compile(
    r"^(?:reviews/(?P<subject>[^/]+)/(?P<reviewer>[^/]+)\.yaml"
    r"|calibration/(?P<group>[^/]+)\.yaml"
    r"|(?P<results>results)\.yaml"
    r"|results/(?P<result>[^/]+)\.yaml"
    r"|development/(?P<development>[^/]+)\.yaml"
    r"|checkpoints/(?P<checkpoint>[^/]+)\.yaml)$"
)


@dataclass(frozen=True)
class Audience:
    """The readers of one confidential file: people in a stable order, and the org key."""

    kind: str  # review | calibration | results | result | development | checkpoint
    people: tuple[str, ...]

    def keys(self, data: CycleData, org_key: str | None) -> tuple[list[str], list[str]]:
        """(the recipients' keys, org key last; the audience's people without a key)."""
        keys, missing = [], []
        for person in self.people:
            key = data.org.people[person].key if person in data.org.people else None
            (keys.append(key) if key else missing.append(person))
        if org_key:
            keys.append(org_key)
        return keys, missing


def is_confidential(rel: str) -> bool:
    """Whether `rel` (a path inside a cycle folder, plain form) is a confidential file."""
    return _CONFIDENTIAL.match(rel) is not None


def audience(
    data: CycleData, rel: str, subject_reads: Collection[str] = DEFAULT_SUBJECT_READS
) -> Audience | None:
    """The audience of the confidential file `rel` (inside the cycle folder, plain form), or
    None when `rel` is not confidential. People unknown to org.yaml are left out: a file about
    someone who is not in the organisation is readable by HR and the org key only."""
    match = _CONFIDENTIAL.match(rel)
    if match is None:
        return None
    org = data.org
    hr: tuple[str, ...] = org.hr
    if match["subject"]:
        subject, reviewer = match["subject"], match["reviewer"]
        readers = [reviewer, org.manager_of(subject), org.skip_level_of(subject), *hr]
        relation = data.relation(subject, reviewer)
        if relation is not None and relation in subject_reads:
            readers.append(subject)
        return _audience("review", org.people, readers)
    if match["group"]:
        group_heads = next((g.heads for g in data.groups if g.id == match["group"]), ())
        return _audience("calibration", org.people, [*group_heads, *hr])
    if match["results"]:
        return _audience("results", org.people, hr)
    if match["result"]:
        person = match["result"]
        found = org.people.get(person)
        chain = org.department_chain(found.department) if found is not None else []
        heads = [org.departments[d].head for d in chain]
        readers = [person, org.manager_of(person), *heads, *hr]
        return _audience("result", org.people, readers)
    if match["checkpoint"]:  # the two who wrote it, and HR (no skip level: not a review)
        person = match["checkpoint"]
        return _audience("checkpoint", org.people, [person, org.manager_of(person), *hr])
    person = match["development"]
    return _audience("development", org.people, [person, org.manager_of(person), *hr])


def _audience(kind: str, known: Collection[str], readers: Iterable[str | None]) -> Audience:
    people: list[str] = []
    for reader in readers:
        if reader and reader in known and reader not in people:
            people.append(reader)
    return Audience(kind, tuple(people))
