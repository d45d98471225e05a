"""Top-down targets against bottom-up contributions (spec section 4, "Alignment")."""

from __future__ import annotations

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

    def within(self, low: float, high: float) -> bool:
        return self.ratio is None or low <= self.ratio <= high


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
        out.append(Coverage(ref, parent, tuple(parts), ratio))
    return out


def links_of(objectives: ObjectiveSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The owners `objectives` align to and contribute to (each sorted)."""
    aligns = {o.aligns_to.split("/")[0] for o in objectives.objectives if o.aligns_to}
    contributes = {
        kr.contributes_to.split("/")[0]
        for o in objectives.objectives
        for kr in o.key_results
        if kr.contributes_to
    }
    return tuple(sorted(aligns)), tuple(sorted(contributes))


def links(data: CycleData) -> Links:
    """Every objective file's links (files without any are left out)."""
    out: Links = {}
    start = len(data.dir) + 1
    for objectives in data.all_objective_sets():
        found = links_of(objectives)
        if found != ((), ()):
            out[objectives.where.file[start:]] = found
    return out
