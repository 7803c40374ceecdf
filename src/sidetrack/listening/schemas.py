"""Pydantic schemas for reading and writing plays (ListenEvent) and TasteProfiles."""

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, JsonValue, StringConstraints

from sidetrack.core.schemas import NonNegativeInt32, ReadModel, WriteModel
from sidetrack.listening.records import ListenSource

SourceId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
# JSON columns: anything else (a datetime, a set) would only fail when the row is flushed.
JsonObject = dict[str, JsonValue]


class ListenEventRead(ReadModel):
    user_id: uuid.UUID
    played_at: AwareDatetime
    track_id: uuid.UUID
    source: ListenSource
    source_id: str | None
    ms_played: int | None
    created_at: AwareDatetime


class ListenEventCreate(WriteModel):
    user_id: uuid.UUID
    played_at: AwareDatetime
    track_id: uuid.UUID
    source: ListenSource
    source_id: SourceId | None = None
    ms_played: NonNegativeInt32 | None = None


class ListenEventUpdate(WriteModel):
    """Details only: member, time and track are the play's identity (its primary key)."""

    source_id: SourceId | None = None
    ms_played: NonNegativeInt32 | None = None


class TasteProfileRead(ReadModel):
    user_id: uuid.UUID
    genre_histogram: dict[str, Any] | None
    feature_means: dict[str, Any] | None
    time_of_day_histogram: dict[str, Any] | None
    last_computed_at: AwareDatetime | None


class _TasteProfileValues(WriteModel):
    genre_histogram: JsonObject | None = None
    feature_means: JsonObject | None = None
    time_of_day_histogram: JsonObject | None = None
    last_computed_at: AwareDatetime | None = None


class TasteProfileCreate(_TasteProfileValues):
    user_id: uuid.UUID


class TasteProfileUpdate(_TasteProfileValues):
    pass


# --- the HTTP API's responses: history and statistics ----------------------------------------

StatsRangeName = Literal["week", "month", "quarter", "half_year", "year", "all_time"]


class ListenItem(BaseModel):
    played_at: AwareDatetime
    track_id: uuid.UUID
    track_title: str
    artist_name: str
    album_id: uuid.UUID
    album_title: str | None = Field(description="Null when the source gave no album.")
    source: ListenSource
    ms_played: int | None


class ListenPage(BaseModel):
    items: list[ListenItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next, older page.")


class TopArtist(BaseModel):
    artist_name: str
    plays: int


class TopAlbum(BaseModel):
    album_id: uuid.UUID
    title: str | None
    artist_name: str
    plays: int


class TopTrack(BaseModel):
    track_id: uuid.UUID
    title: str
    artist_name: str
    album_title: str | None
    plays: int


class NewArtist(BaseModel):
    artist_name: str
    first_played_at: AwareDatetime


class ListeningStats(BaseModel):
    range: StatsRangeName | Literal["custom"]
    time_zone: str = Field(description="The member's zone: days and hours are counted in it.")
    start: date | None = Field(description="First local day counted (null for all time).")
    end: date = Field(description="Last local day counted.")
    total_plays: int
    listening_ms: int = Field(description="Time heard: ms played, or the track length.")
    top_artists: list[TopArtist]
    top_albums: list[TopAlbum]
    top_tracks: list[TopTrack]
    plays_per_day: dict[date, int] = Field(description="Local days with at least one play.")
    plays_per_hour: list[int] = Field(description="24 counts, local hours 0 to 23.")
    new_artists: list[NewArtist] = Field(description="Artists first heard in the range.")
