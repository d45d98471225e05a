"""Scores (spec section 4): key result -> objective -> sections -> final -> rating -> bonus.

Everything here is a pure function of the loaded cycle. Numbers are kept in full
precision; callers round with `progress.round_half_up` only to show them, and the rating
threshold is compared with the rounded final score, as the spec says.

Decisions where the spec is silent (see site/guide/scoring.md):
- objectives with `kind: development` are shown but not scored;
- a template KPI without `actual` leaves the KPI section missing (the person is incomplete);
- a KPI never scores below 0;
- a template without `reviews.groups` weighs every relation equally;
- `rating` is the person's final rating: the calibration file's when it rates them, else the
  rating their score proposes; `bonus` is that rating's coefficient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from .heap import bulk_allocation
from .model import (
    SECTIONS,
    Cycle,
    CycleData,
    Kpi,
    KpiEntry,
    RatingLevel,
    Review,
    Template,
    make,
)
from .progress import index_of, objective_progress, round_half_up, weighted_mean


@dataclass(frozen=True)
class ObjectiveScore:
    id: str
    title: str
    weight: float | None
    score: float  # 0..100


@dataclass(frozen=True)
class KpiScore:
    id: str
    name: str
    weight: float | None
    target: float | None
    actual: float | None
    achievement: float | None  # actual/target (or target/actual for lower-is-better)
    score: float | None  # 0..100; None without an actual


@dataclass(frozen=True)
class GroupScore:
    """One review group (a relation): its weight, reviews and mean value."""

    relation: str
    weight: float
    reviews: tuple[str, ...]  # reviewer ids
    score: float  # 0..100, mean over its reviews

    @property
    def counted(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class PersonScore:
    id: str
    okr: float | None
    kpi: float | None
    review: float | None
    final: float | None
    rating: str | None  # final rating: calibrated if the calibration file rates them
    bonus: float | None
    complete: bool
    missing: tuple[str, ...] = ()
    proposed: str | None = None  # the rating the score earns
    calibrated: str | None = None  # the rating in calibration/<group>.yaml, if any
    template: str | None = None
    objectives: tuple[ObjectiveScore, ...] = ()
    kpis: tuple[KpiScore, ...] = ()
    review_groups: tuple[GroupScore, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)  # section weights
    # What the caller's identity cannot open (SPEC section 7): "review" (a review of them is
    # sealed), "rating" (their calibration file is). Not missing: shown as "sealed".
    sealed: tuple[str, ...] = ()

    def section(self, name: str) -> float | None:
        return {"okr": self.okr, "kpi": self.kpi, "review": self.review}[name]

    @property
    def shown_final(self) -> float | None:
        """The final score as shown and as compared with thresholds."""
        return None if self.final is None else round_half_up(self.final)

    def to_json(self) -> dict:
        """The spec's `perfloop score --json` record; numbers rounded as shown."""
        return score_json(vars(self))


class StoredScores(Protocol):
    """Scores kept with a cycle's verdict (speed/verdict.py), which can give a person's own
    fields, or some of their nested records as plain dicts, without building the records.
    Scoring never imports the store: a mapping that has these methods is read through
    them, any other mapping through its `PersonScore` records."""

    def summary(self, person: str) -> Mapping[str, Any]: ...

    def nested(self, person: str, names: tuple[str, ...]) -> Mapping[str, Any]: ...


def own_fields(scores: Mapping[str, PersonScore], person: str) -> Mapping[str, Any]:
    """`person`'s own score fields (sections, final, ratings, completeness), as a mapping:
    from the stored bytes when `scores` came from a verdict (`StoredScores.summary`),
    without building the nested objective, KPI and review records."""
    summary = getattr(scores, "summary", None)
    return summary(person) if summary is not None else vars(scores[person])


def manager_review_value(scores: Mapping[str, PersonScore], person: str) -> float | None:
    """The value of `person`'s manager review (`review_value`), None without one: the
    score of the manager review group, which holds that one review (the manager relation
    is the org's manager alone). From a verdict's stored dicts when `scores` came from one
    (`StoredScores.nested`), without building every manager review."""
    nested = getattr(scores, "nested", None)
    groups = (
        nested(person, ("review_groups",))["review_groups"]
        if nested is not None
        else [vars(g) for g in scores[person].review_groups]
    )
    return next((g["score"] for g in groups if g["relation"] == "manager"), None)


def score_json(fields: Mapping[str, Any]) -> dict:
    """`PersonScore.to_json` from a score's fields (`verdict.Scores.summary` gives them
    without building the nested records)."""
    return {
        "id": fields["id"],
        "okr": _shown(fields["okr"]),
        "kpi": _shown(fields["kpi"]),
        "review": _shown(fields["review"]),
        "final": _shown(fields["final"]),
        "rating": fields["rating"],
        "bonus": fields["bonus"],
        "complete": fields["complete"],
        **({"sealed": list(fields["sealed"])} if fields.get("sealed") else {}),
    }


def _shown(x: float | None) -> float | None:
    return None if x is None else round_half_up(x)


# --- ratings ---------------------------------------------------------------------------


def rating_for(cycle: Cycle, final: float | None) -> RatingLevel | None:
    """The first level of the scale (best first) whose min the rounded final reaches."""
    if final is None:
        return None
    shown = round_half_up(final)
    return next((lv for lv in cycle.rating_scale if lv.min <= shown), None)


# --- sections ----------------------------------------------------------------------------


def okr_section(data: CycleData, person: str) -> tuple[float | None, tuple[ObjectiveScore, ...]]:
    """100 x weighted mean of the person's scored objectives; None without any."""
    goals = data.goals.get(person)
    if goals is None:
        return None, ()
    scored = tuple(
        make(
            ObjectiveScore,
            {
                "id": o.id,
                "title": o.title,
                "weight": o.weight,
                "score": 100 * objective_progress(data, person, o),
            },
        )
        for o in goals.objectives
        if o.kind == "okr"
    )
    mean = weighted_mean([o.score for o in scored], [o.weight for o in scored])
    return mean, scored


def kpi_score(kpi: Kpi, entry: KpiEntry) -> KpiScore:
    """One KPI: achievement against target, then linear (capped) or bands."""
    achievement = score = None
    # A lower-is-better KPI may aim at 0 ("no Sev-1 incidents"): target / actual is then
    # 0, and an actual of 0 gives the cap.
    if entry.actual is not None and (entry.target or kpi.direction == "lower"):
        if kpi.direction == "lower":
            achievement = kpi.cap if entry.actual == 0 else entry.target / entry.actual
        else:
            achievement = entry.actual / entry.target
        if kpi.scoring == "bands":
            score = next((b.score for b in kpi.bands if b.min <= achievement), 0.0)
        else:
            score = 100 * min(achievement, kpi.cap)
        score = max(score, 0.0)
    return make(
        KpiScore,
        {
            "id": kpi.id,
            "name": kpi.name,
            "weight": kpi.weight,
            "target": entry.target,
            "actual": entry.actual,
            "achievement": achievement,
            "score": score,
        },
    )


def kpi_section(
    template: Template, data: CycleData, person: str
) -> tuple[float | None, tuple[KpiScore, ...], list[str]]:
    """Weighted mean over the template's KPIs and the person's custom ones."""
    goals = data.goals.get(person)
    entries = dict(goals.kpis) if goals else {}
    scores: list[KpiScore] = []
    missing: list[str] = []
    for kpi in template.kpis:
        entry = entries.pop(kpi.id, None)
        if entry is None:
            missing.append(f"KPI target for {kpi.id}")
            scores.append(KpiScore(kpi.id, kpi.name, kpi.weight, None, None, None, None))
            continue
        scores.append(kpi_score(kpi, entry))
    for entry in entries.values():
        if entry.custom is not None:
            scores.append(kpi_score(entry.custom, entry))
    for s in scores:
        if s.target is not None and s.score is None:
            missing.append(f"KPI actual for {s.id}")
    if not scores:
        return None, (), ["KPIs"]
    if missing:
        return None, tuple(scores), missing
    values = [s.score for s in scores]
    return weighted_mean(values, [s.weight for s in scores]), tuple(scores), []  # type: ignore[arg-type]


def review_value(review: Review, template: Template) -> float | None:
    """100 x (mean rating - 1) / (scale - 1) over the template's questions."""
    return _review_value(review.ratings, [q.id for q in template.questions], template.scale)


def _review_value(ratings: Mapping[str, int], questions: list[str], scale: int) -> float | None:
    asked = [ratings[q] for q in questions if q in ratings]
    values = asked or list(ratings.values())
    if not values or scale <= 1:
        return None
    mean = sum(values) / len(values)
    return 100 * (mean - 1) / (scale - 1)


def review_section(
    template: Template, data: CycleData, person: str
) -> tuple[float | None, tuple[GroupScore, ...]]:
    """Weighted mean over review groups with a review and weight > 0; None without a
    manager review."""
    by_relation: dict[str, tuple[list[str], list[float]]] = {}  # reviewers, values
    reviews = index_of(data, "reviews_by_subject", _reviews_by_subject).get(person, ())
    if reviews:  # the template's question ids once, not once per review (60,000 of them)
        questions, scale = [q.id for q in template.questions], template.scale
        relation_of = data.relation
        for review in reviews:
            relation = relation_of(person, review.reviewer)
            if relation is None:
                continue
            value = _review_value(review.ratings, questions, scale)
            if value is None:
                continue
            found = by_relation.get(relation)
            if found is None:
                by_relation[relation] = ([review.reviewer], [value])
            else:
                found[0].append(review.reviewer)
                found[1].append(value)
    groups = []
    group_weights = template.group_weights
    for relation, (reviewers, values) in by_relation.items():
        groups.append(
            make(
                GroupScore,
                {
                    "relation": relation,
                    "weight": group_weights.get(relation, 0.0) if group_weights else 1.0,
                    "reviews": tuple(reviewers),
                    "score": sum(values) / len(values),
                },
            )
        )
    if len(groups) > 1:
        groups.sort(key=lambda g: _RELATION_ORDER.get(g.relation, 99))
    if "manager" not in by_relation:
        return None, tuple(groups)
    counted = [g for g in groups if g.counted]
    mean = weighted_mean([g.score for g in counted], [g.weight for g in counted])
    return mean, tuple(groups)


def _reviews_by_subject(data: CycleData) -> dict[str, list[Review]]:
    out: dict[str, list[Review]] = {}
    for (subject, _), review in data.reviews.items():
        out.setdefault(subject, []).append(review)
    return out


# The version of section 4's arithmetic. Bump it with any change that alters what a cycle
# scores: `cycle close` records it, and `validate` recomputes a closed cycle's record only
# when it was written under these formulas (the record of an older close stays its record).
FORMULAS = 1

_RELATION_ORDER = {
    r: i for i, r in enumerate(("self", "manager", "skip_level", "designated", "peer", "upward"))
}


# --- a person and the cycle -----------------------------------------------------------------


def score_person(data: CycleData, person_id: str) -> PersonScore:
    """Every number the spec defines for one person, with what is missing in plain words."""
    template = data.template_for(person_id)
    if template is None:
        left_out = data.unsettled.get(person_id)
        lacks = f"a valid {left_out}" if left_out else "a template"
        return PersonScore(person_id, None, None, None, None, None, None, False, (lacks,))
    weights = {s: template.sections.get(s, 0.0) for s in SECTIONS}
    missing: list[str] = []

    okr, objectives = okr_section(data, person_id)
    if okr is None and weights["okr"] > 0:
        missing.append("goals" if person_id not in data.goals else "scored objectives")

    kpi, kpis, kpi_missing = kpi_section(template, data, person_id)
    if kpi is None and weights["kpi"] > 0:
        if person_id not in data.goals:  # "goals" already says it all
            kpi_missing = [] if "goals" in missing else ["goals"]
        elif not kpi_missing:
            kpi_missing = ["KPIs"]
        missing += kpi_missing

    sealed: list[str] = []
    review, groups = review_section(template, data, person_id)
    if person_id in data.sealed_subjects and weights["review"] > 0:
        review, groups = None, ()  # the readable reviews alone would give a wrong number
        sealed.append("review")
    elif review is None and weights["review"] > 0:
        missing.append("manager review")

    left_out = data.unsettled.get(person_id)
    if left_out is not None:  # a file the score reads is left out for its own errors
        missing = [f"a valid {left_out}", *(m for m in missing if m != "goals")]

    sections = {"okr": okr, "kpi": kpi, "review": review}
    used = [s for s in SECTIONS if weights[s] > 0]
    final = None
    if not missing and not sealed and used:
        final = weighted_mean([sections[s] for s in used], [weights[s] for s in used])  # type: ignore[misc]
        if final is None:
            missing.append("section weights")
    complete = final is not None

    fields_ = {
        "id": person_id,
        "okr": okr,
        "kpi": kpi,
        "review": review,
        "final": final,
        "complete": complete,
        "missing": tuple(missing),
        "template": template.id,
        "objectives": objectives,
        "kpis": kpis,
        "review_groups": groups,
        "weights": weights,
    }
    fields_.update(_rating(data, person_id, final, complete))
    group = data.group_of(person_id) if data.unreadable else None
    if group is not None and data.sealed_path(f"calibration/{group.id}.yaml"):
        # the calibrated rating may differ from the proposed one: neither is shown
        fields_.update(calibrated=None, rating=None, bonus=None)
        sealed.append("rating")
    fields_["sealed"] = tuple(sealed)
    return make(PersonScore, fields_)


def _rating(data: CycleData, person_id: str, final: float | None, complete: bool) -> dict:
    """The rating fields: proposed by the final score, replaced by a calibrated one."""
    proposed_level = rating_for(data.cycle, final)
    proposed = proposed_level.rating if proposed_level else None
    calibrated = _calibrated(data, person_id) if complete else None
    rating = calibrated or proposed
    level = data.cycle.level(rating) if rating else None
    return {
        "proposed": proposed,
        "calibrated": calibrated,
        "rating": rating,
        "bonus": level.bonus if level else None,
    }


def recalibrated(data: CycleData, own: Mapping[str, Any]) -> dict[str, Any] | None:
    """The rating fields of a score (its own fields, as `own_fields` gives them) after a
    change of its group's calibration file alone: the sections stand, the rating follows
    `data`'s calibration (incremental.py). None when there is no rating to follow."""
    if own["template"] is None:
        return None
    return _rating(data, own["id"], own["final"], own["complete"])


def _calibrated(data: CycleData, person: str) -> str | None:
    group = data.group_of(person)
    calibration = data.calibrations.get(group.id) if group else None
    entry = calibration.ratings.get(person) if calibration else None
    if entry is None or data.cycle.level(entry.rating) is None:
        return None
    return entry.rating


def score_cycle(data: CycleData) -> Mapping[str, PersonScore]:
    """person id -> score, for everyone in org.yaml, in org order (read-only).

    Computed once per loaded cycle (validation's calibration rule, then the command, both
    ask for it), or adopted from a verdict, whose scores are rebuilt as they are asked."""
    scores = data.__dict__.get(_SCORES)  # the model is frozen; this is cached_property's slot
    if scores is None:
        with bulk_allocation():
            scores = MappingProxyType(
                {person: score_person(data, person) for person in data.org.people}
            )
        data.__dict__[_SCORES] = scores
    return scores


def computed_scores(data: CycleData) -> Mapping[str, PersonScore] | None:
    """The scores of `data` if this process computed (or was given) them already."""
    return data.__dict__.get(_SCORES)


def adopt_scores(data: CycleData, scores: Mapping[str, PersonScore]) -> None:
    """Take scores computed earlier for the same content (verdict.py) as `data`'s own."""
    data.__dict__[_SCORES] = scores


_SCORES = "_perfloop_scores"
