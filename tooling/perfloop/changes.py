"""What a change to one file is: its area (from the path) and its kind (from the data).

The kind names the `approvals:` key of cycle.yaml that decides who must approve it. A goals
file is judged by comparing the parsed data, not the text, so re-indenting or reordering
keys is no adjustment, and a check-in (progress fields only) is told from an adjustment.
Pure functions: no git, no files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .loader import JsonPath
from .repository import CYCLES, FileKind, classify
from .sealing.audience import is_confidential

# Fields a check-in may change: progress, never what was agreed.
KR_PROGRESS = ("current", "done")
KPI_PROGRESS = ("actual",)
PLAN_PROGRESS = ("done",)

# Kinds: the spec's approvals keys, plus what the other rows of its table need.
REVIEW_KINDS = {
    "self": "self_review",
    "manager": "manager_review",
    "skip_level": "skip_level_review",
    "designated": "designated_review",
    "peer": "peer_review",
    "upward": "upward_review",
}
# A kind without its own approvals key falls back to another key's approvers.
FALLBACK_KEY = {
    "company_goals": "cycle",
    "department_goals": "cycle",
    "results": "cycle",
}
# Kinds whose approvers no cycle.yaml key can change: cycle.yaml is HR's, and what lies
# outside cycles/ (the tool, the workflows that run the gate, the site) is the admins'
# (spec section 5). The rules flag such a key (rules/references.py); it is never read.
FIXED_APPROVALS: dict[str, tuple[str, ...]] = {"tooling": ("admin",), "codeowners": ()}
# Approvers when cycle.yaml has no key for a kind (the spec's example configuration).
DEFAULT_APPROVALS: dict[str, tuple[str, ...]] = {
    "goals": ("manager",),
    "goal_adjustment": ("manager", "skip_level"),
    "checkin": (),
    "self_review": ("manager",),
    "manager_review": ("skip_level",),
    "calibration": ("department_head", "hr"),
    "cycle": ("hr",),
    # the other of the person and their manager approves (permissions.other_party): no
    # one else need read a confidential check-point
    "checkpoint": (),
    **FIXED_APPROVALS,
}


@dataclass(frozen=True)
class Area:
    """Where a path sits: in which cycle, which kind of file, naming which ids."""

    name: str  # cycle_config | company | department | goals | review | calibration | results
    #           | checkpoint | cycle_other | tooling | codeowners
    cycle: str | None = None
    ids: tuple[str, ...] = ()


CODEOWNERS = ".github/CODEOWNERS"


def area_of(path: str) -> Area:
    """The area of a path relative to the repository root."""
    parts = path.split("/")
    if path == CODEOWNERS:
        return Area("codeowners")
    if len(parts) < 3 or parts[0] != CYCLES:
        return Area("tooling")
    cycle, rel = parts[1], "/".join(parts[2:])
    if rel.endswith(".age") and is_confidential(rel[:-4]):
        rel = rel[:-4]  # a sealed file is judged as its plain name (SPEC section 7)
    kind = classify(rel)
    if not isinstance(kind, FileKind):
        return Area("cycle_other", cycle)
    name = {
        "cycle": "cycle_config",
        "org": "cycle_config",
        "template": "cycle_config",
        "goals": "goals",
        "review": "review",
        "calibration": "calibration",
        "results": "results",
        "checkpoint": "checkpoint",
    }.get(kind.kind)
    if kind.kind == "objectives":
        name = "company" if rel == "company.yaml" else "department"
    return Area(name or "cycle_other", cycle, kind.ids)


@dataclass(frozen=True)
class Change:
    """One changed file, classified."""

    path: str
    status: str  # added | modified | deleted
    kind: str
    area: Area
    fields: tuple[str, ...] = ()  # for goals: what was agreed that changed
    first: JsonPath | None = None  # where the first such change is, in the new file
    # key results whose contributors the change adds or removes (`contributes_to` links
    # added, removed or pointed elsewhere): (the key result, where in the new file)
    links: tuple[tuple[str, JsonPath], ...] = ()
    also: tuple[str, ...] = ()  # roles its content needs besides its kind's approvers
    # Of `links`, the team key results a goals file's references (`ref:`) list or drop:
    # their owners approve, as for a `contributes_to` link (nothing sums through them).
    refs: tuple[str, ...] = ()
    # A department's check-in: the team key results (dept/objective/kr) whose progress moves.
    team: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "status": self.status}
        if self.fields:
            out["fields"] = list(self.fields)
        contributes = [ref for ref, _ in self.links if ref not in self.refs]
        if contributes:
            out["contributes_to"] = list(dict.fromkeys(contributes))
        if self.refs:
            out["refs"] = list(self.refs)
        if self.team:
            out["team_key_results"] = list(self.team)
        return out


# --- goals: check-in or adjustment --------------------------------------------------------


def without_progress(data: Any) -> Any:
    """A goals file's data with the fields a check-in may change taken out."""
    if not isinstance(data, dict):
        return data
    out = {k: v for k, v in data.items() if k != "checkins"}
    if isinstance(out.get("objectives"), list):
        out["objectives"] = [_strip_objective(o) for o in out["objectives"]]
    if isinstance(out.get("kpis"), dict):
        out["kpis"] = {
            k: _drop(v, KPI_PROGRESS) if isinstance(v, dict) else v for k, v in out["kpis"].items()
        }
    if isinstance(out.get("plan"), list):
        out["plan"] = [_drop(p, PLAN_PROGRESS) if isinstance(p, dict) else p for p in out["plan"]]
    return out


def _strip_objective(objective: Any) -> Any:
    if not isinstance(objective, dict) or not isinstance(objective.get("key_results"), list):
        return objective
    krs = [
        _drop(kr, KR_PROGRESS) if isinstance(kr, dict) else kr for kr in objective["key_results"]
    ]
    return {**objective, "key_results": krs}


def _drop(mapping: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}


def differences(old: Any, new: Any, path: JsonPath = ()) -> list[JsonPath]:
    """JSON paths (in `new`, or `old` where removed) at which two plain values differ."""
    if type(old) is not type(new) and not (_is_number(old) and _is_number(new)):
        return [path]
    if isinstance(old, dict):
        out: list[JsonPath] = []
        for key in dict.fromkeys([*new, *old]):
            if key not in old or key not in new:
                out.append((*path, key))
            else:
                out += differences(old[key], new[key], (*path, key))
        return out
    if isinstance(old, list):
        if len(old) != len(new):
            return [path]
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += differences(a, b, (*path, i))
        return out
    return [] if old == new else [path]


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def describe(data: Any, path: JsonPath) -> str:
    """A JSON path in the words of the file: list items by their `id` where they have one
    (`objectives.o1.key_results.kr2.target`), else by position."""
    words: list[str] = []
    node = data
    for step in path:
        item = node[step] if _has(node, step) else None
        if isinstance(step, int):
            label = item.get("id") if isinstance(item, dict) else None
            words.append(str(label) if isinstance(label, str) else f"[{step}]")
        else:
            words.append(step)
        node = item
    return ".".join(words) or "(whole file)"


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def goals_kind(old: Any, new: Any, phase: str) -> tuple[str, tuple[str, ...], JsonPath | None]:
    """(kind, agreed fields that changed, where the first is) of a change to a goals file.

    In planning every change is `goals`; afterwards a change to progress fields only is a
    `checkin`, and anything else (a new or removed file too) is a `goal_adjustment`.
    """
    if phase == "planning":
        return "goals", (), None
    if old is None or new is None:
        return "goal_adjustment", ("(whole file)",), ()
    found = differences(without_progress(old), without_progress(new))
    if not found:
        return "checkin", (), None
    shown = tuple(describe(new if _exists(new, p) else old, p) for p in found)
    first = next((p for p in found if _exists(new, p)), ())
    return "goal_adjustment", shown, first


def _exists(data: Any, path: JsonPath) -> bool:
    node = data
    for step in path:
        if not _has(node, step):
            return False
        node = node[step]
    return True


def department_kind(
    dept: str, old: Any, new: Any, phase: str
) -> tuple[str, tuple[str, ...], JsonPath | None, tuple[str, ...]]:
    """(kind, agreed fields that changed, where the first is, team key results moved) of a
    change to `departments/<dept>.yaml`.

    After planning, a change of the progress of team key results only (their `current` or
    `done`, and the file's `checkins:` naming them) is a `checkin` by their owner; anything
    else, a department key result's own progress included, is `department_goals` (a
    department's objectives are set in planning)."""
    if phase == "planning" or not isinstance(old, dict) or not isinstance(new, dict):
        return "department_goals", (), None, ()
    found = differences(without_progress(old), without_progress(new))
    if found:
        shown = tuple(describe(new if _exists(new, p) else old, p) for p in found)
        first = next((p for p in found if _exists(new, p)), ())
        return "department_goals", shown, first, ()
    moved: dict[tuple[Any, Any], JsonPath] = {}
    for i, objective in enumerate(_items(new, "objectives")):
        old_objective = _items(old, "objectives")[i]
        for j, kr in enumerate(_items(objective, "key_results")):
            before = _items(old_objective, "key_results")[j]
            if any(kr.get(k) != before.get(k) for k in KR_PROGRESS):
                moved[(objective.get("id"), kr.get("id"))] = ("objectives", i, "key_results", j)
    old_checkins, new_checkins = _items(old, "checkins"), _items(new, "checkins")
    # a check-in added, changed or taken out moves the key results it names on either side:
    # taking a value out of a shared check-in is its owner's business too
    for k in range(max(len(old_checkins), len(new_checkins))):
        new_entry = new_checkins[k] if k < len(new_checkins) else {}
        old_entry = old_checkins[k] if k < len(old_checkins) else {}
        if new_entry == old_entry:  # an absent entry names nothing, as an empty one
            continue
        for entry, located in ((new_entry, True), (old_entry, False)):
            values = entry.get("values")
            for key in values if isinstance(values, dict) else ():
                obj_id, _, kr_id = str(key).partition("/")
                at: JsonPath = ("checkins", k, "values", key) if located else ()
                moved.setdefault((obj_id, kr_id), at)
    if not moved:
        return "department_goals", (), None, ()  # nothing moved: no check-in to speak of
    team = {
        (objective.get("id"), kr.get("id"))
        for objective in _items(old, "objectives")
        for kr in _items(objective, "key_results")
        if kr.get("team") is True
    }
    for key, where in moved.items():
        if key not in team:  # a department key result's progress is its contributors'
            return "department_goals", (f"{key[0]}.{key[1]} (not a team key result)",), where, ()
    return "checkin", (), None, tuple(f"{dept}/{o}/{k}" for o, k in moved)


def _items(data: Any, key: str) -> list[dict]:
    """The mappings of a list field (anything else there counts as nothing: the schema
    reports it); positions kept, a non-mapping as an empty one."""
    found = data.get(key) if isinstance(data, dict) else None
    return [i if isinstance(i, dict) else {} for i in found] if isinstance(found, list) else []


def new_links(old: Any, new: Any) -> tuple[tuple[str, JsonPath], ...]:
    """The key results whose contributors change with an objectives file (goals, a
    department's, the company's): each `contributes_to` that `new` has and `old` had not on
    the same key result (the same objective and KR ids), with where it is in `new`; and
    each that `old` had and `new` has not (removed or pointed elsewhere: the key result
    it fed loses a contributor), located at the file (`()`)."""
    before = {key: ref for key, ref, _ in _links(old)}
    after = {key: ref for key, ref, _ in _links(new)}
    added = [(ref, where) for key, ref, where in _links(new) if before.get(key) != ref]
    gone = [(ref, ()) for key, ref in before.items() if after.get(key) != ref]
    return tuple(dict.fromkeys([*added, *gone]))


def _links(data: Any) -> list[tuple[tuple[Any, Any], str, JsonPath]]:
    """((objective id, KR id), the reference, its JSON path) of each `contributes_to`."""
    found: list[tuple[tuple[Any, Any], str, JsonPath]] = []
    objectives = data.get("objectives") if isinstance(data, dict) else None
    for i, objective in enumerate(objectives if isinstance(objectives, list) else []):
        krs = objective.get("key_results") if isinstance(objective, dict) else None
        for j, kr in enumerate(krs if isinstance(krs, list) else []):
            ref = kr.get("contributes_to") if isinstance(kr, dict) else None
            if isinstance(ref, str):
                key = (_id_or(objective, i), _id_or(kr, j))
                found.append((key, ref, ("objectives", i, "key_results", j, "contributes_to")))
            listed = kr.get("ref") if isinstance(kr, dict) else None
            if isinstance(listed, str):  # a team key result, known by itself, not position
                key = (_id_or(objective, i), f"ref:{listed}")
                found.append((key, listed, ("objectives", i, "key_results", j, "ref")))
    return found


def new_refs(old: Any, new: Any) -> tuple[str, ...]:
    """Of `new_links`, the team key results that references (`ref:`) list or drop."""

    def refs(data: Any) -> dict[Any, str]:
        return {key: ref for key, ref, _ in _links(data) if str(key[1]).startswith("ref:")}

    before, after = refs(old), refs(new)
    changed = [ref for key, ref in after.items() if key not in before]
    changed += [ref for key, ref in before.items() if key not in after]
    return tuple(dict.fromkeys(changed))


def _id_or(item: dict, position: int) -> Any:
    found = item.get("id")
    return found if isinstance(found, str) else position


def admins_in(org: Any) -> set[str] | None:
    """The admins an org.yaml's data names (`roles.admins`; none when absent), or None when
    it is no mapping (the schema reports that)."""
    if not isinstance(org, dict):
        return None
    roles = org.get("roles")
    admins = roles.get("admins") if isinstance(roles, dict) else None
    return {a for a in admins if isinstance(a, str)} if isinstance(admins, list) else set()


def review_kind(relation: str | None) -> str:
    return REVIEW_KINDS.get(relation or "", "review")


def approvers_for(kind: str, approvals: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The roles that must approve a change of `kind`, as configured (with fallbacks)."""
    if kind in FIXED_APPROVALS:
        return FIXED_APPROVALS[kind]
    if kind in approvals:
        return approvals[kind]
    fallback = FALLBACK_KEY.get(kind)
    if fallback and fallback in approvals:
        return approvals[fallback]
    if kind in DEFAULT_APPROVALS:
        return DEFAULT_APPROVALS[kind]
    if fallback:
        return DEFAULT_APPROVALS[fallback]
    return ()
