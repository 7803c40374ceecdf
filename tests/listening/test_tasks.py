"""The import job's plumbing: batches read ahead in a thread, in order, errors passed on."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sidetrack.listening.models import ListenSource
from sidetrack.listening.records import ListenRecord
from sidetrack.listening.service import IngestResult
from sidetrack.listening.tasks import ingest_in_batches


def records(count: int) -> Iterator[ListenRecord]:
    for n in range(count):
        yield ListenRecord("A", f"T{n}", datetime(2025, 1, 1, tzinfo=UTC), ListenSource.LASTFM)


def test_every_record_arrives_in_order_in_batches() -> None:
    seen: list[list[str]] = []

    def store(batch: list[ListenRecord]) -> IngestResult:
        seen.append([record.track_title for record in batch])
        return IngestResult(received=len(batch), inserted=len(batch))

    progress: list[int] = []
    total = ingest_in_batches(store, records(7), batch_size=3, progress=progress.append)
    assert seen == [["T0", "T1", "T2"], ["T3", "T4", "T5"], ["T6"]]
    assert progress == [3, 3, 1]
    assert (total.received, total.inserted) == (7, 7)


def test_a_reading_error_reaches_the_caller() -> None:
    def broken() -> Iterator[ListenRecord]:
        yield from records(4)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        ingest_in_batches(lambda batch: IngestResult(received=len(batch)), broken(), batch_size=2)


def test_a_storing_error_stops_the_reader() -> None:
    def store(batch: list[ListenRecord]) -> IngestResult:
        raise RuntimeError("database down")

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="database down"):
        ingest_in_batches(store, records(10_000), batch_size=10)
    assert threading.active_count() == before  # the reader thread was joined, not left behind


def test_rejections_are_numbered_across_batches() -> None:
    from sidetrack.listening.service import Rejection

    def store(batch: list[ListenRecord]) -> IngestResult:
        return IngestResult(received=len(batch), rejected=[Rejection(1, "bad")])

    total = ingest_in_batches(store, records(6), batch_size=3)
    assert [r.index for r in total.rejected] == [1, 4]
