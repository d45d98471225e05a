"""The `perfloop` command line: a thin edge over the core.

Each subcommand lives in `perfloop.commands.<module>` and is imported only when it runs, so
`perfloop validate` does not pay for MkDocs, openpyxl or GitPython.
Exit codes: 0 ok, 1 the data has errors or a check failed, 2 usage error.
"""

from __future__ import annotations

import os
import sys

# Commands that may build a whole cycle's model and exit as soon as their output is out.
FAST_EXIT = {"validate", "score", "calibrate", "tree", "status", "check", "export"}


def main() -> None:
    # the engine decides whether a stored run can answer before anything heavy (click
    # alone costs a tenth of a second to import) is imported
    from .engine import replay

    def invoke() -> None:
        from .commands import cli

        cli.main(args=argv, prog_name="perfloop")

    argv = sys.argv[1:]
    try:
        replay(argv, invoke)
    except SystemExit as done:
        if argv and argv[0] in FAST_EXIT:
            _exit_now(done.code)
        raise
    except Exception as exc:  # a bug, not bad input: say so plainly, exit 2
        if os.environ.get("PERFLOOP_DEBUG"):
            raise
        print(f"perfloop: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "perfloop: set PERFLOOP_DEBUG=1 for the traceback and please report it", file=sys.stderr
        )
        sys.exit(2)


def _exit_now(code: object) -> None:
    """Exit without tearing the heap down: freeing a 10,000-person model object by object
    took 0.4 s of `validate`, after its output was out. Everything the command writes is
    written and renamed before it returns, and these commands register nothing to run at
    exit; so flush the output and leave, with the code `sys.exit` would give."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    import contextlib  # here: a replay, which ends by sys.exit, need not import it

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader that went away (`| head`)
            stream.flush()
    os._exit(status)
