"""No plaintext of a sealed file reaches CI (SPEC section 7): the PR check under GitHub
Actions with the org identity, then a public site build with HR's identity present; stdout,
stderr, the job summary, the site (search index included) and the cache are searched for
the plaintext of every sealed file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_cli
from sealkit import plaintexts, sealed  # noqa: F401 (a fixture)
from sitebuild import add_minimal_site

CYCLE = "cycles/2026-h2"
SECRET_COMMENT = "Alice-confidential-remark-7f3a"
SECRET_VALUE = "rating-as-words-9c2e"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Bob", "-c", "user.email=bob@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def on_a_branch(repo: Path) -> None:
    """The sealed repository committed on main, and Bob's branch checked out."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sealed cycle")
    git(repo, "checkout", "-qb", "bob-review")


def test_no_plaintext_in_ci_output_summary_site_or_cache(sealed, tmp_path: Path) -> None:  # noqa: F811
    repo, identity, env = sealed
    add_minimal_site(repo)
    on_a_branch(repo)
    # Bob rewrites his review of Alice: one value is no rating (the org identity sees it)
    review = repo / CYCLE / "reviews/alice/bob.yaml"
    (repo / CYCLE / "reviews/alice/bob.yaml.age").unlink()
    review.write_text(
        f"ratings: {{impact: 4, collaboration: {SECRET_VALUE}}}\ncomments: {SECRET_COMMENT}\n"
    )
    assert run_cli("seal", str(review), cwd=repo, env=env).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "my review")
    secrets = plaintexts(repo, identity["henry"]) | {SECRET_COMMENT, SECRET_VALUE}

    summary = tmp_path / "summary.md"
    ci = {
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "PERFLOOP_CACHE_KEY": "k" * 64,  # a cache CI may write, to be searched too
        "PERFLOOP_ORG_IDENTITY": identity["org"].read_text(),
    }
    checked = run_cli("check", "--base", "main", "--author", "bobli", cwd=repo, env=ci)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    sealed_path = f"{CYCLE}/reviews/alice/bob.yaml.age"
    # the plaintext is validated: located at the sealed file, its message withheld in CI
    # (rule and parser messages may quote a subject, a rating, an anchor's name)
    assert f"{sealed_path}:1:" in checked.stdout + checked.stderr
    assert "its details are withheld from CI output" in checked.stdout + checked.stderr
    assert "collaboration" not in checked.stdout + checked.stderr
    keyless = {k: v for k, v in ci.items() if k != "PERFLOOP_ORG_IDENTITY"}
    unopened = run_cli("check", "--base", "main", "--author", "bobli", cwd=repo, env=keyless)
    assert unopened.returncode == 0, unopened.stdout + unopened.stderr  # sees ciphertext only

    site = run_cli("site", cwd=repo, env={**env, "PERFLOOP_IDENTITY": str(identity["henry"])})
    assert site.returncode == 0, site.stdout + site.stderr
    built = [p for p in (repo / "public").rglob("*") if p.is_file()]
    assert any(p.name == "search_index.json" for p in built)

    places = {
        "check stdout": checked.stdout,
        "check stderr": checked.stderr,
        "site output": site.stdout + site.stderr,
        "job summary": summary.read_text(),
    }
    for file in built + [p for p in (repo / ".git").rglob("*") if "cache" in str(p)]:
        if file.is_file():
            places[str(file)] = file.read_bytes().decode("utf-8", "replace")
    leaks = {(where, s) for where, text in places.items() for s in secrets if s in text}
    assert not leaks


def test_rule_and_parser_messages_of_a_sealed_file_stay_out_of_ci(sealed) -> None:  # noqa: F811
    """A rule's message can quote the plaintext (a subject, a rating, a question id) and a
    parser's an anchor's name: in CI each problem of a sealed file keeps its place, not its
    words (a security review found them in the job log)."""
    repo, identity, env = sealed
    on_a_branch(repo)
    review = repo / CYCLE / "reviews/alice/bob.yaml"
    (repo / CYCLE / "reviews/alice/bob.yaml.age").unlink()
    review.write_text(
        "subject: secret-subject-name\nratings: {impact: 97, secretcrit: 3}\n"
        "strengths: &anchor-named-in-secret x\n"
    )
    assert run_cli("seal", str(review), cwd=repo, env=env).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "my review")
    ci = {**env, "GITHUB_ACTIONS": "true", "PERFLOOP_ORG_IDENTITY": identity["org"].read_text()}
    checked = run_cli("check", "--base", "main", "--author", "bobli", cwd=repo, env=ci)
    out = checked.stdout + checked.stderr
    assert checked.returncode == 1, out
    assert f"{CYCLE}/reviews/alice/bob.yaml.age:" in out
    for secret in ("secret-subject-name", "rating 97", "secretcrit", "anchor-named-in-secret"):
        assert secret not in out, secret
    fixed = review.with_name("bob.yaml")
    fixed.write_text("subject: secret-subject-name\nratings: {impact: 97, secretcrit: 3}\n")
    (repo / CYCLE / "reviews/alice/bob.yaml.age").unlink()
    assert run_cli("seal", str(fixed), cwd=repo, env=env).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "my review, no anchor")
    rules = run_cli("check", "--base", "main", "--author", "bobli", cwd=repo, env=ci)
    out = rules.stdout + rules.stderr
    assert rules.returncode == 1 and "withheld from CI output" in out, out
    for secret in ("secret-subject-name", "rating 97", "secretcrit"):  # (a hash may hold 97)
        assert secret not in out, secret
    local = run_cli("validate", cwd=repo, env={**env, "PERFLOOP_IDENTITY": str(identity["henry"])})
    assert "secretcrit" in local.stdout  # where the reader may read it, the message says all


def test_a_sealed_file_to_keys_of_other_kinds_is_refused_without_a_key(sealed, tmp_path) -> None:  # noqa: F811
    """The count of recipient stanzas alone let a file sealed to other keys pass: their
    kinds (X25519, ssh-ed25519, ssh-rsa) must match the audience's keys too."""
    from perfloop.sealing import age

    repo, _, env = sealed
    on_a_branch(repo)
    private = tmp_path / "id_bob"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", private], check=True)
    ssh = (tmp_path / "id_bob.pub").read_text().strip()
    others = [age.generate_identity()[1] for _ in range(4)]  # bob, dave, carol, henry, org: 5
    sealed_file = repo / CYCLE / "reviews/alice/bob.yaml.age"
    sealed_file.write_bytes(age.seal(b"ratings: {impact: 4}\n", [ssh, *others]))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sealed to my own keys")
    keyless = {**env, "GITHUB_ACTIONS": "true"}
    checked = run_cli("check", "--base", "main", "--author", "bobli", cwd=repo, env=keyless)
    out = checked.stdout + checked.stderr
    assert checked.returncode == 1, out
    assert "sealed to keys of kinds X25519, X25519, X25519, X25519, ssh-ed25519" in out
