"""A review's reviewer has an allowed relation; one rating per question, within the scale."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem
from .reads import SUBJECT, Reads

# A review's relation and questions: its subject's goals (peers) and template
# (reads.py).
READS = Reads.of("org", "template", "goals", "review", relations={SUBJECT})


def check(data: CycleData) -> Iterator[Problem]:
    people, relation, template_for = data.org.people, data.relation, data.template_for
    asked: dict[int, set[str]] = {}  # id(template) -> its question ids (60,000 reviews)
    left_out = data.left_out
    for (subject, reviewer), review in data.reviews.items():
        if subject not in people or reviewer not in people:
            continue  # reported by references
        if relation(subject, reviewer) is None and (
            f"{data.dir}/goals/{subject}.yaml" not in left_out
        ):  # a subject's broken goals file (its own errors said) hides their peers
            yield review.where.error(
                f"{reviewer} may not review {subject}: not self, manager, skip-level, "
                "designated, a proposed peer or a direct report"
            )
        template = template_for(subject)
        if template is None:
            continue
        questions = asked.get(id(template))
        if questions is None:
            questions = asked[id(template)] = {q.id for q in template.questions}
        ratings = review.ratings
        values = ratings.values()
        if ratings.keys() == questions and (
            not ratings or (min(values) >= 1 and max(values) <= template.scale)
        ):
            continue  # every question rated, within the scale: what nearly every review is
        for question in template.questions:
            if question.id not in ratings:
                yield review.where.error(
                    f"no rating for question {question.id!r} of template {template.id}",
                    "ratings",
                )
        for rated, value in ratings.items():
            if rated not in questions:
                yield review.where.error(
                    f"{rated!r} is not a question of template {template.id} "
                    f"({', '.join(sorted(questions))})",
                    "ratings",
                    rated,
                )
            elif not 1 <= value <= template.scale:
                yield review.where.error(
                    f"rating {value} for {rated!r} is outside 1..{template.scale}",
                    "ratings",
                    rated,
                )
    # Too few peers is a warning: a goals scaffold starts with none, and one person's short
    # list must not fail every pull request; in planning `status` lists it, so `cycle
    # advance` waits for it.
    for person, goals in data.goals.items():
        template = data.template_for(person)
        if template is None:
            continue
        count = len(goals.peers)
        if template.peers_max is not None and count > template.peers_max:
            yield goals.where.error(
                f"{count} peers proposed; template {template.id} allows at most "
                f"{template.peers_max}",
                "peers",
            )
        elif count < template.peers_min:
            yield goals.where.warning(
                f"{count} peer{'s' if count != 1 else ''} proposed; template {template.id} "
                f"asks for at least {template.peers_min}",
                "peers",
            )
