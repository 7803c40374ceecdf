"""Alembic migrations build exactly the models' schema, and take it all down again."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Uuid,
    column,
    func,
    insert,
    inspect,
    select,
    table,
)

from sidetrack.core.db import make_engine
from sidetrack.core.migrations import downgrade, upgrade
from sidetrack.core.types import UTCDateTime
from sidetrack.models import metadata
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.databases import temporary_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        assert POSTGRES_URL is not None
        with temporary_postgres_database(POSTGRES_URL) as url:
            yield url


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_yields_exactly_the_models_schema(empty_database: str) -> None:
    upgrade(empty_database)
    assert schema_differences(empty_database) == []
    assert table_names(empty_database) == set(metadata.tables) | {"alembic_version"}


def reflected_schema(url: str) -> dict[str, dict[str, object]]:
    """Each table as the database describes it, including what autogenerate does not compare:
    CHECK constraints, partial-index predicates and foreign keys' ON DELETE rules."""
    engine = make_engine(url)

    def plain(items: list[Any]) -> list[str]:
        return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)

    try:
        inspector = inspect(engine)
        return {
            table: {
                # Sorted: later migrations add columns at the end, create_all in model order.
                "columns": plain(inspector.get_columns(table)),
                "primary key": plain([inspector.get_pk_constraint(table)]),
                "foreign keys": plain(inspector.get_foreign_keys(table)),
                "unique": plain(inspector.get_unique_constraints(table)),
                "indexes": plain(inspector.get_indexes(table)),
                "checks": plain(inspector.get_check_constraints(table)),
            }
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }
    finally:
        engine.dispose()


@pytest.fixture
def second_empty_database(empty_database: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as `empty_database`."""
    if empty_database.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'created.db'}"
    else:
        assert POSTGRES_URL is not None
        with temporary_postgres_database(POSTGRES_URL) as url:
            yield url


def test_upgrade_head_has_the_models_checks_indexes_and_cascades(
    empty_database: str, second_empty_database: str
) -> None:
    """Autogenerate ignores CHECK constraints and index predicates; compare them directly
    against the schema the models create on their own."""
    upgrade(empty_database)
    engine = make_engine(second_empty_database)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    migrated, created = reflected_schema(empty_database), reflected_schema(second_empty_database)
    assert set(migrated) == set(created)
    for name in created:
        assert migrated[name] == created[name], name


def test_an_empty_database_differs_from_the_models(empty_database: str) -> None:
    """The comparison above can fail: before migrating, every table is reported missing."""
    differences = schema_differences(empty_database)
    added = {
        diff[1].name for diff in differences if isinstance(diff, tuple) and diff[0] == "add_table"
    }
    assert added == set(metadata.tables)


def test_downgrade_base_empties_the_database(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert table_names(empty_database) <= {"alembic_version"}
    upgrade(empty_database)  # and the way back up still works
    assert schema_differences(empty_database) == []


def test_upgrading_keeps_existing_rows(empty_database: str) -> None:
    """Later migrations rebuild tables on SQLite; the club's rows must survive that."""
    upgrade(empty_database, "0001")
    now = datetime.now(UTC)
    user, album, week, nomination = (uuid.uuid4() for _ in range(4))
    stamps = {"created_at": now, "updated_at": now}
    rows = {  # only columns that exist at revision 0001
        "users": {"id": user, "display_name": "Ann", **stamps},
        "albums": {"id": album, "title": "T", "artist_name": "A", "match_key": "a t", **stamps},
        "weeks": {"id": week, "label": "WEEK 001", "phase": "poll", **stamps},
        "nominations": {
            "id": nomination,
            "week_id": week,
            "user_id": user,
            "album_id": album,
            **stamps,
        },
        "votes": {
            "id": uuid.uuid4(),
            "week_id": week,
            "user_id": user,
            "nomination_id": nomination,
            "rank": 1,
            **stamps,
        },
        "ratings": {
            "id": uuid.uuid4(),
            "week_id": week,
            "user_id": user,
            "album_id": album,
            "value": 4.5,
            **stamps,
        },
    }
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            for table, row in rows.items():
                connection.execute(insert(metadata.tables[table]).values(**row))
        upgrade(empty_database)
        with engine.connect() as connection:
            for table in rows:
                count = connection.execute(select(func.count()).select_from(metadata.tables[table]))
                assert count.scalar_one() == 1, table
    finally:
        engine.dispose()


def test_0005_backfills_month_and_artist_rollups_from_stored_plays(empty_database: str) -> None:
    upgrade(empty_database, "0004")
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    user, album, jóga, hunter = (uuid.uuid4() for _ in range(4))
    engine = make_engine(empty_database)
    tables = metadata.tables
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(tables["users"]).values(
                    id=user, display_name="Ann", timezone="Asia/Tokyo", **stamps
                )
            )
            connection.execute(
                insert(tables["albums"]).values(
                    id=album,
                    title="Homogenic",
                    artist_name="Björk",
                    match_key="bjork\x1fhomogenic",
                    **stamps,
                )
            )
            for track, title in ((jóga, "joga"), (hunter, "hunter")):
                connection.execute(
                    insert(tables["tracks"]).values(
                        id=track,
                        album_id=album,
                        title=title,
                        artist_name="Björk",
                        match_key=f"bjork\x1f{title}",
                        **stamps,
                    )
                )
            # 31 Jan 20:00 UTC is 1 Feb 05:00 in Tokyo: a February play for this member.
            for track, played_at in (
                (jóga, datetime(2025, 1, 10, 12, tzinfo=UTC)),
                (jóga, datetime(2025, 1, 31, 20, tzinfo=UTC)),
                (hunter, datetime(2025, 1, 5, 12, tzinfo=UTC)),
            ):
                connection.execute(
                    insert(tables["listen_events"]).values(
                        user_id=user,
                        track_id=track,
                        played_at=played_at,
                        source="lastfm",
                        created_at=now,
                    )
                )
        upgrade(empty_database)
        with engine.connect() as connection:
            months = connection.execute(
                select(tables["listen_month_track_counts"].c["local_month", "track_id", "plays"])
            ).all()
            artists = connection.execute(
                select(tables["listen_artist_totals"].c["artist_key", "plays", "first_played_at"])
            ).all()
    finally:
        engine.dispose()

    assert sorted((m, t == jóga, n) for m, t, n in months) == [
        (date(2025, 1, 1), False, 1),
        (date(2025, 1, 1), True, 1),
        (date(2025, 2, 1), True, 1),
    ]
    assert [(key, plays) for key, plays, _first in artists] == [("bjork", 3)]
    assert artists[0][2].replace(tzinfo=UTC) == datetime(2025, 1, 5, 12, tzinfo=UTC)


def test_0007_backfills_the_yearly_rollup_from_the_monthly_one(empty_database: str) -> None:
    """The months are already the member's local ones: each year is the sum of its months."""
    upgrade(empty_database, "0006")
    ann, bob, jóga, hunter = (uuid.uuid4() for _ in range(4))
    months = [  # (member, local month, track, plays)
        (ann, date(2024, 12, 1), jóga, 2),
        (ann, date(2025, 1, 1), jóga, 3),
        (ann, date(2025, 12, 1), jóga, 4),
        (ann, date(2025, 6, 1), hunter, 1),
        (bob, date(2025, 1, 1), jóga, 7),
    ]
    engine = make_engine(empty_database)
    tables = metadata.tables
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(tables["listen_month_track_counts"]),
                [
                    {"user_id": u, "local_month": m, "track_id": t, "plays": n}
                    for u, m, t, n in months
                ],
            )
        upgrade(empty_database, "0007")  # 0008 drops rows of tracks not in the catalog
        with engine.connect() as connection:
            years = connection.execute(
                select(
                    tables["listen_year_track_counts"].c[
                        "user_id", "local_year", "track_id", "plays"
                    ]
                )
            ).all()
    finally:
        engine.dispose()

    assert {tuple(row) for row in years} == {
        (ann, date(2024, 1, 1), jóga, 2),
        (ann, date(2025, 1, 1), jóga, 7),  # January and December
        (ann, date(2025, 1, 1), hunter, 1),
        (bob, date(2025, 1, 1), jóga, 7),
    }
    assert len(years) == 4


ROLLUPS_OF_TRACKS = ("listen_track_totals", "listen_month_track_counts", "listen_year_track_counts")
# The per-track all-time rollup as 0008 and 0009 have it; 0010 drops it from the models.
TRACK_TOTALS = table(
    "listen_track_totals",
    column("user_id", Uuid()),
    column("track_id", Uuid()),
    column("plays", Integer()),
    column("ms_played", BigInteger()),
    column("first_played_at", UTCDateTime(timezone=True)),
    column("last_played_at", UTCDateTime(timezone=True)),
    column("album_id", Uuid()),
    column("artist_key", String()),
)


def test_0008_places_the_per_track_rollups_from_their_tracks(empty_database: str) -> None:
    """Each per-track rollup row gets its track's album and normalised artist; a row whose
    track is gone cannot be placed and goes; the way down drops the columns again."""
    upgrade(empty_database, "0007")
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    ann, homogenic, vespertine, jóga, hunter, pagan, gone = (uuid.uuid4() for _ in range(7))
    tracks = {  # track: (album, match_key)
        jóga: (homogenic, "bjork\x1fjoga"),
        hunter: (homogenic, "bjork\x1fhunter"),
        pagan: (vespertine, "bjork & friends\x1fpagan poetry"),
    }
    per_track = [*tracks, gone]
    engine = make_engine(empty_database)
    tables = {**metadata.tables, "listen_track_totals": TRACK_TOTALS}
    try:
        with engine.begin() as connection:
            for album, title in ((homogenic, "Homogenic"), (vespertine, "Vespertine")):
                connection.execute(
                    insert(tables["albums"]).values(
                        id=album,
                        title=title,
                        artist_name="Björk",
                        match_key=f"bjork\x1f{title.lower()}",
                        **stamps,
                    )
                )
            for track, (album, key) in tracks.items():
                connection.execute(
                    insert(tables["tracks"]).values(
                        id=track,
                        album_id=album,
                        title=key.split("\x1f")[1],
                        artist_name="Björk",
                        match_key=key,
                        **stamps,
                    )
                )
            connection.execute(
                insert(tables["listen_track_totals"]),
                [
                    {
                        "user_id": ann,
                        "track_id": track,
                        "plays": 1,
                        "ms_played": 1000,
                        "first_played_at": now,
                        "last_played_at": now,
                    }
                    for track in per_track
                ],
            )
            connection.execute(
                insert(tables["listen_month_track_counts"]),
                [
                    {"user_id": ann, "local_month": month, "track_id": track, "plays": 1}
                    for month in (date(2025, 1, 1), date(2025, 2, 1))
                    for track in per_track
                ],
            )
            connection.execute(
                insert(tables["listen_year_track_counts"]),
                [
                    {"user_id": ann, "local_year": date(2025, 1, 1), "track_id": track, "plays": 2}
                    for track in per_track
                ],
            )
        upgrade(empty_database, "0008")
        with engine.connect() as connection:
            placed = {
                name: connection.execute(
                    select(tables[name].c["track_id", "album_id", "artist_key"])
                ).all()
                for name in ROLLUPS_OF_TRACKS
            }
        expected = {
            (jóga, homogenic, "bjork"),
            (hunter, homogenic, "bjork"),
            (pagan, vespertine, "bjork & friends"),
        }
        assert {tuple(row) for row in placed["listen_track_totals"]} == expected
        assert {tuple(row) for row in placed["listen_year_track_counts"]} == expected
        assert sorted(map(tuple, placed["listen_month_track_counts"])) == sorted(
            [*expected, *expected]
        )

        downgrade(empty_database, "0007")
        inspector = inspect(engine)
        for name in ROLLUPS_OF_TRACKS:
            columns = {column["name"] for column in inspector.get_columns(name)}
            assert not columns & {"album_id", "artist_key"}, name
        with engine.connect() as connection:  # the counts themselves stay
            plays = connection.execute(
                select(func.sum(tables["listen_year_track_counts"].c.plays))
            ).scalar_one()
        assert plays == 2 * 3
    finally:
        engine.dispose()


def test_0009_sums_the_yearly_rollup_per_album_and_per_artist(empty_database: str) -> None:
    """Each member's yearly per-track rows, summed per local year and album, and per local
    year and artist; the way down drops the two tables."""
    upgrade(empty_database, "0008")
    ann, bob, homogenic, vespertine = (uuid.uuid4() for _ in range(4))
    rows = [  # user, year, album, artist, plays
        (ann, date(2024, 1, 1), homogenic, "bjork", 3),
        (ann, date(2024, 1, 1), homogenic, "bjork", 2),  # another track of the album
        (ann, date(2024, 1, 1), vespertine, "bjork", 1),
        (ann, date(2025, 1, 1), homogenic, "bjork", 4),
        (bob, date(2024, 1, 1), homogenic, "bjork & friends", 5),
    ]
    engine = make_engine(empty_database)
    tables = metadata.tables
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(tables["listen_year_track_counts"]),
                [
                    {
                        "user_id": user,
                        "local_year": year,
                        "track_id": uuid.uuid4(),
                        "album_id": album,
                        "artist_key": artist,
                        "plays": plays,
                    }
                    for user, year, album, artist, plays in rows
                ],
            )
        upgrade(empty_database, "0009")
        with engine.connect() as connection:
            albums = set(connection.execute(select(tables["listen_year_album_counts"])).all())
            artists = set(connection.execute(select(tables["listen_year_artist_counts"])).all())
        assert albums == {
            (ann, date(2024, 1, 1), homogenic, 5),
            (ann, date(2024, 1, 1), vespertine, 1),
            (ann, date(2025, 1, 1), homogenic, 4),
            (bob, date(2024, 1, 1), homogenic, 5),
        }
        assert artists == {
            (ann, date(2024, 1, 1), "bjork", 6),
            (ann, date(2025, 1, 1), "bjork", 4),
            (bob, date(2024, 1, 1), "bjork & friends", 5),
        }
        downgrade(empty_database, "0008")
        names = set(inspect(engine).get_table_names())
        assert not names & {"listen_year_album_counts", "listen_year_artist_counts"}
    finally:
        engine.dispose()


def test_0010_drops_the_track_totals_and_the_way_down_counts_them_from_the_plays(
    empty_database: str,
) -> None:
    """Down again, each member's plays per track: time heard (the track's length for a play
    that has none), first and last play, album and normalised artist."""
    upgrade(empty_database, "0009")
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    ann, bob, homogenic, jóga, hunter = (uuid.uuid4() for _ in range(5))
    engine = make_engine(empty_database)
    tables = metadata.tables
    first, later = datetime(2025, 1, 10, 12, tzinfo=UTC), datetime(2025, 3, 1, 8, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            for user, name in ((ann, "Ann"), (bob, "Bob")):
                connection.execute(
                    insert(tables["users"]).values(id=user, display_name=name, **stamps)
                )
            connection.execute(
                insert(tables["albums"]).values(
                    id=homogenic,
                    title="Homogenic",
                    artist_name="Björk",
                    match_key="bjork\x1fhomogenic",
                    **stamps,
                )
            )
            for track, title, length in ((jóga, "joga", 305_000), (hunter, "hunter", None)):
                connection.execute(
                    insert(tables["tracks"]).values(
                        id=track,
                        album_id=homogenic,
                        title=title,
                        artist_name="Björk",
                        duration_ms=length,
                        match_key=f"bjork\x1f{title}",
                        **stamps,
                    )
                )
            for user, track, played_at, ms_played in (
                (ann, jóga, first, 200_000),
                (ann, jóga, later, None),  # heard for the track's length
                (ann, hunter, later, None),  # no length known: nothing heard
                (bob, jóga, later, 100_000),
            ):
                connection.execute(
                    insert(tables["listen_events"]).values(
                        user_id=user,
                        track_id=track,
                        played_at=played_at,
                        ms_played=ms_played,
                        source="lastfm",
                        created_at=now,
                    )
                )
        upgrade(empty_database, "0010")
        assert "listen_track_totals" not in table_names(empty_database)

        downgrade(empty_database, "0009")
        with engine.connect() as connection:
            totals = connection.execute(select(TRACK_TOTALS)).all()
    finally:
        engine.dispose()
    assert {tuple(row) for row in totals} == {
        (ann, jóga, 2, 505_000, first, later, homogenic, "bjork"),
        (ann, hunter, 1, 0, later, later, homogenic, "bjork"),
        (bob, jóga, 1, 100_000, later, later, homogenic, "bjork"),
    }
