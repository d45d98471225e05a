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
CHUNK = 64 * 1024 + 16  # a payload chunk with its tag
# The recipient types a key in org.yaml can be; other stanza types in a header are "grease"
# (random stanzas rage adds so that parsers stay tolerant) or a plugin, and are not counted.
RECIPIENT_TYPES = {"X25519": "age", "ssh-ed25519": "ssh-ed25519", "ssh-rsa": "ssh-rsa"}
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
    # their X25519 keys in the form fastopen.py opens with: None until first use, () when
    # rage opens every file (an SSH key among them, or no accelerator)
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


def write_identity(path: Path, text: str) -> None:
    """A new identity file, readable by its owner only (0600) from its creation; an
    existing file is never overwritten (FileExistsError): it may be someone's only key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)


_BEGIN, _END = ARMOR_BEGIN.encode(), ARMOR_END.encode()
_SPACE = b" \t\n\r\x0c"  # what rage's armor reader allows after the end line


def dearmor(sealed: bytes) -> bytes:
    """The binary age file inside ASCII armor, as rage's armor reader reads it (`sealed`
    itself when it does not begin with the begin line: rage reads it as binary). Raises
    SealError at the first line rage refuses."""
    if not sealed.startswith(_BEGIN):
        return sealed
    from .fastopen import dearmor_canonical

    canonical = dearmor_canonical(sealed)  # what age and rage write: one decode of the whole
    return canonical if canonical is not None else _dearmor_lines(sealed)


def _dearmor_lines(sealed: bytes) -> bytes:
    """Armor in any layout rage reads, line by line: LF or CRLF line ends (each line its
    own), lines of 64 columns and one shorter, non-empty last line, each line canonical
    padded base64, then the end line, with nothing but whitespace after it."""
    lines = sealed.split(b"\n")
    if lines[0].removesuffix(b"\r") != _BEGIN:
        raise SealError("ASCII armor line 1: not the age begin line alone")
    out: list[bytes] = []
    short = False
    for number, raw in enumerate(lines[1:], start=2):
        last = number == len(lines)  # no line end after it
        line = raw if last or not raw.endswith(b"\r") else raw[:-1]
        if line == _END:
            if b"\n".join(lines[number:]).strip(_SPACE):
                raise SealError(f"ASCII armor line {number + 1}: text after the end line")
            return b"".join(out)
        if last:
            break
        if b"\r" in line:
            raise SealError(f"ASCII armor line {number}: a stray carriage return")
        if short or not 0 < len(line) <= 64:
            raise SealError(f"ASCII armor line {number}: not wrapped at 64 columns")
        short = len(line) < 64
        try:
            data = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            data = None
        if data is None or base64.b64encode(data) != line:
            raise SealError(f"ASCII armor line {number}: not canonical base64")
        out.append(data)
    raise SealError("ASCII armor has no end line")


def header(sealed: bytes) -> Header:
    """Inspect a sealed file without a key, refusing what age and rage refuse for a reason
    anyone can see: its armor as rage reads it, the header in age's grammar (the one
    `fastopen.parse_header` reads), each recipient stanza's form and share (one of small
    order makes every recipient's key agreement all zeros), an scrypt stanza beside
    others, and a payload too short for its nonce and chunks. What only a key can tell (the
    header MAC, the payload's tags) is the gate's. Raises SealError saying what is wrong."""
    from .fastopen import Problem, parse_header, recipient_problem

    binary = dearmor(sealed)
    parsed = parse_header(binary)
    if isinstance(parsed, Problem):
        raise SealError(str(parsed))
    kinds = []
    for number, (kind, stanza) in enumerate(parsed.stanzas, start=1):
        problem = recipient_problem(kind, stanza)
        if problem:
            raise SealError(f"stanza {number}: {problem}")
        if kind == b"scrypt" and len(parsed.stanzas) > 1:
            raise SealError(f"stanza {number}: an scrypt stanza beside other stanzas")
        text = kind.decode("ascii")
        if text in RECIPIENT_TYPES:
            kinds.append(text)
    problem = _payload_problem(len(binary) - parsed.payload_at)
    if problem:
        raise SealError(problem)
    return Header(tuple(kinds))


def _payload_problem(size: int) -> str | None:
    """What is wrong with a payload of `size` bytes whatever its content: a 16-byte nonce,
    then chunks of 64 KiB and their tag, the last shorter or full, empty only when alone."""
    if size < 16:
        return "age payload too short for its nonce"
    whole, rest = divmod(size - 16, CHUNK)
    if (whole == 0 and rest < 16) or 0 < rest < 16:
        return "age payload is truncated (a chunk shorter than its tag)"
    if whole and rest == 16:
        return "age payload ends in an empty chunk"
    return None


def recipient_type(key: str) -> str:
    """The stanza type a key produces (`X25519`, `ssh-ed25519`, `ssh-rsa`)."""
    return "X25519" if key.strip().startswith("age1") else key.split()[0]


def expected_stanzas(keys: Sequence[str]) -> int:
    """How many recipient stanzas sealing to `keys` writes (each distinct key once)."""
    return len({" ".join(k.split()[:2]) for k in keys})
