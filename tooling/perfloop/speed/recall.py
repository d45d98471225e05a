"""A cycle recalled from its stored verdict, for the commands that print it.

`score`, `calibrate`, `status` and the other commands that need the whole model load the
cycle and then find its verdict (verdict.py) stored by the `validate` before them; the
load (listing and stat-ing every file, decoding each one's cache entry) is then what is
left of their time. Yet when git says the
working tree's cycle is HEAD's, give or take a few goals, review or calibration files,
the files' blob ids are HEAD's kept listing (listings.py) with those changes applied;
their digest names the verdict, and the verdict names the files that have problems. The
model is then built with every clean goals and review file undecoded until something
reads it (`loading.load_recalled`).

The answer is the one a full load and check give: the same listing and the same digest
are what `validate` derives from (incremental.py), and `tests/speed/test_recall.py` compares
the two. Anything git may not see (`listings.worktree_changes` is None), a change only a full
load follows (a stray or linked file, org.yaml), or no verdict: None, and the engine
(`engine.verdict`) loads the cycle in full.
"""

from __future__ import annotations

from pathlib import Path

from ..gitrepo import GitProblem, GitRepo
from ..model import CycleData
from ..problems import Problem
from ..repository import CYCLES
from . import verdict
from .listings import changed_listing, listing, reader, worktree_changes
from .loading import load_recalled
from .verdict import Verdict


def recall_cycle(root: Path, cycle_id: str) -> tuple[CycleData, list[Problem], Verdict] | None:
    """The working tree's cycle with its load problems and its stored verdict, built
    without examining its files; None when it cannot be recalled."""
    if not verdict.stored_any(root):
        return None
    rel_dir = f"{CYCLES}/{cycle_id}"
    try:
        repo = GitRepo(root)
        listed = listing(root, repo, "HEAD", rel_dir)
        if listed is None:
            return None
        changed = worktree_changes(repo, rel_dir)
        if changed is None:
            return None
        changes = changed_listing(root, rel_dir, listed, changed)
        if changes is None:
            return None
        content = changes.digest(listed)
        found = verdict.lookup(root, rel_dir, content)
        if found is None or found.load is None:
            return None
        flawed = {p.path for p in found.load}
        read = reader(root, rel_dir, repo, "HEAD", changes)
        data, problems = load_recalled(root, cycle_id, changes.blobs, content, flawed, read)
    except GitProblem:
        return None
    if data is None:
        return None
    return data, problems, found
