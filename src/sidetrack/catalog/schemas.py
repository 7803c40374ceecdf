"""Pydantic schemas for reading and writing the catalog: Album, Track, GenreTag, TrackFeatures."""

import uuid
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from sidetrack.core.schemas import HttpUrlStr, NonNegativeInt32, NotNull, ReadModel, WriteModel

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ArtistName = Title
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ReleaseYear = Annotated[int, Field(ge=1000, le=9999)]
SpotifyId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,64}$")]
# 2 letters of country, 3 of registrant, 7 digits; stored upper-case so lookups match.
Isrc = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{3}[0-9]{7}$"),
    AfterValidator(str.upper),
]
# Spotify's audio features are fractions; tempo is in beats per minute.
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Tempo = Annotated[float, Field(ge=0.0)]


def _musicbrainz_id(value: str) -> str:
    # One spelling per id, or the unique index would let "ABC…" and "abc…" both in.
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a MusicBrainz id (a UUID)") from None


MusicBrainzId = Annotated[str, StringConstraints(max_length=45), AfterValidator(_musicbrainz_id)]


class GenreTagRead(ReadModel):
    id: uuid.UUID
    name: str
    slug: str


class GenreTagCreate(WriteModel):
    """The slug is derived from the name (catalog.normalize.tag_slug), so it is not input."""

    name: TagName


class GenreTagUpdate(WriteModel):
    name: Annotated[TagName | None, NotNull] = None


class AlbumRead(ReadModel):
    id: uuid.UUID
    title: str
    artist_name: str
    release_year: int | None
    musicbrainz_id: str | None
    spotify_id: str | None
    cover_url: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class AlbumCreate(WriteModel):
    """match_key is derived from artist and title (catalog.normalize.match_key), not input."""

    title: Title
    artist_name: ArtistName
    release_year: ReleaseYear | None = None
    musicbrainz_id: MusicBrainzId | None = None
    spotify_id: SpotifyId | None = None
    cover_url: HttpUrlStr | None = None


class AlbumUpdate(WriteModel):
    title: Annotated[Title | None, NotNull] = None
    artist_name: Annotated[ArtistName | None, NotNull] = None
    release_year: ReleaseYear | None = None
    musicbrainz_id: MusicBrainzId | None = None
    spotify_id: SpotifyId | None = None
    cover_url: HttpUrlStr | None = None


class TrackRead(ReadModel):
    id: uuid.UUID
    album_id: uuid.UUID
    title: str
    artist_name: str
    duration_ms: int | None
    musicbrainz_id: str | None
    spotify_id: str | None
    isrc: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TrackCreate(WriteModel):
    album_id: uuid.UUID
    title: Title
    artist_name: ArtistName
    duration_ms: NonNegativeInt32 | None = None
    musicbrainz_id: MusicBrainzId | None = None
    spotify_id: SpotifyId | None = None
    isrc: Isrc | None = None


class TrackUpdate(WriteModel):
    title: Annotated[Title | None, NotNull] = None
    artist_name: Annotated[ArtistName | None, NotNull] = None
    duration_ms: NonNegativeInt32 | None = None
    musicbrainz_id: MusicBrainzId | None = None
    spotify_id: SpotifyId | None = None
    isrc: Isrc | None = None


class TrackFeaturesRead(ReadModel):
    track_id: uuid.UUID
    energy: float | None
    valence: float | None
    danceability: float | None
    tempo: float | None
    acousticness: float | None
    instrumentalness: float | None
    updated_at: AwareDatetime


class _TrackFeaturesValues(WriteModel):
    energy: Fraction | None = None
    valence: Fraction | None = None
    danceability: Fraction | None = None
    tempo: Tempo | None = None
    acousticness: Fraction | None = None
    instrumentalness: Fraction | None = None


class TrackFeaturesCreate(_TrackFeaturesValues):
    track_id: uuid.UUID


class TrackFeaturesUpdate(_TrackFeaturesValues):
    pass
