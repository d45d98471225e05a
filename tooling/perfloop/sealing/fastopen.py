"""Opening age files sealed to X25519 keys with one key agreement instead of one per
recipient: what lets HR's identity read a large company's sealed reviews in seconds.

rage (pyrage) does an X25519 agreement for every recipient stanza of a file, wherever the
reader's stanza is (figures: benchmarks/README.md, session 14). This reads the age v1 format
(https://age-encryption.org/v1) with the `cryptography` package's primitives and stops at
the first stanza the reader's key unwraps, which `files.bulk_readers_first` puts first for
HR and the org key. It opens only what it fully verifies (the header MAC and every payload
chunk's tag); anything else it does not vouch for (`None` from `open_fast`), and the caller
asks rage, whose answer and errors stand. "No stanza is ours" is answered here only for a
header that parsed cleanly, and only for X25519 identities (which open nothing but X25519
stanzas), as rage would answer it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

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
_VERSION = b"age-encryption.org/v1\n"
_X25519_LABEL = b"age-encryption.org/v1/X25519"
_CHUNK = 64 * 1024 + 16
_ZERO_NONCE = bytes(12)
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


def _b64(text: bytes) -> bytes | None:
    """Unpadded canonical base64, as age writes it; None otherwise."""
    if b"=" in text:
        return None
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).rstrip(b"=") == text else None


def open_fast(binary: bytes, keys: tuple[FastKey, ...]) -> bytes | object | None:
    """The plaintext of a binary age file; NOT_OURS when its header is clean and none of
    `keys` (X25519 identities, which open X25519 stanzas only) unwraps one of its X25519
    stanzas; None when this does not vouch for an answer (anything malformed or failing a
    check): ask rage."""
    if not binary.startswith(_VERSION):
        return None
    at, stanzas = len(_VERSION), []
    while True:
        end = binary.find(b"\n", at)
        if end < 0:
            return None
        line = binary[at:end]
        if line.startswith(b"--- "):
            break
        parts = line.split(b" ")
        if len(parts) < 2 or parts[0] != b"->" or parts[1] == b"scrypt":
            return None  # (an scrypt stanza must be a file's only one: rage decides)
        body, at = _body(binary, end + 1)
        if body is None:
            return None
        if parts[1] == b"X25519":
            if len(parts) != 3 or len(parts[2]) != 43 or len(body) != 43:
                return None  # a 32-byte share and a 32-byte wrapped key, in base64
            stanzas.append((parts[2], body))  # decoded when tried
        # another type (rage's random "grease" stanzas, SSH recipients) is not for these keys
    mac = _b64(line[4:])
    if not stanzas or mac is None or len(mac) != 32:
        return None
    header_end = end + 1
    try:
        file_key = _unwrap(stanzas, keys)
    except _Malformed:
        return None
    if file_key is None:
        return NOT_OURS
    header_key = _hkdf(file_key, b"", b"header")
    expected = hmac.digest(header_key, binary[: at + 3], "sha256")
    if not hmac.compare_digest(expected, mac):
        return None
    return _payload(binary[header_end:], file_key)


def _body(binary: bytes, at: int) -> tuple[bytes | None, int]:
    """A stanza's body, still in base64 (lines of 64 characters, ended by a shorter one),
    and where the next line starts."""
    lines = []
    while True:
        end = binary.find(b"\n", at)
        if end < 0 or end - at > 64:
            return None, at
        lines.append(binary[at:end])
        at = end + 1
        if len(lines[-1]) < 64:
            return b"".join(lines), at


class _Malformed(Exception):
    """A stanza this cannot decode: rage says what is wrong (NOT_OURS would hide it)."""


def _decoded(text: bytes) -> bytes:
    raw = _b64(text)
    if raw is None or len(raw) != 32:
        raise _Malformed
    return raw


def _unwrap(stanzas: list[tuple[bytes, bytes]], keys: tuple[FastKey, ...]) -> bytes | None:
    """The file key from the first X25519 stanza one of `keys` unwraps (stanzas are decoded
    as they are tried: the header MAC then vouches for the whole header), or None."""
    for key in keys:
        for share_text, body_text in stanzas:
            share, body = _decoded(share_text), _decoded(body_text)
            try:
                shared = key.secret.exchange(X25519PublicKey.from_public_bytes(share))  # type: ignore[attr-defined]
            except ValueError:  # an all-zero shared secret: not a stanza for anyone
                continue
            wrap = _hkdf(shared, share + key.public, _X25519_LABEL)
            try:
                found = ChaCha20Poly1305(wrap).decrypt(_ZERO_NONCE, body, None)
            except InvalidTag:
                continue
            if len(found) == 16:
                return found
    return None


def _payload(payload: bytes, file_key: bytes) -> bytes | None:
    """The STREAM payload: a 16-byte nonce, then 64 KiB chunks, the last one flagged."""
    if len(payload) < 16 + 16:
        return None
    cipher = ChaCha20Poly1305(_hkdf(file_key, payload[:16], b"payload"))
    body, out = payload[16:], []
    for counter, start in enumerate(range(0, len(body), _CHUNK)):
        chunk = body[start : start + _CHUNK]
        last = start + _CHUNK >= len(body)
        if len(chunk) <= 16 and (not last or counter):
            return None  # only a file's sole chunk may be empty
        nonce = counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out.append(cipher.decrypt(nonce, chunk, None))
        except InvalidTag:
            return None
    return b"".join(out)
