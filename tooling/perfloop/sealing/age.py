"""age files, the edge around pyrage: seal to recipients, open with identities, and inspect a
sealed file's header without any key (what the PR check can do on an untrusted branch).

Every file is written in ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`), which git diffs
as text and `age -d -i KEY FILE.age` reads with the standard tool.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = ".age"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
VERSION_LINE = b"age-encryption.org/v1"
# The recipient types a key in org.yaml can be; other stanza types in a header are "grease"
# (random stanzas rage adds so that parsers stay tolerant) or a plugin, and are not counted.
RECIPIENT_TYPES = {"X25519": "age", "ssh-ed25519": "ssh-ed25519", "ssh-rsa": "ssh-rsa"}
MAX_HEADER = 64 * 1024  # a header with thousands of stanzas is hostile, not an audience
_STANZA = re.compile(rb"-> (\S+)(?: [^\n]*)?\n")
_KEY = re.compile(r"^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 \S+|ssh-rsa \S+)(?: .*)?$")


class SealError(Exception):
    """A key, identity or file that cannot be used, with a message for people."""


@dataclass(frozen=True)
class Header:
    """What anyone can read of a sealed file: its recipients' types, never who they are."""

    stanzas: tuple[str, ...]  # recipient types in order, grease left out

    @property
    def recipients(self) -> int:
        return len(self.stanzas)


def is_sealed_path(path: str) -> bool:
    return path.endswith(SUFFIX)


def plain_path(path: str) -> str:
    """`reviews/alice/dave.yaml.age` -> `reviews/alice/dave.yaml` (section 5 rules apply to it)."""
    return path[: -len(SUFFIX)] if is_sealed_path(path) else path


def key_problem(key: str) -> str | None:
    """Why `key` (org.yaml `key:` or `org_key:`) is not a recipient, or None if it is one."""
    if not _KEY.match(key.strip()):
        return "is not an age recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)"
    try:
        _recipient(key)
    except SealError as exc:
        return str(exc)
    return None


@functools.cache  # a key is parsed once however many files it seals
def _recipient(key: str):  # -> pyrage recipient
    from pyrage import RecipientError, ssh, x25519

    text = key.strip()
    try:
        if text.startswith("age1"):
            return x25519.Recipient.from_str(text)
        return ssh.Recipient.from_str(" ".join(text.split()[:2]))
    except (RecipientError, ValueError) as exc:
        raise SealError(f"is not a valid key ({exc})") from None


def seal(plaintext: bytes, keys: Iterable[str]) -> bytes:
    """`plaintext` encrypted to every key (duplicates once), in ASCII armor."""
    import pyrage

    recipients, seen = [], set()
    for key in keys:
        canonical = " ".join(key.split()[:2])
        if canonical not in seen:
            seen.add(canonical)
            recipients.append(_recipient(key))
    if not recipients:
        raise SealError("no recipient has a key")
    try:
        return pyrage.encrypt(plaintext, recipients, armored=True)
    except pyrage.EncryptError as exc:  # pragma: no cover - recipients were parsed above
        raise SealError(str(exc)) from None


@dataclass(frozen=True)
class Identities:
    """The caller's keys, from an age identity file or an SSH private key."""

    source: str
    keys: tuple  # pyrage identities
    # their X25519 keys in the form fastopen.py opens with (made on first use; None: rage only)
    _fast: tuple | None = field(default=None, compare=False, repr=False)

    def open(self, sealed: bytes) -> bytes | None:
        """The plaintext, or None when none of these keys is a recipient of `sealed`.
        fastopen.py answers where it can vouch for the answer (one key agreement, not one
        per recipient); rage answers everything else, errors included."""
        import pyrage

        from . import fastopen

        if self._fast is None:
            x25519 = [str(k) for k in self.keys if str(k).startswith("AGE-SECRET-KEY-1")]
            every = len(x25519) == len(self.keys)  # an SSH key's stanzas are rage's to try
            object.__setattr__(self, "_fast", (every and fastopen.fast_keys(x25519)) or ())
        if self._fast:
            answer = fastopen.open_sealed(sealed, self._fast)  # None: rage answers
            if answer is fastopen.NOT_OURS:
                return None
            if isinstance(answer, bytes):
                return answer
        try:
            return pyrage.decrypt(sealed, list(self.keys))
        except pyrage.DecryptError as exc:
            if "No matching keys" in str(exc):
                return None
            raise SealError(f"not a readable age file ({exc})") from None


def identity_path(option: str | None) -> Path | None:
    """Where the caller's identity is: `--identity`, `PERFLOOP_IDENTITY`, `~/.ssh/id_ed25519`.
    None when none is given and the default does not exist (the caller reads nothing sealed)."""
    given = option or os.environ.get("PERFLOOP_IDENTITY")
    if given:
        return Path(given).expanduser()
    default = Path("~/.ssh/id_ed25519").expanduser()
    return default if default.is_file() else None


def load_identities(path: Path) -> Identities:
    """Read an age identity file (`AGE-SECRET-KEY-1…` lines, `#` comments) or an unencrypted
    SSH private key (ed25519 or RSA)."""
    from pyrage import IdentityError, ssh, x25519

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SealError(f"{path}: cannot read identity: {exc.strerror}") from None
    text = raw.decode("utf-8", "replace")
    try:
        if "-----BEGIN OPENSSH PRIVATE KEY-----" in text or "PRIVATE KEY-----" in text:
            return Identities(str(path), (ssh.Identity.from_buffer(raw),))
        keys = tuple(
            x25519.Identity.from_str(line.strip())
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )
    except (IdentityError, ValueError) as exc:
        raise SealError(f"{path}: not an age identity or SSH private key ({exc})") from None
    if not keys:
        raise SealError(f"{path}: holds no identity")
    return Identities(str(path), keys)


def generate_identity() -> tuple[str, str]:
    """(identity file text, its recipient): a new x25519 key pair, as `age-keygen` writes it."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    return f"# public key: {public}\n{identity}\n", public


def dearmor(sealed: bytes) -> bytes:
    """The binary age file inside ASCII armor (or `sealed` itself when it is not armored)."""
    text = sealed.decode("ascii", "strict").strip() if sealed[:5] == b"-----" else None
    if text is None:
        return sealed
    lines = text.splitlines()
    if lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise SealError("ASCII armor does not begin and end with the age markers")
    body = "".join(lines[1:-1])
    if " " in body or "\t" in body:  # rare: spaces around lines (a generator is slow here)
        body = "".join(line.strip() for line in lines[1:-1])
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise SealError("ASCII armor holds invalid base64") from None


def header(sealed: bytes) -> Header:
    """Inspect a sealed file without a key: armor, version line, stanzas, header MAC.
    Raises SealError saying what is wrong."""
    try:
        binary = dearmor(sealed)
    except UnicodeDecodeError:
        raise SealError("not an age file in ASCII armor") from None
    head = binary[:MAX_HEADER]
    quick = _quick_stanzas(head, len(binary))
    if quick is not None:
        return Header(quick)
    if not head.startswith(VERSION_LINE + b"\n"):
        raise SealError("not an age v1 file (no 'age-encryption.org/v1' line)")
    at, stanzas = len(VERSION_LINE) + 1, []
    while True:
        if head.startswith(b"--- ", at):
            end = head.find(b"\n", at)
            if end < 0 or (len(head) == end + 1 and len(binary) == end + 1):
                raise SealError("age header has no payload")
            break
        match = _STANZA.match(head, at)
        if match is None:
            raise SealError("age header is malformed (expected a '-> ' stanza or '--- ' MAC)")
        kind = match.group(1).decode("ascii", "replace")
        at = match.end()
        # the stanza body: base64 lines of 64 characters, ended by a shorter line
        while True:
            end = head.find(b"\n", at)
            if end < 0:
                raise SealError("age header is truncated")
            line, at = head[at:end], end + 1
            if len(line) < 64:
                break
        if kind in RECIPIENT_TYPES:
            stanzas.append(kind)
    return Header(tuple(stanzas))


_WHOLE_STANZA = re.compile(rb"-> (\S+)(?: [^\n]*)?\n(?:[^\n]{64}\n)*[^\n]{0,63}\n")


def _quick_stanzas(head: bytes, size: int) -> tuple[str, ...] | None:
    """`header`'s stanzas for a well-formed header, a stanza per regular-expression match
    (a third of the line-by-line walk's time: a keyless check inspects every sealed file);
    None for anything else, which `header` then walks to say what is wrong."""
    if not head.startswith(VERSION_LINE + b"\n"):
        return None
    at, kinds = len(VERSION_LINE) + 1, []
    while not head.startswith(b"--- ", at):
        found = _WHOLE_STANZA.match(head, at)
        if found is None:
            return None
        kind = found.group(1).decode("ascii", "replace")
        if kind in RECIPIENT_TYPES:
            kinds.append(kind)
        at = found.end()
    end = head.find(b"\n", at)
    return tuple(kinds) if 0 <= end < size - 1 else None


def recipient_type(key: str) -> str:
    """The stanza type a key produces (`X25519`, `ssh-ed25519`, `ssh-rsa`)."""
    return "X25519" if key.strip().startswith("age1") else key.split()[0]


def expected_stanzas(keys: Sequence[str]) -> int:
    """How many recipient stanzas sealing to `keys` writes (each distinct key once)."""
    return len({" ".join(k.split()[:2]) for k in keys})
