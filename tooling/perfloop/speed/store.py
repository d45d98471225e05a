"""The files of the cache: marshalled values, each sealed with a keyed MAC and written
atomically, and the tool's fingerprints that name what they depend on.

The cache lives where git cannot carry it (`root.cache_folder`: inside `.git/`), and no
entry is trusted on its bytes alone: each carries an HMAC-SHA256, under a secret key kept in
the cache folder (`key`, 0600, in a 0700 folder) or given by `PERFLOOP_CACHE_KEY`, over the
entry's name and content. A bit flip, an entry moved to another name, or one written by
anyone without the key is a miss, and the result is computed again. A file outside a cache
folder located by this process is never read.

Light on purpose (os, marshal, hashlib, hmac): a replayed command (`memo`) finds its stored
output through this module while git works, and `pathlib` and `typing` would be a large
part of such a run. Paths are plain strings or path-like objects.
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import sys
from functools import cache

from .. import __version__
from ..root import known_cache_folders

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    PathLike = str | os.PathLike[str]

# the package folder (this module sits in its speed/): its modules and schemas are read
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RACY_NS = 2_000_000_000  # a file modified this close to a stat index's writing is re-hashed


@cache
def fingerprint() -> str:
    """Changes whenever anything that decides a parsed file's outcome changes: the cache
    folder of examined files is named after it."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"{__version__} {sys.version_info[:2]} {marshal.version}".encode())
    for name in ("loader.py", "speed/fastload.py", "schema.py", "speed/cache.py"):
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


KEY_FILE = "key"
KEY_ENV = "PERFLOOP_CACHE_KEY"
MAC_SIZE = 32  # HMAC-SHA256
_keys: dict[str, bytes] = {}


def owner(file: PathLike) -> str | None:
    """The cache folder `file` is in (one `root.cache_folder` located), else None."""
    known = known_cache_folders()
    folder = os.path.dirname(os.path.abspath(file))
    for _ in range(4):  # runs/<key>, <fingerprint>/verdicts/<key>: never deeper
        if folder in known:
            return folder
        folder = os.path.dirname(folder)
    return None


def secret(folder: str, create: bool = False) -> bytes | None:
    """The MAC key of the cache `folder`: from `PERFLOOP_CACHE_KEY` when set (CI: a
    secret, so that a restored cache never carries its own key), else the folder's `key`
    file, made (0600, its folder 0700) when `create` and missing. A key file that others
    may read or write, or that is not 32 bytes, is replaced: what was sealed under it is
    then a miss. None when there is no key (nothing can be trusted or written): under
    GitHub Actions without the secret, where a key file may have come with a restored
    cache."""
    given = os.environ.get(KEY_ENV)
    if given:
        return hashlib.sha256(b"perfloop cache key\0" + given.encode()).digest()
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return None
    key = _keys.get(folder)
    if key is None:
        key = _read_key(folder)
        if key is None and create:
            key = _new_key(folder)
        if key is not None:
            _keys[folder] = key
    return key


def _read_key(folder: str) -> bytes | None:
    try:
        with open(os.path.join(folder, KEY_FILE), "rb") as handle:
            stat = os.fstat(handle.fileno())
            key = handle.read(MAC_SIZE + 1)
    except OSError:
        return None
    if len(key) != MAC_SIZE or stat.st_mode & 0o077 or stat.st_uid != os.getuid():
        return None
    return key


def _new_key(folder: str) -> bytes | None:
    import tempfile

    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # the cache holds what its owner's runs computed
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(MAC_SIZE))
        target = os.path.join(folder, KEY_FILE)
        try:
            os.link(tmp, target)  # never replaces a key another run just made
        except FileExistsError:
            if _read_key(folder) is None:  # an unusable key: replaced
                os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return None
    return _read_key(folder)


def _mac(key: bytes, name: str, payload: bytes | memoryview) -> bytes:
    mac = hmac.new(key, f"perfloop-cache-1\0{name}\0".encode(), "sha256")
    mac.update(payload)
    return mac.digest()


def entry_mac(key: bytes, payload: bytes | memoryview) -> bytes:
    """The MAC of one entry of a pack (its payload names its key, so this binds it)."""
    return hmac.digest(key, payload, "sha256")


def entry_ok(key: bytes, sealed: bytes | memoryview) -> bool:
    """Whether a pack entry (`entry_mac` + payload) is as the key's holder wrote it."""
    return len(sealed) > MAC_SIZE and hmac.compare_digest(
        entry_mac(key, sealed[MAC_SIZE:]), sealed[:MAC_SIZE]
    )


def read(file: PathLike) -> Any:
    """The value stored in `file`; None when there is none, it cannot be read, or its MAC
    does not match (damaged, moved, or not written by this cache's key holder)."""
    folder = owner(file)
    key = None if folder is None else secret(folder)
    if key is None:
        return None
    try:
        with open(file, "rb") as handle:
            data = handle.read()
        # loads(read()): marshal.load on a file object reads object by object, 6x slower
        payload = memoryview(data)[MAC_SIZE:]
        name = os.path.relpath(os.path.abspath(file), folder)
        if not hmac.compare_digest(data[:MAC_SIZE], _mac(key, name, payload)):
            return None
        return marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return None  # no cache yet, or an unreadable one: start afresh


def write(file: PathLike, value: Any) -> None:
    """Store `value` marshalled and sealed with the cache's MAC, atomically; a read-only
    checkout (or a file outside a cache folder) just runs uncached."""
    folder = owner(file)
    key = None if folder is None else secret(folder, create=True)
    if key is None:
        return
    payload = marshal.dumps(value)
    name = os.path.relpath(os.path.abspath(file), folder)
    write_raw(file, _mac(key, name, payload) + payload)


def write_raw(file: PathLike, data: bytes) -> None:
    """Write atomically (temp file + rename); a read-only checkout just runs uncached."""
    try:
        parent = os.path.dirname(os.path.abspath(file))
        os.makedirs(parent, mode=0o700, exist_ok=True)
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
