"""Reading sealed files at the load edge (SPEC section 7): every reader sees exactly its
audience's files through `score`, `status` and `export`, the rest is "sealed, not readable
by you" (never missing, never an error), and nothing opened reaches the cache."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli
from perfloop.sealing import age
from sealkit import CYCLE, plaintexts, sealed  # noqa: F401 (a fixture)

REVIEWS = {  # subject/reviewer: who may open it (besides henry, HR, and the org key)
    "alice/alice": {"alice", "dave", "carol"},
    "alice/bob": {"bob", "dave", "carol"},
    "alice/dave": {"dave", "carol", "alice"},  # alice reads her manager's review of her
    "alice/sam": {"sam", "dave", "carol"},
    "bob/dave": {"dave", "carol", "bob"},
}


def score(repo: Path, env: dict[str, str], *identity: str) -> dict[str, dict]:
    args = ["--identity", identity[0]] if identity else []
    result = run_cli("score", "--json", *args, cwd=repo, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {p["id"]: p for p in json.loads(result.stdout)["people"]}


def test_hr_and_the_org_key_see_every_score(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    plain = score(repo, env, str(identity["henry"]))
    assert all("sealed" not in p for p in plain.values())
    assert plain["alice"]["review"] is not None and plain["alice"]["final"] is not None
    assert score(repo, env, str(identity["org"])) == plain
    table = run_cli("score", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert "sealed" not in table.stdout


def test_without_an_identity_every_review_is_sealed_never_missing(sealed) -> None:  # noqa: F811
    repo, _, env = sealed
    people = score(repo, env)
    for person in ("alice", "bob"):  # each has a sealed review: the section is sealed
        assert people[person]["sealed"] == ["review"]
        assert people[person]["review"] is None and people[person]["final"] is None
    table = run_cli("score", cwd=repo, env=env)
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if line.startswith("alice "))
    assert "sealed" in row
    assert "alice: lacks" not in table.stdout and "bob: lacks" not in table.stdout
    status = run_cli("status", "--json", cwd=repo, env=env)
    assert status.returncode == 0, status.stderr
    items = json.loads(status.stdout)["items"]
    owed = {f"{i['subject']}/{i['who'][0]}" for i in items if i["what"] == "review"}
    assert owed and not owed & REVIEWS.keys()  # written reviews are sealed, not owed
    incomplete = {i["subject"] for i in items if i["what"] == "incomplete"}
    assert incomplete and not incomplete & {"alice", "bob"}
    calibrated = run_cli("calibrate", cwd=repo, env=env)
    assert calibrated.returncode == 0, calibrated.stderr
    assert "2 member(s) with files sealed, not readable by you" in calibrated.stdout
    assert not [line for line in calibrated.stdout.splitlines() if "lacks \n" in line + "\n"]
    checked = run_cli("validate", cwd=repo, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("person", ["alice", "bob", "dave", "sam"])
def test_each_identity_sees_exactly_its_audience(sealed, person: str) -> None:  # noqa: F811
    repo, identity, env = sealed
    hr = score(repo, env, str(identity["henry"]))
    seen = score(repo, env, str(identity[person]))
    for subject in ("alice", "bob"):
        reviews = [r for r in REVIEWS if r.startswith(f"{subject}/")]
        reads_all = all(person in REVIEWS[r] for r in reviews)
        if reads_all:  # every review of the subject opens: the number HR sees
            assert seen[subject] == hr[subject], (person, subject)
        else:
            assert seen[subject].get("sealed") == ["review"], (person, subject)
            assert seen[subject]["review"] is None


def test_export_with_an_identity_writes_what_it_opens(sealed, tmp_path: Path) -> None:  # noqa: F811
    repo, identity, env = sealed
    out = tmp_path / "out.csv"
    done = run_cli(
        "export", "--audience", "person:bob", "-i", str(identity["bob"]), "-o", str(out),
        cwd=repo, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["person"] for r in rows] == ["bob"]
    assert rows[0]["review"] and rows[0]["final"]  # bob reads his manager's review of him
    assert "sealed" not in out.read_text()
    keyless = tmp_path / "keyless.csv"
    done = run_cli("export", "--audience", "hr", "-o", str(keyless), cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    rows = {r["person"]: r for r in csv.DictReader(keyless.open(encoding="utf-8-sig"))}
    assert rows["bob"]["review"] == rows["bob"]["final"] == "sealed"


def test_an_explicit_identity_that_cannot_be_read_is_a_usage_error(sealed, tmp_path) -> None:  # noqa: F811
    repo, _, env = sealed
    missing = tmp_path / "nope.key"
    result = run_cli("score", "--identity", str(missing), cwd=repo, env=env)
    assert result.returncode == 2
    assert str(missing) in result.stderr
    junk = tmp_path / "junk.key"
    junk.write_text("not a key\n")
    result = run_cli("status", cwd=repo, env={**env, "PERFLOOP_IDENTITY": str(junk)})
    assert result.returncode == 2
    assert str(junk) in result.stderr


def test_a_run_that_opened_sealed_files_stores_nothing_derived(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"],
        cwd=repo,
        check=True,
    )
    secrets = plaintexts(repo, identity["henry"])
    assert secrets
    for args in (["validate"], ["score"], ["status"], ["calibrate"], ["score", "--json"]):
        for _ in range(2):  # the second run would be a replay
            done = run_cli(*args, "-i", str(identity["henry"]), cwd=repo, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
    cache = repo / ".git" / "perfloop-cache"
    assert _derived(cache) == []  # no stored run, no verdict: both hold scores and ratings
    for file in (p for p in cache.rglob("*") if p.is_file()):  # plain files' parses only
        data = file.read_bytes()
        assert not [s for s in secrets if s.encode() in data], file
    keyless = run_cli("score", cwd=repo, env=env)
    assert keyless.returncode == 0 and "sealed" in keyless.stdout
    assert _derived(cache)  # a keyless run sees ciphertext only: it is cached as before
    hr = run_cli("score", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert "sealed" not in hr.stdout  # never the keyless run's stored output or verdict


def _derived(cache: Path) -> list[Path]:
    """Cache files holding a command's output or a cycle's verdict."""
    return [p for p in cache.rglob("*") if p.is_file() and {"runs", "verdicts"} & set(p.parts)]


def test_bad_sealed_files_get_one_located_error_without_plaintext(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    reviews = repo / CYCLE / "reviews"
    org = (repo / CYCLE / "org.yaml").read_text()
    keys = {p: _public(identity[p]) for p in ("bob", "dave", "carol", "henry", "org")}
    assert all(k in org for k in keys.values())
    secret = "Bob-said-this-in-confidence-41d"
    # alice/alice: cut in half; alice/bob: YAML that does not parse; alice/dave: sealed to
    # five fresh keys (the right count, the wrong keys); bob/dave: not age at all
    truncated = (reviews / "alice/alice.yaml.age").read_bytes()
    (reviews / "alice/alice.yaml.age").write_bytes(truncated[: len(truncated) // 2] + b"\n")
    audience = [keys[p] for p in ("bob", "dave", "carol", "henry", "org")]
    bad_yaml = f"ratings: {{impact: 4\ncomments: [{secret}\n".encode()
    (reviews / "alice/bob.yaml.age").write_bytes(age.seal(bad_yaml, audience))
    strangers = [age.generate_identity()[1] for _ in range(5)]
    (reviews / "alice/dave.yaml.age").write_bytes(age.seal(b"ratings: {}\n", strangers))
    (reviews / "bob/dave.yaml.age").write_text(f"comments: {secret}\n")

    result = run_cli("validate", "-i", str(identity["org"]), cwd=repo, env=env)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert secret not in out
    base = f"{CYCLE}/reviews"
    for path, message in (
        (f"{base}/alice/alice.yaml.age", "not a well-formed age file"),
        (f"{base}/alice/bob.yaml.age", "YAML syntax"),
        (f"{base}/alice/dave.yaml.age", "not sealed to the org key (sealed to the wrong keys)"),
        (f"{base}/bob/dave.yaml.age", "not a well-formed age file"),
    ):
        lines = [line for line in out.splitlines() if line.startswith(f"{path}:")]
        assert len(lines) == 1 and message in lines[0] and ": error: " in lines[0], (path, out)
    # without the org key, the file sealed to strangers is just not readable by you
    keyless = run_cli("validate", "-i", str(identity["alice"]), cwd=repo, env=env)
    assert f"{base}/alice/dave.yaml.age" not in keyless.stdout + keyless.stderr


def _public(identity: Path) -> str:
    return identity.read_text().split("public key: ")[1].split()[0]


def test_a_restricted_site_shows_sealed_where_the_identity_does_not_open(sealed) -> None:  # noqa: F811
    from sitebuild import add_minimal_site

    repo, identity, env = sealed
    add_minimal_site(repo)
    page = repo / "build/site-hr/people/alice/index.html"
    keyless = run_cli("site", "--audience", "hr", cwd=repo, env=env)
    assert keyless.returncode == 0, keyless.stdout + keyless.stderr
    assert "sealed, not readable by you: review" in page.read_text()
    assert "incomplete, missing" not in page.read_text()
    done = run_cli("site", "--audience", "hr", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sealed, not readable by you" not in page.read_text()
