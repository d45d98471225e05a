"""`perfloop init DIR`: a new performance repository with a starter cycle."""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

import click


def _copy_starter(target: Path) -> None:
    starter = resources.files("perfloop") / "starter"
    with resources.as_file(starter) as source:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "gitignore").rename(target / ".gitignore")
    (target / "gitattributes").rename(target / ".gitattributes")


def _org_key(repo: Path, identity_file: Path) -> str:
    """A new org identity, written to `identity_file` (0600, outside the repository) and its
    recipient added to the starter's org.yaml: every sealed file is also sealed to it."""
    from ..sealing.age import generate_identity, write_identity

    text, public = generate_identity()
    write_identity(identity_file, text)
    org = next((repo / "cycles").glob("*/org.yaml"))
    org.write_text(
        org.read_text(encoding="utf-8")
        + "# The org key: every sealed file is also sealed to it. Its identity is a secret of HR\n"
        + "# and of the trusted gate (the PERFLOOP_ORG_IDENTITY secret), never in the repository.\n"
        + f"org_key: {public}\n",
        encoding="utf-8",
    )
    return public


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not make it a git repository.")
@click.option(
    "--org-identity",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the new org identity (default: DIRECTORY.org-key beside it).",
)
def command(directory: Path, no_git: bool, org_identity: Path | None) -> None:
    """Create a performance repository in DIRECTORY (new or empty) with a starter cycle whose
    confidential files are sealed (SPEC section 7) to their audience and a new org key."""
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} is not empty; perfloop init never overwrites")
    identity_file = org_identity or directory.with_name(directory.resolve().name + ".org-key")
    if identity_file.exists():
        raise click.UsageError(f"{identity_file} exists; perfloop init never overwrites a key")
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target, then rename: an interrupted init leaves nothing behind.
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=".perfloop-init-") as tmp:
        staging = Path(tmp) / "repo"
        _copy_starter(staging)
        _org_key(staging, identity_file)
        if directory.exists():
            directory.rmdir()
        staging.rename(directory)
    if not no_git:
        import git  # only here: GitPython is slow to import

        repo = git.Repo.init(directory, initial_branch="main")
        # this clone's own setting (git config is not committed): diffs of sealed files show
        # plaintext to whoever can open them; every reader sets it once (site/guide)
        repo.git.config("diff.perfloop.textconv", "perfloop show --textconv")
        repo.git.add("-A")
    cycles = sorted(p.name for p in (directory / "cycles").iterdir())
    click.echo(f"Created a performance repository in {directory} (cycle {', '.join(cycles)}).")
    click.echo(
        f"The org identity is in {identity_file}: give it to HR and to the gate as the "
        "PERFLOOP_ORG_IDENTITY secret, and keep it out of the repository."
    )
    click.echo(f"Next: cd {directory} && perfloop keys import && perfloop validate")
