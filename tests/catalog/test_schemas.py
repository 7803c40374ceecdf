"""Catalog schemas: read from saved rows, normalised ids, bad input refused before the database."""

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, GenreTag, Track, TrackFeatures
from sidetrack.catalog.normalize import match_key, tag_slug
from sidetrack.catalog.schemas import (
    AlbumCreate,
    AlbumRead,
    AlbumUpdate,
    GenreTagCreate,
    GenreTagRead,
    GenreTagUpdate,
    TrackCreate,
    TrackFeaturesCreate,
    TrackFeaturesRead,
    TrackFeaturesUpdate,
    TrackRead,
    TrackUpdate,
)
from tests.factories import create_album, create_track
from tests.schema_support import assert_read_covers, assert_refused, assert_writes_columns, saved

MBID = "a74b1b7f-71a5-4011-9441-d0b5e4122711"


def test_schemas_match_the_tables() -> None:
    # match_key and slug are derived by catalog.normalize, not input, and of no use to readers.
    assert_read_covers(AlbumRead, Album, omitted={"match_key"})
    assert_read_covers(TrackRead, Track, omitted={"match_key"})
    assert_read_covers(GenreTagRead, GenreTag)
    assert_read_covers(TrackFeaturesRead, TrackFeatures)
    assert_writes_columns(Album, AlbumCreate, AlbumUpdate)
    assert_writes_columns(Track, TrackCreate, TrackUpdate)
    assert_writes_columns(GenreTag, GenreTagCreate, GenreTagUpdate)
    assert_writes_columns(TrackFeatures, TrackFeaturesCreate, TrackFeaturesUpdate)


def test_album_create_to_read_through_the_database(session: Session) -> None:
    data = AlbumCreate(
        title=" OK Computer ",
        artist_name="Radiohead",
        release_year=1997,
        musicbrainz_id=MBID.upper(),
        spotify_id="6dVIqQ8qmQ5GBnJ9shOYGE",
        cover_url="https://covers.example/ok.jpg",
    )
    fields = data.model_dump()
    album = saved(session, Album(**fields, match_key=match_key(data.artist_name, data.title)))

    read = AlbumRead.model_validate(album)

    assert read.id == album.id
    assert (read.title, read.release_year, read.musicbrainz_id) == ("OK Computer", 1997, MBID)
    assert read.cover_url == "https://covers.example/ok.jpg"
    assert read.created_at.utcoffset() is not None


def test_track_read_from_a_saved_row(session: Session) -> None:
    track = saved(session, create_track(session, title="Airbag", isrc="GBAYE9700271"))

    read = TrackRead.model_validate(track)

    assert (read.id, read.album_id) == (track.id, track.album_id)
    assert (read.title, read.duration_ms, read.isrc) == ("Airbag", 200_000, "GBAYE9700271")


def test_genre_tag_and_features_read_from_saved_rows(session: Session) -> None:
    tag = saved(session, GenreTag(name="Hip-Hop", slug=tag_slug("Hip-Hop")))
    track = create_track(session)
    features = saved(session, TrackFeatures(track_id=track.id, energy=0.8, tempo=128.0))

    assert GenreTagRead.model_validate(tag).model_dump() == {
        "id": tag.id,
        "name": "Hip-Hop",
        "slug": "hip hop",
    }
    read = TrackFeaturesRead.model_validate(features)
    assert (read.track_id, read.energy, read.tempo, read.valence) == (track.id, 0.8, 128.0, None)
    assert read.updated_at.utcoffset() is not None


def test_ids_are_stored_in_one_spelling() -> None:
    album = AlbumUpdate(musicbrainz_id=f"{{{MBID.upper()}}}")
    track = TrackUpdate(isrc="gbaye9700271")
    assert (album.musicbrainz_id, track.isrc) == (MBID, "GBAYE9700271")


def test_update_dump_holds_only_what_was_sent(session: Session) -> None:
    album = create_album(session, release_year=1990, cover_url="https://covers.example/a.jpg")

    changes = AlbumUpdate.model_validate({"release_year": 1991, "cover_url": None})
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(album, name, value)
    album = saved(session, album)

    assert changes.model_dump(exclude_unset=True) == {"release_year": 1991, "cover_url": None}
    assert (album.release_year, album.cover_url) == (1991, None)
    assert TrackFeaturesUpdate(tempo=90).model_dump(exclude_unset=True) == {"tempo": 90.0}


ALBUM = {"title": "T", "artist_name": "A"}
TRACK = {"album_id": str(uuid.uuid4()), "title": "T", "artist_name": "A"}
FEATURES = {"track_id": str(uuid.uuid4())}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (AlbumCreate, {"artist_name": "A"}, "title"),
        (AlbumCreate, {**ALBUM, "title": " "}, "title"),
        (AlbumCreate, {**ALBUM, "title": "x" * 256}, "title"),
        (AlbumCreate, {**ALBUM, "artist_name": "x" * 256}, "artist_name"),
        (AlbumCreate, {**ALBUM, "release_year": 999}, "release_year"),
        (AlbumCreate, {**ALBUM, "release_year": 2**31}, "release_year"),
        (AlbumCreate, {**ALBUM, "musicbrainz_id": "not-an-mbid"}, "musicbrainz_id"),
        (AlbumCreate, {**ALBUM, "spotify_id": "spotify:album:6dVIqQ8q"}, "spotify_id"),
        (AlbumCreate, {**ALBUM, "spotify_id": "x" * 65}, "spotify_id"),
        (AlbumCreate, {**ALBUM, "cover_url": "javascript:alert(1)"}, "cover_url"),
        (AlbumCreate, {**ALBUM, "cover_url": "ftp://covers.example/a.jpg"}, "cover_url"),
        (AlbumCreate, {**ALBUM, "match_key": "a\x1ft"}, "match_key"),
        (AlbumUpdate, {"title": None}, "title"),
        (AlbumUpdate, {"artist_name": None}, "artist_name"),
        (TrackCreate, {**TRACK, "album_id": None}, "album_id"),
        (TrackCreate, {**TRACK, "duration_ms": -1}, "duration_ms"),
        (TrackCreate, {**TRACK, "duration_ms": 2**31}, "duration_ms"),
        (TrackCreate, {**TRACK, "isrc": "GB-AYE-97-00271"}, "isrc"),
        (TrackCreate, {**TRACK, "isrc": "GBAYE970027"}, "isrc"),
        (TrackUpdate, {"title": None}, "title"),
        (TrackUpdate, {"album_id": str(uuid.uuid4())}, "album_id"),
        (GenreTagCreate, {"name": ""}, "name"),
        (GenreTagCreate, {"name": "x" * 65}, "name"),
        (GenreTagCreate, {"name": "Jazz", "slug": "jazz"}, "slug"),
        (GenreTagUpdate, {"name": None}, "name"),
        (TrackFeaturesCreate, {**FEATURES, "energy": 1.5}, "energy"),
        (TrackFeaturesCreate, {**FEATURES, "valence": -0.1}, "valence"),
        (TrackFeaturesCreate, {**FEATURES, "danceability": float("nan")}, "danceability"),
        (TrackFeaturesCreate, {**FEATURES, "tempo": -1}, "tempo"),
        (TrackFeaturesCreate, {**FEATURES, "tempo": float("inf")}, "tempo"),
        (TrackFeaturesUpdate, {"instrumentalness": 2}, "instrumentalness"),
        (TrackFeaturesUpdate, {"track_id": str(uuid.uuid4())}, "track_id"),
    ],
)
def test_invalid_catalog_input_is_refused(model: Any, data: dict[str, Any], field: str) -> None:
    assert_refused(model, data, field)
