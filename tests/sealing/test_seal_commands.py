"""`perfloop seal`, `show`, `edit`, `reseal` and `keys import` (SPEC section 7), through the real
CLI on a copy of the base repository, checked with the standard `age` tool."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, PERFLOOP, run_cli
from github_server import FakeGitHub, Reply, serve
from perfloop.sealing import age
from sealkit import CYCLE, PEOPLE, add_key, seal_cycle

AGE = shutil.which("age") or "age"


@pytest.fixture
def sealed_repo(base_repo: Path, tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """The base repository with keys for everyone but sam, an org key, a sealed cycle."""
    return base_repo, seal_cycle(base_repo, tmp_path / "keys", PEOPLE)


def decrypt(identity: Path, sealed: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([AGE, "-d", "-i", identity, sealed], capture_output=True)


def test_seal_encrypts_every_confidential_file_to_its_audience(sealed_repo) -> None:
    repo, identity = sealed_repo
    reviews = repo / CYCLE / "reviews"
    plain = {p.relative_to(reviews): p.read_bytes() for p in reviews.rglob("*.yaml")}
    result = run_cli("seal", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "5 file(s) sealed, 0 failed" in result.stderr
    assert not list(reviews.rglob("*.yaml"))  # no plain form left beside a sealed one
    for rel, text in plain.items():
        sealed = reviews / f"{rel}.age"
        assert sealed.read_text().startswith(age.ARMOR_BEGIN)
        assert decrypt(identity["henry"], sealed).stdout == text  # HR reads everything
        assert decrypt(identity["org"], sealed).stdout == text  # so does the org key
    # alice reads her manager's review of her, not a peer's (confidentiality_subject_reads)
    assert decrypt(identity["alice"], reviews / "alice/dave.yaml.age").returncode == 0
    assert decrypt(identity["alice"], reviews / "alice/bob.yaml.age").returncode != 0
    assert decrypt(identity["bob"], reviews / "alice/bob.yaml.age").returncode == 0  # its author
    assert decrypt(identity["bob"], reviews / "bob/dave.yaml.age").returncode == 0  # manager's
    assert decrypt(identity["carol"], reviews / "alice/bob.yaml.age").returncode == 0  # skip
    # the recipients are exactly the audience's keys: bob, dave, carol, henry and the org key
    assert age.header((reviews / "alice/bob.yaml.age").read_bytes()).recipients == 5


def test_a_plain_cycle_or_a_plain_file_is_not_sealed(base_repo: Path) -> None:
    result = run_cli("seal", f"{CYCLE}/reviews/alice/dave.yaml", cwd=base_repo)
    assert result.returncode == 1
    assert "is plain; only an open cycle with `confidentiality: sealed`" in result.stderr
    assert (base_repo / CYCLE / "reviews/alice/dave.yaml").is_file()
    other = run_cli("seal", f"{CYCLE}/goals/alice.yaml", cwd=base_repo)
    assert other.returncode == 2 and "not a confidential file" in other.stderr


def test_show_prints_only_what_your_key_opens(sealed_repo) -> None:
    repo, identity = sealed_repo
    original = (repo / CYCLE / "reviews/alice/dave.yaml").read_text()
    assert run_cli("seal", cwd=repo).returncode == 0
    mine = run_cli(
        "show", f"{CYCLE}/reviews/alice/dave.yaml", "-i", str(identity["alice"]), cwd=repo
    )
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == original
    peer = run_cli(
        "show",
        f"{CYCLE}/reviews/alice/bob.yaml.age",
        cwd=repo,
        env={"PERFLOOP_IDENTITY": str(identity["alice"])},
    )
    assert peer.returncode == 1
    assert "sealed, not readable by you" in peer.stderr and peer.stdout == ""
    ci = run_cli(
        "show",
        f"{CYCLE}/reviews/alice/dave.yaml",
        "-i",
        str(identity["henry"]),
        cwd=repo,
        env={"GITHUB_ACTIONS": "true"},
    )
    assert ci.returncode == 2 and "not in CI" in ci.stderr and ci.stdout == ""
    nothing = run_cli("show", f"{CYCLE}/reviews/alice/dave.yaml", "-i", "/nonexistent", cwd=repo)
    assert nothing.returncode == 2 and "cannot read identity" in nothing.stderr


def editor(tmp_path: Path, replace: str, by: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        f"p.write_text(p.read_text().replace({replace!r}, {by!r}))\n"
    )
    return f"{sys.executable} {script}"


def test_edit_reseals_the_change_and_refuses_broken_yaml(sealed_repo, tmp_path: Path) -> None:
    repo, identity = sealed_repo
    assert run_cli("seal", cwd=repo).returncode == 0
    path = f"{CYCLE}/reviews/alice/dave.yaml.age"
    sealed = repo / path
    before = sealed.read_bytes()
    plain = decrypt(identity["dave"], sealed).stdout.decode()
    first = plain.splitlines()[0]
    env = {
        "EDITOR": editor(tmp_path, first, first + "  # edited"),
        "PERFLOOP_IDENTITY": str(identity["dave"]),
    }
    result = run_cli("edit", path, cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert decrypt(identity["henry"], sealed).stdout.decode().startswith(first + "  # edited")
    assert decrypt(identity["alice"], sealed).returncode == 0  # still to the whole audience
    broken = {
        "EDITOR": editor(tmp_path, first, "ratings: [\n"),
        "PERFLOOP_IDENTITY": str(identity["dave"]),
    }
    after_edit = sealed.read_bytes()
    refused = run_cli("edit", path, cwd=repo, env=broken)
    assert refused.returncode == 1 and "not saved" in refused.stderr
    assert sealed.read_bytes() == after_edit != before
    outsider = run_cli(
        "edit",
        f"{CYCLE}/reviews/alice/bob.yaml.age",
        cwd=repo,
        env={"EDITOR": "true", "PERFLOOP_IDENTITY": str(identity["alice"])},
    )
    assert outsider.returncode == 1 and "not readable by you" in outsider.stderr


def test_reseal_reaches_a_new_key(sealed_repo, tmp_path: Path) -> None:
    repo, identity = sealed_repo
    assert run_cli("seal", cwd=repo).returncode == 0
    calibration = repo / CYCLE / "calibration"
    calibration.mkdir(exist_ok=True)
    (calibration / "sales.yaml").write_text("ratings:\n  sam: {rating: B}\n")
    assert run_cli("seal", cwd=repo).returncode == 0
    sam_key = tmp_path / "sam.key"
    text, public = age.generate_identity()
    sam_key.write_text(text)
    add_key(repo / CYCLE / "org.yaml", "sam", public)
    sealed = calibration / "sales.yaml.age"
    assert decrypt(sam_key, sealed).returncode != 0  # sealed before sam had a key
    untouched = (repo / CYCLE / "reviews/bob/dave.yaml.age").read_bytes()
    outsider = run_cli("reseal", "-i", str(identity["bob"]), cwd=repo)
    assert outsider.returncode == 1 and "not readable by you" in outsider.stderr
    result = run_cli("reseal", "-i", str(identity["henry"]), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert decrypt(sam_key, sealed).stdout == b"ratings:\n  sam: {rating: B}\n"
    # sam is the subject of a review, not its reader: files whose audience kept its keys stay
    assert (repo / CYCLE / "reviews/bob/dave.yaml.age").read_bytes() == untouched


def test_keys_import_takes_the_keys_engineers_have_on_github(base_repo: Path) -> None:
    routes = {
        "GET /users/alicec/keys": [Reply(body="user-keys-alicec.json")],
        "GET /users/bobli/keys": [Reply(body="user-keys-bobli.json")],
        "GET /users/samo/keys": [Reply(body="user-keys-samo.json")],  # only an ecdsa key
        "GET /users/carold/keys": [Reply(text="[]")],
    }
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace(", github: davek", ""))
    add_key(org, "henry", age.generate_identity()[1])  # has a key: not asked for one
    with serve(FakeGitHub({}, routes)) as fake:
        result = run_cli("keys", "import", "--api", fake.url, cwd=base_repo)
        asked = sorted(path for _, path, _, _ in fake.requests)
    assert result.returncode == 1, result.stderr
    assert asked == [
        "/users/alicec/keys",
        "/users/bobli/keys",
        "/users/carold/keys",
        "/users/samo/keys",
    ]
    text = org.read_text()
    alice = json.loads((DATA / "github/user-keys-alicec.json").read_text())[1]
    assert f"key: {alice['key']}" in text  # the ed25519 key, not the ecdsa one before it
    assert "key: ssh-rsa " in text  # bob's only key
    assert "2 key(s) added" in result.stderr
    for line in (
        "dave (no github: login)",
        "sam (@samo has no ed25519 or RSA key",
        "carol (@carold has no ed25519 or RSA key",
    ):
        assert line in result.stderr
    assert run_cli("validate", cwd=base_repo).returncode == 0  # keys the rules accept


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "CI"}
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**full, **(env or {})},
    ).stdout


def test_init_writes_a_sealed_starter_and_a_diff_driver(tmp_path: Path) -> None:
    made = run_cli("init", "perf", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    repo, org_identity = tmp_path / "perf", tmp_path / "perf.org-key"
    assert org_identity.stat().st_mode & 0o777 == 0o600  # outside the repository, private
    assert "org_key: age1" in next(repo.glob("cycles/*/org.yaml")).read_text()
    assert "confidentiality: sealed" in next(repo.glob("cycles/*/cycle.yaml")).read_text()
    assert "*.age diff=perfloop" in (repo / ".gitattributes").read_text()
    assert git(repo, "config", "diff.perfloop.textconv").strip() == "perfloop show --textconv"
    checked = run_cli("validate", cwd=repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "have no key" in checked.stdout  # run `perfloop keys import`
    # a sealed file diffs as plaintext for whoever can open it, as ciphertext for the others
    cycle = next(repo.glob("cycles/*"))
    review = cycle / "reviews/riley/taylor.yaml"
    review.parent.mkdir(parents=True)
    review.write_text("comments: first words\n")
    assert run_cli("seal", cwd=repo).returncode == 0
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "seal")
    env = {
        "EDITOR": editor(tmp_path, "first words", "second thoughts"),
        "PERFLOOP_IDENTITY": str(org_identity),
    }
    assert run_cli("edit", str(review) + ".age", cwd=repo, env=env).returncode == 0
    # the installed console script by its path, as `perfloop` may not be on git's PATH here
    driver = f"diff.perfloop.textconv={' '.join(PERFLOOP)} show --textconv"
    reader = git(repo, "-c", driver, "diff", env={"PERFLOOP_IDENTITY": str(org_identity)})
    assert "-comments: first words" in reader and "+comments: second thoughts" in reader
    other, _ = age.generate_identity()
    stranger_key = tmp_path / "stranger.key"
    stranger_key.write_text(other)
    stranger = git(repo, "-c", driver, "diff", env={"PERFLOOP_IDENTITY": str(stranger_key)})
    assert "words" not in stranger and "thoughts" not in stranger and "-----BEGIN AGE" in stranger
    in_ci = git(
        repo, "-c", driver, "diff", env={"PERFLOOP_IDENTITY": str(org_identity), "CI": "true"}
    )
    assert "thoughts" not in in_ci
