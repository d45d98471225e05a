"""Sealed files (SPEC section 7): what we seal the standard `age` tool opens, what it seals we
open; a header is inspected without a key; the audience table over the example company."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from perfloop.engine import load_cycle
from perfloop.sealing import age
from perfloop.sealing.audience import audience, is_confidential

AGE = shutil.which("age") or "age"  # Debian's age, installed by `scripts/install.sh --test`
PLAIN = b'ratings: {impact: 4, collaboration: 5}\ncomments: "Led the outage response"\n'


def keypair(tmp_path: Path, name: str) -> tuple[Path, str]:
    text, public = age.generate_identity()
    path = tmp_path / f"{name}.key"
    path.write_text(text)
    return path, public


def ssh_keypair(tmp_path: Path, name: str) -> tuple[Path, str]:
    path = tmp_path / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@example", "-f", path],
        check=True,
    )
    return path, (tmp_path / f"{name}.pub").read_text().strip()


def test_the_age_tool_opens_what_we_seal(tmp_path: Path) -> None:
    key, public = keypair(tmp_path, "dave")
    sealed = tmp_path / "dave.yaml.age"
    sealed.write_bytes(age.seal(PLAIN, [public]))
    assert sealed.read_text().startswith(age.ARMOR_BEGIN)
    opened = subprocess.run([AGE, "-d", "-i", key, sealed], capture_output=True, check=True)
    assert opened.stdout == PLAIN


def test_we_open_what_the_age_tool_seals(tmp_path: Path) -> None:
    key, public = keypair(tmp_path, "dave")
    plain = tmp_path / "dave.yaml"
    plain.write_bytes(PLAIN)
    sealed = subprocess.run(
        [AGE, "-a", "-r", public, plain], capture_output=True, check=True
    ).stdout
    assert age.load_identities(key).open(sealed) == PLAIN
    assert age.header(sealed).stanzas == ("X25519",)


def test_an_ssh_key_engineers_already_have_is_a_recipient(tmp_path: Path) -> None:
    private, public = ssh_keypair(tmp_path, "id_ed25519")
    assert age.key_problem(public) is None
    sealed = age.seal(PLAIN, [public])
    assert age.load_identities(private).open(sealed) == PLAIN
    opened = subprocess.run(
        [AGE, "-d", "-i", private], input=sealed, capture_output=True, check=True
    )
    assert opened.stdout == PLAIN


def test_someone_outside_the_audience_opens_nothing(tmp_path: Path) -> None:
    _, dave = keypair(tmp_path, "dave")
    outsider, _ = keypair(tmp_path, "eve")
    sealed = age.seal(PLAIN, [dave])
    assert age.load_identities(outsider).open(sealed) is None
    assert PLAIN not in sealed and b"outage" not in sealed


def test_the_header_counts_recipients_without_a_key(tmp_path: Path) -> None:
    keys = [keypair(tmp_path, name)[1] for name in ("dave", "carol", "helen")]
    _, ssh_public = ssh_keypair(tmp_path, "id_ed25519")
    sealed = age.seal(PLAIN, [*keys, ssh_public, keys[0]])  # a key twice is one recipient
    head = age.header(sealed)
    assert head.recipients == 4 == age.expected_stanzas([*keys, ssh_public, keys[0]])
    assert sorted(head.stanzas) == ["X25519", "X25519", "X25519", "ssh-ed25519"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (PLAIN, "not an age v1 file"),
        (b"-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n-----END AGE ENCRYPTED FILE-----\n", "base64"),
        (b"age-encryption.org/v1\n-> X25519 abc\n", "truncated"),
        (b"age-encryption.org/v1\nhello\n", "malformed"),
        (b"\xff\xfe-----", "not an age v1 file"),
    ],
    ids=["plain-yaml", "bad-armor", "truncated", "malformed", "binary-junk"],
)
def test_a_damaged_sealed_file_says_what_is_wrong(text: bytes, says: str) -> None:
    with pytest.raises(age.SealError, match=says):
        age.header(text)


@pytest.mark.parametrize(
    "key",
    ["age1notakey", "ssh-dss AAAAB3NzaC1kc3M", "ssh-ed25519 AAAA!!", "", "AGE-SECRET-KEY-1QQQ"],
)
def test_a_key_that_is_not_a_recipient_is_refused(key: str) -> None:
    assert age.key_problem(key) is not None


def test_an_identity_file_that_is_not_one_is_a_plain_error(tmp_path: Path) -> None:
    bad = tmp_path / "id"
    bad.write_text("hello\n")
    with pytest.raises(age.SealError, match="not an age identity"):
        age.load_identities(bad)
    with pytest.raises(age.SealError, match="cannot read identity"):
        age.load_identities(tmp_path / "missing")


def test_the_audience_table_over_the_example() -> None:
    data, _ = load_cycle(ROOT, "2026-h2")
    assert data is not None
    hr = list(data.org.hr)
    # alice's manager is sofia, her skip level daniel-kim; ben-carter is a peer
    peer = audience(data, "reviews/alice/ben-carter.yaml")
    assert peer is not None and peer.people == ("ben-carter", "sofia", "daniel-kim", *hr)
    manager = audience(data, "reviews/alice/sofia.yaml")  # the subject reads her manager's
    assert manager is not None and "alice" in manager.people
    only_manager = audience(data, "reviews/alice/sofia.yaml", subject_reads=())
    assert only_manager is not None and "alice" not in only_manager.people
    peers_too = audience(data, "reviews/alice/ben-carter.yaml", subject_reads=("peer",))
    assert peers_too is not None and "alice" in peers_too.people
    result = audience(data, "results/alice.yaml")  # heads of platform and of eng above it
    assert result is not None and result.people[:3] == ("alice", "sofia", "daniel-kim")
    assert audience(data, "results.yaml").people == tuple(hr)
    calibration = audience(data, "calibration/eng.yaml")
    assert calibration is not None and calibration.people == ("daniel-kim", *hr)
    development = audience(data, "development/alice.yaml")
    assert development is not None and development.people == ("alice", "sofia", *hr)


@pytest.mark.parametrize(
    ("rel", "confidential"),
    [
        ("reviews/alice/dave.yaml", True),
        ("calibration/eng.yaml", True),
        ("results.yaml", True),
        ("results/alice.yaml", True),
        ("development/alice.yaml", True),
        ("goals/alice.yaml", False),
        ("org.yaml", False),
        ("reviews/alice.yaml", False),
        ("templates/engineering.yaml", False),
    ],
)
def test_which_files_are_confidential(rel: str, confidential: bool) -> None:
    assert is_confidential(rel) is confidential


def test_an_audience_seals_to_its_keys_and_names_who_has_none(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "tests/data/base", repo)
    shutil.copytree(ROOT / "tests/data/valid/keys", repo, dirs_exist_ok=True)
    data, _ = load_cycle(repo, "2026-h2", use_cache=False)
    assert data is not None and data.org.org_key is not None
    found = audience(data, "reviews/alice/bob.yaml")  # bob (a peer), dave, carol, henry (HR)
    assert found is not None and found.people == ("bob", "dave", "carol", "henry")
    keys, missing = found.keys(data, data.org.org_key)
    assert keys == [data.org.people["bob"].key, data.org.org_key]  # bob's SSH key, the org's
    assert missing == ["dave", "carol", "henry"]
    assert age.header(age.seal(PLAIN, keys)).stanzas == ("ssh-ed25519", "X25519")
