"""Reading export files in a child process, so parsing runs on a core of its own.

An import is Python work on both sides (parsing the export; preparing the plays for the
database), and one process's Python shares one GIL: a reader thread only overlaps the
database's time. A child process parses, checks and groups the plays beside the import
proper, and hands them over as ListenBatches: columns of plain values. Those cross for a
million plays in well under a second, where ListenRecords (even packed as tuples) cost
about 1 s to pickle and 2.7 s to unpickle.
"""

import multiprocessing
import queue
from collections.abc import Iterable, Iterator
from dataclasses import fields
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sidetrack.connectors.files import read_listens
from sidetrack.core.collector import fewer_collections
from sidetrack.listening.records import BATCH_SIZE, ListenBatch, ReadReport, listen_batches

IN_FLIGHT = 2  # batches the child may read ahead of the import
# The first batches, smaller: storing starts while the child reads on, instead of waiting
# for a whole batch, and the batches that create most of the catalog are short.
FIRST_BATCHES = (10_000, 30_000)


def _read_in_child(paths: list[str], min_play_ms: int, batch_size: int, to_parent: Any) -> None:
    report = ReadReport()
    try:
        records = iter(read_listens(paths, report, min_play_ms=min_play_ms))
        sizes = [min(size, batch_size) for size in FIRST_BATCHES]
        with fewer_collections():
            for batch in chain(
                *(listen_batches(islice(records, size), size) for size in sizes),
                listen_batches(records, batch_size),
            ):
                to_parent.put(("plays", batch))
        to_parent.put(("done", report))
    except BaseException as error:  # raised again in the parent, which reads the queue
        to_parent.put(("failed", f"{type(error).__name__}: {error}"))


def read_batches_in_child(
    paths: Iterable[Path | str],
    report: ReadReport,
    *,
    min_play_ms: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[ListenBatch]:
    """What `listen_batches(read_listens(paths, report))` yields, read in a child process;
    `report` is filled in once every batch has been yielded. Closing the iterator early
    stops the child."""
    if min_play_ms is None:  # decided here, so the child needs no settings of its own
        # Imported here, not by the module, which the child imports too (see files._Options).
        from sidetrack.core.config import get_settings

        min_play_ms = get_settings().import_min_play_seconds * 1000
    # spawn, not fork: the parent holds database connections and threads.
    context = multiprocessing.get_context("spawn")
    to_parent = context.Queue(maxsize=IN_FLIGHT)
    child = context.Process(
        target=_read_in_child,
        args=([str(path) for path in paths], min_play_ms, batch_size, to_parent),
        name="listen-reader",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                kind, payload = to_parent.get(timeout=1)
            except queue.Empty:
                if child.exitcode is not None:
                    raise RuntimeError(
                        f"the reading process stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "plays":
                yield payload
            elif kind == "done":
                for field in fields(ReadReport):
                    setattr(report, field.name, getattr(payload, field.name))
                return
            else:
                raise RuntimeError(f"reading the files failed: {payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        to_parent.close()
