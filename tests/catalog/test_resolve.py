"""Track resolution across an import's batches: what a committed batch resolved is reused."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from sidetrack.catalog.resolve import TrackCache, TrackRef, resolve_tracks

REFS = [
    TrackRef("Björk", "Jóga", "Homogenic"),
    TrackRef("Björk", "Hunter", "Homogenic"),
    TrackRef("Radiohead", "Idioteque", "Kid A", spotify_track_id="6LgJvl0Xdtc73RJ1mmpotq"),
]


@contextmanager
def counting_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_a_kept_batch_is_not_looked_up_again(session: Session) -> None:
    cache = TrackCache()
    first = resolve_tracks(session, REFS, cache)
    cache.keep()
    with counting_queries(session) as statements:
        again = resolve_tracks(session, [REFS[2], REFS[0]], cache)
    assert statements == []
    assert again == [first[2], first[0]]
    assert cache.pending == {}  # nothing new to keep


def test_a_forgotten_batch_is_looked_up_again(session: Session) -> None:
    cache = TrackCache()
    first = resolve_tracks(session, REFS, cache)
    cache.forget()  # as after a rollback: these tracks may not exist
    assert cache.committed == {}
    with counting_queries(session) as statements:
        again = resolve_tracks(session, REFS, cache)
    assert statements != []
    assert again == first  # still in this transaction, so found again by the database
