"""A cycle's check derived from a base revision's verdict, for a change of a few files.

Most pull requests change a few people's goals (a check-in), reviews or a calibration
file, and so do most local edits. Checking the whole cycle again costs seconds on a large
company, yet the verdict of the base (verdict.py: every rule's problems and every score —
main's, restored from CI's cache, for a pull request; HEAD's for `validate` after an edit)
already says everything about the files the change cannot reach. So this module loads only
the files a change can reach, runs the same rules and scoring over them, and takes the rest
from the base's verdict:

- the changed files themselves;
- what the rules declare they read (rules/reads.py), followed from each changed file: for
  `links`, the files whose objectives align or contribute to a changed goals file's owner
  and those its objectives align or contribute to; for `subject`, a changed goals file's
  reviews; for `scores`, the calibration file of every group whose scores moved. A rule
  that declares a relation not followed here (`FOLLOWED`) makes every change check the
  whole cycle;
- what scoring reads: the score of a changed goals file's owner and of everyone whose key
  results sum theirs, upward; a changed review's subject's score; a changed calibration
  file's group's ratings (sections stand).

Each file checked again gets its problems from rules run over a partial cycle holding
everything those problems read (the files it references, the files that contribute to
its key results, its subject's goals); other files keep the base's problems. Which files
reference which is kept with each verdict (`alignment.links`), so it is known without
loading them.

A sealed file (`X.age`, SPEC section 7) is the same file as `X` to this module: its kind and
reach are `X`'s, and without a key (the only way a derivation loads) its problems follow
from its own header, its path and org.yaml. A file in both forms, a plain confidential file
of a sealed cycle (never stored) and a calibration file sealed on one side only are checked
in full.

Anything else — cycle.yaml, org.yaml, templates, department or company objectives, a
stray or oversized file, a symbolic link, no usable base verdict — and the whole cycle is
checked as before. The result is the same as a full check's (tests/speed/test_incremental.py
compares them over many kinds of change, tests/speed/test_reach.py rule by rule), and it is
stored as the new content's verdict, so the `validate` or `score` that follows reuses it.
The gate never uses it (it runs uncached).

What differs from the base is what git says: for a pull request, its changed and
untracked files (a file git ignores is not part of a pull request); for `validate`, every
file under the cycle that `git status` lists, ignored ones included, since the loader reads
them too.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from ..alignment import Links, claimed_links, claimed_parents, links_of
from ..gitrepo import GitProblem, GitRepo
from ..model import COMPANY, CycleData
from ..problems import sort_problems
from ..repository import CYCLES, SEALED, FileKind, build_goals, load_cycle
from ..rules import check_cycle, reads
from ..rules.reads import LINKS, SCORES, SUBJECT
from ..scoring import PersonScore, adopt_scores, recalibrated, score_person
from ..sources import Entry
from ..validation import CycleResult
from . import verdict
from .listings import Listing, changed_listing, listing, reader, twin, worktree_changes
from .loading import cached, examine
from .verdict import Verdict


class _Unusable(Exception):
    """Something a derivation cannot follow (a stray file, a stored base score that no
    longer decodes): check the whole cycle instead."""


def check(
    root: Path, cycle_id: str, repo: GitRepo, base: str, changed: Mapping[str, str]
) -> CycleResult | None:
    """The check of cycle `cycle_id` in the working tree, where `changed` (paths from the
    root -> git status) are the cycle's files that differ from commit `base`. None when it
    cannot be derived from the base's verdict: then check the whole cycle."""
    if not verdict.stored_any(root):
        return None
    found = _base_verdict(root, cycle_id, repo, base)
    return None if found is None else _derive(root, cycle_id, repo, base, *found, changed)


def _base_verdict(
    root: Path, cycle_id: str, repo: GitRepo, base: str
) -> tuple[Listing, Verdict] | None:
    """The files of the cycle at `base` and their stored verdict, if it has all a
    derivation needs."""
    rel_dir = f"{CYCLES}/{cycle_id}"
    listed = listing(root, repo, base, rel_dir)
    if listed is None:
        return None
    before = verdict.lookup(root, rel_dir, listed.digest)
    if before is None or before.links is None or before.load is None:
        return None
    if not isinstance(before.scores, verdict.Scores):
        return None
    return listed, before


def _derive(
    root: Path,
    cycle_id: str,
    repo: GitRepo,
    base: str,
    listed: Listing,
    before: Verdict,
    changed: Mapping[str, str],
) -> CycleResult | None:
    rel_dir = f"{CYCLES}/{cycle_id}"
    assert isinstance(before.scores, verdict.Scores) and before.load is not None
    assert before.links is not None
    follow = reads().relations
    if not follow <= FOLLOWED:  # a rule reads along a relation not followed here
        return None
    base_blobs = listed.blobs
    changes = changed_listing(root, rel_dir, listed, changed)
    if changes is None:
        return None
    edits, new_bytes, head_blobs = changes.edits, changes.new_bytes, changes.blobs

    after_links = _links_after(before.links, edits, new_bytes, rel_dir)
    scope = _Scope(base_blobs, head_blobs, before.links, after_links, follow)
    scope.reach(edits)
    read = reader(root, rel_dir, repo, base, changes)

    entries = [Entry(rel, blob=head_blobs[rel]) for rel in sorted(scope.wanted)]
    edited_paths = {f"{rel_dir}/{rel}" for rel in edits}
    cut = len(rel_dir) + 1
    load = [p for p in before.load if p.path[cut:] in head_blobs and p.path not in edited_paths]
    # The files the change did not touch that the base left out stay left out, loaded or
    # not: what follows from their absence is judged as a full check judges it.
    kept_out = frozenset(p.path for p in load)
    sub, load_problems = load_cycle(
        root, cycle_id, _Listed(entries, read), left_out=kept_out, examine_all=cached()
    )
    if sub is None or sub.opened:  # a plain confidential file of a sealed cycle: no verdict
        return None  # may be kept of it, so a full load checks it (and stores nothing)
    load += [p for p in load_problems if p.path in edited_paths]

    head_content = changes.digest(listed)
    after = verdict.lookup(root, rel_dir, head_content)
    base_scores = before.scores  # for the summary: a damaged entry is just not shown
    # A file with a problem is left out, and a sealed one is no document without its key.
    files = sum(not rel.endswith(SEALED) for rel in head_blobs)
    files -= len({p.path for p in load if not p.path.endswith(SEALED)})
    if after is not None and after.load is not None:  # checked before: the same answer
        problems = sort_problems([*after.load, *after.problems])
        return CycleResult(cycle_id, sub, problems, base_scores, files)

    people = sub.org.people
    scored = [p for p in sorted(scope.scored) if p in people]
    groups = {g.id for p in scored if (g := sub.group_of(p)) is not None}
    recalibrate = {k.ids[0] for k in edits.values() if k.kind == "calibration"}
    for group in list(recalibrate):
        plain = f"calibration/{group}.yaml"
        forms = [
            form in blobs for blobs in (base_blobs, head_blobs) for form in (plain, twin(plain))
        ]
        if forms == [False, True, False, True]:  # sealed before and after: without a key
            recalibrate.discard(group)  # its members' ratings are sealed either way
        elif any(forms[1::2]):  # sealed on one side only: every member's rating changes
            return None
    for group in groups if SCORES in follow else ():  # their members' scores moved
        calibration = f"calibration/{group}.yaml"
        for form in (calibration, twin(calibration)):
            if form in head_blobs:
                scope.recheck.add(form)
    # Only the calibration files checked again: the rule scores every member of a group.
    checked = {_owner(rel) for rel in scope.recheck if rel.startswith("calibration/")}
    sub = _with_calibrations(sub, checked)
    try:
        stored = before.scores.rescoring(_refuse)  # a damaged entry: check the whole cycle
        new: dict[str, PersonScore] = {p: score_person(sub, p) for p in scored}
        amended: dict[str, dict] = {}
        for calibrated in sub.groups:
            if calibrated.id in recalibrate:
                for member in calibrated.members:
                    if member not in new:
                        rating = recalibrated(sub, stored.summary(member))
                        if rating is not None:
                            amended[member] = rating
        scores = stored.replaced(new, amended)
        adopt_scores(sub, scores)  # the calibration rule's scores: the whole company's
        found = check_cycle(sub)
    except _Unusable:
        return None
    # A confidential file's problems may be located at either of its forms.
    recheck = {f"{rel_dir}/{form}" for rel in scope.recheck for form in (rel, twin(rel))}
    problems = [p for p in before.problems if p.path not in recheck]
    problems += [p for p in found if p.path in recheck]
    verdict.store(root, rel_dir, head_content, Verdict(problems, scores, after_links, load))
    return CycleResult(cycle_id, sub, sort_problems([*load, *problems]), base_scores, files)


def against_head(root: Path, cycle_id: str) -> CycleResult | None:
    """`validate` of the working tree's cycle, derived from the verdict of the cycle at
    HEAD when there is one (after a pull, a validate stores it; after an edit, this finds
    it). None outside git, or when git may not see every change, or as `check` says."""
    if not verdict.stored_any(root):
        return None
    try:
        repo = GitRepo(root)
        head = repo.resolve("HEAD")
        found = _base_verdict(root, cycle_id, repo, head)
        if found is None:
            return None
        changed = worktree_changes(repo, f"{CYCLES}/{cycle_id}")
    except GitProblem:
        return None
    if changed is None:
        return None
    return _derive(root, cycle_id, repo, head, *found, changed)


def _with_calibrations(data: CycleData, groups: set[str]) -> CycleData:
    """`data` with only these groups' calibration files (its indexes carried over)."""
    kept = {g: c for g, c in data.calibrations.items() if g in groups}
    if len(kept) == len(data.calibrations):
        return data
    narrowed = replace(data, calibrations=kept)
    for name in ("groups", "_group_by_person"):  # cached: they depend on org and cycle only
        if name in data.__dict__:
            narrowed.__dict__[name] = data.__dict__[name]
    return narrowed


def _refuse(person: str) -> PersonScore:
    raise _Unusable(person)


def _links_after(
    links: Links, edits: dict[str, FileKind], new_bytes: dict[str, bytes], rel_dir: str
) -> Links:
    """The base's links with those of the changed goals files as they are now."""
    after = dict(links)
    for rel, kind in edits.items():
        if kind.kind != "goals":
            continue
        after.pop(rel, None)
        if rel in new_bytes:
            doc, problems = examine(new_bytes[rel], f"{rel_dir}/{rel}", "goals")
            if doc is not None and not problems:
                found = links_of(build_goals(doc, kind.ids[0]))
            else:  # left out of the model: it links to what its text claims (alignment.links)
                found = claimed_links(claimed_parents(new_bytes[rel]))
            if found != ((), ()):
                after[rel] = found
    return after


def _names(owner: str) -> tuple[str, ...]:
    """The files that may hold `owner`'s objectives (people and departments share ids)."""
    if owner == COMPANY:
        return ("company.yaml",)
    return (f"departments/{owner}.yaml", f"goals/{owner}.yaml")


def _owner(rel: str) -> str:
    if rel.endswith(SEALED):
        rel = rel[: -len(SEALED)]
    return COMPANY if rel == "company.yaml" else rel.rsplit("/", 1)[-1][: -len(".yaml")]


def _reverse(links: Links) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """owner -> files aligning to it, owner -> files contributing to it."""
    aligned: dict[str, set[str]] = {}
    contributed: dict[str, set[str]] = {}
    for rel, (aligns, contributes) in links.items():
        for owner in aligns:
            aligned.setdefault(owner, set()).add(rel)
        for owner in contributes:
            contributed.setdefault(owner, set()).add(rel)
    return aligned, contributed


# The relations (rules/reads.py) this module can follow from a changed file to the files
# whose problems it can change; a rule that declares another makes a change check in full.
FOLLOWED = frozenset({LINKS, SUBJECT, SCORES})


class _Scope:
    """What a change reaches: files checked again, people scored again, files to load.

    Which files a changed file's problems reach, and which files those problems read, follow
    the relations the rules declare (`follow`); whom a change scores again, and what that
    scoring reads, follows scoring, which every verdict holds.

    Every file here is one a full load examines (see `_listing`), so its kind shows in its
    folder: goals/, reviews/<subject>/, calibration/, else a structural file."""

    def __init__(
        self,
        base_blobs: dict[str, str],
        head_blobs: dict[str, str],
        before: Links,
        after: Links,
        follow: frozenset[str],
    ):
        self.follow = follow
        self.head = head_blobs
        self.before, self.after = before, after
        # every path, base or head, in order: a subject's reviews are one slice of it (the
        # base's listing is in git's order, which is path order: sorting it again is cheap)
        self.paths = sorted([*base_blobs, *(rel for rel in head_blobs if rel not in base_blobs)])
        self.recheck: set[str] = set()
        self.scored: set[str] = set()
        self.wanted: set[str] = set()

    @cached_property
    def reverse_before(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        return _reverse(self.before)  # built when asked: a calibration change never does

    @cached_property
    def reverse_after(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        return _reverse(self.after)

    def _under(self, folder: str) -> tuple[int, int]:
        """Where the paths under `folder/` are in `paths`: one slice, as it is sorted."""
        start = bisect_left(self.paths, f"{folder}/")
        return start, bisect_left(self.paths, f"{folder}0", start)  # "0" follows "/"

    def reviews_of(self, subject: str) -> list[str]:
        start, end = self._under(f"reviews/{subject}")
        return self.paths[start:end]

    def files_of(self, owner: str) -> set[str]:
        """The objective files of `owner` (company, department or person) now present."""
        return {rel for rel in _names(owner) if rel in self.head}

    def reach(self, edits: dict[str, FileKind]) -> None:
        self.recheck.update(edits)
        for rel, kind in edits.items():
            if kind.kind == "goals":
                owner = kind.ids[0]
                if LINKS in self.follow:
                    self._linked(rel, owner)
                if SUBJECT in self.follow:
                    self.recheck.update(self.reviews_of(owner))
                self._score_upward(owner)
            elif kind.kind == "review":
                self.scored.add(kind.ids[0])
        self.recheck = {rel for rel in self.recheck if rel in self.head or rel in edits}
        self._want()

    def _linked(self, rel: str, owner: str) -> None:
        """The files linked to `owner`'s goals file `rel`, before and after the change."""
        for links, (aligned, contributed) in (
            (self.before, self.reverse_before),
            (self.after, self.reverse_after),
        ):
            self.recheck |= aligned.get(owner, set()) | contributed.get(owner, set())
            aligns, contributes = links.get(rel, ((), ()))
            for target in (*aligns, *contributes):
                self.recheck |= self.files_of(target)

    def _score_upward(self, owner: str) -> None:
        """`owner` and everyone whose key results sum theirs, transitively."""
        frontier = [owner]
        self.scored.add(owner)
        while frontier:
            child = frontier.pop()
            for links in (self.before, self.after):
                for rel in _names(child):
                    for parent in links.get(rel, ((), ()))[1]:
                        if parent not in self.scored:
                            self.scored.add(parent)
                            frontier.append(parent)

    def _want(self) -> None:
        """Every file the rechecked problems and the new scores read."""
        head, paths = self.head, self.paths
        # The structural files (cycle, org, templates, calibration), and no objectives but
        # those the loop below asks for: each rule reads a file's own objectives, the ones
        # they align or contribute to, and the ones contributing to them (at 10,000 people,
        # 410 department files that no change reached cost a tenth of a second).
        (dept, past_dept), (goals, past_goals), (reviews, past_reviews) = map(
            self._under, ("departments", "goals", "reviews")
        )
        others = paths[:dept] + paths[past_dept:goals] + paths[past_goals:reviews]
        others += paths[past_reviews:]
        wanted = {rel for rel in others if rel in head and rel != "company.yaml"}
        for rel in self.recheck:
            if rel not in head:
                continue
            wanted.add(rel)
            if rel.startswith("reviews/"):
                if SUBJECT in self.follow:
                    wanted |= self.files_of(rel.split("/")[1])
            elif LINKS in self.follow and not rel.startswith("calibration/"):  # objectives
                aligns, contributes = self.after.get(rel, ((), ()))
                for target in (*aligns, *contributes):
                    wanted |= self.files_of(target)
                wanted |= self.reverse_after[1].get(_owner(rel), set())
        # People scored afresh: their goals and reviews, and whatever sums into their key
        # results, transitively downward. (Departments the upward walk passed through are
        # not scored: only the people among them, those with a goals file, start a walk.)
        people = {owner for owner in self.scored if f"goals/{owner}.yaml" in head}
        seen = set(people)
        down = list(people)
        for person in people:
            wanted |= self.files_of(person)
            wanted.update(rel for rel in self.reviews_of(person) if rel in head)
            for owner in self.after.get(f"goals/{person}.yaml", ((), ()))[0]:
                wanted.add(f"departments/{owner}.yaml")  # a team key result they list
        while down:
            owner = down.pop()
            for rel in self.reverse_after[1].get(owner, ()):
                wanted.add(rel)
                child = _owner(rel)
                if child not in seen:
                    seen.add(child)
                    down.append(child)
        self.wanted = {rel for rel in wanted if rel in head}


class _Listed:
    """Some files of a cycle, as a `sources.Source`: the head's blob ids, and their bytes."""

    def __init__(self, entries: list[Entry], read: Callable[[str], bytes]):
        self._entries = entries
        self.read = read

    def entries(self) -> list[Entry]:
        return self._entries
