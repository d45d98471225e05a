"""The fast opener of X25519-sealed files (sealing/fastopen.py) gives rage's answer: the
same plaintext, "not yours" exactly when rage says so, and rage's own error (by falling
back to it) for every file it cannot vouch for.

Whoever can open a pull request can write a sealed file to HR's public key, so every byte
of one is the attacker's choice, header MAC included. The differential tests hold the fast
opener to rage (and, where the `age` tool is installed, to the Go reference) on the age
format's own test vectors and on thousands of damaged variants of real files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyrage import ssh, x25519

from perfloop.sealing import age, fastopen

ME, OTHER, THIRD = (x25519.Identity.generate() for _ in range(3))
VECTORS = Path(__file__).parent / "age_vectors"
GO_AGE = shutil.which("age")  # Debian's `age` is the Go reference implementation
NO_MATCH, REFUSED = "no match", "refused"


def keys(*identities: x25519.Identity) -> age.Identities:
    return age.Identities("test", tuple(identities))


def rage(sealed: bytes, *identities: x25519.Identity) -> bytes | str:
    """rage's answer: the plaintext, NO_MATCH, or REFUSED."""
    try:
        return pyrage.decrypt(sealed, list(identities or [ME]))
    except pyrage.DecryptError as exc:
        return NO_MATCH if "No matching keys" in str(exc) else REFUSED


def perfloop(sealed: bytes, *identities: x25519.Identity) -> bytes | str:
    """What a reading command gets (`Identities.open`, the fast path first), in rage's terms."""
    try:
        plaintext = keys(*(identities or [ME])).open(sealed)
    except age.SealError:
        return REFUSED
    return NO_MATCH if plaintext is None else plaintext


def fast(sealed: bytes, *identities: x25519.Identity) -> bytes | str | None:
    """The fast opener's own answer: the plaintext, NO_MATCH, or None (rage decides)."""
    found = fastopen.open_sealed(sealed, fastopen.fast_keys([str(k) for k in identities or [ME]]))
    return NO_MATCH if found is fastopen.NOT_OURS else found


def go_age(sealed: bytes, identity_file: Path) -> bytes | str:
    run = subprocess.run(["age", "-d", "-i", identity_file], input=sealed, capture_output=True)
    if run.returncode == 0:
        return run.stdout
    return NO_MATCH if b"no identity matched" in run.stderr else REFUSED


# --- what an attacker writes: any header, with a valid MAC ------------------------------------


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(ikm)


def b64(raw: bytes) -> bytes:
    return base64.b64encode(raw).rstrip(b"=")


def public(identity: x25519.Identity) -> bytes:
    return fastopen.fast_keys([str(identity)])[0].public


def x25519_stanza(identity: x25519.Identity, file_key: bytes, share: bytes | None = None) -> bytes:
    """A recipient stanza wrapping `file_key` to `identity` (with `share`: a chosen ephemeral
    share, such as a low-order point, and a body of random bytes)."""
    if share is not None:
        return b"-> X25519 " + b64(share) + b"\n" + b64(os.urandom(32)) + b"\n"
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public(identity)))
    wrap = _hkdf(shared, share + public(identity), b"age-encryption.org/v1/X25519")
    body = ChaCha20Poly1305(wrap).encrypt(bytes(12), file_key, None)
    return b"-> X25519 " + b64(share) + b"\n" + b64(body) + b"\n"


def craft(file_key: bytes, stanzas: list[bytes], plaintext: bytes = b"rating: 5\n") -> bytes:
    """A binary age file with these stanza lines, its header MAC made with `file_key`."""
    head = b"age-encryption.org/v1\n" + b"".join(stanzas) + b"---"
    mac = hmac.digest(_hkdf(file_key, None, b"header"), head, "sha256")
    nonce = os.urandom(16)
    stream = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    pieces = [plaintext[i : i + 65536] for i in range(0, len(plaintext), 65536)] or [b""]
    chunks = [
        stream.encrypt(n.to_bytes(11, "big") + bytes([n == len(pieces) - 1]), piece, None)
        for n, piece in enumerate(pieces)
    ]
    return head + b" " + b64(mac) + b"\n" + nonce + b"".join(chunks)


def armor(binary: bytes, width: int = 64, eol: bytes = b"\n") -> bytes:
    text = base64.b64encode(binary)
    lines = [text[i : i + width] for i in range(0, len(text), width)]
    begin, end = b"-----BEGIN AGE ENCRYPTED FILE-----", b"-----END AGE ENCRYPTED FILE-----"
    return eol.join([begin, *lines, end]) + eol


GREASE = b"-> grease-x 8)9 +/=\nbm90IGEgcmVhbCByZWNpcGllbnQ\n"


def test_a_crafted_canonical_file_is_opened_by_all_three(tmp_path: Path) -> None:
    """The crafting above writes what age and rage read: the cases below differ from it in
    the one way they name."""
    key = os.urandom(16)
    sealed = armor(craft(key, [x25519_stanza(OTHER, key), GREASE, x25519_stanza(ME, key)]))
    assert fast(sealed) == rage(sealed) == perfloop(sealed) == b"rating: 5\n"
    if GO_AGE:
        identity = tmp_path / "me.key"
        identity.write_text(f"{ME}\n")
        assert go_age(sealed, identity) == b"rating: 5\n"


# --- what the fast opener answers itself -------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 700, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000])
@pytest.mark.parametrize("armored", [True, False])
def test_plaintext_of_every_size_is_rages(size: int, armored: bool) -> None:
    plaintext = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    recipients = [OTHER.to_public(), ME.to_public(), THIRD.to_public()]
    sealed = pyrage.encrypt(plaintext, recipients, armored=armored)
    assert fast(sealed) == plaintext == rage(sealed)  # answered here, not by rage
    assert keys(ME).open(sealed) == plaintext


def test_not_a_recipient_is_none_as_rage_says() -> None:
    sealed = pyrage.encrypt(b"rating: 5\n", [OTHER.to_public(), THIRD.to_public()], armored=True)
    assert fast(sealed) == NO_MATCH == rage(sealed)
    assert keys(ME).open(sealed) is None


def test_ssh_stanzas_beside_ours_and_another_identity_in_the_file(tmp_path: Path) -> None:
    private = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", private], check=True)
    public = private.with_suffix(".pub").read_text().split()
    ssh_recipient = ssh.Recipient.from_str(" ".join(public[:2]))
    recipients = [ssh_recipient, OTHER.to_public(), ME.to_public()]
    sealed = pyrage.encrypt(b"comments: fine\n", recipients, armored=True)
    assert keys(ME).open(sealed) == b"comments: fine\n"
    assert keys(THIRD, ME).open(sealed) == b"comments: fine\n"  # the second key of a file
    assert keys(THIRD).open(sealed) is None
    ssh_only = pyrage.encrypt(b"comments: fine\n", [ssh_recipient], armored=True)
    assert fast(ssh_only) == rage(ssh_only) == NO_MATCH  # an X25519 key opens no SSH stanza


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # payload truncated
        lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:],  # payload tampered
        lambda b: b.replace(b"\n--- ", b"\n--- A", 1),  # header MAC altered
        lambda b: b.split(b"\n--- ")[0] + b"\n",  # no MAC and no payload
        lambda b: b.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1),
    ],
)
def test_a_damaged_file_gets_rages_error_never_a_plaintext(damage) -> None:
    binary = pyrage.encrypt(b"rating: 1\n", [ME.to_public(), OTHER.to_public()])
    broken = damage(binary)
    assert fastopen.open_fast(broken, fastopen.fast_keys([str(ME)])) is None  # not vouched
    with pytest.raises(age.SealError) as raised:
        keys(ME).open(broken)
    with pytest.raises(pyrage.DecryptError) as by_rage:
        pyrage.decrypt(broken, [ME])
    assert str(by_rage.value) in str(raised.value)


def test_a_file_key_for_someone_else_does_not_open_it_under_our_stanza() -> None:
    """A stanza copied from another file (our key, another file key): the header MAC fails,
    and the answer is rage's error, not that file's plaintext or "not yours"."""
    ours = pyrage.encrypt(b"a\n", [ME.to_public()])
    theirs = pyrage.encrypt(b"b\n", [OTHER.to_public()])
    stanza = ours.split(b"\n-> ")[1].split(b"\n--- ")[0]
    head, rest = theirs.split(b"\n--- ", 1)
    spliced = head + b"\n-> " + stanza + b"\n--- " + rest
    assert fastopen.open_fast(spliced, fastopen.fast_keys([str(ME)])) is None
    with pytest.raises(age.SealError):
        keys(ME).open(spliced)


# --- files age and rage refuse, which the fast opener used to open -------------------------------

KEY = os.urandom(16)
SHARE_ZERO = bytes(32)  # the identity point: any key agreement with it gives all zeros
SHARE_LOW = base64.b64decode("X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEdc=")  # order 8
OURS = x25519_stanza(ME, KEY)


def _canonical() -> bytes:
    return craft(KEY, [x25519_stanza(OTHER, KEY), OURS])


def _reline(binary: bytes, fix: Callable[[list[bytes]], list[bytes]]) -> bytes:
    """`binary` armored, its lines changed by `fix` (a list without the final newline)."""
    return b"\n".join(fix(armor(binary).split(b"\n")[:-1])) + b"\n"


REFUSED_BY_BOTH: dict[str, Callable[[], bytes]] = {
    # The X25519 stanza: a share that makes the shared secret all zeros is an invalid header
    # for age and rage, not "someone else's stanza" to step over.
    "low-order share before ours": lambda: craft(KEY, [x25519_stanza(ME, KEY, SHARE_LOW), OURS]),
    "identity-point share before ours": lambda: craft(
        KEY, [x25519_stanza(ME, KEY, SHARE_ZERO), OURS]
    ),
    "low-order share and none of ours": lambda: craft(
        KEY, [x25519_stanza(OTHER, KEY), x25519_stanza(ME, KEY, SHARE_LOW)]
    ),
    # Stanza grammar: arguments are non-empty strings of ASCII 33-126; a body is canonical
    # unpadded base64 in lines of 64 columns, ended by a shorter line.
    "empty stanza type": lambda: craft(KEY, [b"->  x\n\n", OURS]),
    "empty argument": lambda: craft(KEY, [b"-> grease  x\n\n", OURS]),
    "argument ending in CR": lambda: craft(KEY, [b"-> grease x\r\n\n", OURS]),
    "non-ASCII argument": lambda: craft(KEY, [b"-> grease \xc3\xa9\n\n", OURS]),
    "tab in an argument": lambda: craft(KEY, [b"-> grease a\tb\n\n", OURS]),
    "padded body": lambda: craft(KEY, [b"-> grease\nAAA=\n", OURS]),
    "body not base64": lambda: craft(KEY, [b"-> grease\n!!!!\n", OURS]),
    "body with a space": lambda: craft(KEY, [b"-> grease\nAAAA AAA\n", OURS]),
    "body not canonical": lambda: craft(KEY, [b"-> grease\nAB\n", OURS]),  # trailing bits
    "body of 1 mod 4": lambda: craft(KEY, [b"-> grease\nAAAAA\n", OURS]),
    # A line that looks like a stanza read as the short last line of the one before: rage
    # reads it as an X25519 stanza with an empty body, an invalid header.
    "stanza hidden in a body": lambda: craft(
        KEY, [b"-> grease\n" + b"A" * 64 + b"\n-> X25519 " + b64(os.urandom(32)) + b"\n", OURS]
    ),
    # ASCII armor: PEM with 64 columns, the last line shorter, canonical padded base64.
    "armor lines of 76 columns": lambda: armor(_canonical(), 76),
    "armor lines of 60 columns": lambda: armor(_canonical(), 60),
    "armor: empty line after the begin line": lambda: _reline(
        _canonical(), lambda ls: [ls[0], b"", *ls[1:]]
    ),
    "armor: empty line before the end line": lambda: _reline(
        _canonical(), lambda ls: [*ls[:-1], b"", ls[-1]]
    ),
    "armor: a line joined to the next": lambda: _reline(
        _canonical(), lambda ls: [ls[0], ls[1] + ls[2], *ls[3:]]
    ),
    "armor: space at the end of a line": lambda: _reline(
        _canonical(), lambda ls: [ls[0], ls[1] + b" ", *ls[2:]]
    ),
    "armor: space at the start of a line": lambda: _reline(
        _canonical(), lambda ls: [ls[0], b" " + ls[1], *ls[2:]]
    ),
    "armor: padding not canonical": lambda: _reline(
        _canonical(), lambda ls: [*ls[:-2], _flip_padding_bits(ls[-2]), ls[-1]]
    ),
    "armor: padding split over two lines": lambda: _reline(
        _canonical(), lambda ls: [*ls[:-2], ls[-2][:-1], ls[-2][-1:], ls[-1]]
    ),
    "armor: whitespace before the begin line": lambda: b"  \n" + armor(_canonical()),
    "armor: text after the end line": lambda: armor(_canonical()) + b"x\n",
    "armor: a header line": lambda: _reline(
        _canonical(), lambda ls: [ls[0], b"Comment: hi", b"", *ls[1:]]
    ),
}


def _flip_padding_bits(line: bytes) -> bytes:
    """The last data character of a padded base64 line, with its unused low bits set."""
    assert line.endswith(b"=")  # (the crafted file's length is not a multiple of 3)
    at = len(line.rstrip(b"=")) - 1
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    index = alphabet.index(line[at : at + 1]) | (0b1111 if line.endswith(b"==") else 0b11)
    return line[:at] + alphabet[index : index + 1] + line[at + 1 :]


@pytest.mark.parametrize("case", REFUSED_BY_BOTH)
def test_a_file_age_and_rage_refuse_is_refused(case: str, tmp_path: Path) -> None:
    """rage and age refuse each of these; the fast opener opened all but the last three
    ("not yours" or the plaintext). A file the standard tools cannot read must not feed a
    score, nor read differently for an X25519 key (fast) and an SSH key (rage)."""
    sealed = REFUSED_BY_BOTH[case]()
    assert rage(sealed) == REFUSED
    assert perfloop(sealed) == REFUSED
    assert fast(sealed) is None  # not vouched: rage's error stands
    if GO_AGE:
        identity = tmp_path / "me.key"
        identity.write_text(f"{ME}\n")
        assert go_age(sealed, identity) == REFUSED


def test_not_ours_with_the_nonce_cut_short_is_rages_error() -> None:
    """rage reads the payload's 16-byte nonce before it says "not yours" (age says it
    first): a file cut inside its nonce is rage's error, not "sealed, not readable"."""
    whole = craft(KEY, [x25519_stanza(OTHER, KEY)])
    header = whole.index(b"\n", whole.index(b"\n--- ") + 1) + 1
    for cut in (header, header + 15):
        assert rage(whole[:cut]) == perfloop(whole[:cut]) == REFUSED
        assert fast(whole[:cut]) is None
    assert fast(whole[: header + 16]) == rage(whole[: header + 16]) == NO_MATCH


def test_a_header_without_stanzas_is_rages_error() -> None:
    """rage refuses a header with no stanza at all (age says "no identity matched")."""
    empty = craft(KEY, [])
    assert rage(empty) == perfloop(empty) == REFUSED
    assert fast(empty) is None


def test_a_second_stanza_for_the_same_key_is_never_used() -> None:
    """Two stanzas for one key: age and rage use the first that unwraps, and so does this.
    A second stanza wrapping another file key (with the MAC made under it) is refused."""
    other_key = os.urandom(16)
    first_wins = craft(KEY, [x25519_stanza(ME, KEY), x25519_stanza(ME, other_key)])
    assert fast(first_wins) == rage(first_wins) == perfloop(first_wins) == b"rating: 5\n"
    second = craft(other_key, [x25519_stanza(ME, KEY), x25519_stanza(ME, other_key)])
    assert rage(second) == perfloop(second) == REFUSED
    assert fast(second) is None


def test_with_two_keys_the_first_key_decides_as_in_rage() -> None:
    """Keys are tried in order, each against every stanza (rage's and age's order): a file
    whose stanzas for our two keys wrap different file keys opens with the first key's."""
    other_key = os.urandom(16)
    stanzas = [x25519_stanza(THIRD, KEY), x25519_stanza(ME, other_key)]
    sealed = craft(other_key, stanzas, b"first key\n")
    assert fast(sealed, ME, THIRD) == rage(sealed, ME, THIRD) == b"first key\n"
    assert perfloop(sealed, ME, THIRD) == b"first key\n"
    assert rage(sealed, THIRD, ME) == perfloop(sealed, THIRD, ME) == REFUSED  # KEY: bad MAC
    assert fast(sealed, THIRD, ME) is None


def test_a_file_cut_at_a_chunk_boundary_is_refused() -> None:
    """STREAM's last-chunk flag: a file cut after any whole chunk does not read as a
    shorter plaintext."""
    plaintext = os.urandom(3 * 65536 + 10)
    whole = pyrage.encrypt(plaintext, [ME.to_public()])
    payload = len(whole) - (len(plaintext) + 4 * 16) - 16
    for chunks in (1, 2, 3):
        cut = whole[: payload + 16 + chunks * (65536 + 16)]
        assert rage(cut) == perfloop(cut) == REFUSED
        assert fast(cut) is None
    assert fast(whole) == plaintext


def test_a_valid_stanza_after_a_malformed_one_is_rages_answer() -> None:
    """A malformed X25519 stanza before ours is an error for rage (it stops at it); after
    ours it is never reached."""
    bad = b"-> X25519 " + b64(os.urandom(31)) + b"\n" + b64(os.urandom(32)) + b"\n"
    before = craft(KEY, [bad, OURS])
    after = craft(KEY, [OURS, bad])
    assert rage(before) == perfloop(before) == REFUSED and fast(before) is None
    assert rage(after) == perfloop(after) == b"rating: 5\n"
    assert fast(after) in (None, b"rating: 5\n")


# --- the age format's own test vectors ---------------------------------------------------------


def _vector(path: Path) -> tuple[dict[str, list[str]], bytes]:
    meta: dict[str, list[str]] = {}
    head, body = path.read_bytes().split(b"\n\n", 1)
    for line in head.decode().splitlines():
        name, value = line.split(": ", 1)
        meta.setdefault(name, []).append(value)
    return meta, zlib.decompress(body) if meta.get("compressed") == ["zlib"] else body


# the vectors both age and rage read: the fast opener answers these itself
CANONICAL = {
    "armor_full_last_line",
    "armor_no_eol",
    "armor_no_match",
    "armor_x25519",
    "stanza_empty_body",
    "stanza_empty_last_line",
    "stanza_valid_characters",
    "stream_257_chunks",
    "stream_257_chunks_full",
    "stream_258_chunks",
    "stream_empty_payload",
    "stream_last_chunk_full",
    "stream_last_chunk_full_second",
    "stream_three_chunks",
    "stream_two_chunks",
    "x25519",
    "x25519_bad_tag",
    "x25519_grease",
    "x25519_multiple_recipients",
    "x25519_no_match",
}


@pytest.mark.parametrize("name", sorted(p.name for p in VECTORS.iterdir() if "." not in p.name))
def test_age_test_vectors(name: str) -> None:
    meta, sealed = _vector(VECTORS / name)
    identities = [x25519.Identity.from_str(text) for text in meta["identity"]]
    expected = {"success": "success", "no match": NO_MATCH}.get(meta["expect"][0], REFUSED)
    by_rage, by_us, answered = rage(sealed, *identities), perfloop(sealed, *identities), None
    answered = fast(sealed, *identities)
    assert by_us == by_rage
    assert answered is None or answered == by_rage
    if answered is not None:  # what it vouches for is what the format's authors expect
        if expected == "success":
            assert hashlib.sha256(answered).hexdigest() == meta["payload"][0]
        else:
            assert answered == expected
    if name in CANONICAL:
        assert answered is not None, "a canonical file is answered by the fast path"


# --- differential: thousands of damaged files, each answered as rage answers it --------------


def _line_ends(binary: bytes, stop: int) -> list[int]:
    return [i + 1 for i, byte in enumerate(binary[:stop]) if byte == 0x0A]


def mutations(binary: bytes) -> Iterator[bytes]:
    """Damaged variants of a binary age file: cut at every header line and at each chunk's
    edges, every header byte with one bit flipped, bytes inserted and deleted at line ends,
    trailing data, and payload bytes flipped in the nonce and at each chunk's edges."""
    payload = binary.index(b"\n--- ") + 1
    payload = binary.index(b"\n", payload) + 1
    ends = _line_ends(binary, payload)
    chunk_edges = [payload + 16 + n * 65552 for n in range(len(binary) // 65552 + 2)]
    cuts = {e + d for e in [*ends, *chunk_edges] for d in (-17, -16, -1, 0, 1, 16, 17)}
    cuts |= {payload + 31, payload + 32, payload + 33, len(binary) - 1}
    for cut in sorted(c for c in cuts if 0 <= c < len(binary)):
        yield binary[:cut]
    for at in range(payload):
        yield binary[:at] + bytes([binary[at] ^ (1 << (at % 8))]) + binary[at + 1 :]
    for end in ends:
        for extra in (b" ", b"\r", b"=", b"A", b"\n", b"-> x\n\n"):
            yield binary[: end - 1] + extra + binary[end - 1 :]
            yield binary[:end] + extra + binary[end:]
        yield binary[: end - 1] + binary[end:]  # two lines joined
        yield binary[: end - 2] + binary[end - 1 :]  # a line one character shorter
    for at in sorted(
        {*range(payload, payload + 20), *(e + d for e in chunk_edges for d in (-1, 0, 1))}
    ):
        if at < len(binary):
            yield binary[:at] + bytes([binary[at] ^ 0x80]) + binary[at + 1 :]
    yield binary + b"\x00"
    yield binary + b"\n"
    yield binary + binary[payload + 16 :]  # the payload twice


def armor_mutations(binary: bytes) -> Iterator[bytes]:
    """Variants of a file's ASCII armor: re-wrapped, other line ends, whitespace, padding,
    every armor character changed, lines dropped or doubled."""
    text = armor(binary)
    for width in (4, 48, 60, 63, 65, 68, 76, 128):
        yield armor(binary, width)
    yield armor(binary, eol=b"\r\n")
    yield armor(binary).replace(b"\n", b"\r\n", 1)
    yield text.rstrip(b"\n")
    for before in (b" ", b"\n", b"\t\n", b"\r\n", b"junk\n"):
        yield before + text
    for after in (b" ", b"\n", b"\n\n", b" \n", b"\t", b"\x00", b"x", b"\r\n", b"\x0b", b"\x0c"):
        yield text + after
    yield text.lower()
    yield text.replace(b"AGE ENCRYPTED FILE", b"AGE ENCRYPTED FILES")
    lines = text.split(b"\n")
    for n in range(1, len(lines) - 2):
        yield b"\n".join(lines[:n] + lines[n + 1 :])  # a line dropped
        yield b"\n".join([*lines[:n], lines[n], *lines[n:]])  # a line doubled
        yield b"\n".join([*lines[:n], lines[n] + b" ", *lines[n + 1 :]])
        yield b"\n".join([*lines[:n], lines[n].rstrip(b"="), *lines[n + 1 :]])
    for at in range(len(text)):
        if text[at : at + 1] != b"\n":
            for swap in (b"A", b"=", b" ", b"\xff"):
                if text[at : at + 1] != swap:
                    yield text[:at] + swap + text[at + 1 :]
                    break


def _bases() -> list[bytes]:
    """Real files (rage's, with its grease stanza) and crafted ones, to be damaged."""
    three = [OTHER.to_public(), ME.to_public(), THIRD.to_public()]
    return [
        pyrage.encrypt(b"rating: 4\ncomments: fine\n", three),
        pyrage.encrypt(b"", [ME.to_public(), OTHER.to_public()]),
        pyrage.encrypt(b"x" * 65536, [ME.to_public()]),
        pyrage.encrypt(bytes(range(256)) * 520, [THIRD.to_public(), ME.to_public()]),
        pyrage.encrypt(b"rating: 2\n", [OTHER.to_public(), THIRD.to_public()]),  # not ours
        craft(KEY, [GREASE, x25519_stanza(OTHER, KEY), OURS, b"-> long\n" + b"A" * 64 + b"\n\n"]),
    ]


def _differential(files: Iterator[bytes], vouched: list[bytes]) -> int:
    count = 0
    for sealed in files:
        count += 1
        by_rage, answered = rage(sealed), fast(sealed)
        assert answered is None or answered == by_rage, sealed
        assert perfloop(sealed) == by_rage, sealed
        if answered is not None:
            vouched.append(sealed)
    return count


def test_every_damaged_file_gets_rages_answer(tmp_path: Path) -> None:
    """Rage's answer for every damaged file; and where the fast opener answered one itself,
    the Go reference (when installed) answers the same."""
    bases, vouched = _bases(), []
    count = sum(_differential(mutations(b), vouched) for b in bases)
    count += sum(_differential(armor_mutations(b), vouched) for b in bases[:2] + bases[-1:])
    assert count > 5_000  # the mutations above are many, not a handful
    assert 100 < len(vouched) < count  # most are refused; some still read the same
    if GO_AGE:
        identity = tmp_path / "me.key"
        identity.write_text(f"{ME}\n")
        for sealed in vouched[:: max(1, len(vouched) // 150)]:
            assert go_age(sealed, identity) == fast(sealed), sealed
