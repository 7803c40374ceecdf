"""Small create_* factories: each makes one valid row with sensible defaults and flushes it."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, Track
from sidetrack.catalog.normalize import match_key
from sidetrack.club.models import Nomination, Rating, Vote, Week
from sidetrack.listening.models import ListenEvent
from sidetrack.listening.records import ListenSource
from sidetrack.users.models import LinkedAccount, ProviderType, User

_counter = itertools.count(1)
T = TypeVar("T")


def _next() -> int:
    return next(_counter)


def _save(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def create_user(session: Session, **fields: Any) -> User:
    n = _next()
    fields.setdefault("display_name", f"Member {n}")
    fields.setdefault("handle", f"member{n}")
    return _save(session, User(**fields))


def create_linked_account(session: Session, user: User, **fields: Any) -> LinkedAccount:
    fields.setdefault("provider", ProviderType.DISCORD)
    fields.setdefault("provider_user_id", str(100000000000000000 + _next()))
    return _save(session, LinkedAccount(user_id=user.id, **fields))


def create_album(session: Session, **fields: Any) -> Album:
    n = _next()
    fields.setdefault("title", f"Album {n}")
    fields.setdefault("artist_name", f"Artist {n}")
    fields.setdefault("match_key", match_key(fields["artist_name"], fields["title"]))
    return _save(session, Album(**fields))


def create_track(session: Session, album: Album | None = None, **fields: Any) -> Track:
    album = album or create_album(session)
    fields.setdefault("title", f"Track {_next()}")
    fields.setdefault("artist_name", album.artist_name)
    fields.setdefault("duration_ms", 200_000)
    fields.setdefault("match_key", match_key(fields["artist_name"], fields["title"]))
    return _save(session, Track(album_id=album.id, **fields))


def create_week(session: Session, **fields: Any) -> Week:
    n = _next()
    start = fields.pop("start", datetime(2026, 1, 5, 12, tzinfo=UTC))
    fields.setdefault("label", f"WEEK {n:03d} [{start.date().isoformat()}]")
    fields.setdefault("week_number", n)
    fields.setdefault("nominations_close_at", start + timedelta(days=2))
    fields.setdefault("poll_close_at", start + timedelta(days=3))
    fields.setdefault("discussion_at", start + timedelta(days=6))
    fields.setdefault("ratings_close_at", start + timedelta(days=9))
    return _save(session, Week(**fields))


def create_nomination(
    session: Session,
    week: Week | None = None,
    user: User | None = None,
    album: Album | None = None,
    **fields: Any,
) -> Nomination:
    week = week or create_week(session)
    user = user or create_user(session)
    album = album or create_album(session)
    return _save(session, Nomination(week_id=week.id, user_id=user.id, album_id=album.id, **fields))


def create_vote(
    session: Session, nomination: Nomination, user: User | None = None, rank: int = 1
) -> Vote:
    user = user or create_user(session)
    return _save(
        session,
        Vote(week_id=nomination.week_id, user_id=user.id, nomination_id=nomination.id, rank=rank),
    )


def create_rating(
    session: Session,
    user: User | None = None,
    album: Album | None = None,
    week: Week | None = None,
    value: float = 4.0,
    **fields: Any,
) -> Rating:
    user = user or create_user(session)
    album = album or create_album(session)
    return _save(
        session,
        Rating(
            user_id=user.id,
            album_id=album.id,
            week_id=week.id if week else None,
            value=value,
            **fields,
        ),
    )


def create_listen(
    session: Session,
    user: User,
    track: Track,
    played_at: datetime,
    source: ListenSource = ListenSource.SPOTIFY,
    **fields: Any,
) -> ListenEvent:
    return _save(
        session,
        ListenEvent(
            user_id=user.id, track_id=track.id, played_at=played_at, source=source, **fields
        ),
    )
