"""Build the site beside its folder and swap it in only when the build succeeded.

MkDocs empties `site_dir` before it writes, so a build that fails half-way used to leave a
published folder holding `404.html`, the theme's assets and a sitemap. The plugin points
`site_dir` at a fresh sibling folder instead (same file system, so the swap is a rename),
and only a build that passed everything, strict mode's warnings and the confidentiality
scan included, replaces the last good site.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2  # linux/fs.h


def stage_for(final: Path) -> Path:
    """A new empty folder beside `final` to build into."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.building-", dir=final.parent))


def swap_in(stage: Path, final: Path) -> None:
    """Make `stage` the folder at `final`; the previous one is removed. Atomic where the
    system can exchange two paths in one call (Linux), otherwise two renames in a row."""
    if not final.exists() and not final.is_symlink():
        os.rename(stage, final)
        return
    if final.is_dir() and not final.is_symlink() and _exchange(stage, final):
        shutil.rmtree(stage, ignore_errors=True)  # now holds the previous site
        return
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    os.rename(final, old / final.name)
    os.rename(stage, final)
    shutil.rmtree(old, ignore_errors=True)


def discard(stage: Path | None) -> None:
    if stage is not None:
        shutil.rmtree(stage, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): both paths swapped at once; False where unavailable."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
        at_fdcwd = -100
        done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
        return done == 0
    return False
