"""Import jobs: a member's export files read lazily and stored batch by batch.

Each batch is its own transaction (the job boundary commits it), so a million plays never sit
in one transaction, an interrupted import keeps what it stored, and running it again adds
only what is missing (ingest de-duplicates).
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from queue import Full, Queue
from threading import Event, Thread
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from sidetrack.catalog.resolve import TrackCache
from sidetrack.core.db import transaction
from sidetrack.listening.records import ListenRecord
from sidetrack.listening.service import (
    IngestResult,
    PreparedListens,
    ingest_listens,
    prepare_listens,
    store_listens,
)

# Big enough that per-batch work (catalog look-ups, rollup merges) is paid rarely; small
# enough that a batch and the one read ahead stay well under 1 GB.
BATCH_SIZE = 100_000

Prepared = TypeVar("Prepared")
T = TypeVar("T")


def _batches(records: Iterable[ListenRecord], size: int) -> Iterator[list[ListenRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


class _ReaderFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def _read_ahead(
    batches: Iterator[list[ListenRecord]], depth: int = 1
) -> Iterator[list[ListenRecord]]:
    """Yield `batches`, reading the next ones in a thread meanwhile.

    Reading is Python work (JSON, CSV) and storing a batch mostly waits on the database,
    which releases the GIL, so the two overlap. At most `depth` batches wait in memory.
    """
    waiting: Queue[object] = Queue(maxsize=depth)
    stop = Event()

    def offer(item: object) -> bool:
        """Hand an item over unless the consumer has gone; False once it has."""
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            offer(_ReaderFailed(error))

    reader = Thread(target=read, name="listen-reader", daemon=True)
    reader.start()
    try:
        while (item := waiting.get()) is not _DONE:
            if isinstance(item, _ReaderFailed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()


def ingest_in_batches(
    prepare: Callable[[list[ListenRecord], Prepared | None], Prepared],
    store: Callable[[Prepared], IngestResult],
    records: Iterable[ListenRecord],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Prepare each batch while the one before it is stored, by a writer thread.

    Batches are stored one at a time, in order; `prepare` is given the batch prepared before
    (whose store may still be running), and rejections are numbered across batches. The
    database works on one batch while Python prepares the next.
    """
    total = IngestResult()

    def add(result: IngestResult) -> None:
        total.add(result, offset=total.received)
        if progress is not None:
            progress(result.received)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="listen-writer") as writer:
        storing: Future[IngestResult] | None = None
        previous: Prepared | None = None
        for batch in _read_ahead(_batches(records, batch_size)):
            prepared = prepare(batch, previous)
            if storing is not None:
                add(storing.result())
            storing = writer.submit(store, prepared)
            previous = prepared
        if storing is not None:
            add(storing.result())
    return total


def import_listens(
    factory: sessionmaker[Session],
    user_id: uuid.UUID,
    records: Iterable[ListenRecord],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Store a member's plays, committing each batch on its own.

    On PostgreSQL a batch is prepared (checked, resolved, de-duplicated, its new tracks
    committed) while the one before it is stored. SQLite takes one writer at a time, so
    there each batch is prepared and stored in one transaction, in turn.
    """
    with factory() as probe:
        pipelined = probe.get_bind().dialect.name == "postgresql"
    known_tracks = TrackCache()

    def resolved(work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction of its own; keep the tracks it resolved once committed."""
        try:
            with transaction(factory) as session:
                done = work(session)
        except BaseException:
            known_tracks.forget()
            raise
        known_tracks.keep()
        return done

    if not pipelined:
        return ingest_in_batches(
            lambda batch, _previous: batch,
            lambda batch: resolved(
                lambda session: ingest_listens(session, user_id, batch, known_tracks=known_tracks)
            ),
            records,
            batch_size=batch_size,
            progress=progress,
        )

    def prepare(batch: list[ListenRecord], previous: PreparedListens | None) -> PreparedListens:
        in_flight = previous.plays if previous is not None else ()
        return resolved(
            lambda session: prepare_listens(
                session, user_id, batch, known_tracks=known_tracks, in_flight=in_flight
            )
        )

    def store(prepared: PreparedListens) -> IngestResult:
        with transaction(factory) as session:
            return store_listens(session, user_id, prepared)

    return ingest_in_batches(prepare, store, records, batch_size=batch_size, progress=progress)
