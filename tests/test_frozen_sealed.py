"""A closed sealed cycle is frozen too (frozen.py, SPEC section 7): its record, sealed to HR
and the org key, holds the digest of each sealed file's plaintext. `validate` with HR's
identity (or the org key's) names a sealed file swapped, added or deleted since the close;
`perfloop reseal` re-encrypts a closed cycle and leaves the record true; and no digest of a
plaintext is readable without a key.

tests/data/base, keyed and sealed (sealkit's fixture), calibrated and closed
through the real CLI with HR's identity, committed in a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pyrage import x25519

from conftest import run_cli
from perfloop.frozen import digest
from perfloop.sealing import age
from sealkit import sealed  # noqa: F401 (a fixture)

CYCLE = "cycles/2026-h2"
CLOSED = "after the cycle closed on 2026-12-31; results.yaml is the record of a closed cycle"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Hr", "-c", "user.email=hr@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def closed(sealed) -> tuple[Path, dict[str, Path], dict[str, str]]:  # noqa: F811
    """The sealed base cycle, closed on 2026-12-31 with HR's identity and committed."""
    repo, identity, env = sealed
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    hr = ("-i", str(identity["henry"]))
    assert run_cli("calibrate", "--write", *hr, cwd=repo, env=env).returncode == 0
    done = run_cli(
        "cycle", "close", "--allow-incomplete", "--date", "2026-12-31", *hr, cwd=repo, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (repo / ".gitignore").write_text(".perfloop-cache/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Close 2026-h2")
    return repo, identity, env


def public(identity: Path) -> str:
    secret = next(x for x in identity.read_text().split() if x.startswith("AGE-SECRET-KEY-"))
    return str(x25519.Identity.from_str(secret).to_public())


def seal_to(identity: dict[str, Path], people: tuple[str, ...], text: str) -> bytes:
    """`text` sealed to `people` and the org key: a sealed file as a forger would make it,
    to exactly its audience (the keyless check sees nothing wrong)."""
    return age.seal(text.encode(), [public(identity[p]) for p in (*people, "org")])


def validate(repo: Path, env: dict[str, str], *identity: Path) -> subprocess.CompletedProcess:
    args = [a for i in identity for a in ("-i", str(i))]
    return run_cli("validate", *args, cwd=repo, env=env)


def test_a_swapped_added_or_deleted_sealed_file_is_named_with_hrs_or_the_org_key(closed) -> None:
    repo, identity, env = closed
    folder = repo / CYCLE
    hr, org = identity["henry"], identity["org"]
    assert validate(repo, env, hr).returncode == 0
    # bob's review of alice, swapped for a kinder one sealed to exactly its audience
    review = folder / "reviews/alice/bob.yaml.age"
    review.write_bytes(
        seal_to(
            identity, ("bob", "dave", "carol", "henry"), "ratings: {impact: 5, collaboration: 5}\n"
        )
    )
    # alice's own result, swapped (she reads it: her rating is what she is told)
    mine = folder / "results/alice.yaml.age"
    shown = run_cli("show", f"{CYCLE}/results/alice.yaml", "-i", str(hr), cwd=repo, env=env)
    better = shown.stdout.replace("rating: ", "rating: A  # was ")
    mine.write_bytes(seal_to(identity, ("alice", "dave", "carol", "henry"), better))
    # a review added, one deleted
    added = folder / "reviews/alice/carol.yaml.age"
    added.write_bytes(
        seal_to(identity, ("carol", "dave", "henry"), "ratings: {impact: 2, collaboration: 2}\n")
    )
    (folder / "reviews/bob/dave.yaml.age").unlink()
    git(repo, "commit", "-qam", "pushed past protection")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "and the added file")

    for who in (hr, org):
        result = validate(repo, env, who)
        assert result.returncode == 1, result.stdout + result.stderr
        out = result.stdout
        assert f"{CYCLE}/reviews/alice/bob.yaml.age:1:1: error: changed {CLOSED}" in out
        assert f"{CYCLE}/results/alice.yaml.age:1:1: error: changed {CLOSED}" in out
        assert f"{CYCLE}/reviews/alice/carol.yaml.age:1:1: error: added {CLOSED}" in out
        assert f"{CYCLE}/reviews/bob/dave.yaml.age:1:1: error: deleted {CLOSED}" in out
        assert out.count("error:") == 4, out  # one mistake, one error
        assert "impact" not in out and "rating: A" not in out  # no plaintext quoted


def test_a_sealed_file_hr_cannot_open_is_changed(closed) -> None:
    """Swapped for a file sealed to other keys (the keyless check counts stanzas only)."""
    repo, identity, env = closed
    review = repo / CYCLE / "reviews/alice/bob.yaml.age"
    _, stranger = age.generate_identity()  # in HR's place: four stanzas, as the audience has
    keys = [public(identity[p]) for p in ("bob", "dave", "carol", "org")]
    review.write_bytes(age.seal(b"ratings: {impact: 5, collaboration: 5}\n", [*keys, stranger]))
    result = validate(repo, env, identity["henry"])
    assert result.returncode == 1
    assert f"{CYCLE}/reviews/alice/bob.yaml.age:1:1: error: changed {CLOSED}" in result.stdout
    assert "sealed to other keys" in result.stdout


def test_reseal_of_a_closed_cycle_keeps_its_record_true(closed) -> None:
    repo, identity, env = closed
    folder = repo / CYCLE
    sealed_files = sorted(folder.rglob("*.age"))
    before = {p: p.read_bytes() for p in sealed_files}
    hr = ("-i", str(identity["henry"]))
    skipped = run_cli("reseal", "--all", *hr, cwd=repo, env=env)  # open cycles only
    assert skipped.returncode == 0 and "0 file(s) resealed" in skipped.stderr
    done = run_cli("reseal", "--all", "--cycle", "2026-h2", *hr, cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(sealed_files)} file(s) resealed" in done.stderr
    assert all(p.read_bytes() != raw for p, raw in before.items())  # every byte changed
    for who in (identity["henry"], identity["org"]):
        result = validate(repo, env, who)
        assert result.returncode == 0, result.stdout + result.stderr
    assert validate(repo, env).returncode == 0  # keyless: nothing it can compare


def test_no_digest_of_a_plaintext_is_readable_without_a_key(closed) -> None:
    """The record is sealed (results.yaml.age): a digest of a short plaintext such as a
    calibration rating would be a guessing oracle in any file a keyless reader sees."""
    repo, identity, env = closed
    folder = repo / CYCLE
    assert not (folder / "results.yaml").exists() and (folder / "results.yaml.age").is_file()
    hr = ["-i", str(identity["henry"])]
    record = run_cli("show", f"{CYCLE}/results.yaml", *hr, cwd=repo, env=env).stdout
    digests = set()
    for path in folder.rglob("*.age"):
        rel = path.relative_to(repo).as_posix()
        plain = run_cli("show", rel, *hr, cwd=repo, env=env).stdout
        if path.name != "results.yaml.age":
            digests.add(digest(plain.encode()))
            assert digest(plain.encode()) in record  # the record covers it
    readable = [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts]
    readable += [repo / ".git" / "objects"]  # git history too (uncompressed text is enough)
    text = "\n".join(p.read_text("utf-8", "replace") for p in readable if p.is_file())
    text += git(repo, "log", "-p", "--all")
    assert not {d for d in digests if d in text}


def test_the_pull_request_that_closes_a_sealed_cycle_and_one_that_changes_it_after(
    sealed,  # noqa: F811
) -> None:
    """The closing pull request carries results.yaml sealed: the check finds it, and with
    the org identity (the trusted gate) compares the record with the files it closes. A
    later change inside the closed cycle is refused, with or without a key."""
    repo, identity, env = sealed
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    hr = ("-i", str(identity["henry"]))
    assert run_cli("calibrate", "--write", *hr, cwd=repo, env=env).returncode == 0
    (repo / ".gitignore").write_text(".perfloop-cache/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "2026-h2 in calibration")
    git(repo, "checkout", "-qb", "close")
    done = run_cli("cycle", "close", "--allow-incomplete", "--date", "2026-12-31", *hr,
                   cwd=repo, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Close 2026-h2")
    keyless = {**env}
    gate = {**env, "PERFLOOP_ORG_IDENTITY": identity["org"].read_text()}

    def check(environment: dict[str, str]) -> str:
        result = run_cli("check", "--base", "main", "--author", "henryp", cwd=repo,
                         env=environment)  # fmt: skip
        return result.stdout + result.stderr

    for environment in (keyless, gate):
        out = check(environment)
        assert "needs its results.yaml snapshot" not in out, out
        assert "after the cycle closed" not in out, out

    # the same pull request with alice's result raised by hand after the close wrote it
    mine = repo / CYCLE / "results/alice.yaml.age"
    shown = run_cli("show", f"{CYCLE}/results/alice.yaml", *hr, cwd=repo, env=env).stdout
    raised = shown.replace("rating: ", "rating: A  # was ")
    mine.write_bytes(seal_to(identity, ("alice", "dave", "carol", "henry"), raised))
    git(repo, "commit", "-qam", "a better rating")
    assert f"{CYCLE}/results/alice.yaml.age:1:1: error: changed" in check(gate)
    assert "results/alice.yaml.age:1:1: error: changed" not in check(keyless)  # cannot tell

    # merged as closed; then a pull request swaps a sealed review of the closed cycle
    git(repo, "revert", "--no-edit", "HEAD")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "close")
    git(repo, "checkout", "-qb", "swap")
    review = repo / CYCLE / "reviews/alice/bob.yaml.age"
    kinder = "ratings: {impact: 5, collaboration: 5}\n"
    review.write_bytes(seal_to(identity, ("bob", "dave", "carol", "henry"), kinder))
    git(repo, "commit", "-qam", "a kinder review")
    for environment in (keyless, gate):
        out = check(environment)
        assert f"{CYCLE}/reviews/alice/bob.yaml.age:1:1: error: cycle 2026-h2 is closed" in out


def test_a_sealed_file_in_a_plain_cycle_is_one_error_in_the_pull_request_check(
    base_repo: Path,
) -> None:
    """No rule can read it, so what it holds would go unchecked (the same case as
    tests/data/invalid/sealed-file-in-plain-cycle, which `validate` reports)."""
    case = Path(__file__).parent / "data/invalid/sealed-file-in-plain-cycle"
    (base_repo / CYCLE / "org.yaml").write_bytes((case / CYCLE / "org.yaml").read_bytes())
    git(base_repo, "init", "-q", "-b", "main")
    git(base_repo, "add", "-A")
    git(base_repo, "commit", "-qm", "keys")
    git(base_repo, "checkout", "-qb", "carol-review")
    stray = f"{CYCLE}/reviews/alice/carol.yaml.age"
    (base_repo / stray).write_bytes((case / stray).read_bytes())
    git(base_repo, "add", "-A")
    git(base_repo, "commit", "-qm", "my review of alice")
    result = run_cli("check", "--base", "main", "--author", "carold", cwd=base_repo)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if " error: " in line]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f"{stray}:1:1: error: a sealed file in a plain cycle")


def test_the_closing_check_loads_a_sealed_cycle_once(closed, monkeypatch) -> None:
    """The check of the pull request that closes a sealed cycle reads the sealed record
    from the whole model and then recomputes the record from it: one load, not two (each
    opens every sealed file of the cycle)."""
    from perfloop import engine
    from perfloop.frozen import frozen_problems
    from perfloop.repository import load_cycle
    from perfloop.sealing import reader
    from perfloop.sealing.age import load_identities

    repo, identity, _ = closed
    monkeypatch.setattr(reader, "_opened", False)
    hr = reader.Reader(load_identities(identity["henry"]))
    monkeypatch.setattr(engine, "_reader", hr)
    loads = []

    def whole():
        loads.append(1)
        return load_cycle(repo, "2026-h2", reader=hr)[0]

    assert frozen_problems(repo, "2026-h2", None, whole, closing=True) == []
    assert len(loads) == 1
