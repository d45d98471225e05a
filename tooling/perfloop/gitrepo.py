"""The git edge: what changed against a revision, and a cycle as it was at a revision.

Git is run as plain processes (`git diff --name-status`, `ls-tree`, `status`) and blobs are
read through one `git cat-file --batch` process for the whole run. GitPython is not used
here: importing it costs a tenth of a second, and a pull request's check at 10,000 people
has a second in all. Commands whose answers are all needed run side by side.
"""

from __future__ import annotations

import os
import re
import subprocess
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the loader and model load only when a revision is read: `perfloop
    # check` starts its git processes before importing them, and they run meanwhile
    from .loader import Document
    from .problems import Problem
    from .sources import Entry

from .gitrun import GitFailed, GitProblem, GitRun, start_git, text
from .root import CYCLES, FOLDER

SYMLINK_MODE = 0o120000
_SUBMODULE = "160000"  # a gitlink: not a file of this repository
_TREE_LINE = r"(\d+) (\w+) ([0-9a-f]+)\t{}([^\0]*)(?:\0|\Z)"  # ls-tree -z, one entry


class Changed(NamedTuple):  # not a dataclass: importing dataclasses costs a replay 13 ms
    """One path that differs between a revision and the working tree."""

    path: str  # relative to the performance repository's root, with '/'
    status: str  # "added" | "modified" | "deleted"


class Commit(NamedTuple):
    """A commit of a pull request, with its author as git records it."""

    sha: str
    name: str
    email: str
    parents: tuple[str, ...]


class GitRepo:
    """A performance repository inside a git work tree (the root may be a subfolder)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        try:
            top = self.start_command("rev-parse", "--show-toplevel", cwd=self.root).output()
        except GitProblem:
            raise GitProblem(f"{root} is not inside a git repository") from None
        top_dir = Path(text(top).rstrip("\n")).resolve()
        self.top = top_dir
        rel = self.root.resolve().relative_to(top_dir).as_posix()
        self.prefix = "" if rel == "." else rel + "/"
        self._batch: subprocess.Popen | None = None
        self._ids: dict[tuple[str, str], str] = {}  # (rev, folder) -> tree id
        self._commits: dict[str, str] = {}  # rev -> commit id
        self._started: dict[tuple[str, str | None], tuple[GitRun, GitRun | None]] = {}

    # --- running git ----------------------------------------------------------------------

    def start_command(self, *args: str, cwd: Path | None = None) -> GitRun:
        return start_git(cwd or self.top, *args)

    def run(self, *args: str) -> str:
        """The output of `git args…` at the work tree's top; GitFailed if it fails."""
        return text(self.start_command(*args).output())

    def succeeds(self, *args: str) -> bool:
        """Whether `git args…` exits 0 (for yes-or-no commands like merge-base --is-ancestor)."""
        try:
            self.start_command(*args).output()
        except GitFailed:
            return False
        return True

    def _object(self, spec: str) -> tuple[str, bytes] | None:
        """(type, content) of the object `spec` names (an id or `rev:path`), or None."""
        if "\n" in spec:  # cannot pass through the batch protocol; no such path is read
            return None
        if self._batch is None or self._batch.poll() is not None:
            try:
                self._batch = subprocess.Popen(
                    ["git", "-C", os.fspath(self.top), "cat-file", "--batch"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            except OSError as exc:
                raise GitFailed(f"cannot run git: {exc}") from None
            weakref.finalize(self, _close, self._batch)
        batch = self._batch
        assert batch.stdin is not None and batch.stdout is not None
        try:
            batch.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            batch.stdin.flush()
            header = batch.stdout.readline().split()
        except OSError as exc:
            raise GitFailed(f"git cat-file failed: {exc}") from None
        if len(header) != 3:  # "<spec> missing", "<spec> ambiguous", or git gone
            if not header:
                raise GitFailed("git cat-file stopped")
            return None
        size = int(header[2])
        content = batch.stdout.read(size)
        batch.stdout.read(1)  # the newline after the content
        return text(header[1]), content

    def blob(self, blob_id: str) -> bytes:
        """The bytes of a blob by id; GitFailed when it is not there."""
        found = self._object(blob_id)
        if found is None or found[0] != "blob":
            raise GitFailed(f"no blob {blob_id}")
        return found[1]

    # --- revisions ------------------------------------------------------------------------

    def resolve(self, rev: str) -> str:
        """The commit id `rev` names; GitProblem when it names none."""
        if rev.startswith("-"):
            raise GitProblem(f"not a revision: {rev!r}")
        if rev not in self._commits:  # `check` resolves its base before the run does
            try:
                found = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            except GitFailed:
                raise GitProblem(f"unknown revision {rev!r} (is it fetched?)") from None
            self._commits[rev] = found.strip()
        return self._commits[rev]

    def head(self) -> str:
        """The commit checked out (HEAD)."""
        return self.resolve("HEAD")

    def is_clean(self) -> bool:
        """Whether the working tree is exactly HEAD's: nothing modified, staged or untracked
        (ignored files under `cycles/` count too: validation would read them)."""
        everything = [".", f":(exclude,top){self.prefix}{FOLDER}"]  # the cache: never read
        if self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *everything):
            return False
        ignored = self.run(
            "status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=all",
            "--", f":/{self.prefix}{CYCLES}",
        )  # fmt: skip
        return not ignored

    def contains(self, head: str, commit: str) -> bool:
        """Whether `commit` is in `head`'s history (False when `commit` is not here)."""
        return self.succeeds("merge-base", "--is-ancestor", commit, head)

    def commits_between(self, base: str, head: str) -> list[Commit]:
        """The commits in `head` that are not in `base`, oldest first."""
        out = self.run(
            "log", "-z", "--reverse", "--format=%H%x1f%an%x1f%ae%x1f%P", f"{base}..{head}"
        )
        commits = []
        for record in filter(None, out.split("\0")):
            sha, name, email, parents = record.strip("\n").split("\x1f")
            commits.append(Commit(sha, name, email, tuple(parents.split())))
        return commits

    def is_plain_merge(self, commit: Commit) -> bool:
        """Whether a merge commit's tree is what git merges its parents into without help:
        it carries no change of its own, so who made it decides nothing."""
        if len(commit.parents) != 2:
            return False
        try:
            merged = self.run("merge-tree", "--write-tree", *commit.parents).split("\n")[0]
        except GitFailed:  # a conflict (exit 1): someone resolved it by hand
            return False
        return merged.strip() == self.run("rev-parse", f"{commit.sha}^{{tree}}").strip()

    def tree_id(self, rev: str, folder: str) -> str | None:
        """The object id of `folder` (relative to our root) at `rev` (a tree's, unless the
        name is a file's), or None when there is none."""
        if (rev, folder) not in self._ids:  # asked twice by a validate that keeps a listing
            try:
                found = self.run("rev-parse", "--verify", "--quiet", f"{rev}:{self.prefix}{folder}")
            except GitFailed:
                return None
            self._ids[(rev, folder)] = found.strip()
        return self._ids[(rev, folder)]

    def relative(self, top_path: str) -> str | None:
        """A path from git (relative to the work tree's top) made relative to our root."""
        if not self.prefix:
            return top_path
        return top_path[len(self.prefix) :] if top_path.startswith(self.prefix) else None

    # --- what changed ---------------------------------------------------------------------

    def start_changed(self, base: str, head: str | None = None) -> None:
        """Start the git processes `changed(base, head)` reads, to run while the caller
        does something else (at 10,000 people they walk 70,000 files for 0.2 s)."""
        if (base, head) in self._started:
            return
        spec = self.prefix or "."
        args = ["--name-status", "--no-renames", "-z", base, *([head] if head else [])]
        diff = self.start_command("diff", *args, "--", spec)
        others = None
        if head is None:  # side by side: each walks the whole work tree
            others = self.start_command(
                "ls-files", "--others", "--exclude-standard", "-z", "--", spec
            )
        self._started[(base, head)] = (diff, others)

    def changed(self, base: str, head: str | None = None) -> list[Changed]:
        """Paths that differ from `base` in `head`, or in the working tree (untracked files
        included) when `head` is None. Renames count as a deletion and an addition."""
        self.start_changed(base, head)
        diff, others = self._started.pop((base, head))
        status_of = {"A": "added", "D": "deleted"}
        found: dict[str, str] = {}
        parts = text(diff.output()).split("\0")
        for code, path in zip(parts[0::2], parts[1::2], strict=False):
            rel = self.relative(path)
            if code and rel is not None:
                found[rel] = status_of.get(code[0], "modified")
        if others is not None:
            for path in filter(None, text(others.output()).split("\0")):
                rel = self.relative(path)
                if rel is not None:
                    found[rel] = "added"
        return [Changed(p, s) for p, s in sorted(found.items())]

    # --- reading a revision ---------------------------------------------------------------

    def read(self, rev: str, path: str) -> bytes | None:
        """The bytes of `path` (relative to our root) at `rev`, or None if it is absent."""
        found = self._object(f"{rev}:{self.prefix}{path}")
        return found[1] if found is not None and found[0] == "blob" else None

    def parse(self, rev: str, path: str) -> tuple[Document | None, list[Problem]]:
        from .loader import parse_bytes

        raw = self.read(rev, path)
        if raw is None:
            return None, []
        return parse_bytes(raw, path)

    def _tree(self, rev: str, top: str, paths: list[str], recursive: bool) -> list[tuple]:
        """(mode, type, id, path after `top`) of `git ls-tree` entries at `rev`."""
        flags = ["-r"] if recursive else []
        try:
            out = self.run("ls-tree", *flags, "-z", "--full-tree", rev, "--", *paths)
        except GitFailed:
            return []
        # one regex pass (C) instead of splitting each of 70,000 lines in Python
        return re.findall(_TREE_LINE.format(re.escape(top)), out)

    def listing(self, rev: str, folder: str) -> list[tuple[str, str, str]]:
        """(mode, blob id, path inside `folder`) of every file under `folder` (relative to
        our root) at `rev`, in path order: one `git ls-tree`, 0.1 s for 70,000 files."""
        top = f"{self.prefix}{folder}/"
        return [(m, i, p) for m, _, i, p in self._tree(rev, top, [top], recursive=True)]

    def cycle_ids(self, rev: str) -> list[str]:
        """Cycles (folders with a cycle.yaml) at `rev`."""
        top = f"{self.prefix}{CYCLES}/"
        folders = []
        for _, kind, oid, name in self._tree(rev, top, [top], recursive=False):
            if kind == "tree":
                folders.append(name)
                self._ids[(rev, f"{CYCLES}/{name}")] = oid  # for tree_id, without asking git
        if not folders:
            return []
        wanted = [f"{top}{name}/cycle.yaml" for name in folders]
        found = self._tree(rev, top, wanted, recursive=False)
        return sorted(p.split("/")[0] for _, kind, _, p in found if kind == "blob")

    def cycle_source(
        self, rev: str, cycle_id: str, only: Iterable[str] | None = None
    ) -> TreeSource:
        """Cycle `cycle_id`'s folder as it is at `rev`, to load (`engine.load_revision`).
        With `only` (paths inside the cycle folder), just those files plus cycle.yaml and
        org.yaml are listed: enough for permissions."""
        return TreeSource(self, rev, f"{self.prefix}{CYCLES}/{cycle_id}", only)


def _close(batch: subprocess.Popen) -> None:
    if batch.stdin is not None:
        batch.stdin.close()
    batch.wait()
    if batch.stdout is not None:
        batch.stdout.close()


class TreeSource:
    """A cycle folder at a git revision, as a `sources.Source` for `load_cycle`."""

    def __init__(self, repo: GitRepo, rev: str, folder: str, only: Iterable[str] | None):
        self.git = repo
        self.rev = rev
        self.folder = folder  # from the work tree's top
        self.only = None if only is None else {*only, "cycle.yaml", "org.yaml"}
        self.blobs: dict[str, str] = {}

    def entries(self) -> list[Entry]:
        from .sources import Entry, hidden

        top = f"{self.folder}/"
        if self.only is not None:
            paths = [top + rel for rel in sorted(self.only)]
            rows = self.git._tree(self.rev, top, paths, recursive=False)
        else:
            rows = self.git._tree(self.rev, top, [top], recursive=True)
        out = []
        for mode, kind, blob, rel in rows:
            if kind != "blob" or mode == _SUBMODULE or hidden(rel):
                continue
            self.blobs[rel] = blob
            out.append(Entry(rel, blob=blob, symlink=int(mode, 8) == SYMLINK_MODE))
        return sorted(out, key=lambda e: e.rel)

    def read(self, rel: str) -> bytes:
        blob = self.blobs.get(rel)
        found = self.git._object(blob or f"{self.rev}:{self.folder}/{rel}")
        if found is None or found[0] != "blob":
            raise FileNotFoundError(rel)
        return found[1]
