"""Calibration (spec section 4): quotas, the distribution proposal and the file check.

Quotas count complete members only: an incomplete person has no score to place. Ties at a
quota cut compare scores as shown (rounded half-up to 2 decimals), since two people who both
show 84.50 cannot be told apart in the calibration meeting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .model import Cycle, CycleData, Group
from .problems import Problem
from .progress import round_half_up
from .scoring import PersonScore, own_fields, score_cycle

ROUNDING = {"nearest": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}


@dataclass(frozen=True)
class QuotaCount:
    """How many people of a group a rating must hold at least and may hold at most."""

    min: int
    max: int


def quota_count(share: float, size: int, rounding: str = "nearest") -> int:
    """share x size rounded as configured, computed in decimal (0.1 x 30 is exactly 3)."""
    exact = Decimal(repr(share)) * size
    return int(exact.quantize(Decimal(1), rounding=ROUNDING.get(rounding, ROUND_HALF_UP)))


def quotas(cycle: Cycle, size: int) -> dict[str, QuotaCount]:
    """rating -> min and max counts for a group of `size` complete people, best first.

    A rating without a configured min has min 0; without a max, max `size`.
    """
    config = cycle.calibration
    out = {}
    for level in cycle.rating_scale:
        q = config.distribution.get(level.rating)
        low = quota_count(q.min, size, config.rounding) if q and q.min is not None else 0
        high = quota_count(q.max, size, config.rounding) if q and q.max is not None else size
        out[level.rating] = QuotaCount(low, high)
    return out


def quota_text(cycle: Cycle, rating: str, bound: str, size: int) -> str:
    """'at most 3 (30% of 10, rounded nearest)' style explanation of one quota."""
    q = cycle.calibration.distribution.get(rating)
    share = getattr(q, bound) if q else None
    count = getattr(quotas(cycle, size)[rating], bound)
    word = "at most" if bound == "max" else "at least"
    if share is None:
        return f"{word} {count}"
    return f"{word} {count} ({share:.0%} of {size}, rounded {cycle.calibration.rounding})"


@dataclass(frozen=True)
class Move:
    person: str
    from_rating: str
    to_rating: str
    reason: str


@dataclass
class Proposal:
    """The starting point for a group's calibration: ratings after quota moves, and flags."""

    group: Group
    size: int  # complete members, the n of the quotas
    quotas: dict[str, QuotaCount]
    proposed: dict[str, str]  # person -> rating, complete members, best score first
    scored: dict[str, str]  # person -> the rating their score earns
    finals: dict[str, float]  # person -> final score (full precision)
    moves: list[Move] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    incomplete: dict[str, tuple[str, ...]] = field(default_factory=dict)  # person -> missing
    # members a file of whose is left out for its errors (person -> the file): provisional
    left_out: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {rating: 0 for rating in self.quotas}
        for rating in self.proposed.values():
            out[rating] = out.get(rating, 0) + 1
        return out

    def to_json(self) -> dict:
        return {
            "id": self.group.id,
            "name": self.group.name,
            "size": self.size,
            "quotas": {r: {"min": q.min, "max": q.max} for r, q in self.quotas.items()},
            "proposed": dict(self.proposed),
            "flags": list(self.flags),
            "moves": [
                {"person": m.person, "from": m.from_rating, "to": m.to_rating, "reason": m.reason}
                for m in self.moves
            ],
            "incomplete": {p: list(m) for p, m in self.incomplete.items()},
            "left_out": dict(self.left_out),
        }


def group(data: CycleData, group_id: str) -> Group | None:
    return next((g for g in data.groups if g.id == group_id), None)


def propose(
    data: CycleData, group: Group, scores: Mapping[str, PersonScore] | None = None
) -> Proposal:
    """The spec's distribution proposal for one group.

    From the best rating down, a rating over its max moves its lowest-scored people to the
    next rating, people tied at the cut together; the last rating has nowhere to go and is
    flagged. Then, from the worst rating up, a rating under its min is flagged, never filled
    by demoting anyone silently.
    """
    cycle = data.cycle
    scores = scores if scores is not None else score_cycle(data)
    members = [own_fields(scores, p) for p in group.members if p in scores]
    complete = [s for s in members if s["complete"] and s["proposed"]]
    complete.sort(key=lambda s: (-round_half_up(s["final"] or 0), s["id"]))
    size = len(complete)
    limits = quotas(cycle, size)
    ratings = [lv.rating for lv in cycle.rating_scale]
    current = {s["id"]: s["proposed"] for s in complete}
    shown = {s["id"]: round_half_up(s["final"] or 0) for s in complete}
    proposal = Proposal(
        group=group,
        size=size,
        quotas=limits,
        proposed={},
        scored=dict(current),
        finals={s["id"]: s["final"] for s in complete},
        incomplete={s["id"]: s["missing"] for s in members if not s["complete"]},
        left_out={p: data.unsettled[p] for p in group.members if p in data.unsettled},
    )
    if proposal.left_out:
        proposal.flags.append(
            f"provisional: {_names(list(proposal.left_out), '')} cannot be scored while "
            f"{', '.join(sorted(set(proposal.left_out.values())))} has errors; the quotas "
            f"count the {size} complete member(s) and may change once it is fixed"
        )
    for i, rating in enumerate(ratings):
        cap = limits[rating].max
        holders = [p for p in current if current[p] == rating]  # best score first
        if len(holders) <= cap:
            continue
        if i == len(ratings) - 1:
            proposal.flags.append(
                f"{rating} holds {len(holders)}, more than {quota_text(cycle, rating, 'max', size)}"
                f", and there is no lower rating to move anyone to"
            )
            continue
        cut = shown[holders[cap]]  # score of the best person who no longer fits
        movers = [p for p in holders if shown[p] <= cut]
        tied = [p for p in movers if shown[p] == cut]
        below = ratings[i + 1]
        limit = quota_text(cycle, rating, "max", size)
        tie_moved = len(tied) > 1 and len(holders) - len(movers) < cap
        for person in movers:
            why = (
                f"{rating} allows {limit}; score {shown[person]:.2f} is among the lowest "
                f"holding {rating}"
            )
            if tie_moved and shown[person] == cut:
                why += (
                    f" (tied at {cut:.2f} with {_names(tied, person)}: tied people move together)"
                )
            proposal.moves.append(Move(person, current[person], below, why))
            current[person] = below
    counts = {r: sum(1 for v in current.values() if v == r) for r in ratings}
    for rating in reversed(ratings):
        need = limits[rating].min
        if counts[rating] < need:
            proposal.flags.append(
                f"{rating} holds {counts[rating]}, fewer than "
                f"{quota_text(cycle, rating, 'min', size)}: the calibration file must rate "
                f"more people {rating}, each with a reason"
            )
    proposal.proposed = {s["id"]: current[s["id"]] for s in complete}
    return proposal


def _names(people: list[str], but: str, most: int = 5) -> str:
    others = [p for p in people if p != but]
    shown = ", ".join(others[:most])
    return shown + (f" and {len(others) - most} more" if len(others) > most else "")


def propose_all(data: CycleData, scores: Mapping[str, PersonScore] | None = None) -> list[Proposal]:
    scores = scores if scores is not None else score_cycle(data)
    return [propose(data, g, scores) for g in data.groups]


# --- checking calibration/<group>.yaml ------------------------------------------------------


def check(data: CycleData, scores: Mapping[str, PersonScore] | None = None) -> list[Problem]:
    """Every calibration file: members rated from the scale, quotas met, reasons given."""
    if not data.calibrations:
        return []
    scores = scores if scores is not None else score_cycle(data)
    problems: list[Problem] = []
    cycle = data.cycle
    for group_id, calibration in sorted(data.calibrations.items()):
        where = calibration.where
        grp = group(data, group_id)
        if grp is None:
            known = ", ".join(g.id for g in data.groups) or "none"
            problems.append(
                where.error(f"no calibration group {group_id!r} in this cycle (groups: {known})")
            )
            continue
        members = set(grp.members)
        unsettled = data.unsettled
        # own fields only: a verdict's scores are not built into records (0.1 s for a
        # group of 1,800 whose calibration file changed)
        own = {p: own_fields(scores, p) for p in grp.members if p in scores}
        counted: dict[str, int] = {lv.rating: 0 for lv in cycle.rating_scale}
        for person, entry in calibration.ratings.items():
            at = entry.where
            if person not in data.org.people:
                problems.append(at.error(f"no person {person!r} in org.yaml"))
                continue
            if person not in members:
                other = data.group_of(person)
                in_group = f"; they are in group {other.id}" if other else ""
                problems.append(at.error(f"{person} is not a member of group {group_id}{in_group}"))
                continue
            if cycle.level(entry.rating) is None:
                scale = ", ".join(lv.rating for lv in cycle.rating_scale)
                problems.append(
                    at.error(f"{person}: rating {entry.rating!r} is not on the scale ({scale})")
                )
                continue
            if person in unsettled:
                continue  # a file of theirs is left out for its errors: nothing to judge yet
            score = own.get(person)  # None: not scored
            if score is None or not score["complete"]:
                lacks = ", ".join(score["missing"]) if score else "a score"
                problems.append(
                    at.warning(
                        f"{person} is incomplete (lacks {lacks}): an incomplete person has no "
                        "rating, so this one does not count"
                    )
                )
                continue
            counted[entry.rating] += 1
            if entry.rating != score["proposed"] and not (entry.reason or "").strip():
                problems.append(
                    at.error(
                        f"{person} is rated {entry.rating}, not the rating their score "
                        "proposes: give a reason (`perfloop calibrate` shows the proposal; "
                        "scores stay out of CI logs)"
                    )
                )
        complete = [p for p, s in own.items() if s["complete"]]
        for person in complete:
            if person not in calibration.ratings:
                problems.append(
                    where.error(
                        f"{person} has no rating: add one (`perfloop calibrate` shows the "
                        "proposal; scores stay out of CI logs)",
                        "ratings",
                    )
                )
        if any(m in unsettled for m in grp.members):
            continue  # provisional: quotas are judged once every member's files are valid
        size = len(complete)
        limits = quotas(cycle, size)
        for rating, limit in limits.items():
            n = counted.get(rating, 0)
            if n > limit.max:
                problems.append(
                    where.error(
                        f"{n} people rated {rating}; the quota allows "
                        f"{quota_text(cycle, rating, 'max', size)}",
                        "ratings",
                    )
                )
            if n < limit.min:
                problems.append(
                    where.error(
                        f"{n} people rated {rating}; the quota needs "
                        f"{quota_text(cycle, rating, 'min', size)}",
                        "ratings",
                    )
                )
    return problems


# --- drafting a calibration file --------------------------------------------------------------

SCHEMA_URL = "perfloop:schemas/calibration.schema.json"  # schemaref.UNPLACED: placed when written


def draft_text(proposal: Proposal, schema_ref: str = SCHEMA_URL) -> str:
    """calibration/<group>.yaml for a proposal: every complete member, best score first,
    with a reason wherever the proposal differs from the rating the score earns."""
    reasons = {m.person: m.reason for m in proposal.moves}
    lines = [f"# yaml-language-server: $schema={schema_ref}"]
    lines.append(
        f"# Draft by `perfloop calibrate --write` for group {proposal.group.id}: "
        f"{proposal.size} complete member(s)."
    )
    for flag in proposal.flags:
        lines.append(f"# FLAG: {flag}")
    for person, missing in proposal.incomplete.items():
        lines.append(f"# Not rated, incomplete: {person} lacks {', '.join(missing)}")
    if not proposal.proposed:
        lines.append("ratings: {}")
        return "\n".join(lines) + "\n"
    lines.append("ratings:")
    for person, rating in proposal.proposed.items():
        lines.append(f"  {person}:")
        lines.append(f"    rating: {_quote(rating)}")
        if rating != proposal.scored[person]:
            lines.append(f"    reason: {_quote(reasons.get(person, 'quota'))}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


# --- the distribution, broken down ------------------------------------------------------------


def breakdown(
    data: CycleData, ratings: Mapping[str, str | None], by: str = "department"
) -> dict[str, dict[str, int]]:
    """department (the person's own) or manager -> rating -> count, over rated people.

    `ratings` are each person's final rating (calibrated, else proposed; the score's
    `rating`); ratings of the scale come best first, and every key lists every rating so
    columns line up.
    """
    scale = [lv.rating for lv in data.cycle.rating_scale]
    out: dict[str, dict[str, int]] = {}
    for person, rating in ratings.items():
        p = data.org.people.get(person)
        if p is None or rating is None:
            continue
        key = p.department if by == "department" else (p.manager or "(none)")
        row = out.setdefault(key, dict.fromkeys(scale, 0))
        row[rating] = row.get(rating, 0) + 1
    return dict(sorted(out.items()))
