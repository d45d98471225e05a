"""Opening age files sealed to X25519 keys with one key agreement instead of one per
recipient: what lets HR's identity read a large company's sealed reviews in seconds.

rage (pyrage) does an X25519 agreement for every recipient stanza of a file, wherever the
reader's stanza is (figures: benchmarks/README.md). This reads the age v1 format
(https://age-encryption.org/v1) with the `cryptography` package's primitives and stops at
the first stanza the reader's key unwraps, which `files.bulk_readers_first` puts first for
HR and the org key.

Anyone who can open a pull request can write a file to HR's public key, MAC and all, so
this answers only for a file that age and rage both read, and read alike: canonical armor
as they write it, a header in age's strict grammar (every stanza, not only ours), the
header MAC and every payload chunk's tag checked. Anything else (`None`) it leaves to rage,
whose answer and errors stand; the tests hold it to rage and to the Go reference on the
format's test vectors and on thousands of damaged files. "No stanza is ours" (NOT_OURS) is
answered only for a clean header followed by a whole nonce, and only for X25519 identities
(which open nothing but X25519 stanzas), as rage would answer it. Nothing here puts a key
or plaintext in an exception or a message.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from dataclasses import dataclass

from .age import ARMOR_BEGIN, ARMOR_END, CHUNK, VERSION_LINE

try:  # an accelerator: without it every file is opened by rage
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:  # pragma: no cover - cryptography is a dependency
    X25519PrivateKey = None  # type: ignore[assignment,misc]

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VERSION = VERSION_LINE + b"\n"
_X25519_LABEL = b"age-encryption.org/v1/X25519"
_ZERO_NONCE = bytes(12)
_ARMOR_BEGIN = ARMOR_BEGIN.encode() + b"\n"
_ARMOR_END = ARMOR_END.encode() + b"\n"
# age's header grammar (https://age-encryption.org/v1) as regular expressions: base64 is
# canonical and unpadded (a last group of 2 or 3 characters ends in one that leaves no bits
# set beyond the data); arguments are non-empty strings of ASCII 33 to 126; a body is lines
# of 64 columns ended by a shorter one, possibly empty.
_B = rb"[A-Za-z0-9+/]"
_SHORT = rb"(?:%s{4}){0,15}(?:%s[AQgw]|%s{2}[AEIMQUYcgkosw048])?" % (_B, _B, _B)
_STANZA = rb"-> ([\x21-\x7e]+)(?: [\x21-\x7e]+)*\n(?:%s{64}\n)*%s\n" % (_B, _SHORT)
_KEY32 = rb"%s{42}[AEIMQUYcgkosw048]" % _B  # 32 bytes
_MAC_LINE = re.compile(rb"(---) (%s)\n" % _KEY32)
_EACH_STANZA = re.compile(_STANZA)
_X25519_STANZA = re.compile(rb"-> X25519 (%s)\n(%s)\n" % (_KEY32, _KEY32))
# The SSH recipients' stanzas (age's agessh): a 4-byte tag naming the key, then for ed25519
# a 32-byte share and a 32-byte body; for RSA the OAEP ciphertext, as long as the key.
_TAG = rb"%s{5}[AQgw]" % _B
_RECIPIENT_FORMS = {
    b"X25519": _X25519_STANZA.fullmatch,
    b"ssh-ed25519": re.compile(rb"-> ssh-ed25519 %s (%s)\n%s\n" % (_TAG, _KEY32, _KEY32)).fullmatch,
    b"ssh-rsa": re.compile(rb"-> ssh-rsa %s\n" % _TAG).match,
}
# The X25519 shares whose key agreement is all zeros for every key (the points of small order
# on Curve25519 and its twist: u = 0, 1, p - 1 and the two of order 8, as p + u where that
# fits in 255 bits, each with and without the top bit X25519 ignores). age and rage refuse a
# file with one in any stanza they try; anyone can tell without a key.
_P = 2**255 - 19
_SMALL_ORDER = frozenset(
    (u | top).to_bytes(32, "little")
    for u in (
        0,
        1,
        _P - 1,
        _P,
        _P + 1,
        0xB8495F16056286FDB1329CEB8D09DA6AC49FF1FAE35616AEB8413B7C7AEBE0,
        0x57119FD0DD4E22D8868E1C58C45C44045BEF839C55B1D0B1248C50A3BC959C5F,
    )
    for top in (0, 1 << 255)
)
NOT_OURS = object()  # `open_fast`'s answer when none of the keys is a recipient


@dataclass(frozen=True)
class FastKey:
    secret: object  # X25519PrivateKey
    public: bytes  # its 32-byte public key (half of the stanza's HKDF salt)


def fast_keys(identity_strings: list[str]) -> tuple[FastKey, ...] | None:
    """The fast form of X25519 identities (`AGE-SECRET-KEY-1…`), or None when the accelerator
    is missing or a string does not decode (then rage opens everything)."""
    if X25519PrivateKey is None:
        return None
    out = []
    for text in identity_strings:
        raw = _bech32_bytes(text.strip().lower(), "age-secret-key-")
        if raw is None:
            return None
        secret = X25519PrivateKey.from_private_bytes(raw)
        out.append(FastKey(secret, secret.public_key().public_bytes_raw()))
    return tuple(out)


def _bech32_bytes(text: str, prefix: str) -> bytes | None:
    """The data of a bech32 string (checksum not checked: rage parsed the key already)."""
    if not text.startswith(prefix + "1"):
        return None
    try:
        values = [_BECH32.index(c) for c in text[len(prefix) + 1 : -6]]
    except ValueError:
        return None
    bits, acc, out = 0, 0, bytearray()
    for value in values:
        acc = (acc << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out) if len(out) == 32 else None


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 with a 32-byte output (one block of the expand step)."""
    prk = hmac.digest(salt or bytes(32), ikm, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")


def open_sealed(sealed: bytes, keys: tuple[FastKey, ...]) -> bytes | object | None:
    """`open_fast` for a sealed file as stored: in ASCII armor (only as age writes it) or
    binary. Armor in any other layout is rage's to accept or refuse."""
    if not sealed.startswith(_ARMOR_BEGIN[:5]):
        return open_fast(sealed, keys)
    binary = dearmor_canonical(sealed)
    return None if binary is None else open_fast(binary, keys)


def dearmor_canonical(sealed: bytes) -> bytes | None:
    """The binary file inside canonical armor, or None. Canonical is what age and rage
    write and both read: lines of 64 columns and a shorter last one, canonical padded
    base64, LF line ends, nothing after the end line but its newline. Armor in another
    layout is rage's to read or refuse: vouching for it would open files they refuse."""
    text = sealed if sealed.endswith(b"\n") else sealed + b"\n"
    if not (text.startswith(_ARMOR_BEGIN) and text.endswith(_ARMOR_END)):
        return None
    body = text[len(_ARMOR_BEGIN) : -len(_ARMOR_END)]
    encoded = body.replace(b"\n", b"")
    # m lines of 64 columns but the last (1 to 64), each ended by a newline: exactly m
    # newlines, ending the body, and one after every 64th column
    breaks = body[64::65]
    lines = -(-len(encoded) // 64)
    if not (encoded and body.endswith(b"\n") and len(body) - len(encoded) == lines):
        return None
    if breaks.count(b"\n") != len(breaks):
        return None
    try:
        binary = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    last = (len(encoded) // 4 - 1) * 3  # only the last group can be padded or non-canonical
    return binary if base64.b64encode(binary[last:]) == encoded[-4:] else None


def open_fast(binary: bytes, keys: tuple[FastKey, ...]) -> bytes | object | None:
    """The plaintext of a binary age file; NOT_OURS when its header is clean and none of
    `keys` (X25519 identities, which open X25519 stanzas only) unwraps one of its X25519
    stanzas; None when this does not vouch for an answer (anything malformed or failing a
    check): ask rage."""
    parsed = _header(binary)
    if parsed is None:
        return None
    stanzas, mac, covered, payload_at = parsed
    payload = binary[payload_at:]
    if len(payload) < 16:  # rage reads the nonce before it says "not yours"
        return None
    try:
        file_key = _file_key(stanzas, keys)
    except _Malformed:
        return None
    if file_key is None:
        return NOT_OURS
    header_key = _hkdf(file_key, b"", b"header")
    expected = hmac.digest(header_key, binary[:covered], "sha256")  # up to "---"
    if not hmac.compare_digest(expected, mac):
        return None
    return _payload(payload, file_key)


def _header(binary: bytes) -> tuple[list[tuple[bytes, bytes]], bytes, int, int] | None:
    """The X25519 stanzas (share, wrapped key), the MAC, where the "---" ends (what the MAC
    covers) and where the payload starts, for a header in age's grammar (as age's
    internal/format and rage parse it); None for anything else, including an scrypt stanza
    or a malformed X25519 one, which rage decides. Every stanza is checked, not only ours:
    rage refuses a file for a malformed stanza wherever it is, and a lax parse could read
    a line rage takes for a stanza as another stanza's body."""
    parsed = parse_header(binary)
    if isinstance(parsed, Problem):
        return None
    stanzas = []
    for kind, stanza in parsed.stanzas:
        if kind == b"X25519":
            ours = _X25519_STANZA.fullmatch(stanza)
            if ours is None:
                return None  # one 32-byte share, a 32-byte wrapped key: else invalid
            stanzas.append((_decode(ours.group(1)), _decode(ours.group(2))))
        elif kind == b"scrypt":
            return None  # (an scrypt stanza must be a file's only one: rage decides)
        # another type (rage's random "grease" stanzas, SSH recipients) is not for these keys
    return stanzas, _decode(parsed.mac), parsed.covered, parsed.payload_at


@dataclass(frozen=True)
class Problem:
    """Why a file is not in age's grammar: the header line (1 = the version line) and what
    is wrong there. Never quotes the file: a header is the attacker's text."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"age header line {self.line}: {self.message}"


@dataclass(frozen=True)
class Parsed:
    """A header in age's grammar: each stanza (its type, its text from "-> " to its last
    body line's newline), the MAC (canonical base64), where the "---" ends and where the
    payload starts."""

    stanzas: list[tuple[bytes, bytes]]
    mac: bytes
    covered: int
    payload_at: int


def parse_header(binary: bytes) -> Parsed | Problem:
    """A binary age file's header in age's grammar (https://age-encryption.org/v1), the one
    grammar both the fast opener and the keyless check (`age.header`) read: every stanza
    whole, each argument and body line as age's internal/format and rage read them, then
    the MAC line. What it refuses, age refuses (the tests hold it to the format's vectors).
    Stanza types are not judged here: the caller knows which it reads."""
    if not binary.startswith(_VERSION):
        return Problem(1, "not an age v1 file (no 'age-encryption.org/v1' line)")
    at, stanzas = len(_VERSION), []
    while True:
        stanza = _EACH_STANZA.match(binary, at)
        if stanza is None:
            break
        stanzas.append((stanza.group(1), stanza.group()))
        at = stanza.end()
    mac = _MAC_LINE.match(binary, at)
    if mac is None:
        line = binary.count(b"\n", 0, at) + 1
        if binary.startswith(b"---", at):
            return Problem(line, "a malformed MAC line (not '--- ' and 43 base64 characters)")
        if not binary.startswith(b"-> ", at):
            return Problem(line, "malformed: neither a stanza nor the MAC line")
        if b"\n---" not in binary[at:]:
            return Problem(line, "the header is truncated (no '---' MAC line follows)")
        return Problem(line, "a malformed stanza (not in age's grammar)")
    if not stanzas:
        return Problem(2, "the header has no recipient stanza")
    return Parsed(stanzas, mac.group(2), mac.end(1), mac.end())


def recipient_problem(kind: bytes, stanza: bytes) -> str | None:
    """What anyone can see is wrong with a recipient stanza (X25519, ssh-ed25519, ssh-rsa;
    its text, as `parse_header` gives it): not in age's form for its type, or a share of
    small order. None for a good one and for other types (grease, plugins)."""
    form = _RECIPIENT_FORMS.get(kind)
    if form is None:
        return None
    found = form(stanza)
    if found is None:
        return f"an {kind.decode()} stanza not in age's form"
    if found.lastindex and small_order(_decode(found.group(1))):
        return f"an {kind.decode()} share nobody can open (small order)"
    return None


def small_order(share: bytes) -> bool:
    """Whether every key agreement with `share` is all zeros (age and rage refuse it)."""
    return share in _SMALL_ORDER


def _decode(canonical: bytes) -> bytes:
    """43 characters of canonical unpadded base64 (the grammar checked them): 32 bytes."""
    return binascii.a2b_base64(canonical + b"=")


class _Malformed(Exception):
    """A stanza age and rage refuse (an X25519 share whose key agreement is all zeros):
    rage says what is wrong (NOT_OURS would hide it)."""


def _file_key(stanzas: list[tuple[bytes, bytes]], keys: tuple[FastKey, ...]) -> bytes | None:
    """The file key from the first X25519 stanza one of `keys` unwraps, trying them in
    rage's order (each key against every stanza in turn), or None."""
    for key in keys:
        for share, body in stanzas:
            try:
                shared = key.secret.exchange(X25519PublicKey.from_public_bytes(share))  # type: ignore[attr-defined]
            except ValueError:  # an all-zero shared secret: age and rage refuse the file
                raise _Malformed from None
            wrap = _hkdf(shared, share + key.public, _X25519_LABEL)
            try:
                return ChaCha20Poly1305(wrap).decrypt(_ZERO_NONCE, body, None)
            except InvalidTag:
                continue
    return None


def _payload(payload: bytes, file_key: bytes) -> bytes | None:
    """The STREAM payload: a 16-byte nonce, then 64 KiB chunks, the last one (and only it)
    flagged, empty only when it is the only one; nothing after it."""
    if len(payload) < 16 + 16:
        return None
    cipher = ChaCha20Poly1305(_hkdf(file_key, payload[:16], b"payload"))
    body, out = payload[16:], []
    for counter, start in enumerate(range(0, len(body), CHUNK)):
        chunk = body[start : start + CHUNK]
        last = start + CHUNK >= len(body)
        if len(chunk) <= 16 and counter:
            return None  # only a file's sole chunk may be empty
        nonce = counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out.append(cipher.decrypt(nonce, chunk, None))
        except InvalidTag:
            return None
    return b"".join(out)
