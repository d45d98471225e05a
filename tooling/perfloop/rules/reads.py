"""What a rule reads: the kinds of files whose content it uses, and the relations along
which one file's problems depend on another file.

Every rule module declares `READS`. A pull request's check and a `validate` after an edit
re-run the rules over the files a change can reach (speed/incremental.py); that reach is
derived from these declarations, so a rule that starts reading along a new relation says
so here, and a relation the derivation cannot follow makes it check the whole cycle.
The structural files (cycle.yaml, org.yaml, templates) are read by whichever rule needs
them: a change to one is always checked in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

KINDS = frozenset(
    {"cycle", "org", "template", "objectives", "goals", "review", "calibration", "checkpoint"}
)

# An objectives file (company, department or goals) and the files whose objectives its
# objectives align or contribute to, and those that align or contribute to it: whether a
# reference resolves, how much of a key result its contributors cover.
LINKS = "links"
# A review and its subject's goals file: the reviewer's relation (proposed peers).
SUBJECT = "subject"
# A calibration file and its group members' scores (goals, reviews, contributions).
SCORES = "scores"
RELATIONS = frozenset({LINKS, SUBJECT, SCORES})


@dataclass(frozen=True)
class Reads:
    kinds: frozenset[str]
    relations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.kinds <= KINDS:
            raise ValueError(f"unknown file kinds {sorted(self.kinds - KINDS)}")

    @staticmethod
    def of(*kinds: str, relations: Iterable[str] = ()) -> Reads:
        return Reads(frozenset(kinds), frozenset(relations))

    @staticmethod
    def union(reads: Iterable[Reads]) -> Reads:
        kinds: frozenset[str] = frozenset()
        relations: frozenset[str] = frozenset()
        for one in reads:
            kinds |= one.kinds
            relations |= one.relations
        return Reads(kinds, relations)


# What an undeclared rule is taken to read: anything, along relations nothing can follow.
EVERYTHING = Reads(KINDS, frozenset({"undeclared"}))
