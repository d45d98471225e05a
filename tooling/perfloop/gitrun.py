"""Git as plain processes, run side by side.

Kept apart from `gitrepo` so that a replayed command can start git before it imports
anything else (`memo`). Processes are started with `os.posix_spawnp`, not `subprocess`:
importing `subprocess` (and `locale`, `selectors`, `signal`'s enums with it) costs 20 ms,
which a replay spent before git could start.
"""

from __future__ import annotations

import os
import select
import threading

# Python ignores SIGPIPE and SIGXFSZ; git gets the default actions back, as `subprocess`
# gives them (its restore_signals). The numbers from `_signal` avoid `signal`'s enums.
from _signal import SIGPIPE, SIGXFSZ


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
        out_read, out_write = os.pipe()  # both close-on-exec: only the dup2 copies reach git
        err_read, err_write = os.pipe()
        try:
            self.pid = os.posix_spawnp(
                command[0],
                command,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, out_write, 1),
                    (os.POSIX_SPAWN_DUP2, err_write, 2),
                ],
                setsigdef=(SIGPIPE, SIGXFSZ),
            )
        except OSError as exc:
            os.close(out_read)
            os.close(err_read)
            raise GitFailed(f"cannot run git: {exc}") from None
        finally:
            os.close(out_write)
            os.close(err_write)
        self.returncode: int | None = None
        self.result: tuple[bytes, bytes] = (b"", b"")
        self.thread = threading.Thread(target=self._drain, args=(out_read, err_read), daemon=True)
        self.thread.start()

    def _drain(self, out: int, err: int) -> None:
        chunks: dict[int, list[bytes]] = {out: [], err: []}
        poller = select.poll()
        for fd in chunks:
            poller.register(fd, select.POLLIN)
        open_fds = set(chunks)
        while open_fds:
            for fd, _event in poller.poll():
                chunk = os.read(fd, 1 << 20)
                if chunk:
                    chunks[fd].append(chunk)
                else:  # end of file (the event is POLLHUP once git closed its end)
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
        self.result = (b"".join(chunks[out]), b"".join(chunks[err]))
        self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])

    def output(self) -> bytes:
        """Its standard output; GitFailed when it exits non-zero."""
        self.thread.join()
        out, err = self.result
        if self.returncode != 0:
            message = text(err).strip().splitlines()
            raise GitFailed(f"git {self.name} failed: {message[-1] if message else ''}")
        return out


def start_git(cwd: str | os.PathLike[str], *args: str) -> GitRun:
    """`git -C cwd args…`, under way. `args` may begin with git's own options
    (`--no-optional-locks`); the first other one names the command in a message."""
    name = next((a for a in args if not a.startswith("-")), "git")
    return GitRun(["git", "-C", os.fspath(cwd), *args], name)
