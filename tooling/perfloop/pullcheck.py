"""The pull-request check: what changed against a base revision, whether its author may make
it in the base's phase, which approvals it needs, and whether the result is valid.

This module joins the git edge (gitrepo) to the pure rules (changes, permissions); `check`
and `gate` both call `run_check`, so they always agree on what a change needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import codeowners, engine, frozen
from .changes import (
    Area,
    Change,
    admins_in,
    area_of,
    department_kind,
    goals_kind,
    new_links,
    new_refs,
    review_kind,
)
from .gitrepo import SYMLINK_MODE, GitRepo
from .loader import Document, load_file
from .model import CycleData
from .permissions import Requirement, judge, link_files, merge
from .problems import Problem, error, printable, sort_problems, unsafe_name, warning
from .repository import CYCLES, cycle_ids
from .speed.cache import FOLDER as CACHE_FOLDER
from .speed.cache import committed_cache

SUBMODULE_MODE = "160000"  # a gitlink, as `git ls-tree` shows its mode


@dataclass
class CheckResult:
    base: str  # the base commit id
    author_login: str | None
    author: str | None  # person id at the base, None when unknown
    changes: list[Change] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)  # touched cycle -> phase at base
    logins: dict[str, str] = field(default_factory=dict)  # person -> GitHub login (base)
    people_by_login: dict[str, str] = field(default_factory=dict)  # login (lower) -> person
    touched: dict[str, set[str]] = field(default_factory=dict)  # cycle -> people whose goals
    valid: dict[str, CycleData] = field(default_factory=dict)  # cycle -> the checked result
    # cycle -> the scores at the base, when its check was derived from the base's verdict
    base_scores: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def approvers(self) -> list[str]:
        return list(dict.fromkeys(p for r in self.requirements for p in r.any_of))

    def to_json(self) -> dict[str, Any]:
        """The spec's JSON (`ok`, `errors`, `changes`, `approvers`) and more."""
        return {
            "ok": self.ok,
            "errors": [_problem_json(p) for p in self.errors],
            "warnings": [_problem_json(p) for p in self.problems if not p.is_error],
            "changes": [c.to_json() for c in self.changes],
            "approvers": self.approvers,
            "approver_logins": [self.logins[p] for p in self.approvers if p in self.logins],
            "required": [r.to_json() for r in self.requirements],
            "author": self.author,
            "author_login": self.author_login,
            "base": self.base,
            "phases": self.phases,
        }


def _problem_json(p: Problem) -> dict[str, Any]:
    return {"path": printable(p.path), "line": p.line, "col": p.col, "message": p.message}


def _at(doc: Document | None, path: str, where: tuple | None, message: str) -> Problem:
    if doc is not None and where is not None:
        return doc.problem(where, message)
    return error(path, 1, 1, message)


def run_check(
    root: Path,
    base_rev: str,
    author_login: str | None,
    head: str | None = None,
    extra_paths: tuple[str, ...] = (),
    validate: bool = True,
    repo: GitRepo | None = None,
) -> CheckResult:
    """Check the working tree (or commit `head`) against `base_rev`.

    `extra_paths` are paths that must be judged too (the pull request's file list from the
    GitHub API: the gate judges the union, so a checkout that lags cannot hide a file).
    Raises gitrepo.GitProblem for a bad revision. `repo` is the root's, when the caller
    has one already (with `changed` started).
    """
    repo = repo or GitRepo(root)
    base = repo.resolve(base_rev)
    changed = {c.path: c.status for c in repo.changed(base, head)}
    for path in extra_paths:
        if path not in changed:
            at_base = repo.read(base, path) is not None
            now = _read_head(repo, root, head, path) is not None
            changed[path] = "modified" if at_base and now else "added" if now else "deleted"
    result = CheckResult(base, author_login, None)
    result.problems += _names_and_links(repo, root, head, changed)
    site_config = _read_head(repo, root, head, "mkdocs.yml") if "mkdocs.yml" in changed else None
    if site_config is not None:  # the site's protections only exist while its plugin runs
        from .site.fences import changed_config_errors

        result.problems += changed_config_errors(root, site_config)
    if any(unsafe_name(path) for path in changed):
        # a name that is not UTF-8 (git gives bytes) goes on shown with escapes: neither
        # JSON nor a UTF-8 terminal can hold it as it is
        changed = {printable(path): status for path, status in changed.items()}

    base_cycles = repo.cycle_ids(base)
    by_cycle: dict[str | None, list[str]] = {}
    for path in sorted(changed):
        by_cycle.setdefault(area_of(path).cycle, []).append(path)

    bases: dict[str, CycleData] = {}
    for cid in sorted(c for c in by_cycle if c is not None and c in base_cycles):
        only = {p.split("/", 2)[2] for p in by_cycle[cid]}
        reviews = [area_of(p) for p in by_cycle[cid]]
        only |= {f"goals/{a.ids[0]}.yaml" for a in reviews if a.name == "review"}
        only |= _link_files(repo, root, head, base, cid, by_cycle[cid])
        data, _ = engine.load_revision(repo, base, cid, only)
        if data is None:
            result.problems.append(
                error(
                    f"{CYCLES}/{cid}/cycle.yaml",
                    1,
                    1,
                    f"cycle {cid} cannot be read at the base {base[:12]}; fix it first",
                )
            )
            continue
        bases[cid] = data
        result.phases[cid] = data.cycle.phase
    # Rules for changes outside any cycle and for new cycles: the base's current cycle
    # (the one already loaded when the pull request touches it: a second load of a big
    # org.yaml cost a third of a second at 10,000 people).
    reference = _reference_cycle(repo, base, base_cycles, bases)
    for data in [*bases.values(), *([reference] if reference else [])]:
        for person in data.org.people.values():
            if person.github:
                result.logins.setdefault(person.id, person.github)
                result.people_by_login.setdefault(person.github.lower(), person.id)
    if author_login:
        result.author = result.people_by_login.get(author_login.lower())

    requirements: list[Requirement] = []
    for cycle_id, paths in by_cycle.items():
        for path in paths:
            status = changed[path]
            rules = bases.get(cycle_id) if cycle_id else reference
            new_cycle = cycle_id is not None and cycle_id not in base_cycles
            if new_cycle:
                rules = reference
            if rules is None:
                if cycle_id in base_cycles:
                    continue  # the base cycle is unreadable: reported above
                result.problems.append(
                    error(path, 1, 1, "the base has no cycle whose rules could judge this change")
                )
                continue
            change, new_doc = classify_change(
                repo, root, base, head, path, status, rules, new_cycle
            )
            result.changes.append(change)
            if committed_cache(path):
                result.problems.append(
                    error(path, 1, 1, f"{CACHE_FOLDER}/ is a local cache: never commit it")
                )
            elif status != "deleted" and is_export(path):
                result.problems.append(
                    error(
                        path,
                        1,
                        1,
                        "this looks like a `perfloop export` of scores and ratings, which are "
                        "confidential: never commit it",
                    )
                )
            if change.area.name == "goals" and cycle_id:
                result.touched.setdefault(cycle_id, set()).add(change.area.ids[0])
            author = rules.org.person_for_login(author_login)
            phase = None if new_cycle or cycle_id is None else rules.cycle.phase
            verdict = judge(change, rules, author, phase or "")
            if author_login and author is None and change.area.name != "tooling":
                verdict_note = (
                    f"GitHub user {author_login} is not in org.yaml (github:) at the base"
                )
                same_id = rules.org.people.get(author_login)
                if same_id is not None and same_id.github:  # a person id given for a login
                    verdict_note += (
                        f"; {author_login} is a person id: their GitHub login is {same_id.github}"
                    )
                result.problems.append(error(path, 1, 1, verdict_note))
            for message in verdict.refusals:
                result.problems.append(_at(new_doc, path, change.first, message))
            for message in verdict.warnings:
                result.problems.append(warning(path, 1, 1, message))
            requirements += verdict.requirements
        if cycle_id is not None:
            result.problems += _closing_rules(root, head, repo, cycle_id, paths, changed)
    result.requirements = merge(requirements)

    if validate:
        result.problems += _validate(root, result, by_cycle, head, repo, changed)
    result.problems += _codeowners(root, head)
    result.problems = sort_problems(result.problems)
    return result


def _names_and_links(
    repo: GitRepo, root: Path, head: str | None, changed: dict[str, str]
) -> list[Problem]:
    """A changed path whose name holds a line break or another control character (or is
    not UTF-8), and a symbolic link or submodule the pull request adds or changes,
    anywhere: refused.

    Such a name serves only to disguise text in a CI log (every printer escapes it too).
    A submodule is refused too: its files are another repository's, unchecked.
    A link lets one path show another file: a cycle folder pointing into site/ passed for a
    tooling change and then for the current cycle; site/ or a page pointing into cycles/
    publishes reviews; and what MkDocs reads (docs_dir, theme overrides, hooks, snippets)
    can be anywhere in the repository, so links are refused everywhere, not folder by
    folder. A link already on the base is the loader's to refuse (inside a cycle) or
    `validate`'s (a cycle folder)."""
    problems = [
        error(
            printable(path),
            1,
            1,
            "a file name may not hold a line break, a tab or another control character, and "
            "must be UTF-8: rename the file",
        )
        for path in changed
        if unsafe_name(path)
    ]
    present = [p for p, s in changed.items() if s != "deleted" and not unsafe_name(p)]
    links, submodules = _links_and_submodules(repo, root, head, present)
    problems += [
        error(
            path,
            1,
            1,
            "a symbolic link: refused anywhere in a performance repository, since it makes "
            "one path show another file (a cycle that is not one, reviews on the site); "
            "commit the file or folder itself",
        )
        for path in links
    ]
    problems += [
        error(
            path,
            1,
            1,
            "a submodule: another repository's content is refused in a performance "
            "repository (nothing checks it); commit the files themselves",
        )
        for path in submodules
    ]
    return problems


def _links_and_submodules(
    repo: GitRepo, root: Path, head: str | None, paths: list[str]
) -> tuple[list[str], list[str]]:
    """Which of `paths` are symbolic links, and which submodules (a path git lists that is
    a folder), in the working tree or at commit `head`."""
    if head is None:
        links = [p for p in paths if os.path.islink(root / p)]
        linked = set(links)
        return links, [p for p in paths if p not in linked and os.path.isdir(root / p)]
    links, submodules = [], []
    for start in range(0, len(paths), 1000):  # a cycle's files in a few git runs
        wanted = [f"{repo.prefix}{p}" for p in paths[start : start + 1000]]
        for mode, _, _, rel in repo._tree(head, repo.prefix, wanted, recursive=False):
            if int(mode, 8) == SYMLINK_MODE:
                links.append(rel)
            elif mode == SUBMODULE_MODE:
                submodules.append(rel)
    return links, submodules


def is_export(path: str) -> bool:
    """A file `perfloop export` writes (`results-<cycle>-<audience>.xlsx` by default), or
    any spreadsheet: scores, ratings and bonuses that must never enter the repository."""
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith((".xlsx", ".xlsm", ".xls")) or (
        name.startswith("results-") and name.endswith(".csv")
    )


def _read_head(repo: GitRepo, root: Path, head: str | None, path: str) -> bytes | None:
    if head is not None:
        return repo.read(head, path)
    file = root / path
    try:
        return file.read_bytes() if file.is_file() and not file.is_symlink() else None
    except OSError:
        return None


def _new_doc(
    repo: GitRepo, root: Path, head: str | None, path: str
) -> tuple[Document | None, list[Problem]]:
    if head is not None:
        return repo.parse(head, path)
    file = root / path
    if not file.is_file():
        return None, []
    return load_file(file, path)


def _reference_cycle(
    repo: GitRepo, base: str, base_cycles: list[str], loaded: dict[str, CycleData]
) -> CycleData | None:
    """The base's current cycle (latest not closed, else latest); config files are enough,
    so a cycle `loaded` already (with some more files) serves as it is."""
    closed = []
    for cid in reversed(base_cycles):
        data = loaded.get(cid) or engine.load_revision(repo, base, cid, ())[0]
        if data is None:
            continue
        if data.cycle.phase != "closed":
            return data
        closed.append(data)
    return closed[0] if closed else None


def classify_change(
    repo: GitRepo,
    root: Path,
    base: str,
    head: str | None,
    path: str,
    status: str,
    rules: CycleData,
    new_cycle: bool,
) -> tuple[Change, Document | None]:
    """The change of one path, and its new document when a goals file changed (where a
    refusal points)."""
    area = area_of(path)
    if path.endswith("/org.yaml") and area.name in ("cycle_config", "cycle_other"):
        # the admins approve every change outside cycles/: who they are is theirs to agree
        # to, not HR's alone (in a new cycle too: it becomes the current one's rules)
        new_doc, _ = _new_doc(repo, root, head, path) if status != "deleted" else (None, [])
        admins = _admin_identities(new_doc.data) if new_doc else None
        also = ("admin",) if admins is not None and admins != _base_admins(rules) else ()
        kind_area = Area("cycle_config", area.cycle, area.ids) if new_cycle else area
        return Change(path, status, "cycle", kind_area, also=also), None
    if new_cycle:
        area = Area("cycle_config", area.cycle, area.ids)
        return Change(path, status, "cycle", area), None
    if area.name in ("goals", "company", "department"):
        # only an objectives file is told apart by its content (a goals change by its kind,
        # each by the `contributes_to` links it changes) and located at a field: any other
        # file is not parsed here (a big calibration file: 0.05 s at 1,800 people)
        new_doc, _ = _new_doc(repo, root, head, path) if status != "deleted" else (None, [])
        old_doc, _ = repo.parse(base, path) if status != "added" else (None, [])
        old_data = old_doc.data if old_doc else None
        new_data = new_doc.data if new_doc else None
        links = new_links(old_data, new_data)
        refs = new_refs(old_data, new_data)
        if area.name == "department":  # a team key result's check-in, or its objectives
            kind, fields, first, team = department_kind(
                area.ids[0], old_data, new_data, rules.cycle.phase
            )
            first = first if first is not None else links[0][1] if links else None
            return Change(
                path, status, kind, area, fields, first, links, refs=refs, team=team
            ), new_doc
        if area.name != "goals":
            first = links[0][1] if links else None
            return Change(path, status, "company_goals", area, first=first, links=links), new_doc
        if (status != "added" and old_doc is None) or (status != "deleted" and new_doc is None):
            # a file that does not parse cannot be told apart: treat it as an adjustment
            kind, fields, first = goals_kind(None, None, rules.cycle.phase)
        else:
            kind, fields, first = goals_kind(old_data, new_data, rules.cycle.phase)
        return Change(path, status, kind, area, fields, first, links, refs=refs), new_doc
    kind = {
        "cycle_config": "cycle",
        "cycle_other": "cycle",
        "company": "company_goals",
        "department": "department_goals",
        "calibration": "calibration",
        "results": "results",
        "checkpoint": "checkpoint",
        "tooling": "tooling",
    }.get(area.name, "tooling")  # an area without a kind of its own is an admin's (fail closed)
    if area.name == "review":
        kind = review_kind(rules.relation(*area.ids))
    if area.name == "codeowners":
        # A regenerated CODEOWNERS holds no choices of its own: what it follows from (an
        # org.yaml change) carries the approvals. Anything else is a tooling change.
        expected, _ = codeowners.expected(root) if head is None else (None, [])
        current = _read_head(repo, root, head, path)
        generated = expected is not None and current == expected.encode()
        kind = "codeowners" if generated else "tooling"
    return Change(path, status, kind or "cycle", area), None


def _admin_identities(org: Any) -> set[tuple[str, str, str]] | None:
    """(id, GitHub login, email) of each admin an org.yaml's data names: the gate knows an
    admin by their login (reviews) and email (commits), so re-pointing either is changing
    who the admin is. None when the data is no mapping."""
    admins = admins_in(org)
    if admins is None:
        return None
    people = org.get("people")
    found = (
        {p.get("id"): p for p in people if isinstance(p, dict)} if isinstance(people, list) else {}
    )
    return {
        (
            a,
            str(found.get(a, {}).get("github") or "").lower(),
            str(found.get(a, {}).get("email") or "").lower(),
        )
        for a in admins
    }


def _base_admins(rules: CycleData) -> set[tuple[str, str, str]]:
    """The base's admins as _admin_identities gives them."""
    people = rules.org.people
    return {
        (a, (p.github or "").lower(), (p.email or "").lower()) if p else (a, "", "")
        for a in rules.org.admins
        for p in [people.get(a)]
    }


def _link_files(
    repo: GitRepo, root: Path, head: str | None, base: str, cycle_id: str, paths: list[str]
) -> set[str]:
    """The files (in the cycle folder) holding, at the base, the key results that the links
    the changed objectives files add or remove reach, upward through sums
    (permissions.link_chain reads them from the base). Nothing for a PR without links."""
    refs: list[str] = []
    for path in paths:
        if area_of(path).name in ("goals", "company", "department"):
            new_doc, _ = _new_doc(repo, root, head, path)
            old_doc, _ = repo.parse(base, path)
            refs += [
                ref for ref, _ in new_links(*(d.data if d else None for d in (old_doc, new_doc)))
            ]
    found: set[str] = set()
    seen: set[str] = set()
    while refs:
        ref = refs.pop()
        parts = ref.split("/")
        if ref in seen or len(parts) != 3:
            continue
        seen.add(ref)
        for rel in link_files(ref):
            doc, _ = repo.parse(base, f"{CYCLES}/{cycle_id}/{rel}")
            if doc is None:
                continue
            found.add(rel)
            for objective in _items(doc.data, "objectives"):
                for kr in (
                    _items(objective, "key_results") if objective.get("id") == parts[1] else ()
                ):
                    up = kr.get("contributes_to")
                    summed = kr.get("aggregate") == "sum" and kr.get("current") is None
                    if kr.get("id") == parts[2] and summed and isinstance(up, str):
                        refs.append(up)
    return found


def _items(data: Any, key: str) -> list[dict]:
    found = data.get(key) if isinstance(data, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _phase_in_tree(repo: GitRepo, root: Path, head: str | None, cycle_id: str) -> str | None:
    doc, _ = _new_doc(repo, root, head, f"{CYCLES}/{cycle_id}/cycle.yaml")
    data = doc.data if doc else None
    return data.get("phase") if isinstance(data, dict) else None


def _closing_rules(
    root: Path,
    head: str | None,
    repo: GitRepo,
    cycle_id: str,
    paths: list[str],
    changed: dict[str, str],
) -> list[Problem]:
    """results.yaml arrives with cycle.yaml moving to closed, and only so."""
    results = f"{CYCLES}/{cycle_id}/results.yaml"
    forms = (results, results + ".age")  # a sealed cycle's record is sealed (SPEC section 7)
    cycle_file = f"{CYCLES}/{cycle_id}/cycle.yaml"
    problems = []
    new_phase = _phase_in_tree(repo, root, head, cycle_id)
    arriving = [p for p in forms if p in paths and changed[p] != "deleted"]
    if arriving and new_phase != "closed":
        problems.append(
            error(
                arriving[0],
                1,
                1,
                "results.yaml may only arrive with cycle.yaml moving to closed "
                "(use `perfloop cycle close`)",
            )
        )
    closing = cycle_file in paths and new_phase == "closed"
    if closing and head is None and any((root / p).is_file() for p in forms):
        # the snapshot as close wrote it from these files, not edited after (frozen.py); a
        # sealed one only with the org identity (the trusted gate), which opens it
        whole = lambda: engine.verdict(root, cycle_id, whole_model=True).data  # noqa: E731
        problems += frozen.frozen_problems(root, cycle_id, None, whole, closing=True)
    if closing and all(_read_head(repo, root, head, p) is None for p in forms):
        problems.append(
            error(
                cycle_file,
                1,
                1,
                "closing the cycle needs its results.yaml snapshot in "
                "the same pull request (use `perfloop cycle close`)",
            )
        )
    return problems


def _validate(
    root: Path,
    result: CheckResult,
    by_cycle: dict[str | None, list[str]],
    head: str | None,
    repo: GitRepo,
    statuses: dict[str, str],
) -> list[Problem]:
    """Every error of each touched cycle, and warnings of the changed files only. When the
    tool itself changed, every cycle is validated. A cycle is checked from the base's
    verdict when it can be (engine.verdict), else as a whole."""
    if head is not None:
        return []  # validation reads the working tree; a committed head is checked out first
    present = cycle_ids(root) if (root / CYCLES).is_dir() else []  # real folders only
    targets = set(present) if None in by_cycle else {c for c in by_cycle if c in present}
    changed = {p for paths in by_cycle.values() for p in paths}
    problems = []
    for cid in sorted(targets):
        in_cycle = {p: s for p, s in statuses.items() if p.startswith(f"{CYCLES}/{cid}/")}
        checked = engine.verdict(root, cid, base=engine.Base(repo, result.base, in_cycle))
        if checked.data is not None:
            result.valid[cid] = checked.data
        if checked.base_scores is not None:
            result.base_scores[cid] = checked.base_scores
        problems += [p for p in checked.problems if p.is_error or p.path in changed]
    return problems


def _codeowners(root: Path, head: str | None) -> list[Problem]:
    if head is not None or not (root / CYCLES).is_dir():
        return []
    target = root / codeowners.PATH
    if not target.is_file():
        return []
    expected, _ = codeowners.expected(root)
    if expected is not None and target.read_text(encoding="utf-8") != expected:
        return [
            error(
                codeowners.PATH,
                1,
                1,
                "CODEOWNERS is stale: run `perfloop codeowners` and commit the result",
            )
        ]
    return []


def score_moves(repo_root: Path, result: CheckResult) -> list[dict[str, Any]]:
    """For the job summary: how the OKR section of people whose goals changed moves.

    Only the section computed from key results (public inside the company, as the site's
    progress) is shown; KPI actuals (restricted on the site too), final scores, ratings and
    review sections stay out of CI logs.
    """
    from .scoring import score_person

    repo = GitRepo(repo_root)
    moves = []
    for cid, people in sorted(result.touched.items()):
        after_data = result.valid.get(cid)
        if after_data is None or cid not in result.phases:
            continue
        at_base = result.base_scores.get(cid)
        before_data = (
            None if at_base is not None else engine.load_revision(repo, result.base, cid)[0]
        )
        for person in sorted(people):
            if at_base is not None:
                before = at_base.get(person)
            else:
                before = score_person(before_data, person) if before_data else None
            after = score_person(after_data, person) if person in after_data.org.people else None
            moves.append(
                {
                    "cycle": cid,
                    "person": person,
                    "okr": [_shown(before, "okr"), _shown(after, "okr")],
                }
            )
    return moves


def _shown(score: Any, section: str) -> float | None:
    from .progress import round_half_up

    value = score.section(section) if score is not None else None
    return None if value is None else round_half_up(value)
