"""Import jobs: a member's export files read lazily and stored batch by batch.

Each batch is its own transaction (the job boundary commits it), so a million plays never sit
in one transaction, an interrupted import keeps what it stored, and running it again adds
only what is missing (ingest de-duplicates).
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from sqlalchemy.orm import Session, sessionmaker

from sidetrack.core.db import transaction
from sidetrack.listening.records import ListenRecord
from sidetrack.listening.service import IngestResult, ingest_listens

BATCH_SIZE = 50_000


def _batches(records: Iterable[ListenRecord], size: int) -> Iterator[list[ListenRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def ingest_in_batches(
    store: Callable[[list[ListenRecord]], IngestResult],
    records: Iterable[ListenRecord],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Feed records to `store` a batch at a time; rejections are numbered across batches."""
    total = IngestResult()
    for batch in _batches(records, batch_size):
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

    def store(batch: list[ListenRecord]) -> IngestResult:
        with transaction(factory) as session:
            return ingest_listens(session, user_id, batch)

    return ingest_in_batches(store, records, batch_size=batch_size, progress=progress)
