"""Reads of a member's listening: their history page by page, and their statistics.

Statistics read the rollups kept by ingest (plays per local hour, plays per track) wherever
they can; only top lists of a bounded range scan plays, grouped by track in the database.
"""

import base64
import binascii
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, Track
from sidetrack.catalog.normalize import normalize_name
from sidetrack.core.errors import Forbidden, InvalidInput
from sidetrack.core.types import utcnow
from sidetrack.listening.models import ListenEvent, ListenHourCount, ListenTrackTotal
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
        return moment, uuid.UUID(track_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
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
    user = _visible_user(session, user_id, viewer_id)
    zone = ZoneInfo(user.timezone)
    first_day, last_day = stats_window(zone, range_name, start, end, now)
    after_last = last_day + timedelta(days=1)

    hours = select(ListenHourCount.local_hour, ListenHourCount.plays, ListenHourCount.ms_played)
    hours = hours.where(
        ListenHourCount.user_id == user_id,
        ListenHourCount.local_hour < datetime.combine(after_last, time(0)),
    )
    if first_day is not None:
        hours = hours.where(ListenHourCount.local_hour >= datetime.combine(first_day, time(0)))
    per_day: dict[date, int] = defaultdict(int)
    per_hour = [0] * 24
    total_plays = listening_ms = 0
    for local_hour, plays, ms_played in session.execute(hours):
        per_day[local_hour.date()] += plays
        per_hour[local_hour.hour] += plays
        total_plays += plays
        listening_ms += ms_played

    upper = _local_midnight_utc(after_last, zone)
    lower = _local_midnight_utc(first_day, zone) if first_day is not None else None
    per_track = _plays_per_track(session, user_id, lower, upper, whole_history=end is None)
    top_artists, top_albums, top_tracks = _top_lists(per_track, limit)

    return ListeningStats(
        range="custom" if start is not None else range_name,
        time_zone=user.timezone,
        start=first_day,
        end=last_day,
        total_plays=total_plays,
        listening_ms=listening_ms,
        top_artists=top_artists,
        top_albums=top_albums,
        top_tracks=top_tracks,
        plays_per_day=dict(sorted(per_day.items())),
        plays_per_hour=per_hour,
        new_artists=_new_artists(session, user_id, lower, upper, limit),
    )


TrackPlays = tuple[uuid.UUID, str, str, uuid.UUID, str, int]  # id, title, artist, album…, plays


def _plays_per_track(
    session: Session,
    user_id: uuid.UUID,
    lower: datetime | None,
    upper: datetime,
    whole_history: bool,
) -> list[TrackPlays]:
    if lower is None and whole_history:
        # All time up to now: the per-track totals already hold the answer.
        counts = (
            select(ListenTrackTotal.track_id, ListenTrackTotal.plays.label("plays"))
            .where(ListenTrackTotal.user_id == user_id)
            .subquery()
        )
    else:
        scan = select(ListenEvent.track_id, func.count().label("plays")).where(
            ListenEvent.user_id == user_id, ListenEvent.played_at < upper
        )
        if lower is not None:
            scan = scan.where(ListenEvent.played_at >= lower)
        counts = scan.group_by(ListenEvent.track_id).subquery()
    query = (
        select(Track.id, Track.title, Track.artist_name, Album.id, Album.title, counts.c.plays)
        .join(counts, counts.c.track_id == Track.id)
        .join(Album, Album.id == Track.album_id)
    )
    return [tuple(row) for row in session.execute(query)]


def _top_lists(
    per_track: list[TrackPlays], limit: int
) -> tuple[list[TopArtist], list[TopAlbum], list[TopTrack]]:
    artists: dict[str, list[Any]] = {}
    albums: dict[uuid.UUID, list[Any]] = {}
    for _track_id, _title, artist, album_id, album_title, plays in per_track:
        # One artist however it was spelled; shown as first met.
        key = normalize_name(artist)
        artists.setdefault(key, [artist, 0])[1] += plays
        albums.setdefault(album_id, [album_title or None, artist, 0])[2] += plays
    tracks = sorted(per_track, key=lambda row: (-row[5], row[2], row[1]))[:limit]
    return (
        [
            TopArtist(artist_name=name, plays=plays)
            for name, plays in sorted(artists.values(), key=lambda a: (-a[1], a[0]))[:limit]
        ],
        [
            TopAlbum(album_id=album_id, title=title, artist_name=artist, plays=plays)
            for album_id, (title, artist, plays) in sorted(
                albums.items(), key=lambda item: (-item[1][2], item[1][1], item[1][0] or "")
            )[:limit]
        ],
        [
            TopTrack(
                track_id=track_id,
                title=title,
                artist_name=artist,
                album_title=album_title or None,
                plays=plays,
            )
            for track_id, title, artist, _album_id, album_title, plays in tracks
        ],
    )


def _new_artists(
    session: Session, user_id: uuid.UUID, lower: datetime | None, upper: datetime, limit: int
) -> list[NewArtist]:
    """Artists whose first play by this member falls in [lower, upper), newest first."""
    rows = session.execute(
        select(Track.artist_name, func.min(ListenTrackTotal.first_played_at))
        .join(Track, Track.id == ListenTrackTotal.track_id)
        .where(ListenTrackTotal.user_id == user_id)
        .group_by(Track.artist_name)
    )
    first_heard: dict[str, list[Any]] = {}
    for artist, first in rows:
        entry = first_heard.setdefault(normalize_name(artist), [artist, first])
        if first < entry[1]:
            entry[1] = first
    new = [
        NewArtist(artist_name=artist, first_played_at=first)
        for artist, first in first_heard.values()
        if (lower is None or first >= lower) and first < upper
    ]
    return sorted(new, key=lambda artist: artist.first_played_at, reverse=True)[:limit]
