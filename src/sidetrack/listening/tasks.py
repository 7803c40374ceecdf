"""Import jobs: a member's export files read lazily and stored batch by batch.

Each batch is its own transaction (the job boundary commits it), so a million plays never sit
in one transaction, an interrupted import keeps what it stored, and running it again adds
only what is missing (ingest de-duplicates).
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sidetrack.core.db import transaction
from sidetrack.listening.records import ListenRecord
from sidetrack.listening.service import IngestResult, ingest_listens

BATCH_SIZE = 50_000


@dataclass
class ImportSummary:
    files: int = 0
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        """A few lines for a person: what was imported, skipped and wrong."""
        lines = [
            f"{self.files} file(s), {self.read:,} plays read: {self.imported:,} imported, "
            f"{self.duplicates:,} already there"
        ]
        if self.skipped:
            skipped = ", ".join(
                f"{count:,} {reason}" for reason, count in sorted(self.skipped.items())
            )
            lines.append(f"skipped: {skipped}")
        for error in self.errors[:20]:
            where = " ".join(part for part in (error["file"], error["position"]) if part)
            lines.append(f"error: {where}: {error['reason']}")
        if len(self.errors) > 20:
            lines.append(f"… and {len(self.errors) - 20} more errors (use --json to see all)")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.errors,
        }


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
