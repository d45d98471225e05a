"""`perfloop demo DIR --people N`: a realistic demo company in a new git repository."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path

import click

from .. import demo

# A fixed author and date make the demo's commit id as reproducible as its files.
COMMIT_ENV = {
    "GIT_AUTHOR_NAME": "Perfloop demo",
    "GIT_AUTHOR_EMAIL": "demo@example.com",
    "GIT_AUTHOR_DATE": "2026-12-01T09:00:00+00:00",
    "GIT_COMMITTER_NAME": "Perfloop demo",
    "GIT_COMMITTER_EMAIL": "demo@example.com",
    "GIT_COMMITTER_DATE": "2026-12-01T09:00:00+00:00",
}


def site_files(people: int) -> dict[str, str]:
    """mkdocs.yml, the home page and .gitignore: the starter's, named for the demo."""
    starter = resources.files("perfloop") / "starter"
    mkdocs = (starter / "mkdocs.yml").read_text(encoding="utf-8")
    mkdocs = mkdocs.replace("site_name: Performance", f"site_name: Demo company ({people} people)")
    index = (starter / "site" / "index.md").read_text(encoding="utf-8")
    index += (
        f"\nThis is a generated demo company of {people} people (`perfloop demo`): names, "
        "goals and reviews are made up.\n"
    )
    return {
        "mkdocs.yml": mkdocs,
        "site/index.md": index,
        ".gitignore": (starter / "gitignore").read_text(encoding="utf-8"),
    }


def write_tree(target: Path, files: dict[str, str]) -> None:
    """Write all files into a staging folder beside `target`, then rename it into place:
    an interrupted run leaves nothing half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".perfloop-demo-"))
    try:
        made: set[str] = set()
        for rel, text in files.items():
            folder = os.path.dirname(rel)
            if folder not in made:
                (staging / folder).mkdir(parents=True, exist_ok=True)
                made.add(folder)
            with open(staging / rel, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        if target.exists():
            target.rmdir()  # empty, checked by the caller
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def commit(target: Path, people: int, seed: int, sealed: bool = False) -> str:
    import git  # only here: GitPython is slow to import

    repo = git.Repo.init(target, initial_branch="main")
    if sealed:  # as `perfloop init` does: diffs of sealed files show plaintext to readers
        repo.git.config("diff.perfloop.textconv", "perfloop show --textconv")
    repo.git.add("-A")  # index.add is ~10x slower on tens of thousands of files
    kind = "sealed, " if sealed else ""
    with repo.git.custom_environment(**COMMIT_ENV):
        repo.git.commit(
            "-q", "-m", f"Demo company: {people} people ({kind}perfloop demo, seed {seed})"
        )
    return repo.head.commit.hexsha


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--people",
    type=click.IntRange(demo.MIN_PEOPLE, demo.MAX_PEOPLE),
    default=1000,
    show_default=True,
    help="Number of people in the company.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same files.")
@click.option(
    "--phase",
    type=click.Choice(demo.PHASES),
    default="calibration",
    show_default=True,
    help="How far the cycle has got: planning has goals only; execution adds progress and "
    "check-ins; review adds reviews; calibration adds calibration files.",
)
@click.option("--no-git", is_flag=True, help="Do not make it a git repository.")
@click.option(
    "--sealed",
    is_flag=True,
    help="A sealed company (SPEC section 7): everyone has an age key, and reviews and "
    "calibration files are sealed to their audience. Needs --keys.",
)
@click.option(
    "--keys",
    "keys_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --sealed: a new or empty folder outside DIRECTORY for each person's identity "
    "(<person>.key) and the org's (org.key). Example keys, for trying and testing only.",
)
def command(
    directory: Path,
    people: int,
    seed: int,
    phase: str,
    no_git: bool,
    sealed: bool,
    keys_dir: Path | None,
) -> None:
    """Create a realistic demo company of N people in DIRECTORY (new or empty).

    Departments nest 2-4 levels, every manager has 3-12 reports; goals align to the
    department's objectives, with check-ins; reviews of every relation; calibration files
    that meet the quotas. Deterministic: the same --people, --seed and --phase give the same
    files (and the same commit); a --sealed company has the same plaintext, but new keys
    and ciphertext every time.
    """
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} is not empty; perfloop demo never overwrites")
    if sealed != (keys_dir is not None):
        raise click.UsageError(
            "--sealed and --keys go together: a sealed company's keys "
            "are written to the --keys folder"
        )
    if keys_dir is not None:
        _check_keys_dir(keys_dir, directory)
    started = time.perf_counter()
    identities: dict[str, str] = {}
    hr = ""
    if sealed:
        from ..demo.sealed import generate_sealed

        company = generate_sealed(people, seed, phase)
        files, identities, hr = company.files, company.identities, company.hr
    else:
        files = demo.generate(people, seed, phase)
    generated = time.perf_counter()
    files.update(site_files(people))
    if sealed:
        files[".gitattributes"] = (
            resources.files("perfloop") / "starter" / "gitattributes"
        ).read_text(encoding="utf-8")
    if keys_dir is not None:
        write_keys(keys_dir, identities)
    write_tree(directory, files)
    written = time.perf_counter()
    sha = None if no_git else commit(directory, people, seed, sealed)
    done = time.perf_counter()
    cycle = f"cycles/{demo.CYCLE_ID}/"
    departments = sum(1 for p in files if p.startswith(cycle + "departments/"))
    reviews = sum(1 for p in files if p.startswith(cycle + "reviews/"))
    size = sum(len(t.encode()) for t in files.values())
    click.echo(
        f"Created a {'sealed ' if sealed else ''}demo company of {people} people in "
        f"{directory}: {departments} departments, "
        f"{reviews} reviews, cycle {demo.CYCLE_ID} in phase {phase} (seed {seed})."
    )
    click.echo(
        f"{len(files)} files, {size / 1e6:.1f} MB; generated in {generated - started:.1f}s, "
        f"written in {written - generated:.1f}s"
        + (f", committed in {done - written:.1f}s ({sha[:12]})." if sha else ".")
    )
    if keys_dir is not None:
        click.echo(
            f"{len(identities)} identities in {keys_dir} (example keys: never use them for "
            f"real data). HR reads everything: --identity {keys_dir / (hr + '.key')}"
        )
    click.echo(f"Next: cd {directory} && perfloop validate")


def _check_keys_dir(keys_dir: Path, directory: Path) -> None:
    """A new or empty folder, and not inside the repository: its files are secrets."""
    if keys_dir.exists() and any(keys_dir.iterdir()):
        raise click.UsageError(f"{keys_dir} is not empty; perfloop demo never overwrites keys")
    inside = keys_dir.resolve()
    if inside == directory.resolve() or directory.resolve() in inside.parents:
        raise click.UsageError(
            f"{keys_dir} is inside {directory}: the keys would be committed with the company"
        )


def write_keys(keys_dir: Path, identities: dict[str, str]) -> None:
    """Each identity to `<name>.key`, readable by its owner only (folder 0700, files 0600)."""
    from ..sealing.age import write_identity

    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in identities.items():
        write_identity(keys_dir / f"{name}.key", text)
