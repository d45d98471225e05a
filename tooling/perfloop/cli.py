"""The `perfloop` command line: a thin edge over the core.

Each subcommand lives in `perfloop.commands.<module>` and is imported only when it runs, so
`perfloop validate` does not pay for MkDocs, openpyxl or GitPython.
Exit codes: 0 ok, 1 the data has errors or a check failed, 2 usage error.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    # memo is light: it decides whether a stored run can answer before anything heavy
    # (click alone costs a tenth of a second to import) is imported
    from . import memo

    def invoke() -> None:
        from .commands import cli

        cli.main(args=argv, prog_name="perfloop")

    argv = sys.argv[1:]
    try:
        if memo.memoizable(argv):
            memo.run(argv, invoke)
        else:
            invoke()
    except Exception as exc:  # a bug, not bad input: say so plainly, exit 2
        if os.environ.get("PERFLOOP_DEBUG"):
            raise
        print(f"perfloop: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "perfloop: set PERFLOOP_DEBUG=1 for the traceback and please report it", file=sys.stderr
        )
        sys.exit(2)
