"""Pydantic schemas for reading and writing plays (ListenEvent) and TasteProfiles."""

import uuid
from typing import Annotated, Any

from pydantic import AwareDatetime, JsonValue, StringConstraints

from sidetrack.core.schemas import NonNegativeInt32, ReadModel, WriteModel
from sidetrack.listening.models import ListenSource

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
