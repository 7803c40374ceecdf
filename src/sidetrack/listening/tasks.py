"""Import jobs: a member's plays, read lazily, stored batch by batch.

Each batch is its own transaction (the job boundary commits it), so a million plays never sit
in one transaction, an interrupted import keeps what it stored, and running it again adds
only what is missing (ingest de-duplicates).
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Full, Queue
from threading import Event, Thread
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from sidetrack.catalog.resolve import TrackCache
from sidetrack.core.collector import fewer_collections
from sidetrack.core.db import transaction
from sidetrack.listening.records import ListenBatch
from sidetrack.listening.service import (
    IngestResult,
    PreparedListens,
    prepare_listens,
    store_listens,
)

Batch = TypeVar("Batch")
Prepared = TypeVar("Prepared")
T = TypeVar("T")


class _ReaderFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def _read_ahead(batches: Iterable[Batch], depth: int = 1) -> Iterator[Batch]:
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
    prepare: Callable[[Batch, Prepared | None], Prepared],
    store: Callable[[Prepared], IngestResult],
    batches: Iterable[Batch],
    *,
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
        for batch in _read_ahead(batches):
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
    batches: Iterable[ListenBatch],
    *,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Store a member's plays, committing each batch on its own. The batches come from
    `records.listen_batches`, or from a reading process (connectors.child_reader).

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

    def prepare(batch: ListenBatch, previous: PreparedListens | None) -> PreparedListens:
        return resolved(
            lambda session: prepare_listens(
                session, user_id, batch, known_tracks=known_tracks, in_flight=previous
            )
        )

    def store(prepared: PreparedListens) -> IngestResult:
        with transaction(factory) as session:
            return store_listens(session, user_id, prepared)

    def prepare_and_store(batch: ListenBatch) -> IngestResult:
        return resolved(
            lambda session: store_listens(
                session,
                user_id,
                prepare_listens(session, user_id, batch, known_tracks=known_tracks),
            )
        )

    with fewer_collections():
        if pipelined:
            return ingest_in_batches(prepare, store, batches, progress=progress)
        return ingest_in_batches(
            lambda batch, _previous: batch, prepare_and_store, batches, progress=progress
        )
