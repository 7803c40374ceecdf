"""Storing members' plays: validation, cross-source de-duplication, insertion and rollups.

The rule for "the same play" (docs/listening.md): one member, one track, and start times
closer than the tolerance — 90 seconds, or half the track's length when that is shorter.
Sources disagree on a play's time by up to about a minute, while two real plays of one
track start at least its length apart, so half the length never merges two real plays.
"""

import bisect
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from psycopg.errors import UniqueViolation
from sqlalchemy import Table, case, delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Track
from sidetrack.catalog.normalize import KEY_SEPARATOR, artist_key_of
from sidetrack.catalog.resolve import ResolvedTrack, TrackCache, TrackRef, resolve_tracks
from sidetrack.core.bulk import write_rows
from sidetrack.core.errors import Forbidden, Unauthorized
from sidetrack.core.types import utcnow
from sidetrack.listening.models import (
    ListenArtistTotal,
    ListenEvent,
    ListenHourCount,
    ListenMonthTrackCount,
    ListenYearAlbumCount,
    ListenYearArtistCount,
    ListenYearTrackCount,
)
from sidetrack.listening.records import (
    ListenBatch,
    ListenRecord,
    ReadReport,
    Spelling,
    group_listens,
)
from sidetrack.users.service import get_user, get_user_for_writing_listens

MAX_TOLERANCE = timedelta(seconds=90)
MAX_TOLERANCE_S = int(MAX_TOLERANCE.total_seconds())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Local hours are wall-clock times: naive on purpose.
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001
NAME_LIMIT = 255


@dataclass
class Rejection:
    index: int
    reason: str


@dataclass
class IngestResult:
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: "IngestResult", offset: int = 0) -> None:
        self.received += other.received
        self.inserted += other.inserted
        self.duplicates += other.duplicates
        self.rejected.extend(Rejection(r.index + offset, r.reason) for r in other.rejected)


def tolerance(duration_ms: int | None) -> timedelta:
    if duration_ms is None or duration_ms <= 0:
        return MAX_TOLERANCE
    return min(MAX_TOLERANCE, timedelta(milliseconds=duration_ms / 2))


# Every batch of an import names most of its tracks again: build each one's ref once.
@lru_cache(maxsize=65_536)
def _ref(spelling: Spelling) -> TrackRef:
    artist, title, album, spotify_track_id, recording_mbid, duration_ms, isrc = spelling
    return TrackRef(
        artist_name=" ".join(artist.split())[:NAME_LIMIT],
        track_title=" ".join(title.split())[:NAME_LIMIT],
        album_title=" ".join(album.split())[:NAME_LIMIT] if album else None,
        duration_ms=duration_ms,
        recording_mbid=recording_mbid,
        spotify_track_id=spotify_track_id,
        isrc=isrc,
    )


@dataclass
class PreparedListens:
    """A batch checked, resolved to tracks and rid of duplicates, ready to be stored."""

    result: IngestResult  # received, rejected and duplicates so far
    batch: ListenBatch
    tracks: list[ResolvedTrack]  # the track of each of the batch's spellings
    fresh: list[int]  # the batch's new plays (their indices), by start time
    # On PostgreSQL, the new plays as COPY text, local hours in `zone`: built while the batch
    # before is stored, so that storing this one only waits on the database.
    zone: str | None = None
    copy_text: str | None = None

    def plays(self) -> Iterator[tuple[int, ResolvedTrack]]:
        """(start, track) of each new play, by start time."""
        start, spelling, tracks = self.batch.start, self.batch.spelling, self.tracks
        for index in self.fresh:
            yield start[index], tracks[spelling[index]]


def ingest_listens(
    session: Session,
    user_id: uuid.UUID,
    records: Iterable[ListenRecord],
    *,
    known_tracks: TrackCache | None = None,
) -> IngestResult:
    """Store one batch of a member's plays: valid ones in, duplicates counted, bad ones named.

    Atomic with the caller's transaction: this only flushes. An import of many batches
    passes `known_tracks` so that each spelling of a track is looked up once.
    """
    batch = group_listens(records, now=utcnow())
    prepared = prepare_listens(session, user_id, batch, known_tracks=known_tracks)
    return store_listens(session, user_id, prepared)


def prepare_listens(
    session: Session,
    user_id: uuid.UUID,
    batch: ListenBatch,
    *,
    known_tracks: TrackCache | None = None,
    in_flight: PreparedListens | None = None,
) -> PreparedListens:
    """The first half of `ingest_listens`: resolve the batch's tracks (creating new ones) and
    drop the plays already stored, repeated in the batch, or among `in_flight`: the plays
    of an earlier batch that may not be committed yet (a pipelined import's)."""
    user = get_user_for_writing_listens(session, user_id)
    result = IngestResult(
        received=batch.received,
        rejected=[Rejection(index, reason) for index, reason in batch.rejected],
    )
    if not len(batch):
        return PreparedListens(result, batch, [], [])
    tracks = resolve_tracks(session, [_ref(spelling) for spelling in batch.spellings], known_tracks)
    fresh = _drop_duplicates(session, user.id, batch, tracks, in_flight)
    result.duplicates = len(batch) - len(fresh)
    prepared = PreparedListens(result, batch, tracks, fresh)
    if session.get_bind().dialect.name == "postgresql":
        prepared.zone = user.timezone
        prepared.copy_text = _as_copy_text(prepared, ZoneInfo(user.timezone))
    return prepared


def store_listens(session: Session, user_id: uuid.UUID, prepared: PreparedListens) -> IngestResult:
    """The second half of `ingest_listens`: insert the prepared plays and count them into the
    member's rollups. Plays someone stored meanwhile are skipped and counted as duplicates."""
    result = prepared.result
    if not prepared.fresh:
        return result
    user = get_user_for_writing_listens(session, user_id)
    zone = ZoneInfo(user.timezone)
    if session.get_bind().dialect.name == "postgresql":
        inserted = _store_on_postgres(session, user.id, zone, prepared)
    else:
        inserted = _store_on_sqlite(session, user.id, zone, prepared)
    result.inserted = inserted
    result.duplicates += len(prepared.fresh) - inserted
    return result


def _moment(start: int) -> datetime:
    return _EPOCH + timedelta(seconds=start)


def _drop_duplicates(
    session: Session,
    user_id: uuid.UUID,
    batch: ListenBatch,
    tracks: list[ResolvedTrack],
    in_flight: PreparedListens | None,
) -> list[int]:
    """The batch's plays (indices, by start) that are neither stored already, among
    `in_flight`, nor repeated earlier in the batch.

    "The same track" is the same song, whatever album a source put it on: Spotify's account
    data and many scrobbles name no album, so their plays sit on the artist's unknown album.
    """
    starts = batch.start
    order = sorted(range(len(starts)), key=starts.__getitem__)
    low = starts[order[0]] - MAX_TOLERANCE_S
    high = starts[order[-1]] + MAX_TOLERANCE_S
    # The starts of the plays of each song around the batch's time span, in whole seconds.
    known: dict[str, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Track.match_key, ListenEvent.played_at)
        .join(Track, Track.id == ListenEvent.track_id)
        .where(
            ListenEvent.user_id == user_id,
            ListenEvent.played_at >= _moment(low),
            ListenEvent.played_at <= _moment(high),
        )
    )
    for key, played_at in rows:
        known[key].append(int(played_at.timestamp()))
    if in_flight is not None:
        for start, track in in_flight.plays():
            if low <= start <= high:
                known[track.match_key].append(start)
    for times in known.values():
        times.sort()

    # Per spelling: its song (numbered), the song's stored starts, and how close counts as
    # the same play.
    songs: dict[str, int] = {}
    windows: dict[int | None, int] = {}
    checks = []
    for track in tracks:
        window = windows.get(track.duration_ms)
        if window is None:
            # Whole seconds, rounded down: starts are whole seconds too.
            window = windows[track.duration_ms] = int(tolerance(track.duration_ms).total_seconds())
        song = songs.setdefault(track.match_key, len(songs))
        checks.append((song, known.get(track.match_key), window))
    # Plays are taken in start order, so the nearest earlier new play of a song is the last
    # one kept: one comparison, where the stored plays need a search on both sides.
    last_kept: list[int | None] = [None] * len(songs)
    spelling = batch.spelling
    fresh = []
    for index in order:
        start = starts[index]
        song, stored, window = checks[spelling[index]]
        last = last_kept[song]
        if last is not None and start - last <= window:
            continue
        if stored:
            at = bisect.bisect_left(stored, start - window)
            if at < len(stored) and stored[at] <= start + window:
                continue
        last_kept[song] = start
        fresh.append(index)
    return fresh


class HourOffsets(dict[int, int | None]):
    """A zone's offset from UTC in seconds through each UTC hour (hours since the epoch),
    filled in as asked for: None for an hour in which the clocks change, whose plays ask
    `at` for their own second. A dict, so that a million plays cost a lookup each, not a
    call (an import's per-play loops read it inline)."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__()
        self.zone = zone

    def at(self, start: int) -> int:
        moment = datetime.fromtimestamp(start, self.zone)
        return int(moment.utcoffset().total_seconds())  # type: ignore[union-attr]

    def __missing__(self, hour: int) -> int | None:
        # Clocks change at most once in an hour: the same offset at its first and last
        # second holds all through it.
        first = self.at(hour * 3600)
        held = first if self.at(hour * 3600 + 3599) == first else None
        self[hour] = held
        return held


def local_hours_of(zone: ZoneInfo) -> Callable[[int], int]:
    """A function from a play's start (seconds since the epoch) to its local wall-clock hour
    in the member's zone, counted in hours since 1970-01-01 00:00 on that clock.

    The rollups' hours and months come from here (or its HourOffsets, inline) on both
    databases, with Python's zoneinfo: the same rules the statistics use for their local
    midnights.
    """
    offsets = HourOffsets(zone)

    def local_hour(start: int) -> int:
        here = offsets[start // 3600]
        if here is None:
            here = offsets.at(start)
        return (start + here) // 3600

    return local_hour


def _local_clock(local_hour: int) -> datetime:
    """A local hour as local_hours_of counts it, as a naive wall-clock time."""
    return _NAIVE_EPOCH + timedelta(hours=local_hour)


# The staging table of a batch's new plays: the start in seconds and the local hour, computed
# in Python (local_hours_of), and the rest as listen_events takes it; the member and the time
# of storing are the statement's parameters. Plays stay plain ints until PostgreSQL converts
# them: one f-string line per play and one text COPY cost about two-thirds of building
# datetimes and writing binary COPY row by row (0.28 s against 0.40 s per 100,000 plays).
_STAGE_PLAYS = """
CREATE TEMPORARY TABLE IF NOT EXISTS listen_plays_incoming (
    start bigint, track_id uuid, source varchar(32), source_id varchar(128),
    ms_played integer, heard_ms integer, local_hour bigint
) ON COMMIT DELETE ROWS
"""

# One statement stores the staged plays and folds them into the six rollups, set-based
# inside PostgreSQL. The rollups count every staged play; the caller compares the plays
# inserted with those staged and recounts the member when a concurrent writer stored some
# first. Each rollup is written in key order, so two writers for one member lock its rows
# in the same order and cannot deadlock.
#
# The staged plays are read three times, as stored ints: for the insert, per local hour and
# per local month and track (some 30,000 rows for 100,000 plays). Everything else folds
# those monthly counts: per track, joined to `tracks` once for the album, artist key and
# name the per-period rollups and the artists need, and per year. Times and dates are made
# on the grouped rows, not on every play.
_STORE_STATEMENT = """
WITH inserted AS (
    INSERT INTO listen_events (user_id, played_at, track_id, source, source_id, ms_played,
                               created_at)
    -- In the order staged, which is the key's (_as_copy_text writes the lines by start, then
    -- track): sorting the staged plays again cost the statement 7 %.
    SELECT :user_id, to_timestamp(start), track_id, source, source_id, ms_played, :now
    FROM listen_plays_incoming
    -- on conflict --
    RETURNING 1
), hours AS (
    INSERT INTO listen_hour_counts AS stored (user_id, local_hour, plays, ms_played)
    SELECT :user_id, timestamp '1970-01-01' + local_hour * interval '1 hour', count(*),
           sum(heard_ms)
    FROM listen_plays_incoming GROUP BY local_hour ORDER BY local_hour
    ON CONFLICT (user_id, local_hour) DO UPDATE
    SET plays = stored.plays + excluded.plays, ms_played = stored.ms_played + excluded.ms_played
), per_month AS (
    SELECT date_trunc('month', timestamp '1970-01-01' + local_hour * interval '1 hour')::date
               AS local_month,
           track_id, count(*) AS plays, min(start) AS first_start
    FROM listen_plays_incoming GROUP BY 1, 2
), per_track AS (
    SELECT counted.*, tracks.album_id, split_part(tracks.match_key, :separator, 1) AS artist_key,
           tracks.artist_name
    FROM (
        SELECT track_id, sum(plays) AS plays, min(first_start) AS first_start
        FROM per_month GROUP BY track_id
    ) AS counted JOIN tracks ON tracks.id = counted.track_id
), months AS (
    INSERT INTO listen_month_track_counts AS stored
        (user_id, local_month, track_id, album_id, artist_key, plays)
    SELECT :user_id, per_month.local_month, per_month.track_id, per_track.album_id,
           per_track.artist_key, per_month.plays
    FROM per_month JOIN per_track ON per_track.track_id = per_month.track_id
    ORDER BY per_month.local_month, per_month.track_id
    ON CONFLICT (user_id, local_month, track_id) DO UPDATE
    SET plays = stored.plays + excluded.plays
), per_year AS (
    SELECT per_year.local_year, per_year.track_id, per_track.album_id, per_track.artist_key,
           per_year.plays
    FROM (
        -- The month as a plain timestamp: date_trunc of a date would take the session's zone.
        SELECT date_trunc('year', local_month::timestamp)::date AS local_year, track_id,
               sum(plays) AS plays
        FROM per_month GROUP BY 1, 2
    ) AS per_year JOIN per_track ON per_track.track_id = per_year.track_id
), years AS (
    INSERT INTO listen_year_track_counts AS stored
        (user_id, local_year, track_id, album_id, artist_key, plays)
    SELECT :user_id, local_year, track_id, album_id, artist_key, plays FROM per_year
    ORDER BY local_year, track_id
    ON CONFLICT (user_id, local_year, track_id) DO UPDATE
    SET plays = stored.plays + excluded.plays
), year_albums AS (
    INSERT INTO listen_year_album_counts AS stored (user_id, local_year, album_id, plays)
    SELECT :user_id, local_year, album_id, sum(plays) FROM per_year
    GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (user_id, local_year, album_id) DO UPDATE
    SET plays = stored.plays + excluded.plays
), year_artists AS (
    INSERT INTO listen_year_artist_counts AS stored (user_id, local_year, artist_key, plays)
    SELECT :user_id, local_year, artist_key, sum(plays) FROM per_year
    GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (user_id, local_year, artist_key) DO UPDATE
    SET plays = stored.plays + excluded.plays
), artists AS (
    -- The catalog's spelling of the artist on the track heard first names them.
    INSERT INTO listen_artist_totals AS stored
        (user_id, artist_key, artist_name, plays, first_played_at)
    SELECT :user_id, artist_key, (array_agg(artist_name ORDER BY first_start))[1], sum(plays),
           to_timestamp(min(first_start))
    FROM per_track GROUP BY artist_key ORDER BY artist_key
    ON CONFLICT (user_id, artist_key) DO UPDATE
    SET plays = stored.plays + excluded.plays,
        -- The name it was first heard under follows the earliest play.
        artist_name = CASE WHEN excluded.first_played_at < stored.first_played_at
                           THEN excluded.artist_name ELSE stored.artist_name END,
        first_played_at = least(stored.first_played_at, excluded.first_played_at)
)
SELECT count(*) FROM inserted
"""
# The plays are inserted as new first: the batch was checked against what is stored, and
# ON CONFLICT's speculative insertion made the insert a third slower (a quarter of the whole
# statement: 1,080 against 1,480 ms per 100,000 plays). Only when a concurrent writer stored
# some of them since the check does the insert fail; it then runs again, skipping those.
_STORE_NEW_ON_POSTGRES = _STORE_STATEMENT.replace("    -- on conflict --\n", "")
_STORE_ON_POSTGRES = _STORE_STATEMENT.replace("-- on conflict --", "ON CONFLICT DO NOTHING")

_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _as_copy_text(prepared: PreparedListens, zone: ZoneInfo) -> str:
    """The prepared plays as lines of text COPY into listen_plays_incoming, in the order of
    listen_events' key within the member: by start, then track (a UUID's text sorts as its
    bytes do), so that the insert appends to the index and two writers of one member take
    its entries in the same order."""
    offsets = HourOffsets(zone)
    batch = prepared.batch
    start, spelling, ms_played = batch.start, batch.spelling, batch.ms_played
    source, source_id = batch.source, batch.source_id
    track_ids = [str(track.id) for track in prepared.tracks]
    lengths = [track.duration_ms or 0 for track in prepared.tracks]
    null = _NULL
    lines = []
    for index in prepared.fresh:
        at, ms, made_by, of = start[index], ms_played[index], source_id[index], spelling[index]
        here = offsets[at // 3600]  # local_hours_of, inline
        if here is None:
            here = offsets.at(at)
        # Time heard: the play's own, else its track's length (as in _add_to_rollups).
        lines.append(
            f"{at}\t{track_ids[of]}\t{source[index]}\t"
            f"{null if made_by is None else _copy_text(made_by)}\t"
            f"{null if ms is None else ms}\t{lengths[of] if ms is None else ms}\t"
            f"{(at + here) // 3600}\n"
        )
    # Each line starts with the start and the track: text order is the key's, as every
    # start has ten digits (plays are checked to fall between 2002 and the next hour; 2286
    # brings an eleventh). `fresh` is by start already, so this only orders the plays of
    # one second, at a third of the cost of sorting by a (start, track) key.
    lines.sort()
    return "".join(lines)


def _store_on_postgres(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, prepared: PreparedListens
) -> int:
    """Text COPY into a staging table, then one statement inserts and rolls up; returns how
    many plays went in (a concurrent writer may have stored some first)."""
    plays = prepared.copy_text
    if plays is None or prepared.zone != zone.key:
        plays = _as_copy_text(prepared, zone)  # the member's zone changed since
    connection = session.connection()
    connection.execute(text(_STAGE_PLAYS))
    # Emptied at commit; emptied here too for a second batch in one transaction.
    connection.execute(text("TRUNCATE listen_plays_incoming"))
    driver = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy("COPY listen_plays_incoming FROM STDIN") as copy,
    ):
        copy.write(plays)
    # The default 4 MB makes a batch's sorts (key order, per artist) spill to disk.
    connection.execute(text("SET LOCAL work_mem = '64MB'"))
    values = {"user_id": user_id, "now": utcnow(), "separator": KEY_SEPARATOR}
    try:
        with session.begin_nested():  # the SAVEPOINT is sent when asked for its connection
            statement = text(_STORE_NEW_ON_POSTGRES)
            inserted = int(session.connection().execute(statement, values).scalar_one())
    except IntegrityError as error:
        if not isinstance(error.orig, UniqueViolation):
            raise
        inserted = int(connection.execute(text(_STORE_ON_POSTGRES), values).scalar_one())
    if inserted != len(prepared.fresh):
        # Someone stored some of these plays between our check and our insert, and the
        # rollups above counted them again: recount the member.
        rebuild_rollups(session, user_id)
    return inserted


def _sqlite_time(start: int) -> str:
    # Exactly what UTCDateTime + SQLAlchemy's SQLite DATETIME write: naive UTC, microseconds.
    return f"{_NAIVE_EPOCH + timedelta(seconds=start)}.000000"


_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO listen_events "
    "(user_id, played_at, track_id, source, source_id, ms_played, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _store_on_sqlite(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, prepared: PreparedListens
) -> int:
    """One executemany below SQLAlchemy's per-value type processing, which costs more than
    SQLite's insert itself; the values are written as the column types would write them
    (tests/listening/test_ingest.py reads them back through the ORM). Then the rollups."""
    batch = prepared.batch
    start, spelling, ms_played = batch.start, batch.spelling, batch.ms_played
    source, source_id = batch.source, batch.source_id
    user = user_id.hex
    created = utcnow().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    track_ids = [track.id.hex for track in prepared.tracks]
    rows = [
        (
            user,
            _sqlite_time(start[index]),
            track_ids[spelling[index]],
            source[index],
            source_id[index],
            ms_played[index],
            created,
        )
        for index in prepared.fresh
    ]
    inserted = int(session.connection().exec_driver_sql(_SQLITE_INSERT, rows).rowcount)
    if inserted == len(prepared.fresh):
        tracks = prepared.tracks
        _add_to_rollups(
            session,
            user_id,
            zone,
            ((tracks[spelling[index]], start[index], ms_played[index]) for index in prepared.fresh),
        )
    else:
        # Someone stored some of these plays between our check and our insert: recount.
        rebuild_rollups(session, user_id)
    return inserted


# (the track, start of the play in seconds since the epoch, milliseconds heard if known)
Heard = tuple[ResolvedTrack, int, int | None]


def _add_to_rollups(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, plays: Iterable[Heard]
) -> None:
    """Fold plays into the member's rollups: per local hour, per local month and track, per
    local year and track, album and artist, per artist. Each is merged with what is stored
    (sums, the earliest play). A play's time heard is its own, else its track's length. The
    per-track rows carry their track's album and artist key, written with a new row only."""
    hours: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    track_of: dict[uuid.UUID, ResolvedTrack] = {}
    months: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    years: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    month_of: dict[int, date] = {}
    artists: dict[str, list[Any]] = {}
    local_hour = local_hours_of(zone)
    for track, start, ms_played in plays:
        heard_ms = ms_played if ms_played is not None else track.duration_ms or 0
        local = local_hour(start)
        hour = hours[local]
        hour[0] += 1
        hour[1] += heard_ms
        month = month_of.get(local)
        if month is None:
            clock = _local_clock(local)
            month = month_of[local] = date(clock.year, clock.month, 1)
        months[(month, track.id)] += 1
        years[(month.replace(month=1), track.id)] += 1
        track_of.setdefault(track.id, track)
        artist = artists.get(track.artist_key)
        if artist is None:
            artists[track.artist_key] = [track.artist_name, 1, start]
        else:
            artist[1] += 1
            if start < artist[2]:
                artist[0], artist[2] = track.artist_name, start
    lesser = func.least if session.get_bind().dialect.name == "postgresql" else func.min

    def placed(track_id: uuid.UUID) -> dict[str, Any]:
        track = track_of[track_id]
        return {"track_id": track_id, "album_id": track.album_id, "artist_key": track.artist_key}

    hour_table: Table = ListenHourCount.__table__  # type: ignore[assignment]
    write_rows(
        session,
        hour_table,
        [
            {"user_id": user_id, "local_hour": _local_clock(hour), "plays": count, "ms_played": ms}
            for hour, (count, ms) in hours.items()
        ],
        conflict=["user_id", "local_hour"],
        update=lambda excluded: {
            "plays": hour_table.c.plays + excluded.plays,
            "ms_played": hour_table.c.ms_played + excluded.ms_played,
        },
    )

    def add_plays(model: Any, key: list[str], rows: list[dict[str, Any]]) -> None:
        """Add plays to a per-period rollup: its rows are new, or add to those stored."""
        table: Table = model.__table__
        write_rows(
            session,
            table,
            rows,
            conflict=["user_id", *key],
            update=lambda excluded: {"plays": table.c.plays + excluded.plays},
        )

    for model, period, counts in (
        (ListenMonthTrackCount, "local_month", months),
        (ListenYearTrackCount, "local_year", years),
    ):
        add_plays(
            model,
            [period, "track_id"],
            [
                {"user_id": user_id, period: first_day, **placed(track_id), "plays": count}
                for (first_day, track_id), count in counts.items()
            ],
        )
    # The yearly per-track counts summed by their album, and by their artist.
    year_albums: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    year_artists: dict[tuple[date, str], int] = defaultdict(int)
    for (year, track_id), count in years.items():
        track = track_of[track_id]
        year_albums[(year, track.album_id)] += count
        year_artists[(year, track.artist_key)] += count
    for rollup, column, per_year in (
        (ListenYearAlbumCount, "album_id", year_albums),
        (ListenYearArtistCount, "artist_key", year_artists),
    ):
        add_plays(
            rollup,
            ["local_year", column],
            [
                {"user_id": user_id, "local_year": year, column: key, "plays": count}
                for (year, key), count in per_year.items()
            ],
        )
    artist_table: Table = ListenArtistTotal.__table__  # type: ignore[assignment]
    write_rows(
        session,
        artist_table,
        [
            {
                "user_id": user_id,
                "artist_key": key,
                "artist_name": name,
                "plays": count,
                "first_played_at": _moment(first),
            }
            for key, (name, count, first) in artists.items()
        ],
        conflict=["user_id", "artist_key"],
        update=lambda excluded: {
            "plays": artist_table.c.plays + excluded.plays,
            # The name it was first heard under follows the earliest play.
            "artist_name": case(
                (excluded.first_played_at < artist_table.c.first_played_at, excluded.artist_name),
                else_=artist_table.c.artist_name,
            ),
            "first_played_at": lesser(artist_table.c.first_played_at, excluded.first_played_at),
        },
    )


def rebuild_rollups(session: Session, user_id: uuid.UUID) -> None:
    """Recount a member's rollups from their plays (after a time-zone change or a race)."""
    user = get_user_for_writing_listens(session, user_id)
    session.execute(delete(ListenHourCount).where(ListenHourCount.user_id == user_id))
    session.execute(delete(ListenMonthTrackCount).where(ListenMonthTrackCount.user_id == user_id))
    session.execute(delete(ListenYearTrackCount).where(ListenYearTrackCount.user_id == user_id))
    session.execute(delete(ListenYearAlbumCount).where(ListenYearAlbumCount.user_id == user_id))
    session.execute(delete(ListenYearArtistCount).where(ListenYearArtistCount.user_id == user_id))
    session.execute(delete(ListenArtistTotal).where(ListenArtistTotal.user_id == user_id))
    rows = session.execute(
        select(
            ListenEvent.played_at,
            ListenEvent.ms_played,
            Track.id,
            Track.album_id,
            Track.duration_ms,
            Track.match_key,
            Track.artist_name,
        )
        .join(Track, Track.id == ListenEvent.track_id)
        .where(ListenEvent.user_id == user_id)
        .execution_options(yield_per=50_000)
    )
    zone = ZoneInfo(user.timezone)
    tracks: dict[uuid.UUID, ResolvedTrack] = {}  # each track made once, not once per play

    def heard(partition: Sequence[Any]) -> Iterator[Heard]:
        for played_at, ms_played, track_id, album_id, duration_ms, key, name in partition:
            track = tracks.get(track_id)
            if track is None:
                track = tracks[track_id] = ResolvedTrack(
                    track_id, album_id, duration_ms, key, artist_key_of(key), name
                )
            yield track, int(played_at.timestamp()), ms_played

    for partition in rows.partitions():
        _add_to_rollups(session, user_id, zone, heard(partition))


# --- whole export files ------------------------------------------------------------------


@dataclass
class ImportSummary:
    files: int = 0
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    error_count: int = 0  # all of them; `errors` keeps the reader's first 1,000
    ignored: dict[str, str] = field(default_factory=dict)  # files in a zip that hold no plays

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
        for name, why in self.ignored.items():
            lines.append(f"ignored: {name}: {why}")
        for error in self.errors[:20]:
            where = " ".join(part for part in (error["file"], error["position"]) if part)
            lines.append(f"error: {where}: {error['reason']}")
        if self.error_count > 20:
            listed = "" if self.error_count == len(self.errors) else ", the first 1,000 of them"
            lines.append(f"… and {self.error_count - 20:,} more errors (--json lists them{listed})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.errors,
            "error_count": self.error_count,
            "ignored": self.ignored,
        }


def summarize(report: ReadReport, result: IngestResult) -> ImportSummary:
    """What an import of files did: the reader's counts and problems, and the ingest's."""
    return ImportSummary(
        files=report.files,
        read=report.read,
        imported=result.inserted,
        duplicates=result.duplicates,
        skipped=dict(report.skipped),
        errors=[
            {"file": problem.file, "position": problem.position, "reason": problem.reason}
            for problem in report.problems
        ]
        + [
            {"file": "", "position": f"play {rejection.index + 1}", "reason": rejection.reason}
            for rejection in result.rejected
        ],
        error_count=report.problem_count + len(result.rejected),
        ignored=dict(report.ignored),
    )


UPLOAD_BATCH = 50_000


def import_export_file(
    session: Session,
    user_id: uuid.UUID,
    uploader_id: uuid.UUID | None,
    records: Iterable[ListenRecord],
    report: ReadReport,
) -> ImportSummary:
    """Import one uploaded export file's plays for a member, in the caller's transaction.

    `records` is read lazily (connectors.files), filling `report` as it goes, and only once
    the uploader is known to be the member: only they may upload their history.
    """
    if uploader_id is None:
        raise Unauthorized(
            "Sign in with your own token to import", details={"authorization": "missing"}
        )
    if uploader_id != user_id:
        raise Forbidden("Members import only their own history", details={"user_id": "not you"})
    get_user(session, user_id)
    total = IngestResult()
    records = iter(records)
    # All batches share the request's transaction, so each one's tracks stay good for the next.
    known_tracks = TrackCache()
    while batch := list(islice(records, UPLOAD_BATCH)):
        total.add(
            ingest_listens(session, user_id, batch, known_tracks=known_tracks),
            offset=total.received,
        )
        known_tracks.keep()
    return summarize(report, total)
