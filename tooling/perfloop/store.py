"""The files of `.perfloop-cache/`: marshalled values, written atomically, and the tool's
fingerprints that name what they depend on.

Light on purpose (os, marshal, hashlib): a replayed command (`memo`) finds its stored
output through this module while git works, and `pathlib` and `typing` alone cost it 40 ms
of a 0.15 s run. Paths are plain strings or path-like objects.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from functools import cache

from . import __version__
from .root import FOLDER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    PathLike = str | os.PathLike[str]

PACKAGE = os.path.dirname(os.path.abspath(__file__))  # its modules and schemas are read
RACY_NS = 2_000_000_000  # a file modified this close to a stat index's writing is re-hashed


@cache
def fingerprint() -> str:
    """Changes whenever anything that decides a parsed file's outcome changes: the cache
    folder of examined files is named after it."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"{__version__} {sys.version_info[:2]} {marshal.version}".encode())
    for name in ("loader.py", "fastload.py", "schema.py", "cache.py"):
        digest.update(_bytes(os.path.join(PACKAGE, name)))
    schemas = os.path.join(PACKAGE, "schemas")
    for name in sorted(os.listdir(schemas)):
        digest.update(name.encode() + _bytes(os.path.join(schemas, name)))
    return digest.hexdigest()[:16]


@cache
def code_fingerprint() -> str:
    """Every module and schema of the package: what a derived result (a replayed output, a
    cycle's verdict) depends on beyond its input files; any code change is a new key."""
    digest = hashlib.sha1(fingerprint().encode(), usedforsecurity=False)
    modules = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(PACKAGE)
        for name in names
        if name.endswith(".py")
    )
    for module in modules:
        digest.update(_bytes(module))
    return digest.hexdigest()[:16]


def _bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read(file: PathLike) -> Any:
    """The value stored in `file`; None when there is none or it cannot be read."""
    try:
        with open(file, "rb") as handle:
            # loads(read()): marshal.load on a file object reads object by object, 6x slower
            return marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None  # no cache yet, or an unreadable one: start afresh


def write(file: PathLike, value: Any) -> None:
    """Store `value` marshalled, atomically; a read-only checkout just runs uncached."""
    write_raw(file, marshal.dumps(value))


def write_raw(file: PathLike, data: bytes) -> None:
    """Write atomically (temp file + rename); a read-only checkout just runs uncached."""
    try:
        parent = os.path.dirname(os.path.abspath(file))
        os.makedirs(parent, exist_ok=True)
        # the cache folder ignores itself, however deep the file (and never the root)
        folder = parent
        while os.path.basename(folder) != FOLDER and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        ignore = os.path.join(folder, ".gitignore")
        if os.path.basename(folder) == FOLDER and not os.path.exists(ignore):
            with open(ignore, "w") as handle:
                handle.write("*\n")
        import tempfile  # not on a replay's path, which only reads

        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, file)
    except (OSError, ValueError):
        pass


def keep_newest(folder: PathLike, keep: int) -> None:
    """Delete all but the `keep` most recently written files of `folder`: stored runs and
    verdicts must not grow without bound."""
    from contextlib import suppress  # not on a replay's path

    try:
        with os.scandir(folder) as entries:
            files = sorted(entries, key=lambda e: e.stat().st_mtime_ns)
        for old in files[:-keep]:
            with suppress(FileNotFoundError):
                os.unlink(old.path)
    except OSError:
        pass
