"""A person's mid-cycle check-point on their page, in restricted builds, to exactly the
check-point's audience.

A check-point is sealed to the person, their manager and HR (and the org key:
sealing/audience.py, SPEC section 7): a restricted site shows no more than that file's
audience reads. So `hr` sees every check-point; `person:P` sees P's own and those of P's
direct reports (P holds them as their manager); `dept:D` sees those of D's people whose
check-point D's head is in the audience of (the head's own and the head's direct reports'),
never the skip level's: a check-point is not a review. The public site never shows one,
nor whether one is owed (its build does not read `checkpoints/`: loading.py). Its text
stays out of the search index: a person's page is indexed by its summary (person.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ...model import Checkpoint, CycleData
from ...sealing.audience import audience as readers
from ..audience import Audience
from ..layout import Linker
from ..markup import plural, text
from ..view import CycleView

SEALED = "Sealed, not readable by you."  # SPEC section 7: never "missing"


def sees(audience: Audience, data: CycleData, person: str) -> bool:
    """Whether a build for `audience` may show `person`'s check-point, or that one is owed:
    only to whom its sealed file is sealed (see the module's docstring)."""
    if audience.kind == "hr":
        return True
    if audience.kind == "public":
        return False
    found = readers(data, f"checkpoints/{person}.yaml")
    who = found.people if found is not None else ()
    if audience.kind == "person":
        return audience.id in who
    department = data.org.departments.get(audience.id or "")
    return (
        department is not None and department.head in who and audience.sees_results_of(data, person)
    )


def section(view: CycleView, pid: str) -> str:
    """The "Check-point" section of `pid`'s page ("" when the cycle holds none for them):
    the check-point as written, sealed, or owed (due, overdue, or no longer owed)."""
    data = view.data
    rel = f"checkpoints/{pid}.yaml"
    point = data.checkpoints.get(pid)
    if point is not None:
        body = _written(view, point)
    elif data.sealed_path(rel):
        body = f'<p class="pl-muted">{SEALED}</p>'
    else:
        config = data.cycle.checkpoint
        if config is None or data.org.manager_of(pid) is None:
            return ""  # nothing held in this cycle, or nobody to hold it with (the CEO)
        body = f"<p>{_owed(view, config.date, config.due)}</p>"
    return f"## Check-point\n\n{body}"


def _written(view: CycleView, point: Checkpoint) -> str:
    person = view.person_name(point.person)
    manager = view.org.manager_of(point.person)
    held = f"Held on {point.date.isoformat()}" if point.date else "Held"
    # who wrote and approved it is its pull request's, not the file's: the two are named
    if manager:
        held += f" by {text(person)} and {text(view.person_name(manager))}"
    parts = [f'<p class="pl-sub">{held}. Not scored.</p>', f"<p>{text(point.summary)}</p>"]
    for label, value in (
        (f"{person}'s notes", point.employee_notes),
        (
            f"{view.person_name(manager)}'s notes" if manager else "Manager's notes",
            point.manager_notes,
        ),
    ):
        if value:
            parts.append(f"<p><strong>{text(label)}:</strong> {text(value)}</p>")
    if point.next_steps:
        steps = "".join(
            f"<li>{text(step.action)}{f' (by {step.due.isoformat()})' if step.due else ''}</li>"
            for step in point.next_steps
        )
        parts.append(f"<p><strong>Next steps:</strong></p><ul>{steps}</ul>")
    return "".join(parts)


def _owed(view: CycleView, opens: dt.date, due: dt.date) -> str:
    """A check-point not written, as `perfloop status` would have it on the build's day."""
    phase, today = view.cycle.phase, view.today
    if phase not in ("planning", "execution"):
        return f"Not written (it was due {due.isoformat()})."
    if today > due:
        late = plural((today - due).days, "day")
        return (
            f'<span class="pl-overdue">overdue</span>: due {due.isoformat()} ({late} late), '
            "not written yet."
        )
    if today < opens:
        return f"Due {due.isoformat()} (from {opens.isoformat()}), not written yet."
    return f"Due {due.isoformat()}, not written yet."


def with_results(
    view: CycleView,
    audience: Audience,
    pid: str,
    results: Callable[[Linker], str] | None,
) -> Callable[[Linker], str] | None:
    """The restricted sections of `pid`'s page: their check-point, where this build's
    audience may see it, before `results` (the person page's `results` argument)."""
    shown = section(view, pid) if sees(audience, view.data, pid) else ""
    if not shown:
        return results

    def build(linker: Linker) -> str:
        parts = [shown, results(linker) if results is not None else ""]
        return "\n\n".join(p for p in parts if p)

    return build
