"""Import jobs: a member's export files read lazily and stored batch by batch.

Each batch is its own transaction (the job boundary commits it), so a million plays never sit
in one transaction, an interrupted import keeps what it stored, and running it again adds
only what is missing (ingest de-duplicates).
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from queue import Full, Queue
from threading import Event, Thread

from sqlalchemy.orm import Session, sessionmaker

from sidetrack.catalog.resolve import TrackCache
from sidetrack.core.db import transaction
from sidetrack.listening.records import ListenRecord
from sidetrack.listening.service import IngestResult, ingest_listens

# Big enough that per-batch work (catalog look-ups, rollup merges) is paid rarely; small
# enough that a batch and the one read ahead stay well under 1 GB.
BATCH_SIZE = 100_000


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
    store: Callable[[list[ListenRecord]], IngestResult],
    records: Iterable[ListenRecord],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Feed records to `store` a batch at a time; rejections are numbered across batches."""
    total = IngestResult()
    for batch in _read_ahead(_batches(records, batch_size)):
        total.add(store(batch), offset=total.received)
        if progress is not None:
            progress(len(batch))
    return total


def import_listens(
    factory: sessionmaker[Session],
    user_id: uuid.UUID,
    records: Iterable[ListenRecord],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Store a member's plays, committing each batch on its own."""
    known_tracks = TrackCache()

    def store(batch: list[ListenRecord]) -> IngestResult:
        try:
            with transaction(factory) as session:
                result = ingest_listens(session, user_id, batch, known_tracks=known_tracks)
        except BaseException:
            known_tracks.forget()
            raise
        known_tracks.keep()
        return result

    return ingest_in_batches(store, records, batch_size=batch_size, progress=progress)
