"""Tables for the canonical catalog: Album, Track, GenreTag (N–N with Album), TrackFeatures."""

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sidetrack.core.db import Base, Timestamps, UUIDPrimaryKey
from sidetrack.core.types import utcnow

album_genre_tags = Table(
    "album_genre_tags",
    Base.metadata,
    Column("album_id", ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True),
    Column("genre_tag_id", ForeignKey("genre_tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves album → tags; this serves tag → albums (gallery filters).
    Index("ix_album_genre_tags_genre_tag_id", "genre_tag_id"),
)


class GenreTag(UUIDPrimaryKey, Base):
    __tablename__ = "genre_tags"

    name: Mapped[str] = mapped_column(String(64))
    # The normalised name (see sidetrack.catalog.normalize): "Hip-Hop" and "hip hop" are one tag.
    slug: Mapped[str] = mapped_column(String(64), unique=True)

    albums: Mapped[list["Album"]] = relationship(
        secondary=album_genre_tags, back_populates="genre_tags", lazy="raise"
    )


class Album(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "albums"

    title: Mapped[str] = mapped_column(String(255))
    artist_name: Mapped[str] = mapped_column(String(255))
    release_year: Mapped[int | None] = mapped_column(Integer)
    musicbrainz_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    spotify_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    cover_url: Mapped[str | None] = mapped_column(Text)
    # Normalised "artist + title", so lookups ignore case, accents and spacing (see normalize.py).
    match_key: Mapped[str] = mapped_column(String(600), index=True)

    tracks: Mapped[list["Track"]] = relationship(back_populates="album", lazy="raise")
    genre_tags: Mapped[list[GenreTag]] = relationship(
        secondary=album_genre_tags, back_populates="albums", lazy="raise"
    )


class Track(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tracks"
    __table_args__ = (Index("ix_tracks_album_id_match_key", "album_id", "match_key"),)

    album_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    artist_name: Mapped[str] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    musicbrainz_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    spotify_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    isrc: Mapped[str | None] = mapped_column(String(12), index=True)
    # Normalised "artist + title"; unique enough within one album.
    match_key: Mapped[str] = mapped_column(String(600))

    album: Mapped[Album] = relationship(back_populates="tracks", lazy="raise")
    features: Mapped["TrackFeatures | None"] = relationship(back_populates="track", lazy="raise")


class TrackFeatures(Base):
    __tablename__ = "track_features"

    track_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    energy: Mapped[float | None]
    valence: Mapped[float | None]
    danceability: Mapped[float | None]
    tempo: Mapped[float | None]
    acousticness: Mapped[float | None]
    instrumentalness: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    track: Mapped[Track] = relationship(back_populates="features", lazy="raise")
