"""Git as plain processes, run side by side.

Kept apart from `gitrepo` so that a replayed command can start git before it imports
anything else (`memo`): its subprocess and threading are all this module needs.
"""

from __future__ import annotations

import os
import subprocess
import threading


class GitProblem(Exception):
    """Not a git repository, or a revision that does not exist: a usage error."""


class GitFailed(GitProblem):
    """A git command that failed (a corrupt repository, a missing object)."""


def text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class GitRun:
    """A git process under way; `output()` waits for it. Its output is drained by a thread,
    so several can run side by side without one filling its pipe while another is read."""

    def __init__(self, command: list[str], name: str):
        self.name = name  # the git command, for a message
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise GitFailed(f"cannot run git: {exc}") from None
        self.result: tuple[bytes, bytes] = (b"", b"")
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        self.result = self.process.communicate()

    def output(self) -> bytes:
        """Its standard output; GitFailed when it exits non-zero."""
        self.thread.join()
        out, err = self.result
        if self.process.returncode != 0:
            message = text(err).strip().splitlines()
            raise GitFailed(f"git {self.name} failed: {message[-1] if message else ''}")
        return out


def start_git(cwd: str | os.PathLike[str], *args: str) -> GitRun:
    """`git -C cwd args…`, under way. `args` may begin with git's own options
    (`--no-optional-locks`); the first other one names the command in a message."""
    name = next((a for a in args if not a.startswith("-")), "git")
    return GitRun(["git", "-C", os.fspath(cwd), *args], name)
