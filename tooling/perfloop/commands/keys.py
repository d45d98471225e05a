"""`perfloop keys import`: fill missing `key:` entries of org.yaml from GitHub's public SSH keys."""

from __future__ import annotations

import os
import sys

import click

from .context import cycle_option, pick_cycle, repository_root

# age reads these SSH key kinds; GitHub also lists ecdsa and security keys, which it cannot
_USABLE = ("ssh-ed25519", "ssh-rsa")


@click.group()
def command() -> None:
    """Keys for sealed files (SPEC section 7)."""


@command.command("import")
@cycle_option
@click.option("--api", "api_url", metavar="URL", help="GitHub API (default $GITHUB_API_URL).")
def import_keys(cycle_id: str | None, api_url: str | None) -> None:
    """For each person in org.yaml without `key:` but with `github:`, take their first
    ed25519 (else RSA) public key from GitHub (GET /users/LOGIN/keys) — the keys engineers
    already have, so nobody needs a new one. People without a login or a usable key are
    listed; exit 1 when anyone is left without a key."""
    from .. import yamledit
    from ..github import GitHub, GitHubError
    from ..sealing.age import key_problem
    from ..writes import atomic_write

    root = repository_root()
    cid = pick_cycle(root, cycle_id)
    org_path = root / "cycles" / cid / "org.yaml"
    text = org_path.read_text(encoding="utf-8")
    doc = yamledit.load(text)
    client = GitHub(
        os.environ.get("GITHUB_REPOSITORY") or "perfloop/keys",
        os.environ.get("GITHUB_TOKEN"),
        api_url,
    )
    added, without = 0, []
    for person in doc.get("people") or []:
        if person.get("key"):
            continue
        login = person.get("github")
        if not login:
            without.append(f"{person['id']} (no github: login)")
            continue
        try:
            listed = client.user_keys(str(login))
        except GitHubError as exc:
            raise click.ClickException(f"GitHub: {exc}") from None
        found = _pick(listed)
        if found is None or key_problem(found):
            without.append(f"{person['id']} (@{login} has no ed25519 or RSA key on GitHub)")
            continue
        person["key"] = found
        added += 1
    if added:
        atomic_write(org_path, yamledit.dump(doc, like=text))
    click.echo(f"{org_path.relative_to(root)}: {added} key(s) added", err=True)
    for line in without:
        click.echo(f"  without a key: {line}", err=True)
    if without:
        click.echo(
            f"{len(without)} people cannot read their sealed files until they have a key",
            err=True,
        )
    sys.exit(1 if without else 0)


def _pick(keys: list[str]) -> str | None:
    for kind in _USABLE:
        for key in keys:
            parts = key.split()
            if len(parts) >= 2 and parts[0] == kind:
                return f"{parts[0]} {parts[1]}"
    return None
