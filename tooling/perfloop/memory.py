"""The heap while a big model is built.

Loading a 10,000-person cycle allocates millions of small containers (dicts, lists,
records) that all live until the process ends. CPython's cyclic collector is triggered by
allocation counts, so while they are built it runs again and again, each time walking an
ever larger heap: about a third of a cold `validate` and two thirds of `score`, measured at
10,000 people. The records hold no reference cycles that need collecting, so the collector
is paused while they are built and the survivors are then frozen (moved out of the
collector's view) so later collections only walk what is new.
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
