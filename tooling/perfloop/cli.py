"""The `perfloop` command line: a thin edge over the core.

Each subcommand lives in `perfloop.commands.<module>` and is imported only when it runs, so
`perfloop validate` does not pay for MkDocs, openpyxl or GitPython.
Exit codes: 0 ok, 1 the data has errors or a check failed, 2 usage error.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

# command name -> module under perfloop.commands exposing `command`
COMMANDS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "schema": "schema",
    "score": "score",
    "tree": "tree",
    "calibrate": "calibrate",
    "status": "status",
    "export": "export",
    "check": "check",
    "gate": "gate",
    "codeowners": "codeowners",
    "history": "history",
    "cycle": "cycle",
    "goals": "goals",
    "review": "review",
    "checkin": "checkin",
    "site": "site",
    "demo": "demo",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"perfloop.commands.{COMMANDS[name]}")
        return module.command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="perfloop")
def cli() -> None:
    """Perfloop: goals, check-ins, reviews and calibration as code."""


def main() -> None:
    from . import memo  # light: decides whether a stored run can answer before any heavy import

    argv = sys.argv[1:]
    try:
        if memo.memoizable(argv):
            memo.run(argv, lambda: cli.main(args=argv, prog_name="perfloop"))
        else:
            cli.main(args=argv, prog_name="perfloop")
    except Exception as exc:  # a bug, not bad input: say so plainly, exit 2
        if os.environ.get("PERFLOOP_DEBUG"):
            raise
        print(f"perfloop: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "perfloop: set PERFLOOP_DEBUG=1 for the traceback and please report it", file=sys.stderr
        )
        sys.exit(2)
