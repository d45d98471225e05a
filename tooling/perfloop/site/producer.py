"""Generated pages' HTML, built in a second process while MkDocs renders the theme.

MkDocs renders pages one after the other in one process, and its own work per page (the
theme's templates, the search index, writing the file) is most of a build. Loading the
cycles and building our pages' HTML is most of the rest and needs nothing MkDocs computes:
so, on a machine with a core to spare, a forked worker process loads and checks the
cycles, then builds the pages in the order MkDocs will ask for them, while MkDocs' process
(which read only the cycles' outlines: titles and navigation) renders and writes. The
worker writes no file.

It falls back to building in MkDocs' process, with the same result: without `fork`, on a
single core, when other threads run (`mkdocs serve`), or when the worker stops. A page the
worker could not build is built again here, so that its error is raised where MkDocs
reports it; errors in the data (which fail the build) are reported before any page that
shows data is written.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mkdocs.exceptions import PluginError

from . import blocks
from .pages import Page

log = logging.getLogger("mkdocs.plugins.perfloop")

BATCH_CHARS = 1 << 18  # the worker sends its pages in batches of about 256 kB


@dataclass(frozen=True)
class Rendered:
    html: str  # the page's content
    toc: list  # Python-Markdown's table-of-contents tokens
    search: str  # the light view the search index reads (blocks.search_view)


def render(page: Page) -> Rendered:
    html, toc = blocks.render(page.body)
    return Rendered(html, toc, blocks.search_view(html))


def spare_core() -> bool:
    """Whether a worker process can run beside this one: fork exists, there is more than
    one core, and this process runs no other thread (forking a threaded process can copy
    a lock that another thread holds)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return (
        cores > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


@dataclass(frozen=True)
class Setup:
    """What building the pages needs from the loaded cycles."""

    builders: Mapping[str, Callable[[], Page]]  # generated page -> its builder
    summary: list[str]  # the home page's summary blocks (overview.summary_blocks)


class Producer:
    """The generated pages' HTML and the home page's summary, from the worker when there is
    one. `setup()` loads the cycles (raising PluginError on errors in the data): in the
    worker with `parallel`, else here at once.

    The worker queues its results (a feeder thread of its own writes them to a pipe) and
    this process reads them only when MkDocs needs one it does not have yet: a reading
    thread here would take the GIL from MkDocs at every chunk of the pipe and cost MkDocs
    more than the worker saves it."""

    def __init__(self, setup: Callable[[], Setup], order: list[str], parallel: bool):
        self.setup = setup
        self.local: Setup | None = None  # setup() run in this process
        self.ready: dict[str, Rendered] = {}
        self.from_worker: Setup | None = None  # only its summary: the builders stay there
        self.failure: str | None = None
        self.process = None
        self.queue = None
        self.waited = 0.0  # seconds this process waited for the worker
        if parallel and len(order) > 1 and spare_core():
            self._start(order)
        else:
            self.local = setup()

    def _start(self, order: list[str]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.queue = ctx.Queue()
        # not a daemon: loading may parse in a pool of its own, which a daemon may not have;
        # close() ends it, at exit too
        self.process = ctx.Process(target=_work, args=(self.setup, order, self.queue))
        self.process.start()
        atexit.register(self.close)
        log.debug(f"perfloop: a worker process (pid {self.process.pid}) builds the pages")

    def _receive(self) -> None:
        """Take the worker's next message; stop the worker when it has no more to give."""
        message = None
        started = time.perf_counter()
        while self.process is not None:
            try:
                message = self.queue.get(timeout=1)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    break
            except (EOFError, OSError):
                break
        self.waited += time.perf_counter() - started
        if message is None:
            self.close()
        elif message[0] == "problem":
            self.failure = message[1]
            self.close()
        elif message[0] == "summary":
            self.from_worker = Setup({}, message[1])
        else:
            for uri, html, toc, search in message[1]:
                self.ready[uri] = Rendered(html, toc, search)

    def _set_up(self) -> None:
        """Wait for the worker's setup; run it here if the worker stopped before it."""
        while self.from_worker is None and self.failure is None and self.process is not None:
            self._receive()
        if self.from_worker is None and self.failure is None and self.local is None:
            try:
                self.local = self.setup()
            except PluginError as exc:
                self.failure = str(exc)

    def problem(self) -> str | None:
        """Why the build must stop (errors in the data), or None."""
        self._set_up()
        return self.failure

    def summary(self) -> list[str]:
        self._set_up()
        return (self.from_worker or self.local).summary

    def get(self, uri: str) -> Rendered:
        while uri not in self.ready and self.process is not None:
            self._receive()
        found = self.ready.pop(uri, None)
        if found is not None:
            return found
        if self.local is None:
            self.local = self.setup()
        return render(self.local.builders[uri]())

    def close(self) -> None:
        atexit.unregister(self.close)
        if self.process is not None:
            log.debug(f"perfloop: waited {self.waited:.1f}s for the worker")
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
            self.process = None
        if self.queue is not None:
            self.queue.close()
            self.queue.cancel_join_thread()
            self.queue = None


def _work(setup: Callable[[], Setup], order: list[str], out) -> None:
    try:
        ready = setup()
    except PluginError as exc:
        out.put(("problem", str(exc)))
        ready = None
    except Exception:  # MkDocs' process runs the setup again and reports the error
        ready = None
    if ready is not None:
        out.put(("summary", ready.summary))
        batch: list[tuple[str, str, list, str]] = []
        size = 0
        try:
            for uri in order:
                page = render(ready.builders[uri]())
                batch.append((uri, page.html, page.toc, page.search))
                size += len(page.html) + len(page.search)
                if size >= BATCH_CHARS:
                    out.put(("pages", batch))
                    batch, size = [], 0
        except Exception:  # MkDocs' process builds this page again and reports the error
            pass
        if batch:
            out.put(("pages", batch))
    out.put(None)
    out.close()
    out.join_thread()
