"""The approval gate's decision (pure): do the pull request's reviews meet its requirements?

Reviews are GitHub's "list reviews for a pull request" objects. Each reviewer's latest
deciding review counts (APPROVED, CHANGES_REQUESTED or DISMISSED; a COMMENTED review leaves
the earlier decision standing, as on GitHub). An approval counts only on the head commit;
a request for changes from a required approver blocks whatever commit it was given on,
until it is dismissed or followed by an approval. The author's own reviews never count, nor
do those of anyone else who authored a commit of the pull request.

Before the reviews, the forge's facts: the pull request must target the default branch and
contain its current tip (so the tree read is what would merge), and every commit must be
its author's, or be judged against its own author too (`other_authors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .permissions import Requirement

DECIDING = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")
FORGE = "pull request: "  # errors about the pull request itself, not a file in it


def base_error(base_ref: str, default: str, tip: str, contains_tip: bool) -> str | None:
    """Why the pull request cannot be decided on the default branch as it is now, or None.

    A pull request into another branch is judged by that branch's rules (its org.yaml could
    make anyone HR), and one that lacks the tip was read on a tree that is not what merges
    (a phase HR moved on since, a file another pull request changed)."""
    if base_ref != default:
        return (
            f"{FORGE}it targets {base_ref}, not the default branch {default}: only a pull "
            f"request into {default} can pass"
        )
    if not contains_tip:
        return (
            f"{FORGE}it lacks the latest commit of {default} ({tip[:12]}): update the "
            "branch, and the gate decides again on what would merge"
        )
    return None


@dataclass(frozen=True)
class CommitAuthor:
    """A commit of the pull request and the GitHub user its author maps to (None: none)."""

    sha: str
    who: str  # "Name <email>", as git records it
    login: str | None


def other_authors(
    commits: Iterable[CommitAuthor], author_login: str, mapped_by: str
) -> tuple[dict[str, list[str]], list[str]]:
    """(login -> shas of the commits by someone other than the pull request's author,
    errors for commits whose author maps to nobody). Each other author must be allowed to
    make the change too, and their approvers are needed as well; an unmapped commit fails,
    as nobody can say who made it."""
    author = author_login.lower()
    others: dict[str, list[str]] = {}
    errors = []
    for commit in commits:
        if commit.login is None:
            errors.append(
                f"{FORGE}commit {commit.sha[:12]} by {commit.who} maps to no GitHub user "
                f"({mapped_by}): every commit must be by a known person"
            )
        elif commit.login.lower() != author:
            others.setdefault(commit.login.lower(), []).append(commit.sha)
    return others, errors


@dataclass(frozen=True)
class Standing:
    """A requirement and who met it (None when nobody has yet)."""

    requirement: Requirement
    approved_by: str | None


@dataclass
class Decision:
    ok: bool
    head: str
    standings: list[Standing] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)  # required approvers requesting changes
    stale: list[str] = field(default_factory=list)  # approvals given on an older commit
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the check's own errors

    def summary(self) -> str:
        """One line for a commit status (at most 140 characters there)."""
        if len(self.errors) == 1 and self.errors[0].startswith(FORGE):
            return self.errors[0][len(FORGE) :]
        if self.errors:
            return f"the change is not allowed: {len(self.errors)} error(s) in perfloop check"
        if self.blocking:
            return f"changes requested by {', '.join(self.blocking)}"
        missing = [s.requirement for s in self.standings if s.approved_by is None]
        if missing:
            return "waiting for " + "; ".join(" or ".join(r.any_of) for r in missing)
        return (
            "approved by "
            + ", ".join(dict.fromkeys(s.approved_by for s in self.standings if s.approved_by))
            if self.standings
            else "no approvals needed"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "head": self.head,
            "summary": self.summary(),
            "requirements": [
                {**s.requirement.to_json(), "approved_by": s.approved_by} for s in self.standings
            ],
            "blocking": self.blocking,
            "stale_approvals": self.stale,
            "notes": self.notes,
            "errors": self.errors,
        }


def latest_reviews(reviews: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """login (lower-cased) -> that reviewer's latest deciding review."""
    ordered = sorted(enumerate(reviews), key=lambda ir: (ir[1].get("submitted_at") or "", ir[0]))
    latest: dict[str, dict[str, Any]] = {}
    for _, review in ordered:
        login = ((review.get("user") or {}).get("login") or "").lower()
        if login and review.get("state") in DECIDING:
            latest[login] = review
    return latest


def decide(
    requirements: list[Requirement],
    check_errors: list[str],
    reviews: list[dict[str, Any]],
    head: str,
    author_login: str | None,
    people_by_login: dict[str, str],
    co_authors: Iterable[str] = (),
) -> Decision:
    """Pass only when the check has no errors, every requirement has an approval on `head`
    from one of its people, and no required approver requests changes. `co_authors` are
    the logins of other commits' authors: nobody approves their own change."""
    decision = Decision(False, head, errors=list(check_errors))
    author = (author_login or "").lower()
    authors = {a.lower() for a in co_authors}
    approved: set[str] = set()
    requested: list[str] = []
    required = {p for r in requirements for p in r.any_of}
    for login, review in latest_reviews(reviews).items():
        person = people_by_login.get(login)
        if login == author:
            decision.notes.append(f"{login} is the author; their review does not count")
            continue
        if login in authors:
            decision.notes.append(f"{login} authored a commit here; their review does not count")
            continue
        if person is None:
            decision.notes.append(f"{login} is not in org.yaml; their review does not count")
            continue
        state = review["state"]
        if state == "APPROVED":
            if review.get("commit_id") == head:
                approved.add(person)
            else:
                decision.stale.append(person)
        elif state == "CHANGES_REQUESTED":
            if person in required:
                requested.append(person)
            else:
                decision.notes.append(f"{person} requested changes (not a required approver)")
    decision.blocking = sorted(requested)
    for req in requirements:
        by = next((p for p in req.any_of if p in approved), None)
        decision.standings.append(Standing(req, by))
    # The stand-in rule knows one author: an approval only a co-author could give can never
    # count, so say why instead of waiting for it forever.
    made_it = {people_by_login.get(a) for a in authors} - {None}
    for req in requirements:
        if made_it and set(req.any_of) <= made_it | {people_by_login.get(author)}:
            decision.errors.append(
                f"{FORGE}{' or '.join(req.any_of)} must approve it but made a commit in it, and "
                "nobody approves their own change: move their commits to a pull request of "
                "their own"
            )
    decision.ok = (
        not decision.errors
        and not decision.blocking
        and all(s.approved_by for s in decision.standings)
    )
    return decision
