"""Top-down targets against bottom-up contributions (spec section 4, "Alignment")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import CycleData, KeyResult, ObjectiveSet

# file inside the cycle folder -> (owners its objectives align to, owners its key results
# contribute to). Kept with a cycle's verdict: a pull request's check (incremental.py)
# finds from it which other files a change reaches, without loading them.
Links = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


@dataclass(frozen=True)
class Contribution:
    """A key result that adds into a parent key result."""

    owner: str
    objective: str
    key_result: KeyResult

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.objective}/{self.key_result.id}"


@dataclass(frozen=True)
class Coverage:
    parent_ref: str
    parent: KeyResult
    contributors: tuple[Contribution, ...]
    ratio: float | None  # None when the contributors have no targets to compare
    # A file left out for its own errors may add into this parent: too little is not known.
    open: bool = False

    def within(self, low: float, high: float) -> bool:
        if self.ratio is None:
            return True
        return (self.open or low <= self.ratio) and self.ratio <= high


def contributors(data: CycleData) -> dict[str, list[Contribution]]:
    """parent KR reference -> the key results that declare `contributes_to` it."""
    out: dict[str, list[Contribution]] = {}
    for objectives in data.all_objective_sets():
        for objective in objectives.objectives:
            for kr in objective.key_results:
                if kr.contributes_to:
                    out.setdefault(kr.contributes_to, []).append(
                        Contribution(objectives.owner, objective.id, kr)
                    )
    return out


def coverage(data: CycleData) -> list[Coverage]:
    """Coverage of every parent KR that has contributors and resolves to a numeric KR.

    coverage = sum of contributor targets / parent target; for `direction: lower` the
    inverse, so that 1.0 always means "the parts exactly add up to the whole".
    """
    out = []
    for ref, parts in sorted(contributors(data).items()):
        parent = data.find_key_result(ref)
        if parent is None or parent.kind != "numeric" or not parent.target:
            continue
        targets = [c.key_result.target for c in parts if c.key_result.target is not None]
        ratio = None
        if targets:
            total = sum(targets)
            if parent.direction == "lower":
                ratio = parent.target / total if total else None
            else:
                ratio = total / parent.target
        out.append(Coverage(ref, parent, tuple(parts), ratio, ref in data.claimed_by_left_out))
    return out


_ID = r"[a-z0-9][a-z0-9-]{0,62}"
_CLAIM = re.compile(rf"""contributes_to['"]?\s*:\s*['"]?({_ID}/{_ID}/{_ID})(?![a-z0-9/-])""")


def claimed_parents(raw: bytes) -> tuple[str, ...]:
    """The parent key results an objectives file names in `contributes_to`, read from its
    text: the file is left out for its errors (it may not even parse), yet what it would add
    into is not to be judged short of it. Block and flow style, quoted or not."""
    text = raw.decode("utf-8", errors="replace")
    return tuple(sorted(set(_CLAIM.findall(text))))


def links_of(objectives: ObjectiveSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The owners `objectives` align to and contribute to (each sorted). A reference to a
    team key result (`ref:`) reads its department's file as an `aligns_to` does."""
    aligns = {o.aligns_to.split("/")[0] for o in objectives.objectives if o.aligns_to}
    aligns.update(
        kr.ref.split("/")[0] for o in objectives.objectives for kr in o.key_results if kr.ref
    )
    contributes = {
        kr.contributes_to.split("/")[0]
        for o in objectives.objectives
        for kr in o.key_results
        if kr.contributes_to
    }
    return tuple(sorted(aligns)), tuple(sorted(contributes))


def links(data: CycleData) -> Links:
    """Every objective file's links (files without any are left out); a file left out of
    the model for its errors links to what it claims to contribute to (`claimed_parents`),
    so that a change reaching those parents reaches it too."""
    out: Links = {}
    start = len(data.dir) + 1
    for objectives in data.all_objective_sets():
        found = links_of(objectives)
        if found != ((), ()):
            out[objectives.where.file[start:]] = found
    for path, refs in data.left_out_claims.items():
        out[path[start:]] = claimed_links(refs)
    return out


def claimed_links(refs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The links of a left-out file that claims to contribute to `refs`."""
    return (), tuple(sorted({ref.split("/")[0] for ref in refs}))
