"""Who a build is for, and what that audience may see (spec section 1.6).

public: goals and progress only. hr: every result. dept:D: results of D and the departments
below it. person:P: P's own results. Anything not granted here is not rendered at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import CycleData, Group, Org
from .markup import text

PUBLIC = "public"
_FORM = re.compile(r"^(public|hr|dept:[a-z0-9][a-z0-9-]{0,62}|person:[a-z0-9][a-z0-9-]{0,62})$")


class AudienceError(ValueError):
    """An audience string that is not public, hr, dept:D or person:P."""


@dataclass(frozen=True)
class Audience:
    kind: str  # public | hr | dept | person
    id: str | None = None

    @classmethod
    def parse(cls, value: str) -> Audience:
        value = (value or PUBLIC).strip()
        if not _FORM.match(value):
            raise AudienceError(
                f"audience {value!r} is not one of public, hr, dept:DEPARTMENT, person:PERSON"
            )
        kind, _, ident = value.partition(":")
        return cls(kind, ident or None)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @property
    def restricted(self) -> bool:
        return self.kind != PUBLIC

    @property
    def slug(self) -> str:
        return str(self).replace(":", "-")

    @property
    def label(self) -> str:
        return {"hr": "HR", "dept": "department", "person": "personal"}.get(self.kind, "public")

    def banner(self, org: Org) -> str:
        """The notice at the top of every page of a restricted build, naming who it is for:
        any page of it may hold what the public site leaves out (KPI actuals, carried
        development plans), not only the results, and a page is easily forwarded alone."""
        if not self.restricted:
            return ""
        if self.kind == "hr":
            who = "HR"
        else:
            found = (org.departments if self.kind == "dept" else org.people).get(self.id or "")
            who = f"{found.name} ({self})" if found is not None else str(self)
        return f'<p class="pl-restricted">Restricted to {text(who)}. Do not forward.</p>\n'

    def check(self, data: CycleData) -> str | None:
        """Why this audience does not fit the cycle (unknown department/person), or None."""
        if self.kind == "dept" and self.id not in data.org.departments:
            return f"audience {self}: no department {self.id!r} in {data.dir}/org.yaml"
        if self.kind == "person" and self.id not in data.org.people:
            return f"audience {self}: no person {self.id!r} in {data.org.where.file or 'org.yaml'}"
        return None

    def sees_results_of(self, data: CycleData, person: str) -> bool:
        if self.kind == "hr":
            return True
        if self.kind == "dept":
            p = data.org.people.get(person)
            return p is not None and self.id in data.org.department_chain(p.department)
        if self.kind == "person":
            return person == self.id
        return False

    def sees_group(self, data: CycleData, group: Group) -> bool:
        """A group's distribution counts reveal every member's rating: shown only when the
        audience may see every member."""
        if self.kind == "person" or not group.members:
            return self.kind == "hr"
        return all(self.sees_results_of(data, m) for m in group.members)

    def sees_review_text(self, data: CycleData, subject: str, relation: str | None) -> bool:
        """Review text: HR and the subject's department heads see all of it; an employee
        sees their own self, manager and skip-level reviews, never who wrote peer, upward or
        designated feedback (small groups would make it identifiable)."""
        if not self.sees_results_of(data, subject):
            return False
        if self.kind == "person":
            return relation in ("self", "manager", "skip_level")
        return True
