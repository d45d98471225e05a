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
import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mkdocs.exceptions import PluginError

from . import blocks
from .pages import Page

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

log = logging.getLogger("mkdocs.plugins.perfloop")

BATCH_CHARS = 1 << 18  # the worker sends its pages in batches of about 256 kB


@dataclass(frozen=True)
class Rendered:
    html: str  # the page's content
    toc: list  # Python-Markdown's table-of-contents tokens
    search: str  # what the search index reads: the page's summary or its light view


def render(page: Page) -> Rendered:
    html, toc = blocks.render(page.body)
    return Rendered(html, toc, blocks.search_view(html) if page.search is None else page.search)


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
    summary: Callable[[], list[str]]  # the home page's summary (overview.summary_blocks)


class Producer:
    """The generated pages' HTML and the home page's summary.

    `Producer.here(setup)` builds them in this process. `Producer.forked(load, prepare)`
    starts a worker at once that runs `load()` (the cycles: PluginError on errors in the
    data); `plan(message, order)` then hands it what only MkDocs' files tell (every page's
    URL) and the order MkDocs renders in, and the worker builds from
    `prepare(load(), message)`.

    The worker queues its results (a feeder thread of its own writes them to a pipe) and
    this process reads them only when MkDocs needs one it does not have yet: a reading
    thread here would take the GIL from MkDocs at every chunk of the pipe and cost MkDocs
    more than the worker saves it."""

    def __init__(self, setup: Callable[[], Setup] | None = None):
        self.setup = setup  # what builds here: at once, or if the worker stops
        self.local: Setup | None = None
        self.ready: dict[str, Rendered] = {}
        self.started = False  # the worker has loaded the cycles, without errors
        self.summary_blocks: list[str] | None = None
        self.failure: str | None = None
        # a forked producer's (see `forked`); None here, and once the worker has stopped
        self.load: Callable[[], object] | None = None
        self.prepare: Callable[[Any, Any], Setup] | None = None
        self.process: BaseProcess | None = None
        self.results: Queue[Any] | None = None  # worker -> here
        # here -> worker (a pipe): the pages' URLs and order, once
        self.orders: Connection[Any, Any] | None = None
        self.waited = 0.0  # seconds this process waited for the worker

    @classmethod
    def here(cls, setup: Callable[[], Setup]) -> Producer:
        producer = cls(setup)
        producer.local = setup()
        return producer

    @classmethod
    def forked(
        cls, load: Callable[[], object], prepare: Callable[[Any, Any], Setup]
    ) -> Producer | None:
        """A producer with a worker that starts loading now; None without a spare core."""
        if not spare_core():
            return None
        producer = cls()
        producer.load, producer.prepare = load, prepare
        ctx = multiprocessing.get_context("fork")
        results = producer.results = ctx.Queue()
        orders, producer.orders = ctx.Pipe(duplex=False)
        # not a daemon: loading may parse in a pool of its own, which a daemon may not have;
        # close() ends it, at exit too
        process = producer.process = ctx.Process(
            target=_work, args=(load, prepare, (orders, producer.orders), results)
        )
        process.start()
        orders.close()
        atexit.register(producer.close)
        log.debug(f"perfloop: a worker process (pid {process.pid}) builds the pages")
        return producer

    def plan(self, message: object, order: list[str]) -> None:
        """Tell the worker what to build (see `forked`)."""
        load, prepare = self.load, self.prepare
        if load is not None and prepare is not None:  # else built here: its setup is given
            self.setup = lambda: prepare(load(), message)
        if self.orders is not None:
            with contextlib.suppress(OSError):  # a worker that stopped: built here instead
                self.orders.send((message, order))

    def _receive(self) -> None:
        """Take the worker's next message; stop the worker when it has no more to give."""
        message = None
        started = time.perf_counter()
        # results is set and cleared with process (forked, close)
        while self.process is not None and self.results is not None:
            try:
                message = self.results.get(timeout=1)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    break
            except (EOFError, OSError):
                break
        waited = time.perf_counter() - started
        self.waited += waited
        if waited > 0.5:
            log.debug(f"perfloop: waited {waited:.1f}s for the worker's {message and message[0]}")
        if message is None:
            self.close()
        elif message[0] == "problem":
            self.failure = message[1]
            self.close()
        elif message[0] == "started":
            self.started = True
        elif message[0] == "summary":
            self.summary_blocks = message[1]
        else:
            for uri, html, toc, search in message[1]:
                self.ready[uri] = Rendered(html, toc, search)

    def _here(self) -> Setup:
        if self.local is None:
            if self.setup is None:  # a forked producer whose worker stopped before plan()
                raise TypeError("Producer.plan() must come before its pages are asked for")
            self.local = self.setup()
        return self.local

    def problem(self) -> str | None:
        """Why the build must stop (errors in the data), or None. Waits for the worker to
        have loaded the cycles; runs the setup here if the worker stopped before that."""
        while not self.started and self.failure is None and self.process is not None:
            self._receive()
        if not self.started and self.failure is None and self.local is None:
            try:
                self._here()
            except PluginError as exc:
                self.failure = str(exc)
        return self.failure

    def summary(self) -> list[str]:
        while self.summary_blocks is None and self.process is not None:
            self._receive()
        if self.summary_blocks is None:
            self.summary_blocks = self._here().summary()
        return self.summary_blocks

    def get(self, uri: str) -> Rendered:
        while uri not in self.ready and self.process is not None:
            self._receive()
        found = self.ready.pop(uri, None)
        return found if found is not None else render(self._here().builders[uri]())

    def close(self) -> None:
        atexit.unregister(self.close)
        if self.process is not None:
            log.debug(f"perfloop: waited {self.waited:.1f}s for the worker")
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
            self.process = None
        if self.results is not None:
            self.results.close()
            self.results.cancel_join_thread()
        if self.orders is not None:
            self.orders.close()
        self.results = self.orders = None


def _work(load, prepare, pipe, out) -> None:
    orders, theirs = pipe
    theirs.close()  # this process's copy of MkDocs' end: its close must reach us as an EOF
    try:
        ready = _prepare(load, prepare, orders, out)
        if ready is not None:
            batch: list[tuple[str, str, list, str]] = []
            size = 0
            with contextlib.suppress(Exception):  # MkDocs' process builds the rest and reports
                for uri in ready[1]:
                    page = render(ready[0].builders[uri]())
                    batch.append((uri, page.html, page.toc, page.search))
                    size += len(page.html) + len(page.search)
                    if size >= BATCH_CHARS:
                        out.put(("pages", batch))
                        batch, size = [], 0
            if batch:
                out.put(("pages", batch))
            # MkDocs renders the home page last
            with contextlib.suppress(Exception):
                out.put(("summary", ready[0].summary()))
    finally:
        out.put(None)
        out.close()
        out.join_thread()


def _prepare(load, prepare, orders, out) -> tuple[Setup, list[str]] | None:
    """Load, report, wait for the plan, prepare; None when MkDocs' process must take over
    (it then runs the same and reports the error)."""
    # the plan arrives while loading: MkDocs' process must not wait for the worker to read it
    plan: list = []
    receiver = threading.Thread(target=lambda: plan.append(_receive(orders)), daemon=True)
    receiver.start()
    try:
        loaded = load()
    except PluginError as exc:
        out.put(("problem", str(exc)))
        return None
    except Exception:
        return None
    out.put(("started",))
    receiver.join()
    if not plan or plan[0] is None:
        return None
    message, order = plan[0]
    try:
        return prepare(loaded, message), order
    except Exception:
        return None


def _receive(orders):
    try:
        return orders.recv()
    except (EOFError, OSError):  # MkDocs' process closed its end: nothing to build
        return None
