"""The heap while a big model is built.

Loading a large cycle allocates millions of small containers (dicts, lists, records) that
all live until the process ends. CPython's cyclic collector is triggered by allocation
counts, so while they are built it runs again and again, each time walking an ever larger
heap (benchmarks/README.md has what that cost). The records hold no reference cycles that
need collecting, so the collector is paused while they are built and the survivors are then
frozen (moved out of the collector's view) so later collections only walk what is new.
Freezing between the load, the rules and scoring is what pays, more than pausing alone.
Core, not speed/: the loader and scoring build the model with it whether or not anything is
cached.

A freeze also keeps whatever cyclic garbage exists at that moment; a command exits soon
after, but a long-lived host must call `release()` when its run is over (the MkDocs plugin
does, after each build: `mkdocs serve` rebuilds in one process).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Build long-lived data without the cyclic collector; freeze what survives."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def release() -> None:
    """Hand frozen objects back to the collector: for hosts that outlive one run (`mkdocs
    serve` rebuilds the site again and again), so that the last build's cyclic garbage,
    frozen along with the model, can be collected."""
    gc.unfreeze()
