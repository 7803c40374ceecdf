"""The cycle collector's pace while bulk work runs."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Tracked allocations between collections of the youngest generation (the default is 700),
# and how many of those collections make one of the next (10 by default; 10 for the oldest).
BULK_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cycle collector at BULK_THRESHOLDS' pace inside the block, as it was after.

    Bulk reading and importing make millions of short-lived objects and keep tens of
    thousands alive (a batch or two, an import's catalog cache), none of them in cycles. At
    the default pace the collector walked the live ones every 700 allocations: a quarter of
    the file reader's time, and 0.5 s of preparing a 1,000,000-play import. Cycles made
    meanwhile are still collected, later. The setting is the process's: other threads run
    at this pace too while the block runs.
    """
    before = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
