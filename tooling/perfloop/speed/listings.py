"""A cycle folder's listing at a git revision: the blob id of every file a full load would
examine, and the content digest they make (`sources.digest_text`), kept by the folder's
tree id.

A listing is a function of the tree alone, and listing a large cycle with `git ls-tree`
and digesting it is a large part of a small check, so the listing of HEAD's tree is kept after
a full `validate` (`note_head`): a pull request's check finds its base's there
(incremental.py), and a command on an unchanged checkout finds its cycle's (recall.py).
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from ..gitrepo import GitProblem, GitRepo
from ..gitrun import text
from ..loader import MAX_BYTES, max_bytes
from ..repository import COMMON_PATH, CYCLES, SEALED, FileKind, classify, sealed_kind
from ..root import cache_folder
from ..sources import blob_id, digest_text, hidden, text_digest
from . import store, verdict
from .untracked import Unsure, untracked_files

_REGULAR = ("100644", "100755")  # git modes of plain files (not links, not submodules)
LEAF_KINDS = ("goals", "review", "calibration")  # what a derivation can follow
KEEP_LISTINGS = 8  # notes of trees listed: main's, a pull request's base, a few local HEADs


class Stray(Exception):
    """A file a full load reports as not belonging in a cycle: only a full load says so."""


def data_kind(rel: str) -> FileKind | None:
    """The kind of a file a full load examines; None for one it ignores (README.md);
    `Stray` for a stray file, whose problem only a full load reports. A sealed file
    (`<path>.age`) has the kind of its plain form, as the rules see it (SPEC section 7)."""
    if rel.endswith(SEALED):
        sealed = sealed_kind(rel[: -len(SEALED)])
        if isinstance(sealed, str):  # a sealed goals file, say: a full load reports it
            raise Stray(rel)
        return sealed
    kind = classify(rel)
    if isinstance(kind, str):
        if kind:
            raise Stray(rel)
        return None
    return kind


@dataclass(frozen=True)
class Listing:
    """What `_listing` says of a cycle folder at a revision, with its content digest and
    the text hashed for it (`sources.digest_text`), from which a derivation's own digest is
    patched rather than computed again over 70,000 files."""

    blobs: dict[str, str]  # path -> blob id, in path order
    text: str
    digest: str


def listing(root: Path, repo: GitRepo, rev: str, rel_dir: str) -> Listing | None:
    """`_listing` of the cycle folder at `rev`, kept under the folder's git tree id
    (the cache folder's `<fingerprint>/listings/`): the listing is a function of the tree
    alone, and at 10,000 people listing 70,000 files with `git ls-tree` and digesting them
    cost 0.4 s of a pull request's check. A full `validate` keeps the note of HEAD's tree
    (`note_head`), so the check of a pull request against main, with main's cache restored,
    finds its base's listing there."""
    note = _note(root, repo, rev, rel_dir)
    if note is None:
        return None
    # Kept as the digest's text alone: one string, so a damaged note cannot hold anything
    # but text, and no 70,000-entry type check is needed; "" for a folder that cannot be
    # derived from (a stray file, a link).
    stored = store.read(note)
    if stored == "":
        return None
    if type(stored) is str and stored.endswith("\n"):
        parts = stored.replace("\n", "\0").split("\0")[:-1]
        if len(parts) % 2 == 0:
            blobs = dict(zip(parts[0::2], parts[1::2], strict=True))
            return Listing(blobs, stored, text_digest(stored))
    found = _listing(repo, rev, rel_dir)
    if found is None:
        store.write(note, "")
        return None
    text = digest_text(found)
    if found:
        store.write(note, text)
        store.keep_newest(note.parent, KEEP_LISTINGS)
    return Listing(found, text, text_digest(text))


def patched(text: str, base: Listing, head_blobs: dict[str, str], changed: list[str]) -> str:
    """`digest_text(head_blobs)`, from the base's text and the few paths that differ: each
    file is "\n<path>\0" once in the text (paths hold neither), so an edit is a splice."""
    text = "\n" + text
    order: list[str] | None = None  # the base's paths, listed only for an added file
    for rel in changed:
        old, new = base.blobs.get(rel), head_blobs.get(rel)
        if old == new:
            continue
        entry = f"\n{rel}\0{new}\n" if new is not None else "\n"
        if old is not None:
            start = text.find(f"\n{rel}\0{old}\n")
            if start < 0:  # not as the listing said: digest it all (never seen)
                return digest_text(head_blobs)
            text = text[:start] + entry + text[start + len(rel) + len(old) + 3 :]
            continue
        start = len(text) - 1  # after the last file, unless one still present follows
        order = order or list(base.blobs)  # path order
        for after in islice(order, bisect_left(order, rel), None):
            found = text.find(f"\n{after}\0")
            if found >= 0:
                start = found
                break
        text = text[:start] + entry + text[start + 1 :]
    return text[1:]


def _note(root: Path, repo: GitRepo, rev: str, rel_dir: str) -> Path | None:
    """Where the listing of `rel_dir` at `rev` is kept: by its tree id and the tool's code
    (which decides what a listing leaves out); None when `rev` has no such folder."""
    tree = repo.tree_id(rev, rel_dir)
    if tree is None:
        return None
    folder = Path(cache_folder(root)) / store.fingerprint() / "listings"
    return folder / f"{tree}-{store.code_fingerprint()}"


def note_head(root: Path, cycle_id: str) -> None:
    """Keep the listing of the cycle at HEAD (see `listing`), after a full check stored the
    verdict the next pull request's check starts from. Quiet: only a cache is at stake."""
    if not verdict.stored_any(root):
        return
    rel_dir = f"{CYCLES}/{cycle_id}"
    try:
        repo = GitRepo(root)
        note = _note(root, repo, "HEAD", rel_dir)
        if note is not None and not note.exists():
            listing(root, repo, "HEAD", rel_dir)
    except GitProblem:
        return


def _listing(repo: GitRepo, rev: str, rel_dir: str) -> dict[str, str] | None:
    """The blob id of every file a full load of the cycle at `rev` would examine, in path
    order; None when the load would also find something else to report (a stray file, a
    link). Seven files in eight are goals or reviews: one regex match each decides them."""
    blobs: dict[str, str] = {}
    common = COMMON_PATH.match
    for mode, blob, rel in repo.listing(rev, rel_dir):
        if mode in _REGULAR and common(rel):
            blobs[rel] = blob
            continue
        if hidden(rel):
            continue
        if mode not in _REGULAR:
            return None
        try:
            if data_kind(rel) is None:
                continue
        except Stray:
            return None
        blobs[rel] = blob
    if any(rel.endswith(SEALED) and twin(rel) in blobs for rel in blobs):
        return None  # a file in both forms: its two problems only a full load reports
    return blobs


def twin(rel: str) -> str:
    """The other form of a confidential file: `<path>.age` for `<path>`, and back."""
    return rel[: -len(SEALED)] if rel.endswith(SEALED) else rel + SEALED


def edits_of(
    root: Path, rel_dir: str, changed: Mapping[str, str], base_blobs: dict[str, str]
) -> tuple[dict[str, FileKind], dict[str, bytes]] | None:
    """The changed files a full load would examine (kind), with the bytes of those still
    present, where `changed` (paths from the root -> status) are what git says differs
    from the listing `base_blobs`; None for a change only a full load can follow (a stray,
    oversized or linked file, or one that is not a goals, review or calibration file)."""
    edits: dict[str, FileKind] = {}
    new_bytes: dict[str, bytes] = {}
    for path, _status in changed.items():
        rel = path[len(rel_dir) + 1 :]
        if not path.startswith(f"{rel_dir}/") or hidden(rel):
            continue
        if path.endswith("/"):  # a whole folder, not listed file by file
            return None
        try:
            kind = data_kind(rel)
        except Stray:
            return None
        if kind is None:
            continue
        if kind.kind not in LEAF_KINDS:
            return None
        file = root / path
        if os.path.lexists(file):
            if file.is_symlink() or not file.is_file():
                return None
            raw = file.read_bytes()
            if len(raw) > MAX_BYTES and len(raw) > max_bytes(path):
                return None
            if base_blobs.get(rel) == blob_id(raw):
                continue  # git saw a change (a mode, a line ending) the loader does not
            new_bytes[rel] = raw
        edits[rel] = kind
    return edits, new_bytes


@dataclass(frozen=True)
class Changes:
    """A listing with the working tree's changes applied (`changed_listing`)."""

    edits: dict[str, FileKind]  # the changed files a full load examines (kind)
    new_bytes: dict[str, bytes]  # the bytes of those still present
    blobs: dict[str, str]  # path -> blob id of every file after the change

    def digest(self, base: Listing) -> str:
        """The content digest after the change, patched from the base's (not computed
        again over 70,000 files); the base's own when nothing a load examines changed."""
        if not self.edits:
            return base.digest
        return text_digest(patched(base.text, base, self.blobs, sorted(self.edits)))


def changed_listing(
    root: Path, rel_dir: str, base: Listing, changed: Mapping[str, str]
) -> Changes | None:
    """`base` with the changes git lists (`changed`: paths from the root -> status) made
    to it; None as `edits_of` says."""
    edited = edits_of(root, rel_dir, changed, base.blobs)
    if edited is None:
        return None
    edits, new_bytes = edited
    blobs = {**base.blobs, **{rel: blob_id(raw) for rel, raw in new_bytes.items()}}
    for rel in edits:
        if rel not in new_bytes:
            blobs.pop(rel, None)
    if any(rel in blobs and twin(rel) in blobs for rel in edits):
        return None  # a file now in both forms: only a full load reports it
    return Changes(edits, new_bytes, blobs)


def reader(
    root: Path, rel_dir: str, repo: GitRepo, rev: str, changes: Changes
) -> Callable[[str], bytes]:
    """A `sources.Source.read` for the files of `changes`: a changed file's bytes as read;
    an unchanged one's from the working tree when they are the blob listed (as they are
    unless a git filter rewrites them, or the file changed since git looked), else from
    git at `rev` (slower)."""
    folder, new_bytes, blobs = root / rel_dir, changes.new_bytes, changes.blobs

    def read(rel: str) -> bytes:
        if rel in new_bytes:
            return new_bytes[rel]
        try:
            raw = (folder / rel).read_bytes()
            if blob_id(raw) == blobs[rel]:
                return raw
        except OSError:
            pass
        at_rev = repo.read(rev, f"{rel_dir}/{rel}")
        if at_rev is None:
            raise FileNotFoundError(rel)
        return at_rev

    return read


def worktree_changes(repo: GitRepo, folder: str) -> dict[str, str] | None:
    """Every file under `folder` (relative to the root) that differs from HEAD in the
    working tree — changed, staged, untracked or ignored — as path -> status; None when git
    may not see every change (entries marked assume-unchanged or skip-worktree, or
    unmerged). Untracked files come from the kept folder listings (untracked.py), which
    `memo` keeps up to date."""
    status = repo.start_command(
        "--no-optional-locks", "status", "--porcelain=v1", "-z", "-uno", "--no-renames",
        "--", f":/{repo.prefix}{folder}",
    )  # fmt: skip
    index = repo.top / repo.run("rev-parse", "--git-path", "index").rstrip("\n")
    try:
        others = untracked_files(repo.root, CYCLES, index)
    except Unsure:
        status.output()
        return None
    found: dict[str, str] = {}
    for entry in filter(None, text(status.output()).split("\0")):
        rel = repo.relative(entry[3:])
        if rel is not None:
            found[rel] = "deleted" if "D" in entry[:2] else "modified"
    found.update((rel, "added") for rel in others if rel.startswith(f"{folder}/"))
    return found
