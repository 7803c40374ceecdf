"""Storing members' plays: validation, cross-source de-duplication, insertion and rollups.

The rule for "the same play" (docs/listening.md): one member, one track, and start times
closer than the tolerance — 90 seconds, or half the track's length when that is shorter.
Sources disagree on a play's time by up to about a minute, while two real plays of one
track start at least its length apart, so half the length never merges two real plays.
"""

import bisect
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, DateTime, Table, case, delete, func, select, text
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Track
from sidetrack.catalog.normalize import KEY_SEPARATOR, artist_key_of
from sidetrack.catalog.resolve import ResolvedTrack, TrackCache, TrackRef, resolve_tracks
from sidetrack.core.bulk import stage_rows, write_rows
from sidetrack.core.errors import Forbidden, Unauthorized
from sidetrack.core.types import utcnow
from sidetrack.listening.models import (
    ListenArtistTotal,
    ListenEvent,
    ListenHourCount,
    ListenMonthTrackCount,
    ListenTrackTotal,
    ListenYearTrackCount,
)
from sidetrack.listening.records import EARLIEST_PLAY, FUTURE_SLACK, ListenRecord, ReadReport
from sidetrack.users.service import get_user, get_user_for_writing_listens

MAX_TOLERANCE = timedelta(seconds=90)
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


def _problem(record: ListenRecord, latest: datetime) -> str | None:
    artist, title, album = record.artist_name, record.track_title, record.album_title
    if not artist or artist.isspace():
        return "artist_name is empty"
    if not title or title.isspace():
        return "track_title is empty"
    if "\x00" in artist or "\x00" in title or (album and "\x00" in album):
        return "a name contains a NUL character"
    played_at = record.played_at
    if played_at.tzinfo is None:
        return "played_at has no time zone"
    if played_at < EARLIEST_PLAY:
        return "played_at is before 2002-10-01"
    if played_at > latest:
        return "played_at is in the future"
    if record.ms_played is not None and record.ms_played < 0:
        return "ms_played is negative"
    return None


def _ref(record: ListenRecord) -> TrackRef:
    return TrackRef(
        artist_name=" ".join(record.artist_name.split())[:NAME_LIMIT],
        track_title=" ".join(record.track_title.split())[:NAME_LIMIT],
        album_title=" ".join(record.album_title.split())[:NAME_LIMIT]
        if record.album_title
        else None,
        duration_ms=record.duration_ms,
        recording_mbid=record.recording_mbid,
        spotify_track_id=record.spotify_track_id,
        isrc=record.isrc,
    )


# A play on its way in: its start (UTC, whole seconds), its track, and the play as reported.
# A tuple, not an object: a batch makes a hundred thousand of them.
_Play = tuple[datetime, ResolvedTrack, ListenRecord]
_start_of = itemgetter(0)


@dataclass
class PreparedListens:
    """A batch checked, resolved to tracks and rid of duplicates, ready to be stored."""

    result: IngestResult  # received, rejected and duplicates so far
    plays: list[_Play]  # the new plays, by start time


def ingest_listens(
    session: Session,
    user_id: uuid.UUID,
    records: Sequence[ListenRecord],
    *,
    known_tracks: TrackCache | None = None,
) -> IngestResult:
    """Store one batch of a member's plays: valid ones in, duplicates counted, bad ones named.

    Atomic with the caller's transaction: this only flushes. An import of many batches
    passes `known_tracks` so that each spelling of a track is looked up once.
    """
    prepared = prepare_listens(session, user_id, records, known_tracks=known_tracks)
    return store_listens(session, user_id, prepared)


def prepare_listens(
    session: Session,
    user_id: uuid.UUID,
    records: Sequence[ListenRecord],
    *,
    known_tracks: TrackCache | None = None,
    in_flight: Sequence[_Play] = (),
) -> PreparedListens:
    """The first half of `ingest_listens`: check the records, resolve their tracks (creating
    new ones) and drop the plays already stored, repeated in the batch, or among `in_flight`:
    plays of an earlier batch that may not be committed yet (a pipelined import's)."""
    user = get_user_for_writing_listens(session, user_id)
    result = IngestResult(received=len(records))
    latest = utcnow() + FUTURE_SLACK
    # Plays repeat tracks (a few thousand tracks make a million plays): one ref per spelling.
    spellings: dict[tuple[Any, ...], list[ListenRecord]] = {}
    for index, record in enumerate(records):
        problem = _problem(record, latest)
        if problem:
            result.rejected.append(Rejection(index, problem))
            continue
        key = (
            record.artist_name,
            record.track_title,
            record.album_title,
            record.spotify_track_id,
            record.recording_mbid,
            record.duration_ms,
            record.isrc,
        )
        same = spellings.get(key)
        if same is None:
            spellings[key] = [record]
        else:
            same.append(record)
    if not spellings:
        return PreparedListens(result, [])

    refs = [_ref(same[0]) for same in spellings.values()]
    plays: list[_Play] = []
    append = plays.append
    for track, same in zip(
        resolve_tracks(session, refs, known_tracks), spellings.values(), strict=True
    ):
        for record in same:
            played_at = record.played_at
            if played_at.tzinfo is not UTC:
                played_at = played_at.astimezone(UTC)
            if played_at.microsecond:
                played_at = played_at.replace(microsecond=0)
            append((played_at, track, record))
    plays.sort(key=_start_of)
    fresh = _drop_duplicates(session, user.id, plays, in_flight)
    result.duplicates = len(plays) - len(fresh)
    return PreparedListens(result, fresh)


def store_listens(session: Session, user_id: uuid.UUID, prepared: PreparedListens) -> IngestResult:
    """The second half of `ingest_listens`: insert the prepared plays and count them into the
    member's rollups. Plays someone stored meanwhile are skipped and counted as duplicates."""
    result = prepared.result
    if not prepared.plays:
        return result
    user = get_user_for_writing_listens(session, user_id)
    zone = ZoneInfo(user.timezone)
    if session.get_bind().dialect.name == "postgresql":
        inserted = _store_on_postgres(session, user.id, zone, prepared.plays)
    else:
        inserted = _store_on_sqlite(session, user.id, zone, prepared.plays)
    result.inserted = inserted
    result.duplicates += len(prepared.plays) - inserted
    return result


def _drop_duplicates(
    session: Session, user_id: uuid.UUID, plays: list[_Play], in_flight: Sequence[_Play] = ()
) -> list[_Play]:
    """Plays that are neither stored already, among `in_flight`, nor repeated earlier in
    this batch.

    "The same track" is the same song, whatever album a source put it on: Spotify's account
    data and many scrobbles name no album, so their plays sit on the artist's unknown album.
    """
    known: dict[str, list[datetime]] = defaultdict(list)
    low = plays[0][0] - MAX_TOLERANCE
    high = plays[-1][0] + MAX_TOLERANCE
    stored = session.execute(
        select(Track.match_key, ListenEvent.played_at)
        .join(Track, Track.id == ListenEvent.track_id)
        .where(
            ListenEvent.user_id == user_id,
            ListenEvent.played_at >= low,
            ListenEvent.played_at <= high,
        )
    )
    for key, played_at in stored:
        known[key].append(played_at)
    for played_at, track, _record in in_flight:
        if low <= played_at <= high:
            known[track.match_key].append(played_at)
    for times in known.values():
        times.sort()

    windows: dict[int | None, timedelta] = {}
    fresh = []
    for play in plays:
        played_at, track, _record = play
        times = known[track.match_key]
        window = windows.get(track.duration_ms)
        if window is None:
            window = windows[track.duration_ms] = tolerance(track.duration_ms)
        at = bisect.bisect_left(times, played_at - window)
        if at < len(times) and times[at] <= played_at + window:
            continue
        bisect.insort(times, played_at)
        fresh.append(play)
    return fresh


_PLAY_COLUMNS = (
    "user_id",
    "played_at",
    "track_id",
    "source",
    "source_id",
    "ms_played",
    "created_at",
)


def local_hour_of(zone: ZoneInfo) -> Callable[[datetime], datetime]:
    """A function from an instant to the member's local wall-clock hour (naive).

    The rollups' hours and months come from here on both databases, with Python's zoneinfo:
    the same rules the statistics use for their local midnights.
    """
    cache: dict[int, datetime] = {}  # hours since the epoch → local hour; zones are slow

    def local_hour(played_at: datetime) -> datetime:
        utc_hour = int(played_at.timestamp()) // 3600  # thrice as fast as .replace(…)
        local = cache.get(utc_hour)
        if local is None:
            # Whole-hour offsets map UTC hours to local hours; others (India's +5:30) need
            # the play's own minute, so only whole-hour zones are cached.
            aware = played_at.astimezone(zone)
            local = aware.replace(minute=0, second=0, microsecond=0, tzinfo=None)
            offset = aware.utcoffset()
            if offset is not None and offset.total_seconds() % 3600 == 0:
                cache[utc_hour] = local
        return local

    return local_hour


# Staged beside each play: its local hour, computed in Python (local_hour_of).
_LOCAL_HOUR = Column("local_hour", DateTime(timezone=False))

# One statement stores the staged plays and folds them into the five rollups, set-based
# inside PostgreSQL. The rollups count every staged play; the caller compares the plays
# inserted with those staged and recounts the member when a concurrent writer stored some
# first. Each rollup is written in key order, so two writers for one member lock its rows
# in the same order and cannot deadlock.
_STORE_ON_POSTGRES = """
WITH inserted AS (
    INSERT INTO listen_events (user_id, played_at, track_id, source, source_id, ms_played,
                               created_at)
    SELECT user_id, played_at, track_id, source, source_id, ms_played, created_at
    FROM {incoming}
    ORDER BY user_id, played_at, track_id
    ON CONFLICT DO NOTHING
    RETURNING 1
), heard AS (
    SELECT staged.played_at, staged.track_id, staged.local_hour,
           coalesce(staged.ms_played, tracks.duration_ms, 0) AS ms
    FROM {incoming} AS staged JOIN tracks ON tracks.id = staged.track_id
), per_track AS (
    SELECT track_id, count(*) AS plays, sum(ms) AS ms,
           min(played_at) AS first_played_at, max(played_at) AS last_played_at
    FROM heard GROUP BY track_id
), hours AS (
    INSERT INTO listen_hour_counts AS stored (user_id, local_hour, plays, ms_played)
    SELECT :user_id, local_hour, count(*), sum(ms)
    FROM heard GROUP BY local_hour ORDER BY local_hour
    ON CONFLICT (user_id, local_hour) DO UPDATE
    SET plays = stored.plays + excluded.plays, ms_played = stored.ms_played + excluded.ms_played
), totals AS (
    INSERT INTO listen_track_totals AS stored
        (user_id, track_id, plays, ms_played, first_played_at, last_played_at)
    SELECT :user_id, track_id, plays, ms, first_played_at, last_played_at
    FROM per_track ORDER BY track_id
    ON CONFLICT (user_id, track_id) DO UPDATE
    SET plays = stored.plays + excluded.plays,
        ms_played = stored.ms_played + excluded.ms_played,
        first_played_at = least(stored.first_played_at, excluded.first_played_at),
        last_played_at = greatest(stored.last_played_at, excluded.last_played_at)
), months AS (
    INSERT INTO listen_month_track_counts AS stored (user_id, local_month, track_id, plays)
    SELECT :user_id, date_trunc('month', local_hour)::date, track_id, count(*)
    FROM heard GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (user_id, local_month, track_id) DO UPDATE
    SET plays = stored.plays + excluded.plays
), years AS (
    INSERT INTO listen_year_track_counts AS stored (user_id, local_year, track_id, plays)
    SELECT :user_id, date_trunc('year', local_hour)::date, track_id, count(*)
    FROM heard GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (user_id, local_year, track_id) DO UPDATE
    SET plays = stored.plays + excluded.plays
), artists AS (
    -- From the per-track counts (a few thousand rows, not every play): the catalog's
    -- spelling of the artist on the track heard first names them.
    INSERT INTO listen_artist_totals AS stored
        (user_id, artist_key, artist_name, plays, first_played_at)
    SELECT :user_id, split_part(tracks.match_key, :separator, 1),
           (array_agg(tracks.artist_name ORDER BY per_track.first_played_at))[1],
           sum(per_track.plays), min(per_track.first_played_at)
    FROM per_track JOIN tracks ON tracks.id = per_track.track_id
    GROUP BY 2 ORDER BY 2
    ON CONFLICT (user_id, artist_key) DO UPDATE
    SET plays = stored.plays + excluded.plays,
        -- The name it was first heard under follows the earliest play.
        artist_name = CASE WHEN excluded.first_played_at < stored.first_played_at
                           THEN excluded.artist_name ELSE stored.artist_name END,
        first_played_at = least(stored.first_played_at, excluded.first_played_at)
)
SELECT count(*) FROM inserted
"""


def _store_on_postgres(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, plays: list[_Play]
) -> int:
    """Binary COPY into a staging table, then one statement inserts and rolls up; returns
    how many plays went in (a concurrent writer may have stored some first)."""
    now = utcnow()
    local_hour = local_hour_of(zone)
    table: Table = ListenEvent.__table__  # type: ignore[assignment]
    staged = stage_rows(
        session,
        table,
        _PLAY_COLUMNS,
        (
            # A ListenSource is a str: psycopg writes its value.
            (
                user_id,
                played_at,
                track.id,
                record.source,
                record.source_id,
                record.ms_played,
                now,
                local_hour(played_at),
            )
            for played_at, track, record in plays
        ),
        extra_columns=[_LOCAL_HOUR],
    )
    # The default 4 MB makes a batch's sorts (key order, per artist) spill to disk.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    # The staging table's name is ours (core.bulk), not input.
    statement = text(_STORE_ON_POSTGRES.format(incoming=f'"{staged.name}"'))
    inserted = int(
        session.execute(statement, {"user_id": user_id, "separator": KEY_SEPARATOR}).scalar_one()
    )
    if inserted != len(plays):
        # Someone stored some of these plays between our check and our insert, and the
        # rollups above counted them again: recount the member.
        rebuild_rollups(session, user_id)
    return inserted


def _sqlite_time(moment: datetime) -> str:
    # Exactly what UTCDateTime + SQLAlchemy's SQLite DATETIME write: naive UTC, microseconds.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO listen_events "
    "(user_id, played_at, track_id, source, source_id, ms_played, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _store_on_sqlite(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, plays: list[_Play]
) -> int:
    """One executemany below SQLAlchemy's per-value type processing, which costs more than
    SQLite's insert itself; the values are written as the column types would write them
    (tests/listening/test_ingest.py reads them back through the ORM). Then the rollups."""
    user, created = user_id.hex, _sqlite_time(utcnow())
    rows = [
        (
            user,
            _sqlite_time(played_at),
            track.id.hex,
            record.source.value,
            record.source_id,
            record.ms_played,
            created,
        )
        for played_at, track, record in plays
    ]
    inserted = int(session.connection().exec_driver_sql(_SQLITE_INSERT, rows).rowcount)
    if inserted == len(plays):
        _add_to_rollups(
            session,
            user_id,
            zone,
            ((track, played_at, _heard_ms(track, record)) for played_at, track, record in plays),
        )
    else:
        # Someone stored some of these plays between our check and our insert: recount.
        rebuild_rollups(session, user_id)
    return inserted


def _heard_ms(track: ResolvedTrack, record: ListenRecord) -> int:
    if record.ms_played is not None:
        return record.ms_played
    return track.duration_ms or 0


# (the track, start of the play, milliseconds heard)
Heard = tuple[ResolvedTrack, datetime, int]


def _add_to_rollups(
    session: Session, user_id: uuid.UUID, zone: ZoneInfo, plays: Iterable[Heard]
) -> None:
    """Fold plays into the member's rollups: per local hour, per track, per local month and
    track, per local year and track, per artist. Each is merged with what is stored (sums,
    earliest and latest)."""
    hours: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    totals: dict[uuid.UUID, list[Any]] = {}
    months: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    years: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    artists: dict[str, list[Any]] = {}
    local_hour = local_hour_of(zone)
    for track, played_at, heard_ms in plays:
        local = local_hour(played_at)
        hour = hours[local]
        hour[0] += 1
        hour[1] += heard_ms
        months[(date(local.year, local.month, 1), track.id)] += 1
        years[(date(local.year, 1, 1), track.id)] += 1
        total = totals.get(track.id)
        if total is None:
            totals[track.id] = [1, heard_ms, played_at, played_at]
        else:
            total[0] += 1
            total[1] += heard_ms
            total[2] = min(total[2], played_at)
            total[3] = max(total[3], played_at)
        artist = artists.get(track.artist_key)
        if artist is None:
            artists[track.artist_key] = [track.artist_name, 1, played_at]
        else:
            artist[1] += 1
            if played_at < artist[2]:
                artist[0], artist[2] = track.artist_name, played_at
    lesser, greater = _least_greatest(session)
    hour_table: Table = ListenHourCount.__table__  # type: ignore[assignment]
    write_rows(
        session,
        hour_table,
        [
            {"user_id": user_id, "local_hour": hour, "plays": count, "ms_played": ms}
            for hour, (count, ms) in hours.items()
        ],
        conflict=["user_id", "local_hour"],
        update=lambda excluded: {
            "plays": hour_table.c.plays + excluded.plays,
            "ms_played": hour_table.c.ms_played + excluded.ms_played,
        },
    )
    total_table: Table = ListenTrackTotal.__table__  # type: ignore[assignment]
    write_rows(
        session,
        total_table,
        [
            {
                "user_id": user_id,
                "track_id": track_id,
                "plays": count,
                "ms_played": ms,
                "first_played_at": first,
                "last_played_at": last,
            }
            for track_id, (count, ms, first, last) in totals.items()
        ],
        conflict=["user_id", "track_id"],
        update=lambda excluded: {
            "plays": total_table.c.plays + excluded.plays,
            "ms_played": total_table.c.ms_played + excluded.ms_played,
            "first_played_at": lesser(total_table.c.first_played_at, excluded.first_played_at),
            "last_played_at": greater(total_table.c.last_played_at, excluded.last_played_at),
        },
    )
    month_table: Table = ListenMonthTrackCount.__table__  # type: ignore[assignment]
    write_rows(
        session,
        month_table,
        [
            {"user_id": user_id, "local_month": month, "track_id": track_id, "plays": count}
            for (month, track_id), count in months.items()
        ],
        conflict=["user_id", "local_month", "track_id"],
        update=lambda excluded: {"plays": month_table.c.plays + excluded.plays},
    )
    year_table: Table = ListenYearTrackCount.__table__  # type: ignore[assignment]
    write_rows(
        session,
        year_table,
        [
            {"user_id": user_id, "local_year": year, "track_id": track_id, "plays": count}
            for (year, track_id), count in years.items()
        ],
        conflict=["user_id", "local_year", "track_id"],
        update=lambda excluded: {"plays": year_table.c.plays + excluded.plays},
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
                "first_played_at": first,
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


def _least_greatest(session: Session) -> tuple[Any, Any]:
    """Two-argument min and max: min()/max() on SQLite, least()/greatest() on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.least, func.greatest
    return func.min, func.max


def rebuild_rollups(session: Session, user_id: uuid.UUID) -> None:
    """Recount a member's rollups from their plays (after a time-zone change or a race)."""
    user = get_user_for_writing_listens(session, user_id)
    session.execute(delete(ListenHourCount).where(ListenHourCount.user_id == user_id))
    session.execute(delete(ListenTrackTotal).where(ListenTrackTotal.user_id == user_id))
    session.execute(delete(ListenMonthTrackCount).where(ListenMonthTrackCount.user_id == user_id))
    session.execute(delete(ListenYearTrackCount).where(ListenYearTrackCount.user_id == user_id))
    session.execute(delete(ListenArtistTotal).where(ListenArtistTotal.user_id == user_id))
    rows = session.execute(
        select(
            ListenEvent.played_at,
            ListenEvent.ms_played,
            Track.id,
            Track.duration_ms,
            Track.match_key,
            Track.artist_name,
        )
        .join(Track, Track.id == ListenEvent.track_id)
        .where(ListenEvent.user_id == user_id)
        .execution_options(yield_per=50_000)
    )
    zone = ZoneInfo(user.timezone)
    for partition in rows.partitions():
        heard = (
            (
                ResolvedTrack(track_id, duration_ms, key, artist_key_of(key), artist_name),
                played_at,
                ms_played if ms_played is not None else duration_ms or 0,
            )
            for played_at, ms_played, track_id, duration_ms, key, artist_name in partition
        )
        _add_to_rollups(session, user_id, zone, heard)


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
