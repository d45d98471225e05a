"""The fast opener of X25519-sealed files (sealing/fastopen.py) gives rage's answer: the
same plaintext, "not yours" exactly when rage says so, and rage's own error (by falling
back to it) for every file it cannot vouch for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyrage
import pytest
from pyrage import ssh, x25519

from perfloop.sealing import age, fastopen

ME, OTHER, THIRD = (x25519.Identity.generate() for _ in range(3))


def keys(*identities: x25519.Identity) -> age.Identities:
    return age.Identities("test", tuple(identities))


def rage(sealed: bytes, identity: x25519.Identity) -> bytes | None:
    try:
        return pyrage.decrypt(sealed, [identity])
    except pyrage.DecryptError as exc:
        assert "No matching keys" in str(exc)
        return None


@pytest.mark.parametrize("size", [0, 1, 700, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000])
@pytest.mark.parametrize("armored", [True, False])
def test_plaintext_of_every_size_is_rages(size: int, armored: bool) -> None:
    plaintext = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    recipients = [OTHER.to_public(), ME.to_public(), THIRD.to_public()]
    sealed = pyrage.encrypt(plaintext, recipients, armored=armored)
    fast = fastopen.open_fast(age.dearmor(sealed), fastopen.fast_keys([str(ME)]))
    assert fast == plaintext == rage(sealed, ME)  # answered here, not by rage
    assert keys(ME).open(sealed) == plaintext


def test_not_a_recipient_is_none_as_rage_says() -> None:
    sealed = pyrage.encrypt(b"rating: 5\n", [OTHER.to_public(), THIRD.to_public()], armored=True)
    fast = fastopen.open_fast(age.dearmor(sealed), fastopen.fast_keys([str(ME)]))
    assert fast is fastopen.NOT_OURS
    assert keys(ME).open(sealed) is None and rage(sealed, ME) is None


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
