"""Generated pages' HTML, built in a second process while MkDocs renders the theme.

MkDocs renders pages one after the other in one process, and its own work per page (the
theme's templates, the search index, writing the file) is most of a build. Building our
pages' HTML is most of the rest and needs nothing MkDocs computes: so, on a machine with a
core to spare, a forked worker process builds them, in the order MkDocs will ask for them,
while MkDocs works. The worker inherits the loaded cycles (fork), so nothing is loaded
twice; it only computes, and writes no file.

Anything unusual falls back to building in MkDocs' process, with the same result: no
`fork` on this platform, a single core, other threads running (`mkdocs serve`), or a
worker that stopped. A page the worker could not build is built again here, so that its
error is raised where MkDocs reports it.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


class Producer:
    """`get(uri)`: a generated page's HTML, from the worker when there is one.

    The worker queues its pages (a feeder thread of its own writes them to a pipe) and this
    process reads them only when MkDocs asks for a page it does not have yet. A reading
    thread here would take the GIL from MkDocs at every chunk of the pipe and cost MkDocs
    more than the worker saves it."""

    def __init__(
        self, builders: Mapping[str, Callable[[], Page]], order: list[str], parallel: bool
    ):
        self.builders = builders
        self.ready: dict[str, Rendered] = {}
        self.process = None
        self.queue = None
        if parallel and len(order) > 1 and spare_core():
            self._start(order)

    @property
    def parallel(self) -> bool:
        return self.process is not None

    def _start(self, order: list[str]) -> None:
        ctx = multiprocessing.get_context("fork")
        self.queue = ctx.Queue()
        gc.freeze()  # the worker shares these objects; collecting would copy their pages
        try:
            self.process = ctx.Process(
                target=_work, args=(self.builders, order, self.queue), daemon=True
            )
            self.process.start()
        finally:
            gc.unfreeze()
        log.debug(f"perfloop: a worker process (pid {self.process.pid}) builds the pages")

    def _receive(self) -> None:
        """Take the worker's next batch; stop the worker when it has no more to give."""
        batch = None
        while self.process is not None:
            try:
                batch = self.queue.get(timeout=1)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    break
            except (EOFError, OSError):
                break
        if batch is None:
            self.close()
            return
        for uri, html, toc, search in batch:
            self.ready[uri] = Rendered(html, toc, search)

    def get(self, uri: str) -> Rendered:
        while uri not in self.ready and self.process is not None:
            self._receive()
        found = self.ready.pop(uri, None)
        return found if found is not None else render(self.builders[uri]())

    def close(self) -> None:
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
            self.process = None
        if self.queue is not None:
            self.queue.close()
            self.queue.cancel_join_thread()
            self.queue = None


def _work(builders: Mapping[str, Callable[[], Page]], order: list[str], out) -> None:
    batch: list[tuple[str, str, list, str]] = []
    size = 0
    try:
        for uri in order:
            page = render(builders[uri]())
            batch.append((uri, page.html, page.toc, page.search))
            size += len(page.html) + len(page.search)
            if size >= BATCH_CHARS:
                out.put(batch)
                batch, size = [], 0
    except Exception:  # MkDocs' process builds this page again and reports the error
        pass
    if batch:
        out.put(batch)
    out.put(None)
    out.close()
    out.join_thread()
