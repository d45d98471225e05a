"""A review's reviewer has an allowed relation; one rating per question, within the scale."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem


def check(data: CycleData) -> Iterator[Problem]:
    for (subject, reviewer), review in data.reviews.items():
        if subject not in data.org.people or reviewer not in data.org.people:
            continue  # reported by references
        if data.relation(subject, reviewer) is None:
            yield review.where.error(
                f"{reviewer} may not review {subject}: not self, manager, skip-level, "
                "designated, a proposed peer or a direct report"
            )
        template = data.template_for(subject)
        if template is None:
            continue
        questions = {q.id for q in template.questions}
        for question in template.questions:
            if question.id not in review.ratings:
                yield review.where.error(
                    f"no rating for question {question.id!r} of template {template.id}",
                    "ratings",
                )
        for question, value in review.ratings.items():
            if question not in questions:
                yield review.where.error(
                    f"{question!r} is not a question of template {template.id} "
                    f"({', '.join(sorted(questions))})",
                    "ratings",
                    question,
                )
            elif not 1 <= value <= template.scale:
                yield review.where.error(
                    f"rating {value} for {question!r} is outside 1..{template.scale}",
                    "ratings",
                    question,
                )
    for person, goals in data.goals.items():
        template = data.template_for(person)
        if template is None or not goals.peers:
            continue
        count = len(goals.peers)
        if template.peers_max is not None and count > template.peers_max:
            yield goals.where.error(
                f"{count} peers proposed; template {template.id} allows at most "
                f"{template.peers_max}",
                "peers",
            )
