"""The keyless check of a sealed file (`age.header`, what CI runs on every pull request)
calls a file well-formed exactly when age and rage can read it, as far as anyone can tell
without a key: its armor as rage reads it, the header in age's grammar, each X25519
stanza's share, the MAC line, a payload long enough for its nonce and chunks.

A file the check passes but nobody can open is a review that can never be read, or a
calibration HR cannot open at calibration time: so every file the check passes, rage with
the right identity opens, or refuses only for what needs the key (the header MAC, a
payload tag); and every file rage reads (and the Go reference too, where it is installed)
passes the check.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pyrage import ssh, x25519

from perfloop.sealing import age, fastopen
from test_fastopen import (
    GO_AGE,
    KEY,
    ME,
    NO_MATCH,
    OTHER,
    OURS,
    REFUSED,
    REFUSED_BY_BOTH,
    VECTORS,
    _bases,
    _canonical,
    _vector,
    armor,
    armor_mutations,
    b64,
    craft,
    go_age,
    mutations,
    x25519_stanza,
)

STRANGER = x25519.Identity.generate()  # in no file: rage tries (and checks) every stanza
# rage's errors that only the right key can see: the header MAC, a payload chunk's tag (a
# chunk flagged last too early or never: the flag is inside the tag)
NEEDS_THE_KEY = (
    "Header MAC is invalid",
    "decryption error",
    "last chunk has been processed",
    "age file is truncated",
)
# rage reads these two vectors, the Go reference and the format's authors refuse them (a
# stanza with no final short line): the check holds to both, as SPEC section 7 promises
# `age -d` reads every sealed file
GO_REFUSES = {"stanza_missing_body", "stanza_missing_final_line"}
# payload failures that its length alone shows: no chunk, a chunk shorter than its tag, an
# empty last chunk after a full one
PAYLOAD_LENGTH_WRONG = {
    "stream_last_chunk_empty",
    "stream_missing_tag",
    "stream_no_chunks",
    "stream_short_chunk",
    "stream_short_second_chunk",
    "stream_trailing_garbage_short",
}


def keyless(sealed: bytes) -> str | None:
    """The check's verdict: None for well-formed, else what it says is wrong."""
    try:
        age.header(sealed)
    except age.SealError as exc:
        return str(exc)
    return None


def rage_says(sealed: bytes, *identities: x25519.Identity) -> bytes | str:
    """rage's answer: the plaintext, NO_MATCH, or its error message."""
    try:
        return pyrage.decrypt(sealed, list(identities))
    except pyrage.DecryptError as exc:
        return NO_MATCH if "No matching keys" in str(exc) else str(exc)


def _agrees(sealed: bytes, identities: list[x25519.Identity], name: object) -> str | None:
    """Hold the check to rage on one file; the check's verdict."""
    verdict = keyless(sealed)
    by_stranger = rage_says(sealed, STRANGER)
    by_reader = rage_says(sealed, *identities)
    if verdict is None:  # well-formed: nothing rage refuses it for is visible without a key
        assert by_stranger == NO_MATCH, (name, by_stranger)
        assert (
            isinstance(by_reader, bytes)
            or by_reader == NO_MATCH
            or (by_reader.startswith(NEEDS_THE_KEY))
        ), (name, by_reader)
    elif isinstance(by_reader, bytes) and by_stranger == NO_MATCH:
        # rage reads it, for its reader and (header, stanzas, nonce) for anyone: only a
        # file the Go reference refuses may be refused
        assert GO_AGE or name in GO_REFUSES, (name, verdict)
        if GO_AGE:
            identity = Path(os.environ.get("TMPDIR", "/tmp")) / f"keyless-{os.getpid()}.key"
            identity.write_text("".join(f"{i}\n" for i in identities))
            try:
                assert go_age(sealed, identity) == REFUSED, (name, verdict)
            finally:
                identity.unlink()
    return verdict


# --- the age format's own test vectors -----------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in VECTORS.iterdir() if "." not in p.name))
def test_age_test_vectors(name: str) -> None:
    """Each vector the format's authors expect to fail in its armor or header is refused
    (as rage refuses it); each that reads, or fails only at the MAC or a tag, passes."""
    meta, sealed = _vector(VECTORS / name)
    identities = [x25519.Identity.from_str(text) for text in meta["identity"]]
    verdict = _agrees(sealed, identities, name)
    expected = meta["expect"][0]
    if expected in ("armor failure", "header failure") or name == "armor_whitespace_outside":
        # (whitespace before the armor: the Go reference reads it, rage does not)
        assert verdict is not None, name
    elif name in PAYLOAD_LENGTH_WRONG:
        assert verdict is not None, name
    else:
        assert verdict is None, (name, verdict)


def test_the_vectors_each_refuse_for_their_own_reason() -> None:
    """The message says what is wrong, never quoting the file."""
    said = {
        name: keyless(_vector(VECTORS / name)[1])
        for name in ("x25519_low_order", "x25519_identity", "armor_long_line", "hmac_no_space")
    }
    assert "small order" in said["x25519_low_order"]
    assert "small order" in said["x25519_identity"]
    assert "not wrapped at 64 columns" in said["armor_long_line"]
    assert "MAC line" in said["hmac_no_space"]


# --- what the review found: files that passed the check and that nobody can open ---------------


def _low_order(identity: x25519.Identity = ME) -> bytes:
    """A real recipient's stanza, then one whose share is of small order (order 8)."""
    share = base64.b64decode("X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEdc=")
    return armor(craft(KEY, [x25519_stanza(OTHER, KEY), x25519_stanza(identity, KEY, share)]))


def test_a_low_order_share_is_refused_though_the_count_is_right() -> None:
    """Every key agreement with the share is all zeros: rage refuses the file for the
    stanza's recipient (and for anyone it tries that stanza for)."""
    sealed = _low_order()
    assert rage_says(sealed, ME) != NO_MATCH and not isinstance(rage_says(sealed, ME), bytes)
    assert "small order" in (keyless(sealed) or "")


def test_every_small_order_encoding_is_refused_and_only_those() -> None:
    """The list is every share whose key agreement is all zeros for any key (the check
    needs no key to tell): each one gives zeros, and neighbours of each do not."""
    scalar = X25519PrivateKey.generate()
    for share in sorted(fastopen._SMALL_ORDER):
        with pytest.raises(ValueError):  # cryptography refuses an all-zero agreement
            scalar.exchange(X25519PublicKey.from_public_bytes(share))
        stanza = b"-> X25519 " + b64(share) + b"\n" + b64(os.urandom(32)) + b"\n"
        assert "small order" in (keyless(armor(craft(KEY, [OURS, stanza]))) or "")
        near = (int.from_bytes(share, "little") ^ 4).to_bytes(32, "little")
        if near not in fastopen._SMALL_ORDER:
            scalar.exchange(X25519PublicKey.from_public_bytes(near))  # no error
    for u in range(3000):  # no small share is missing from the list
        share = u.to_bytes(32, "little")
        try:
            scalar.exchange(X25519PublicKey.from_public_bytes(share))
        except ValueError:
            assert fastopen.small_order(share), u


@pytest.mark.parametrize("case", REFUSED_BY_BOTH)
def test_what_age_and_rage_both_refuse_is_refused(case: str) -> None:
    """Bad armor (long lines, blank lines, spaces, padding), empty arguments, bad bodies,
    low-order shares: each of these passed the check before."""
    sealed = REFUSED_BY_BOTH[case]()
    if not sealed.startswith(b"-----"):
        sealed = armor(sealed)
    assert keyless(sealed) is not None, case


@pytest.mark.parametrize(
    "variant",
    [
        lambda b: armor(b, eol=b"\r\n"),  # CRLF line ends
        lambda b: armor(b).replace(b"\n", b"\r\n", 1),  # one CRLF line end among LFs
        lambda b: armor(b).rstrip(b"\n"),  # no line end after the end line
        lambda b: armor(b) + b"\n \t\r\n",  # whitespace after the end line
        lambda b: b,  # binary, not armored
    ],
    ids=["crlf", "one-crlf", "no-final-eol", "space-after", "binary"],
)
def test_what_rage_reads_passes(variant) -> None:
    """Not stricter than rage: layouts other than age's own that rage reads pass."""
    sealed = variant(_canonical())
    assert rage_says(sealed, ME) == b"rating: 5\n"
    assert keyless(sealed) is None
    assert age.header(sealed).stanzas == ("X25519", "X25519")


def test_a_payload_cut_inside_its_nonce_is_refused() -> None:
    whole = craft(KEY, [OURS])
    start = whole.index(b"\n", whole.index(b"\n--- ") + 1) + 1
    for cut in (start, start + 15):
        assert "nonce" in (keyless(armor(whole[:cut])) or "")
        assert not isinstance(rage_says(whole[:cut], ME), bytes)
    assert keyless(whole[: start + 16]) is not None  # a nonce and no chunk: rage's "truncated"
    assert keyless(whole) is None


# --- differential: damaged files, each judged as rage judges it --------------------------------


def _judged(files: Iterator[bytes]) -> tuple[int, int]:
    passed = count = 0
    for sealed in files:
        count += 1
        passed += _agrees(sealed, [ME], sealed) is None
    return count, passed


def test_every_damaged_file_is_judged_as_rage_judges_it() -> None:
    """Thousands of damaged files (cuts, flipped bits, inserted bytes, re-wrapped armor):
    whatever the check passes, rage reads or refuses only for the key's reasons; whatever
    rage reads for anyone, the check passes (unless the Go reference refuses it)."""
    bases = _bases()
    count = passed = 0
    damaged = [mutations(b) for b in bases] + [armor_mutations(b) for b in bases[:2] + bases[-1:]]
    for files in damaged:
        got = _judged(files)
        count, passed = count + got[0], passed + got[1]
    assert count > 5_000
    assert 100 < passed < count  # most are refused; some are still well-formed


def test_low_order_and_malformed_stanzas_anywhere_are_refused() -> None:
    """Before or after the reader's own stanza: a recipient whose stanza comes later is
    refused by rage, so the file is refused whoever reads it first."""
    bad = b"-> X25519 " + b64(os.urandom(31)) + b"\n" + b64(os.urandom(32)) + b"\n"
    for stanzas in ([bad, OURS], [OURS, bad]):
        sealed = craft(KEY, stanzas)
        assert "X25519 stanza not in age's form" in (keyless(sealed) or "")
    share = base64.b64decode("X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEdc=")
    after = craft(KEY, [OURS, x25519_stanza(OTHER, KEY, share)])
    assert rage_says(after, ME) == b"rating: 5\n"  # ME's rage stops at ME's stanza
    assert rage_says(after, OTHER) != NO_MATCH  # OTHER's rage refuses the file
    assert "small order" in (keyless(after) or "")


def test_empty_armor_is_a_plain_error_not_a_crash() -> None:
    """Armor with no line between its begin and end lines raised IndexError (a traceback
    in the check, and in every reading command with an X25519 identity)."""
    empty = b"-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n"
    assert "not an age v1 file" in (keyless(empty) or "")
    assert fastopen.open_sealed(empty, fastopen.fast_keys([str(ME)])) is None
    with pytest.raises(age.SealError):
        age.Identities("test", (ME,)).open(empty)


@pytest.fixture(scope="module")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, bytes]]:
    """An ed25519 and an RSA SSH key: (public key, private key file)."""
    folder = tmp_path_factory.mktemp("ssh")
    keys = {}
    for kind, options in (("ed25519", []), ("rsa", ["-b", "2048"])):
        private = folder / kind
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, *options, "-N", "", "-f", private], check=True
        )
        public = " ".join(private.with_suffix(".pub").read_text().split()[:2])
        keys[kind] = (public, private.read_bytes())
    return keys


def _first_line(sealed: bytes, change) -> bytes:
    lines = sealed.split(b"\n")
    args = lines[1].split(b" ")
    return b"\n".join([lines[0], b" ".join(change(args)), *lines[2:]])


SSH_DAMAGE = {
    "ed25519": {
        "share missing": lambda a: a[:3],
        "share of 31 bytes": lambda a: [*a[:3], b64(os.urandom(31))],
        "share of small order": lambda a: [*a[:3], b64(bytes(32))],
        "tag of 5 bytes": lambda a: [*a[:2], b64(os.urandom(5)), a[3]],
    },
    "rsa": {
        "tag missing": lambda a: a[:2],
        "tag of 3 bytes": lambda a: [*a[:2], b64(os.urandom(3))],
    },
}


@pytest.mark.parametrize(
    ("kind", "damage"), [(k, d) for k, cases in SSH_DAMAGE.items() for d in cases]
)
def test_an_ssh_stanza_its_key_cannot_open_is_refused(
    ssh_keys: dict[str, tuple[str, bytes]], kind: str, damage: str
) -> None:
    """An SSH recipient's stanza out of form: rage, with that very key, does not open the
    file ("no matching keys", or an error), so it counted a recipient who can never read it."""
    public, private = ssh_keys[kind]
    identity = ssh.Identity.from_buffer(private)
    honest = pyrage.encrypt(b"rating: 3\n", [ssh.Recipient.from_str(public)])
    assert keyless(honest) is None and age.header(honest).stanzas == (f"ssh-{kind}",)
    damaged = _first_line(honest, SSH_DAMAGE[kind][damage])
    assert not isinstance(rage_says(damaged, identity), bytes)
    assert "ssh" in (keyless(damaged) or "") and keyless(armor(damaged))
