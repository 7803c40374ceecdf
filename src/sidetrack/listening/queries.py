"""Reads of a member's listening: their history page by page, and their statistics.

Statistics read the rollups kept by ingest (per local hour, per track, per local year and
track, per local month and track, per artist); plays themselves are scanned only for the
days at the edges of a range that are not whole local months (docs/listening.md).
"""

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, Track
from sidetrack.catalog.normalize import KEY_SEPARATOR
from sidetrack.core.errors import Forbidden, InvalidInput
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
from sidetrack.listening.schemas import (
    ListeningStats,
    ListenItem,
    ListenPage,
    NewArtist,
    StatsRangeName,
    TopAlbum,
    TopArtist,
    TopTrack,
)
from sidetrack.users.models import User
from sidetrack.users.service import get_user

RANGE_DAYS = {"week": 7, "month": 30, "quarter": 91, "half_year": 182, "year": 365}
# The days `from` and `to` may name: wide enough for any history, and far enough from the
# ends of the calendar that a range's first day and the day after its last always exist.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _visible_user(session: Session, user_id: uuid.UUID, viewer_id: uuid.UUID | None) -> User:
    user = get_user(session, user_id)
    if user.listening_private and viewer_id != user.id:
        raise Forbidden("This member keeps their listening private", details={"user_id": "private"})
    return user


# --- history ---------------------------------------------------------------------------------


def _encode_cursor(played_at: datetime, track_id: uuid.UUID) -> str:
    raw = f"{played_at.isoformat()}|{track_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        played_at, track_id = raw.split("|")
        moment = datetime.fromisoformat(played_at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        # A forged time at the ends of the calendar cannot be converted (OverflowError).
        return moment.astimezone(UTC), uuid.UUID(track_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "Not a cursor from this API", details={"fields": {"cursor": "not a valid cursor"}}
        ) from None


def list_listens(
    session: Session,
    user_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    cursor: str | None = None,
    limit: int = 50,
) -> ListenPage:
    """A member's plays, newest first, `limit` at a time."""
    _visible_user(session, user_id, viewer_id)
    query = (
        select(
            ListenEvent.played_at,
            ListenEvent.track_id,
            ListenEvent.source,
            ListenEvent.ms_played,
            Track.title,
            Track.artist_name,
            Album.id,
            Album.title,
        )
        .join(Track, Track.id == ListenEvent.track_id)
        .join(Album, Album.id == Track.album_id)
        .where(ListenEvent.user_id == user_id)
        .order_by(ListenEvent.played_at.desc(), ListenEvent.track_id.desc())
        .limit(limit + 1)
    )
    if cursor:
        played_at, track_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                ListenEvent.played_at < played_at,
                and_(ListenEvent.played_at == played_at, ListenEvent.track_id < track_id),
            )
        )
    rows = session.execute(query).all()
    items = [
        ListenItem(
            played_at=row[0],
            track_id=row[1],
            source=row[2],
            ms_played=row[3],
            track_title=row[4],
            artist_name=row[5],
            album_id=row[6],
            album_title=row[7] or None,
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    return ListenPage(
        items=items,
        next_cursor=_encode_cursor(items[-1].played_at, items[-1].track_id) if more else None,
    )


# --- statistics ------------------------------------------------------------------------------


def stats_window(
    zone: ZoneInfo,
    range_name: StatsRangeName,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> tuple[date | None, date]:
    """The local days a range covers: the last N days up to today, or from/to as given."""
    for name, day in (("from", start), ("to", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput(
                f"{name} must be a day from {FIRST_DAY} to {LAST_DAY}",
                details={"fields": {name: "out of range"}},
            )
    today = (now or utcnow()).astimezone(zone).date()
    end = end or today
    if start is not None:
        if start > end:
            raise InvalidInput(
                "from must not be after to", details={"fields": {"from": "after to"}}
            )
        return start, end
    if range_name == "all_time":
        return None, end
    return end - timedelta(days=RANGE_DAYS[range_name] - 1), end


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    # The first instant of a local day, also on days that start at a DST change.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def listening_stats(
    session: Session,
    user_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    range_name: StatsRangeName = "month",
    start: date | None = None,
    end: date | None = None,
    limit: int = 10,
    now: datetime | None = None,
) -> ListeningStats:
    """A member's statistics in four small queries, whatever the size of their history."""
    user = _visible_user(session, user_id, viewer_id)
    zone = ZoneInfo(user.timezone)
    first_day, last_day = stats_window(zone, range_name, start, end, now)
    after_last = last_day + timedelta(days=1)
    upper = _local_midnight_utc(after_last, zone)
    lower = _local_midnight_utc(first_day, zone) if first_day is not None else None
    dialect = session.get_bind().dialect.name

    per_day, per_hour = _calendar(session, user_id, first_day, after_last, dialect)
    cover = cover_range(first_day, after_last)
    all_time = first_day is None and end is None
    top_artists, top_albums, top_tracks = _top_lists(
        session,
        user_id,
        _plays_per_track(user_id, zone, cover, all_time=all_time, dialect=dialect),
        limit=limit,
        per_album_and_artist=_in_whole_years(user_id, cover, all_time=all_time),
    )
    return ListeningStats(
        range="custom" if start is not None else range_name,
        time_zone=user.timezone,
        start=first_day,
        end=last_day,
        total_plays=sum(plays for plays, _ms in per_day.values()),
        listening_ms=sum(ms for _plays, ms in per_day.values()),
        top_artists=top_artists,
        top_albums=top_albums,
        top_tracks=top_tracks,
        plays_per_day={day: plays for day, (plays, _ms) in sorted(per_day.items())},
        plays_per_hour=per_hour,
        new_artists=_new_artists(session, user_id, lower, upper, limit),
    )


def _local_day(column: Any, dialect: str) -> Any:
    # The local hours are naive wall-clock times; their date is the member's day.
    return func.date(column) if dialect == "sqlite" else cast(column, Date)


def _calendar(
    session: Session, user_id: uuid.UUID, first_day: date | None, after_last: date, dialect: str
) -> tuple[dict[date, tuple[int, int]], list[int]]:
    """(plays, ms heard) per local day, and plays per local hour of the day, from the rollup."""
    hours = ListenHourCount.local_hour
    where = [ListenHourCount.user_id == user_id, hours < datetime.combine(after_last, time(0))]
    if first_day is not None:
        where.append(hours >= datetime.combine(first_day, time(0)))
    day = _local_day(hours, dialect)
    per_day: dict[date, tuple[int, int]] = {}
    rows = session.execute(
        select(day, func.sum(ListenHourCount.plays), func.sum(ListenHourCount.ms_played))
        .where(*where)
        .group_by(day)
    )
    for local_day, plays, ms in rows:
        # SQLite's date() answers with text.
        key = date.fromisoformat(local_day) if isinstance(local_day, str) else local_day
        per_day[key] = (int(plays), int(ms))
    hour = extract("hour", hours)
    per_hour = [0] * 24
    for hour_of_day, plays in session.execute(
        select(hour, func.sum(ListenHourCount.plays)).where(*where).group_by(hour)
    ):
        per_hour[int(hour_of_day)] = int(plays)
    return per_day, per_hour


def _artist_key(dialect: str) -> Any:
    """The normalised artist: the part of Track.match_key before the separator."""
    if dialect == "sqlite":
        return func.substr(Track.match_key, 1, func.instr(Track.match_key, KEY_SEPARATOR) - 1)
    return func.split_part(Track.match_key, KEY_SEPARATOR, 1)


def _start_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _start_of_year(day: date) -> date:
    return date(day.year, 1, 1)


def _first_of_next_year(day: date) -> date:
    return date(day.year + 1, 1, 1)


# The local periods counted per track, coarsest first: (name, the first day of the period a
# day is in, the first day of the period after it).
Period = tuple[str, Callable[[date], date], Callable[[date], date]]
_PERIODS: tuple[Period, ...] = (
    ("year", _start_of_year, _first_of_next_year),
    ("month", _start_of_month, _first_of_next_month),
)

# A piece of a range: "year", "month" or "days", and the local days [low, high) it covers
# (low None: no lower bound).
Piece = tuple[str, date | None, date]


_NEXT = {name: first_of_next for name, _start_of, first_of_next in _PERIODS}
# Each period's per-track rollup, and its column of the period's first day.
_ROLLUPS: dict[str, tuple[Any, Any]] = {
    "year": (ListenYearTrackCount, ListenYearTrackCount.local_year),
    "month": (ListenMonthTrackCount, ListenMonthTrackCount.local_month),
}


def cover_range(low: date | None, high: date, periods: Sequence[Period] = _PERIODS) -> list[Piece]:
    """The local days [low, high) as whole periods, coarsest first, and the days left over.

    The whole years inside the range, then the whole months inside what is left on either
    side, then the remaining days at the edges: 2024-11-15 to 2026-02-10 (high 2026-02-11)
    is days [Nov 15, Dec 1) 2024, month Dec 2024, year 2025, month Jan 2026 and days
    [Feb 1, Feb 11) 2026. With no lower bound (all time up to a `to` date) the first piece
    is every year before the one `high` falls in.
    """
    if not periods:
        return [("days", low, high)]
    (name, start_of, first_of_next), finer = periods[0], periods[1:]
    whole_low = low if low is None or start_of(low) == low else first_of_next(low)
    whole_high = start_of(high)
    if whole_low is not None and whole_low >= whole_high:
        return cover_range(low, high, finer)  # no whole period inside
    pieces: list[Piece] = []
    if low is not None and whole_low is not None and low < whole_low:
        pieces += cover_range(low, whole_low, finer)
    pieces.append((name, whole_low, whole_high))
    if whole_high < high:
        pieces += cover_range(whole_high, high, finer)
    return pieces


def _plays_per_track(
    user_id: uuid.UUID, zone: ZoneInfo, cover: list[Piece], *, all_time: bool, dialect: str
) -> Any:
    """(track_id, album_id, artist_key, plays) over the local days `cover` covers (from
    `cover_range`), as a subquery.

    All time (no `from` or `to` date) sums each track's yearly rows: every play is in one
    (a per-track all-time table cost the import a tenth of its writing). Any other range is
    read by its pieces: its whole local years from the yearly rollup, the whole months outside
    those from the monthly rollup, and the days at the edges from the plays themselves
    (between local midnights, in UTC). The pieces are one UNION ALL, summed per track.
    The rollups' rows carry their track's album and artist key; only the plays are joined
    to `tracks` for them.
    """

    def placed(rows: Any, plays: Any) -> Any:
        return select(
            rows.track_id.label("track_id"),
            rows.album_id.label("album_id"),
            rows.artist_key.label("artist_key"),
            plays.label("plays"),
        )

    if all_time:
        years = ListenYearTrackCount
        return (
            placed(years, func.sum(years.plays))
            .where(years.user_id == user_id)
            .group_by(years.track_id, years.album_id, years.artist_key)
        )

    def in_periods(rollup: Any, period: Any, low: date | None, high: date) -> Any:
        query = placed(rollup, rollup.plays).where(rollup.user_id == user_id, period < high)
        return query if low is None else query.where(period >= low)

    def plays_between(low: date | None, high: date) -> Any:
        query = select(ListenEvent.track_id.label("track_id")).where(
            ListenEvent.user_id == user_id,
            ListenEvent.played_at < _local_midnight_utc(high, zone),
        )
        if low is not None:
            query = query.where(ListenEvent.played_at >= _local_midnight_utc(low, zone))
        return query

    if len(cover) == 1 and cover[0][0] in ("year", "month"):
        kind, low, high = cover[0]
        if low is not None and high == _NEXT[kind](low):
            # One calendar year or month: one rollup row per track already, nothing to sum
            # (a third of a calendar year's statistics went on summing 16,500 single rows).
            return in_periods(*_ROLLUPS[kind], low, high)
    parts = [
        in_periods(*_ROLLUPS[kind], low, high) for kind, low, high in cover if kind in _ROLLUPS
    ]
    edges = [plays_between(low, high) for kind, low, high in cover if kind not in _ROLLUPS]
    if edges:
        # The days' plays (at most two stretches) counted per track first, then placed with
        # one join to tracks: one pass over the catalog, on a row per track, not per play.
        played = (union_all(*edges) if len(edges) > 1 else edges[0]).subquery("played")
        counted = (
            select(played.c.track_id, cast(func.count(), Integer).label("plays"))
            .group_by(played.c.track_id)
            .subquery("counted")
        )
        days = select(
            counted.c.track_id.label("track_id"),
            Track.album_id.label("album_id"),
            _artist_key(dialect).label("artist_key"),
            counted.c.plays.label("plays"),
        ).join(Track, Track.id == counted.c.track_id)
        if not parts:
            return days  # only days: counted per track already
        parts.append(days)
    pieces = union_all(*parts).subquery("pieces")
    # Grouped by all three, though the track alone decides its album and artist.
    return select(
        pieces.c.track_id.label("track_id"),
        pieces.c.album_id.label("album_id"),
        pieces.c.artist_key.label("artist_key"),
        func.sum(pieces.c.plays).label("plays"),
    ).group_by(pieces.c.track_id, pieces.c.album_id, pieces.c.artist_key)


def _in_whole_years(
    user_id: uuid.UUID, cover: list[Piece], *, all_time: bool
) -> tuple[Any, Any] | None:
    """(album_id, plays) and (artist_key, plays) over the local days `cover` covers when
    they are whole local years, or all time, from the yearly album and artist rollups; else
    None.

    A calendar year is some 4,000 album and 1,400 artist rows there, where summing its
    16,500 per-track rows by album and by artist was most of the year's statistics.
    """
    one_year = False
    if not all_time:
        if len(cover) != 1:
            return None
        kind, low, high = cover[0]
        if kind != "year" or low is None:
            return None
        one_year = high == _first_of_next_year(low)

    def counts(rollup: Any, key: Any) -> Any:
        where = [rollup.user_id == user_id]
        if not all_time:
            where += [rollup.local_year >= low, rollup.local_year < high]
        if one_year:  # one row per album or artist already
            return select(key.label("key"), rollup.plays.label("plays")).where(*where)
        plays = func.sum(rollup.plays).label("plays")
        return select(key.label("key"), plays).where(*where).group_by(key)

    return (
        counts(ListenYearAlbumCount, ListenYearAlbumCount.album_id),
        counts(ListenYearArtistCount, ListenYearArtistCount.artist_key),
    )


def _top_lists(
    session: Session,
    user_id: uuid.UUID,
    counted: Any,
    *,
    limit: int,
    per_album_and_artist: tuple[Any, Any] | None = None,
) -> tuple[list[TopArtist], list[TopAlbum], list[TopTrack]]:
    """Top artists, albums and tracks in one query.

    Plays are counted per track once, with each track's album and artist key (`counted`,
    from `_plays_per_track`); the three lists are ranked on those narrow rows, or albums and
    artists on `per_album_and_artist` (`_in_whole_years`) when given, and names are joined
    for the few winners only. Ties go by key, so the order is stable. Artists are named as
    the member first heard them.
    """
    per_track = counted.cte("per_track")
    best_tracks = (
        select(per_track.c.track_id, per_track.c.plays)
        .order_by(per_track.c.plays.desc(), per_track.c.track_id)
        .limit(limit)
        .subquery("best_tracks")
    )

    def best(key: str) -> Any:
        if per_album_and_artist is not None:
            counts = per_album_and_artist[0 if key == "album_id" else 1].subquery(key + "_plays")
            ranked = select(counts.c.key.label(key), counts.c.plays).order_by(
                counts.c.plays.desc(), counts.c.key
            )
        else:
            plays = func.sum(per_track.c.plays).label("plays")
            ranked = (
                select(per_track.c[key], plays)
                .group_by(per_track.c[key])
                .order_by(plays.desc(), per_track.c[key])
            )
        return ranked.limit(limit).subquery("best_" + key)

    best_albums, best_artists = best("album_id"), best("artist_key")
    artist = ListenArtistTotal
    no_text = literal(None, String)
    rows = session.execute(
        union_all(
            select(
                literal("track"),
                Track.artist_name,
                Track.title,
                cast(Track.id, String),
                Album.title,
                best_tracks.c.plays,
            )
            .join(Track, Track.id == best_tracks.c.track_id)
            .join(Album, Album.id == Track.album_id),
            select(
                literal("album"),
                Album.artist_name,
                Album.title,
                no_text,
                cast(Album.id, String),
                best_albums.c.plays,
            ).join(Album, Album.id == best_albums.c.album_id),
            select(
                literal("artist"),
                artist.artist_name,
                no_text,
                no_text,
                no_text,
                best_artists.c.plays,
            ).join(
                artist,
                and_(artist.user_id == user_id, artist.artist_key == best_artists.c.artist_key),
            ),
        )
    ).all()

    def ranked(kind: str) -> list[Any]:
        # The union keeps no order: rank again by plays, then name, within each list.
        return sorted((r for r in rows if r[0] == kind), key=lambda r: (-r[5], r[1], r[2] or ""))

    return (
        [TopArtist(artist_name=r[1], plays=r[5]) for r in ranked("artist")],
        [
            TopAlbum(album_id=uuid.UUID(r[4]), title=r[2] or None, artist_name=r[1], plays=r[5])
            for r in ranked("album")
        ],
        [
            TopTrack(
                track_id=uuid.UUID(r[3]),
                title=r[2],
                artist_name=r[1],
                album_title=r[4] or None,
                plays=r[5],
            )
            for r in ranked("track")
        ],
    )


def _new_artists(
    session: Session,
    user_id: uuid.UUID,
    lower: datetime | None,
    upper: datetime,
    limit: int,
) -> list[NewArtist]:
    """Artists whose first play by this member falls in [lower, upper), newest first."""
    artists = ListenArtistTotal
    query = (
        select(artists.artist_name, artists.first_played_at)
        .where(artists.user_id == user_id, artists.first_played_at < upper)
        .order_by(artists.first_played_at.desc())
        .limit(limit)
    )
    if lower is not None:
        query = query.where(artists.first_played_at >= lower)
    return [
        NewArtist(artist_name=name, first_played_at=first) for name, first in session.execute(query)
    ]
