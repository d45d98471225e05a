"""One module per `perfloop` subcommand; each exposes `command`. The group below imports a
subcommand's module only when it runs, so `perfloop validate` does not pay for MkDocs,
openpyxl or GitPython."""

from __future__ import annotations

import importlib

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
    "checkpoint": "checkpoint",
    "remind": "remind",
    "checkin": "checkin",
    "site": "site",
    "demo": "demo",
    "seal": "seal",
    "show": "show",
    "edit": "edit",
    "reseal": "reseal",
    "keys": "keys",
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
