"""Tables for plays (ListenEvent) and each member's aggregated taste (TasteProfile)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sidetrack.core.db import Base
from sidetrack.core.enums import string_enum
from sidetrack.core.types import PortableJSON, utcnow
from sidetrack.listening.records import ListenSource
from sidetrack.users.models import User


class ListenEvent(Base):
    """One play. The primary key is the play's identity, so the same play is stored once.

    (user_id, played_at, track_id) leads with the member and time, which is how every read
    goes (a member's history, newest first; a member's plays in a range), so one index serves
    both uniqueness and those scans, and inserts of one member's history append in key order.
    """

    __tablename__ = "listen_events"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    played_at: Mapped[datetime] = mapped_column(primary_key=True)  # start of the play, UTC
    track_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[ListenSource] = mapped_column(string_enum(ListenSource, "source"))
    # The source's own id for this play, where it has one (e.g. a ListenBrainz recording_msid).
    source_id: Mapped[str | None] = mapped_column(String(128))
    ms_played: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TasteProfile(Base):
    __tablename__ = "taste_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    genre_histogram: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    feature_means: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    time_of_day_histogram: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    last_computed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")


class ListenHourCount(Base):
    """Plays per member per hour of THEIR local time, kept up to date by ingest.

    Calendars, hour-of-day charts and range totals read these (at most 8,760 rows a year)
    instead of scanning every play. Local time is the member's zone when the plays were
    ingested; changing the zone rebuilds the member's rows (listening.service).
    """

    __tablename__ = "listen_hour_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Naive on purpose: a wall-clock hour in the member's zone, not an instant.
    local_hour: Mapped[datetime] = mapped_column(DateTime(timezone=False), primary_key=True)
    plays: Mapped[int] = mapped_column(Integer)
    ms_played: Mapped[int] = mapped_column(BigInteger)


class PlacedTrack:
    """Copies of a per-track rollup row's track's album and normalised artist (0008).

    The top lists rank albums and artists from these, without joining the range's tracks to
    `tracks` (most of a calendar year's statistics went on that join; docs/db-notes.md).
    They cannot go stale while the catalog never moves a track to another album nor changes
    its match_key. No foreign key, like the rollups' other ids.
    """

    album_id: Mapped[uuid.UUID]
    # The part of tracks.match_key before the separator (normalize.artist_key_of).
    artist_key: Mapped[str] = mapped_column(String(300))


class PlayingNow(Base):
    """What a member is playing right now (ListenBrainz `playing_now`), until it expires.

    Not a play: nothing here counts as listening. One row per member, replaced by each new
    submission; `expires_at` is the submission time plus the track's length, or 10 minutes.
    """

    __tablename__ = "playing_now"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The submitted track_metadata, validated, as a ListenBrainz client will read it back.
    track_metadata: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    expires_at: Mapped[datetime]


class ListenMonthTrackCount(PlacedTrack, Base):
    """Plays of one track by one member in one month of their local time.

    Top lists of a range read whole months from here and scan plays only for the days at
    the range's edges: a year is some 55,000 rows here against 190,000 plays.
    """

    __tablename__ = "listen_month_track_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    local_month: Mapped[date] = mapped_column(primary_key=True)  # the month's first day
    track_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plays: Mapped[int] = mapped_column(Integer)


class ListenYearTrackCount(PlacedTrack, Base):
    """Plays of one track by one member in one year of their local time.

    The top lists of a range read its whole local years from here, and only the months and
    days outside them from the monthly rollup and the plays: a heavy listener's year is some
    16,500 rows here against 55,000 monthly ones (docs/db-notes.md).
    """

    __tablename__ = "listen_year_track_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    local_year: Mapped[date] = mapped_column(primary_key=True)  # the year's first day
    track_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plays: Mapped[int] = mapped_column(Integer)


class ListenYearAlbumCount(Base):
    """Plays of one album by one member in one local year: a calendar year's top albums are
    ranked from some 4,000 rows here, not summed from its 16,500 per-track rows."""

    __tablename__ = "listen_year_album_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    local_year: Mapped[date] = mapped_column(primary_key=True)  # the year's first day
    album_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plays: Mapped[int] = mapped_column(Integer)


class ListenYearArtistCount(Base):
    """Plays of one artist (by normalised name) by one member in one local year: a calendar
    year's top artists, from some 1,400 rows."""

    __tablename__ = "listen_year_artist_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    local_year: Mapped[date] = mapped_column(primary_key=True)  # the year's first day
    artist_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    plays: Mapped[int] = mapped_column(Integer)


class ListenArtistTotal(Base):
    """All-time plays of one artist (by normalised name) by one member, first heard when."""

    __tablename__ = "listen_artist_totals"
    __table_args__ = (
        # "Artists first heard in this range": a range scan, newest first.
        Index("ix_listen_artist_totals_user_id_first_played_at", "user_id", "first_played_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    artist_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    artist_name: Mapped[str] = mapped_column(String(255))  # as first heard
    plays: Mapped[int] = mapped_column(Integer)
    first_played_at: Mapped[datetime]
