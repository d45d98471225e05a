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


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-git", is_flag=True, help="Do not make it a git repository.")
def command(directory: Path, no_git: bool) -> None:
    """Create a performance repository in DIRECTORY (new or empty) with a starter cycle."""
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} is not empty; perfloop init never overwrites")
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target, then rename: an interrupted init leaves nothing behind.
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=".perfloop-init-") as tmp:
        staging = Path(tmp) / "repo"
        _copy_starter(staging)
        if directory.exists():
            directory.rmdir()
        staging.rename(directory)
    if not no_git:
        import git  # only here: GitPython is slow to import

        repo = git.Repo.init(directory, initial_branch="main")
        repo.git.add("-A")
    cycles = sorted(p.name for p in (directory / "cycles").iterdir())
    click.echo(f"Created a performance repository in {directory} (cycle {', '.join(cycles)}).")
    click.echo(f"Next: cd {directory} && perfloop validate")
