"""Imports every domain's tables, so Base.metadata is complete (for Alembic and tests)."""

from sidetrack.catalog.models import Album, GenreTag, Track, TrackFeatures, album_genre_tags
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.core.db import Base
from sidetrack.listening.models import (
    ListenArtistTotal,
    ListenEvent,
    ListenHourCount,
    ListenMonthTrackCount,
    ListenYearAlbumCount,
    ListenYearArtistCount,
    ListenYearTrackCount,
    PlayingNow,
    TasteProfile,
)
from sidetrack.social.models import Compatibility, Follow, UserRecommendation
from sidetrack.users.models import ApiToken, LinkedAccount, ProviderType, User

metadata = Base.metadata

__all__ = [
    "Album",
    "ApiToken",
    "Compatibility",
    "Follow",
    "GenreTag",
    "LinkedAccount",
    "ListenArtistTotal",
    "ListenEvent",
    "ListenHourCount",
    "ListenMonthTrackCount",
    "ListenYearAlbumCount",
    "ListenYearArtistCount",
    "ListenYearTrackCount",
    "Nomination",
    "PlayingNow",
    "ProviderType",
    "Rating",
    "TasteProfile",
    "Track",
    "TrackFeatures",
    "User",
    "UserRecommendation",
    "Vote",
    "Week",
    "WeekPhase",
    "album_genre_tags",
    "metadata",
]
