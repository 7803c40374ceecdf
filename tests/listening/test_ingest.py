"""Ingest: batches stored atomically, the same play stored once across sources, bad rows named."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, Track
from sidetrack.catalog.normalize import artist_key_of
from sidetrack.listening.models import (
    ListenEvent,
    ListenHourCount,
    ListenMonthTrackCount,
    ListenYearAlbumCount,
    ListenYearArtistCount,
    ListenYearTrackCount,
)
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens, rebuild_rollups, tolerance
from sidetrack.listening.settings import update_listening_settings
from tests.factories import create_user

T0 = datetime(2025, 6, 1, 20, 0, tzinfo=UTC)


def play(
    minutes: float,
    track: str = "Jóga",
    artist: str = "Björk",
    album: str | None = "Homogenic",
    source: ListenSource = ListenSource.LASTFM,
    **extra: object,
) -> ListenRecord:
    return ListenRecord(
        artist_name=artist,
        track_title=track,
        album_title=album,
        played_at=T0 + timedelta(minutes=minutes),
        source=source,
        **extra,  # type: ignore[arg-type]
    )


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_batch_is_stored_and_counted(session: Session) -> None:
    user = create_user(session)
    result = ingest_listens(
        session, user.id, [play(0), play(5), play(10, track="Bachelorette"), play(20, album=None)]
    )
    assert (result.received, result.inserted, result.duplicates) == (4, 4, 0)
    assert result.rejected == []
    assert count(session, ListenEvent) == 4
    # Homogenic plus the "unknown album" of Björk for the album-less play.
    assert session.scalar(select(func.count()).select_from(Album)) == 2
    assert count(session, Track) == 3  # Jóga on Homogenic, Bachelorette, Jóga on no album


def test_reimporting_inserts_nothing(session: Session) -> None:
    user = create_user(session)
    batch = [play(minute * 5) for minute in range(10)]
    ingest_listens(session, user.id, batch)
    again = ingest_listens(session, user.id, batch)
    assert (again.inserted, again.duplicates) == (0, 10)
    assert count(session, ListenEvent) == 10


def test_names_match_whatever_the_spelling(session: Session) -> None:
    user = create_user(session)
    ingest_listens(session, user.id, [play(0)])
    ingest_listens(session, user.id, [play(30, track="  JOGA ", artist="bjork", album="HOMOGENIC")])
    assert count(session, Track) == 1
    assert count(session, ListenEvent) == 2


def test_the_same_play_from_two_sources_is_stored_once(session: Session) -> None:
    user = create_user(session)
    # Last.fm keeps minutes only; Spotify's start (end minus ms played) lands 40 s later.
    lastfm = play(0, duration_ms=305_000)
    spotify = play(40 / 60, source=ListenSource.SPOTIFY, ms_played=300_000)
    result = ingest_listens(session, user.id, [lastfm, spotify])
    assert (result.inserted, result.duplicates) == (1, 1)
    # A real second play of a 5-minute track starts at least 5 minutes later: kept.
    assert ingest_listens(session, user.id, [play(5.2)]).inserted == 1


def test_tolerance_is_half_the_track_but_at_most_90_seconds() -> None:
    assert tolerance(None) == timedelta(seconds=90)
    assert tolerance(400_000) == timedelta(seconds=90)
    assert tolerance(100_000) == timedelta(seconds=50)


def test_bad_rows_are_named_and_good_rows_kept(session: Session) -> None:
    user = create_user(session)
    batch = [
        play(0),
        play(1, track="   "),
        ListenRecord("Björk", "Hunter", datetime(1999, 1, 1, tzinfo=UTC), ListenSource.LASTFM),
        play(10, track="Hunter"),
        ListenRecord("Björk", "Hunter", datetime.now(UTC) + timedelta(days=2), ListenSource.LASTFM),
    ]
    result = ingest_listens(session, user.id, batch)
    assert result.inserted == 2
    assert [(r.index, r.reason) for r in result.rejected] == [
        (1, "track_title is empty"),
        (2, "played_at is before 2002-10-01"),
        (4, "played_at is in the future"),
    ]


def test_external_ids_win_over_names(session: Session) -> None:
    user = create_user(session)
    spotify_id = "3QqOHSU6yBfFP4bD8AyLdS"
    ingest_listens(
        session, user.id, [play(0, source=ListenSource.SPOTIFY, spotify_track_id=spotify_id)]
    )
    ingest_listens(
        session,
        user.id,
        [
            play(
                10,
                track="Joga (remastered)",
                source=ListenSource.SPOTIFY,
                spotify_track_id=spotify_id,
            )
        ],
    )
    assert count(session, Track) == 1


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "Asia/Kolkata"])
def test_rollups_count_in_the_members_zone(session: Session, zone: str) -> None:
    user = create_user(session, timezone=zone)
    plays = [play(0, ms_played=200_000), play(30, ms_played=100_000), play(90, track="Hunter")]
    ingest_listens(session, user.id, plays)
    hours = {
        row.local_hour: (row.plays, row.ms_played)
        for row in session.scalars(
            select(ListenHourCount).where(ListenHourCount.user_id == user.id)
        )
    }
    # 20:00 and 20:30 UTC share a UTC hour; in Kolkata (+5:30) they are 01:30 and 02:00.
    expected = {
        "UTC": {datetime(2025, 6, 1, 20): (2, 300_000), datetime(2025, 6, 1, 21): (1, 0)},
        "Asia/Tokyo": {datetime(2025, 6, 2, 5): (2, 300_000), datetime(2025, 6, 2, 6): (1, 0)},
        "Asia/Kolkata": {
            datetime(2025, 6, 2, 1): (1, 200_000),
            datetime(2025, 6, 2, 2): (1, 100_000),
            datetime(2025, 6, 2, 3): (1, 0),
        },
    }[zone]
    assert hours == expected
    before = sorted(hours.items())
    rebuild_rollups(session, user.id)
    session.expire_all()
    rebuilt = {
        row.local_hour: (row.plays, row.ms_played)
        for row in session.scalars(
            select(ListenHourCount).where(ListenHourCount.user_id == user.id)
        )
    }
    assert sorted(rebuilt.items()) == before
    years = session.scalars(
        select(ListenYearTrackCount).where(ListenYearTrackCount.user_id == user.id)
    ).all()
    assert sorted((year.local_year, year.plays) for year in years) == [
        (date(2025, 1, 1), 1),
        (date(2025, 1, 1), 2),
    ]


def test_bulk_inserted_rows_read_back_through_the_orm(session: Session) -> None:
    """The SQLite fast path writes values itself; the ORM must read exactly what it meant."""
    user = create_user(session)
    at = datetime(2025, 6, 1, 20, 0, 7, tzinfo=UTC)
    ingest_listens(
        session, user.id, [ListenRecord("A", "B", at, ListenSource.SPOTIFY, ms_played=1234)]
    )
    session.expire_all()
    stored = session.scalars(select(ListenEvent).where(ListenEvent.user_id == user.id)).one()
    assert stored.played_at == at
    assert stored.source is ListenSource.SPOTIFY
    assert stored.ms_played == 1234
    # And the ORM's own queries find it by value, as stats and de-duplication do.
    found = session.scalar(
        select(func.count()).where(ListenEvent.user_id == user.id, ListenEvent.played_at == at)
    )
    assert found == 1


def test_the_same_play_with_and_without_its_album_is_stored_once(session: Session) -> None:
    """Spotify's account data has no album, its extended history has: one play in both exports
    (or a Last.fm row with an empty album next to a Spotify play) must be stored once."""
    user = create_user(session)
    with_album = play(0, source=ListenSource.SPOTIFY, ms_played=215_500)
    without = play(-0.5, album=None, source=ListenSource.SPOTIFY, ms_played=215_500)
    assert ingest_listens(session, user.id, [with_album]).inserted == 1
    result = ingest_listens(session, user.id, [without])
    assert (result.inserted, result.duplicates) == (0, 1)

    # In one batch too, whichever comes first.
    other = create_user(session)
    both = ingest_listens(session, other.id, [without, with_album])
    assert (both.inserted, both.duplicates) == (1, 1)


def test_plays_a_concurrent_writer_stored_first_are_not_counted_twice(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another import may store a batch's plays between its duplicate check and its insert:
    the insert skips them and the member's rollups are recounted, not added to."""
    from sidetrack.listening import service

    user = create_user(session)
    batch = [play(0, ms_played=200_000), play(10, track="Hunter", ms_played=100_000)]
    assert ingest_listens(session, user.id, batch).inserted == 2
    # As if the check ran before the other writer's commit: it sees nothing stored.
    monkeypatch.setattr(
        service,
        "_drop_duplicates",
        lambda _s, _u, batch, _tracks, _in_flight: list(range(len(batch))),
    )
    again = ingest_listens(session, user.id, [*batch, play(20, track="Jóga")])
    assert (again.inserted, again.duplicates) == (1, 2)
    session.expire_all()
    hours = session.scalars(select(ListenHourCount).where(ListenHourCount.user_id == user.id))
    assert sum(row.plays for row in hours) == 3
    years = session.scalars(
        select(ListenYearTrackCount).where(ListenYearTrackCount.user_id == user.id)
    )
    assert sorted(row.plays for row in years) == [1, 2]
    albums, artists = per_year_album_and_artist(session, user.id)
    assert sum(albums.values()) == sum(artists.values()) == 3


def test_an_artist_is_named_as_first_heard_whatever_order_the_plays_arrive(
    session: Session,
) -> None:
    from sidetrack.listening.models import ListenArtistTotal

    def artist_row(user_id: object) -> tuple[str, int, datetime]:
        row = session.scalars(
            select(ListenArtistTotal).where(ListenArtistTotal.user_id == user_id)
        ).one()
        return row.artist_name, row.plays, row.first_played_at

    # One batch: the later play is listed first, under another spelling of the artist.
    together = create_user(session)
    ingest_listens(
        session,
        together.id,
        [play(30, artist="BJÖRK", track="Hunter"), play(0), play(60, track="Bachelorette")],
    )
    assert artist_row(together.id) == ("Björk", 3, T0)

    # Two batches: the earliest play arrives last and brings its spelling with it.
    apart = create_user(session)
    ingest_listens(session, apart.id, [play(30, artist="BJÖRK", track="Hunter")])
    ingest_listens(session, apart.id, [play(0, artist="Bjork", track="Isobel")])
    session.expire_all()
    assert artist_row(apart.id) == ("Bjork", 2, T0)


def test_plays_still_in_flight_count_as_stored(session: Session) -> None:
    """A pipelined import prepares a batch before the previous one is committed: that
    batch's plays, handed over in memory, are duplicates like stored ones."""
    from sidetrack.listening.records import group_listens
    from sidetrack.listening.service import prepare_listens, store_listens

    user = create_user(session)
    first = prepare_listens(session, user.id, group_listens([play(0), play(10, track="Hunter")]))
    second = prepare_listens(
        session,
        user.id,
        group_listens([play(0.5, source=ListenSource.SPOTIFY), play(20)]),
        in_flight=first,
    )
    assert [start for start, _track in second.plays()] == [
        int((T0 + timedelta(minutes=20)).timestamp())
    ]
    assert second.result.duplicates == 1
    assert store_listens(session, user.id, first).inserted == 2
    assert store_listens(session, user.id, second).inserted == 1
    assert count(session, ListenEvent) == 3


@pytest.mark.parametrize(
    "zone",
    [
        "UTC",
        "Europe/London",
        "America/New_York",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "America/St_Johns",
    ],
)
def test_local_hours_follow_the_zone_through_its_changes(zone: str) -> None:
    """Every quarter hour across two years, daylight-saving changes included (Lord Howe's
    are half an hour), against zoneinfo asked directly."""
    from zoneinfo import ZoneInfo

    from sidetrack.listening.service import local_hours_of

    here = ZoneInfo(zone)
    local_hour = local_hours_of(here)
    first = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    for start in range(first, first + 2 * 366 * 86400, 900 - 7):
        clock = datetime.fromtimestamp(start, here).replace(tzinfo=None)
        hours = (clock - datetime(1970, 1, 1)).total_seconds() // 3600
        assert local_hour(start) == hours, (zone, start)


def per_year(session: Session, user_id: object) -> dict[tuple[date, str], int]:
    """The member's yearly rollup as {(local year, track title): plays}."""
    rows = session.execute(
        select(ListenYearTrackCount.local_year, Track.title, ListenYearTrackCount.plays)
        .join(Track, Track.id == ListenYearTrackCount.track_id)
        .where(ListenYearTrackCount.user_id == user_id)
    )
    return {(year, title): plays for year, title, plays in rows}


def per_year_album_and_artist(session: Session, user_id: object) -> list[dict[object, int]]:
    """The yearly album and artist rollups as {(local year, album id or artist key): plays},
    each checked against the yearly per-track rows summed the same way."""
    found = []
    for model, column in (
        (ListenYearAlbumCount, ListenYearAlbumCount.album_id),
        (ListenYearArtistCount, ListenYearArtistCount.artist_key),
    ):
        stored = dict(
            ((year, key), plays)
            for year, key, plays in session.execute(
                select(model.local_year, column, model.plays).where(model.user_id == user_id)
            )
        )
        key = getattr(ListenYearTrackCount, column.key)
        summed = dict(
            ((year, key_value), int(plays))
            for year, key_value, plays in session.execute(
                select(ListenYearTrackCount.local_year, key, func.sum(ListenYearTrackCount.plays))
                .where(ListenYearTrackCount.user_id == user_id)
                .group_by(ListenYearTrackCount.local_year, key)
            )
        )
        assert stored == summed, model.__tablename__
        found.append(stored)
    return found


def per_month_summed_by_year(session: Session, user_id: object) -> dict[tuple[date, str], int]:
    sums: dict[tuple[date, str], int] = {}
    rows = session.execute(
        select(ListenMonthTrackCount.local_month, Track.title, ListenMonthTrackCount.plays)
        .join(Track, Track.id == ListenMonthTrackCount.track_id)
        .where(ListenMonthTrackCount.user_id == user_id)
    )
    for month, title, plays in rows:
        key = (date(month.year, 1, 1), title)
        sums[key] = sums.get(key, 0) + plays
    return sums


def test_the_yearly_rollup_counts_local_years_and_follows_a_zone_change(
    session: Session,
) -> None:
    """Plays around New Year's Eve fall in the member's local year, batch after batch, and
    move when the member changes zone."""
    user = create_user(session, timezone="Asia/Tokyo")  # UTC+9

    def at(*parts: int, track: str = "Jóga") -> ListenRecord:
        moment = datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
        return ListenRecord("Björk", track, moment, ListenSource.LASTFM, album_title="Homogenic")

    first = [
        at(2024, 12, 31, 14, 55),  # Tokyo 31 Dec 2024 23:55: 2024
        at(2024, 12, 31, 15, 0),  # Tokyo 1 Jan 2025 00:00: 2025
        at(2025, 6, 1, 12),
        at(2025, 6, 1, 12, track="Hunter"),
    ]
    second = [
        at(2025, 12, 31, 14, 30),  # Tokyo 31 Dec 2025 23:30: 2025
        at(2025, 12, 31, 15, 30),  # Tokyo 1 Jan 2026 00:30: 2026
        at(2025, 12, 31, 15, 30, track="Hunter"),  # 2026
    ]
    assert ingest_listens(session, user.id, first).inserted == 4
    assert ingest_listens(session, user.id, second).inserted == 3  # added to stored rows
    session.expire_all()
    tokyo = {
        (date(2024, 1, 1), "Jóga"): 1,
        (date(2025, 1, 1), "Jóga"): 3,
        (date(2025, 1, 1), "Hunter"): 1,
        (date(2026, 1, 1), "Jóga"): 1,
        (date(2026, 1, 1), "Hunter"): 1,
    }
    assert per_year(session, user.id) == tokyo
    assert per_month_summed_by_year(session, user.id) == tokyo
    albums, artists = per_year_album_and_artist(session, user.id)
    assert sorted((year.year, plays) for (year, _album), plays in albums.items()) == [
        (2024, 1),
        (2025, 4),
        (2026, 2),
    ]
    assert {key for _year, key in artists} == {"bjork"}

    # In UTC the two Tokyo New Year plays go back a year: 2024 gets both of its last day's.
    update_listening_settings(session, user, timezone="UTC")
    session.expire_all()
    utc_years = {
        (date(2024, 1, 1), "Jóga"): 2,
        (date(2025, 1, 1), "Jóga"): 3,
        (date(2025, 1, 1), "Hunter"): 2,
    }
    assert per_year(session, user.id) == utc_years
    assert per_month_summed_by_year(session, user.id) == utc_years
    utc_albums = per_year_album_and_artist(session, user.id)
    assert sorted(plays for plays in utc_albums[0].values()) == [2, 5]
    rebuild_rollups(session, user.id)  # recounting again changes nothing
    session.expire_all()
    assert per_year(session, user.id) == utc_years
    assert per_year_album_and_artist(session, user.id) == utc_albums


PER_TRACK_ROLLUPS = (ListenMonthTrackCount, ListenYearTrackCount)


def placements(session: Session, user_id: object) -> dict[str, set[tuple[str, str, str]]]:
    """Each per-track rollup's rows as (track title, album title, artist key), read from the
    rows' own copies; a copy that disagrees with the catalog fails here."""
    found: dict[str, set[tuple[str, str, str]]] = {}
    for model in PER_TRACK_ROLLUPS:
        rows = session.execute(
            select(
                Track.title,
                Album.title,
                model.artist_key,
                Track.match_key,
                model.album_id,
                Track.album_id,
            )
            .select_from(model)
            .join(Track, Track.id == model.track_id)
            .join(Album, Album.id == model.album_id)
            .where(model.user_id == user_id)
        ).all()
        stored = session.scalar(select(func.count()).where(model.user_id == user_id))
        assert len(rows) == stored, model.__tablename__  # every row placed on a real album
        for _title, _album, artist_key, match_key, copied, album_id in rows:
            assert (artist_key, copied) == (artist_key_of(match_key), album_id), model
        found[model.__tablename__] = {(title, album, key) for title, album, key, *_ in rows}
    return found


def test_the_per_track_rollups_carry_their_tracks_album_and_artist(session: Session) -> None:
    """Written with each new row, in every rollup that counts per track, and again the same
    when the member's rollups are rebuilt."""
    user = create_user(session, timezone="Asia/Tokyo")
    ingest_listens(
        session,
        user.id,
        [play(0), play(10, track="Hunter"), play(20, artist="Aphex Twin", album="Drukqs")],
    )
    # A second batch: rows added to (same month) and new rows (a play in another year), a
    # second spelling of the artist, and a play with no album (the artist's unknown album).
    ingest_listens(
        session,
        user.id,
        [
            play(30, artist="BJÖRK", track="HUNTER"),
            play(60 * 24 * 400, track="Jóga"),
            play(40, track="Isobel", album=None),
        ],
    )
    expected = {
        ("Jóga", "Homogenic", "bjork"),
        ("Hunter", "Homogenic", "bjork"),
        ("Jóga", "Drukqs", "aphex twin"),
        ("Isobel", "", "bjork"),
    }
    placed = placements(session, user.id)
    assert placed == {model.__tablename__: expected for model in PER_TRACK_ROLLUPS}
    assert (
        session.scalar(select(func.count()).where(ListenYearTrackCount.user_id == user.id))
        == len(expected) + 1
    )  # Jóga in two years

    rebuild_rollups(session, user.id)
    session.expire_all()
    assert placements(session, user.id) == placed


def test_a_recount_after_a_concurrent_writer_places_the_tracks_too(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sidetrack.listening import service

    user = create_user(session)
    batch = [play(0), play(10, track="Hunter", artist="BJÖRK")]
    ingest_listens(session, user.id, batch)
    monkeypatch.setattr(
        service,
        "_drop_duplicates",
        lambda _s, _u, batch, _tracks, _in_flight: list(range(len(batch))),
    )
    again = ingest_listens(session, user.id, [*batch, play(20, artist="Aphex Twin")])
    assert (again.inserted, again.duplicates) == (1, 2)  # so the member was recounted
    session.expire_all()
    expected = {
        ("Jóga", "Homogenic", "bjork"),
        ("Hunter", "Homogenic", "bjork"),
        ("Jóga", "Homogenic", "aphex twin"),
    }
    assert placements(session, user.id) == {
        model.__tablename__: expected for model in PER_TRACK_ROLLUPS
    }


def test_staged_plays_are_written_in_the_order_of_the_plays_key() -> None:
    """By start, then track as PostgreSQL orders UUIDs (their bytes, as their text sorts):
    the insert relies on it, with no ORDER BY of its own."""
    import uuid
    from zoneinfo import ZoneInfo

    from sidetrack.catalog.resolve import ResolvedTrack
    from sidetrack.listening.records import ListenBatch
    from sidetrack.listening.service import IngestResult, PreparedListens, _as_copy_text

    low, high = uuid.UUID(int=1), uuid.UUID(int=2**128 - 1)
    tracks = [
        ResolvedTrack(track, uuid.uuid4(), 200_000, "a\x1fb", "a", "A") for track in (high, low)
    ]
    batch = ListenBatch(
        received=4,
        spellings=[
            ("A", "high", None, None, None, None, None),
            ("A", "low", None, None, None, None, None),
        ],
        spelling=[0, 1, 0, 1],
        start=[1_700_000_060, 1_700_000_060, 1_700_000_000, 1_700_000_120],
        ms_played=[200_000] * 4,
        source=["lastfm"] * 4,
        source_id=[None] * 4,
    )
    fresh = sorted(range(4), key=batch.start.__getitem__)  # as _drop_duplicates gives them
    prepared = PreparedListens(IngestResult(received=4), batch, tracks, fresh)
    lines = _as_copy_text(prepared, ZoneInfo("UTC")).splitlines()
    assert [tuple(line.split("\t")[:2]) for line in lines] == [
        ("1700000000", str(high)),
        ("1700000060", str(low)),
        ("1700000060", str(high)),
        ("1700000120", str(low)),
    ]
