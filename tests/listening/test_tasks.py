"""The import job's plumbing: batches read ahead in a thread, the next one prepared while one
is stored, in order, errors passed on."""

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sidetrack.core.db import make_engine, make_session_factory, transaction
from sidetrack.core.migrations import upgrade
from sidetrack.listening.models import ListenEvent, ListenHourCount
from sidetrack.listening.records import ListenRecord, ListenSource, listen_batches
from sidetrack.listening.service import IngestResult
from sidetrack.listening.tasks import import_listens, ingest_in_batches
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.databases import temporary_postgres_database
from tests.factories import create_user


def chunked(items: Iterator[ListenRecord], size: int) -> Iterator[list[ListenRecord]]:
    while chunk := list(islice(items, size)):
        yield chunk


def keep(batch: list[ListenRecord], _previous: object) -> list[ListenRecord]:
    return batch


def records(count: int) -> Iterator[ListenRecord]:
    for n in range(count):
        yield ListenRecord("A", f"T{n}", datetime(2025, 1, 1, tzinfo=UTC), ListenSource.LASTFM)


def test_every_record_arrives_in_order_in_batches() -> None:
    seen: list[list[str]] = []

    def store(batch: list[ListenRecord]) -> IngestResult:
        seen.append([record.track_title for record in batch])
        return IngestResult(received=len(batch), inserted=len(batch))

    progress: list[int] = []
    total = ingest_in_batches(keep, store, chunked(records(7), 3), progress=progress.append)
    assert seen == [["T0", "T1", "T2"], ["T3", "T4", "T5"], ["T6"]]
    assert progress == [3, 3, 1]
    assert (total.received, total.inserted) == (7, 7)


def test_a_reading_error_reaches_the_caller() -> None:
    def broken() -> Iterator[ListenRecord]:
        yield from records(4)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        ingest_in_batches(
            keep, lambda batch: IngestResult(received=len(batch)), chunked(broken(), 2)
        )


def test_a_storing_error_stops_the_reader() -> None:
    def store(batch: list[ListenRecord]) -> IngestResult:
        raise RuntimeError("database down")

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="database down"):
        ingest_in_batches(keep, store, chunked(records(10_000), 10))
    # The reader and writer threads were joined, not left behind.
    assert threading.active_count() == before


def test_rejections_are_numbered_across_batches() -> None:
    from sidetrack.listening.service import Rejection

    def store(batch: list[ListenRecord]) -> IngestResult:
        return IngestResult(received=len(batch), rejected=[Rejection(1, "bad")])

    total = ingest_in_batches(keep, store, chunked(records(6), 3))
    assert [r.index for r in total.rejected] == [1, 4]


def test_the_next_batch_is_prepared_while_one_is_stored() -> None:
    prepared_after: dict[str, threading.Event] = {}
    previous_seen: list[str | None] = []

    def prepare(
        batch: list[ListenRecord], previous: list[ListenRecord] | None
    ) -> list[ListenRecord]:
        previous_seen.append(previous[0].track_title if previous else None)
        if previous is not None:
            prepared_after[previous[0].track_title].set()
        prepared_after[batch[0].track_title] = threading.Event()
        return batch

    def store(batch: list[ListenRecord]) -> IngestResult:
        # Every batch but the last waits until the next one has been prepared: that can only
        # happen if preparing runs while this batch is being stored.
        if batch[0].track_title != "T6":
            assert prepared_after[batch[0].track_title].wait(timeout=5)
        return IngestResult(received=len(batch))

    total = ingest_in_batches(prepare, store, chunked(records(7), 3))
    assert total.received == 7
    assert previous_seen == [None, "T0", "T3"]


@pytest.fixture(params=BACKENDS)
def committed_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database of their own: an import commits, which the rolled-back test
    transaction of the other tests cannot hold."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'import.db'}"
        else:
            assert POSTGRES_URL is not None
            url = stack.enter_context(temporary_postgres_database(POSTGRES_URL))
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        yield make_session_factory(engine)


def test_an_import_stores_each_play_once_across_batches(
    committed_factory: sessionmaker[Session],
) -> None:
    """Batches of two: each one is prepared while the one before may still be uncommitted,
    so a repeat in the next batch must be caught from memory, not from the database."""
    start = datetime(2025, 3, 1, 12, tzinfo=UTC)

    def played(minutes: float, title: str, source: ListenSource) -> ListenRecord:
        return ListenRecord("Björk", title, start + timedelta(minutes=minutes), source)

    plays = [
        played(0, "Jóga", ListenSource.SPOTIFY),
        played(5, "Hunter", ListenSource.SPOTIFY),
        played(0.5, "Jóga", ListenSource.LASTFM),  # the first play again, from Last.fm
        played(10, "Bachelorette", ListenSource.LASTFM),
        played(5.2, "hunter", ListenSource.LASTFM),  # the second play again
        played(20, "Jóga", ListenSource.LASTFM),  # a real replay
    ]
    with transaction(committed_factory) as session:
        user_id = create_user(session).id
    total = import_listens(committed_factory, user_id, listen_batches(plays, 2))
    assert (total.received, total.inserted, total.duplicates) == (6, 4, 2)
    with committed_factory() as session:
        stored = session.scalar(select(func.count()).select_from(ListenEvent))
        counted = session.scalar(select(func.sum(ListenHourCount.plays)))
    assert (stored, counted) == (4, 4)
    # Importing it all again adds nothing.
    again = import_listens(committed_factory, user_id, listen_batches(plays, 4))
    assert (again.inserted, again.duplicates) == (0, 6)
