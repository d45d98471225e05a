"""`perfloop site`: build the site for an audience (public by default) with MkDocs.

A thin edge over MkDocs' Python API: load mkdocs.yml, set the perfloop plugin's audience,
build. Restricted builds go to `build/site-<audience>/` (git-ignored), never into the public
site folder, so a publishing job cannot pick them up by accident.

The public site is published through this command, not `mkdocs build`: the plugin's
protections only exist while it runs, so a configuration without it (or with it disabled,
or reaching cycles/ another way) is refused before building (site/fences.py), and the
written output is scanned for confidential text here too (what the plugin did not scan:
files a later plugin or hook wrote); a public site that holds any is removed.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from .context import cycle_option, pick_cycle, repository_root
from .identity import identity_option, read_as

if TYPE_CHECKING:
    from ..site.plugin import PerfloopPlugin

PLUGIN = "perfloop"


class _Echo(logging.Handler):
    """MkDocs' warnings and errors to stderr, as `mkdocs build` prints them."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname:<8}-  {record.getMessage()}", err=True)


@click.command()
@click.option(
    "--audience",
    default="public",
    show_default=True,
    metavar="public|hr|dept:D|person:P",
    help="Who the site is for; restricted audiences add results they may see.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: mkdocs.yml's site_dir when public, build/site-AUDIENCE else).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The MkDocs configuration (default: mkdocs.yml at the repository root).",
)
@cycle_option
@click.option("--strict/--no-strict", default=True, show_default=True, help="Warnings fail.")
@click.option("--serve", is_flag=True, help="Serve the built site on 127.0.0.1 afterwards.")
@click.option("--port", default=8000, show_default=True, help="Port for --serve.")
@identity_option
def command(
    audience: str,
    out: Path | None,
    config_file: Path | None,
    cycle_id: str | None,
    strict: bool,
    serve: bool,
    port: int,
    identity: str | None,
) -> None:
    """Build the site: the OKR tree and progress, plus results for a restricted audience."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from ..site.audience import Audience, AudienceError
    from ..site.fences import around, site_problems

    try:
        parsed = Audience.parse(audience)
    except AudienceError as exc:
        raise click.BadParameter(str(exc), param_hint="--audience") from None
    if parsed.restricted:  # the public build never opens a sealed file
        read_as(identity)
    root = repository_root()
    _check_audience_ids(root, pick_cycle(root, cycle_id), parsed)
    config_path = (config_file or root / "mkdocs.yml").resolve()
    if not config_path.is_file():
        raise click.UsageError(f"no MkDocs configuration at {config_path}")
    refused = site_problems(config_path, root)
    if refused:
        for problem in refused:
            click.echo(f"{_shown(config_path, root)}:1:1: error: {problem}", err=True)
        sys.exit(1)
    handler = _Echo(logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)
    try:
        config = load_config(str(config_path), strict=strict)
        if PLUGIN not in config.plugins:  # checked above: the file changed meanwhile
            raise click.UsageError(f"{config_path.name} does not use the {PLUGIN} plugin")
        public_dir = Path(config.site_dir).resolve()
        if out is None:
            out = public_dir if not parsed.restricted else root / "build" / f"site-{parsed.slug}"
        out = out.resolve()
        for kept in (root / "cycles", Path(config.docs_dir)):
            if around(out, kept.resolve()):  # a successful build replaces its folder
                raise click.UsageError(f"--out {out} would replace {kept.resolve()}")
        if parsed.restricted and (out == public_dir or public_dir in out.parents):
            raise click.UsageError(
                f"a restricted build never goes into the public site folder ({public_dir})"
            )
        plugin = cast("PerfloopPlugin", config.plugins[PLUGIN])
        plugin.granted = parsed  # mkdocs.yml itself may only say public (the plugin checks)
        if cycle_id:
            plugin.config.cycle = cycle_id
        config.site_dir = str(out)
        started = time.perf_counter()
        build(config)
    except MkDocsException as exc:
        click.echo(f"perfloop site: {exc}", err=True)
        sys.exit(1)
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    if not parsed.restricted:
        _refuse_leaks(root, out, plugin.scanned_since)
    pages = sum(1 for _ in out.rglob("*.html"))
    click.echo(
        f"Built the {parsed} site ({pages} pages) into {out} in "
        f"{time.perf_counter() - started:.1f}s",
        err=True,
    )
    if serve:
        _serve(out, port)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _refuse_leaks(root: Path, out: Path, since: int | None) -> None:
    """Remove a public site that holds confidential text (files written after the plugin's
    scan started, or all of them when it did not scan) and fail; names files only."""
    import shutil

    from ..site import leaks

    found = list(leaks.scan(out, leaks.collect(root), since=since))
    if not found:
        return
    for written, needle in found[:10]:
        click.echo(f"perfloop site: {out.name}/{written} holds text of {needle.source}", err=True)
    shutil.rmtree(out, ignore_errors=True)
    click.echo(f"perfloop site: the public site held confidential text; removed {out}", err=True)
    sys.exit(1)


def _check_audience_ids(root: Path, cycle_id: str, audience) -> None:
    """An audience naming a department or person the cycle does not have is a usage error."""
    if audience.kind not in ("dept", "person"):
        return
    from ..loader import load_file
    from ..repository import CYCLES

    path = root / CYCLES / cycle_id / "org.yaml"
    doc, _ = load_file(path, f"{CYCLES}/{cycle_id}/org.yaml")
    data = doc.data if doc and isinstance(doc.data, dict) else {}
    key, word = ("departments", "department") if audience.kind == "dept" else ("people", "person")
    ids = {item.get("id") for item in data.get(key) or [] if isinstance(item, dict)}
    if audience.id not in ids:
        raise click.BadParameter(
            f"no {word} {audience.id!r} in {CYCLES}/{cycle_id}/org.yaml", param_hint="--audience"
        )


def _serve(folder: Path, port: int) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"Serving {folder} on http://127.0.0.1:{port}/ (Ctrl-C stops)", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
