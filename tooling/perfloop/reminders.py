"""Reminders: what is overdue, per department, told to its head (pure: no network).

`perfloop remind` turns `status`'s overdue items into one digest per department, for an
issue on the forge (one per department, found again by a marker and edited in place) and
an optional chat message (a Slack-compatible JSON payload).

Nothing confidential goes in: a reminder says who owes which file or piece of work and
since when — "peer review of bob by alice", "goals/erin.yaml", a plan task's title (goals
are public) — never a score, a rating, a review's text, or whether someone's score is
complete (an item derived from review content; the missing review that causes it is
listed anyway). Text that comes from pull requests (a plan task's title, a department's
name) is escaped so it can neither mention people (`@everyone`) nor make links or markup.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .model import CycleData
from .status import Owed

LABEL = "perfloop-reminders"
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\Z")
ZWSP = "\u200b"  # after an `@`: the text reads the same, but mentions nobody
# Items whose text is derived from confidential content; their cause is listed on its own.
NOT_REMINDED = ("incomplete",)
# Lines per issue (GitHub refuses a body over 65,536 characters) and per department in the
# chat message (a channel is no place for a long list): the rest is counted, not listed.
ISSUE_LINES = 400
CHAT_LINES = 10


@dataclass(frozen=True)
class Item:
    """One overdue piece of work, in words safe to post."""

    who: tuple[str, ...]  # person ids
    logins: tuple[str | None, ...]  # their forge logins (None: no valid login in org.yaml)
    what: str  # status's kind: goals, check-in, review, plan task, …
    text: str  # plain words, escaped for neither Markdown nor chat yet
    due: dt.date | None
    overdue_days: int

    def to_json(self) -> dict:
        return {
            "who": list(self.who),
            "logins": list(self.logins),
            "what": self.what,
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "overdue_days": self.overdue_days,
        }


@dataclass(frozen=True)
class Digest:
    """What one department owes that is overdue, for its head."""

    department: str
    name: str
    head: str | None
    head_login: str | None
    items: tuple[Item, ...]

    @property
    def marker(self) -> str:
        """The hidden line that finds this department's issue again (ids are `[a-z0-9-]`)."""
        return f"<!-- {LABEL}: department={self.department} -->"

    @property
    def title(self) -> str:
        return f"Perfloop: overdue in {self.department}"

    def to_json(self) -> dict:
        return {
            "department": self.department,
            "name": self.name,
            "head": self.head,
            "head_login": self.head_login,
            "items": [i.to_json() for i in self.items],
        }


def login_of(data: CycleData, person: str | None) -> str | None:
    """`person`'s forge login when org.yaml gives a well-formed one (nothing else is ever
    written after an `@`)."""
    found = data.org.people.get(person) if person else None
    login = found.github if found else None
    return login if login and LOGIN.match(login) else None


def describe(item: Owed) -> str:
    """The words a reminder uses for an owed item: who owes which file or task, never what
    a confidential file says."""
    subject, who = item.subject, ", ".join(item.who)
    if item.what == "review" and subject:
        kind = "self-review" if item.relation == "self" else f"{item.relation} review"
        kind = kind.replace("_", "-")
        return f"{kind} of {subject} by {who}"
    if item.what == "check-in":
        return f"check-in by {who} ({item.detail})"
    if item.what == "fix":
        return item.detail.split(" has errors", 1)[0] + f" has errors: {who} to fix it"
    # goals, department and company objectives, peers, calibration, plan tasks: status's
    # detail names files and (public) plan task titles only; the owners are mentioned
    return item.detail


def digests(data: CycleData, items: list[Owed]) -> list[Digest]:
    """One digest per department with anything overdue, in org order."""
    by_dept: dict[str, list[Item]] = {}
    for owed in items:
        if not owed.overdue or owed.what in NOT_REMINDED:
            continue
        logins = tuple(login_of(data, p) for p in owed.who)
        item = Item(owed.who, logins, owed.what, describe(owed), owed.due, owed.overdue_days)
        by_dept.setdefault(owed.department, []).append(item)
    out = []
    for dept_id, found in by_dept.items():
        dept = data.org.departments.get(dept_id)
        head = dept.head if dept else None
        name = dept.name if dept else dept_id or "(no department)"
        out.append(Digest(dept_id, name, head, login_of(data, head), tuple(found)))
    return out


# --- Markdown for the forge ---------------------------------------------------------------


def md_text(text: str) -> str:
    """Untrusted text as a Markdown code span: no markup, link, autolink or mention inside
    one (GitHub renders a code span literally); backticks and line breaks cannot end it."""
    flat = " ".join(text.replace("`", "'").split())
    return f"`{flat}`" if flat else "``"


def md_mention(person: str, login: str | None) -> str:
    """`@login` for a person with a well-formed login (the one place an `@` is written),
    else their id as plain code."""
    return f"@{login}" if login else md_text(person)


def issue_body(data: CycleData, digest: Digest, today: dt.date) -> str:
    """The issue's text: the marker, the head mentioned, one line per overdue item with
    its owners mentioned. An empty digest says nothing is overdue (the issue is kept and
    edited, not closed and posted again)."""
    lines = [digest.marker]
    head = md_mention(digest.head, digest.head_login) if digest.head else "HR"
    lines.append(
        f"**{md_text(digest.name)}** ({digest.department}), cycle {data.id}, phase "
        f"{data.cycle.phase}: as of {today.isoformat()}, for {head}."
    )
    lines.append("")
    if not digest.items:
        lines.append("Nothing is overdue.")
    for item in digest.items[:ISSUE_LINES]:
        owners = ", ".join(md_mention(p, lg) for p, lg in zip(item.who, item.logins, strict=True))
        due = f"due {item.due.isoformat()}, " if item.due else ""
        lines.append(
            f"- {owners}: {md_text(item.text)} — {due}overdue by {item.overdue_days} day(s)"
        )
    if len(digest.items) > ISSUE_LINES:
        lines.append(f"- … and {len(digest.items) - ISSUE_LINES} more")
    lines.append("")
    lines.append(
        "_Updated in place by `perfloop remind` (this issue is edited, never posted again). "
        "Run `perfloop status` for everything owed._"
    )
    return "\n".join(lines) + "\n"


# --- chat (Slack-compatible) --------------------------------------------------------------


def chat_text(text: str) -> str:
    """Untrusted text for a Slack-style message: `&`, `<`, `>` escaped (so no `<!channel>`,
    `<@U…>` or `<url|label>` can form) and every `@` followed by a zero-width space."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return flat.replace("@", "@" + ZWSP)


def chat_payload(data: CycleData, found: list[Digest], today: dt.date) -> dict:
    """One message for the whole company: per department, its overdue items. Owners are
    named by id (chat user ids are not forge logins)."""
    lines = [f"Perfloop: overdue in cycle {chat_text(data.id)} as of {today.isoformat()}"]
    if not found:
        lines.append("Nothing is overdue.")
    for digest in found:
        lines.append(f"*{chat_text(digest.name)}* ({digest.department}): {len(digest.items)}")
        for item in digest.items[:CHAT_LINES]:
            due = f"due {item.due.isoformat()}, " if item.due else ""
            lines.append(f"• {chat_text(item.text)} ({due}overdue by {item.overdue_days} day(s))")
        if len(digest.items) > CHAT_LINES:
            lines.append(f"• … and {len(digest.items) - CHAT_LINES} more (see the issue)")
    return {"text": "\n".join(lines), "mrkdwn": True}
