"""Pydantic schemas for reading and writing Follows, Compatibilities and UserRecommendations."""

import uuid
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, JsonValue, ValidationInfo, field_validator

from sidetrack.core.schemas import NotNull, ReadModel, WriteModel

CompatibilityScore = Annotated[float, Field(ge=0.0, le=100.0)]


class FollowRead(ReadModel):
    id: uuid.UUID
    follower_id: uuid.UUID
    followee_id: uuid.UUID
    created_at: AwareDatetime


class FollowCreate(WriteModel):
    # Following oneself is refused by the service (and the database), not here.
    follower_id: uuid.UUID
    followee_id: uuid.UUID


# No FollowUpdate: a follow has nothing to edit, only to create or delete.


class CompatibilityRead(ReadModel):
    id: uuid.UUID
    user_a_id: uuid.UUID
    user_b_id: uuid.UUID
    score: float
    payload: dict[str, Any] | None
    computed_at: AwareDatetime


class CompatibilityCreate(WriteModel):
    user_a_id: uuid.UUID
    user_b_id: uuid.UUID
    score: CompatibilityScore
    payload: dict[str, JsonValue] | None = None

    @field_validator("user_b_id")
    @classmethod
    def _pair_ordered(cls, user_b_id: uuid.UUID, info: ValidationInfo) -> uuid.UUID:
        # Each pair is stored once, smaller id first (the table's CHECK). Swapping here would
        # mislabel a payload that says which side is which, so the caller must order it.
        # UUIDs compare by value in Python, as bytes in PostgreSQL and as hex text in SQLite:
        # the same order.
        user_a_id = info.data.get("user_a_id")
        if user_a_id is not None and not user_a_id < user_b_id:
            raise ValueError("must be greater than user_a_id: each pair is stored smaller id first")
        return user_b_id


class CompatibilityUpdate(WriteModel):
    score: Annotated[CompatibilityScore | None, NotNull] = None
    payload: dict[str, JsonValue] | None = None


class UserRecommendationRead(ReadModel):
    id: uuid.UUID
    user_id: uuid.UUID
    album_id: uuid.UUID
    score: float
    reason: str | None
    created_at: AwareDatetime


class UserRecommendationCreate(WriteModel):
    user_id: uuid.UUID
    album_id: uuid.UUID
    score: float
    reason: str | None = None


class UserRecommendationUpdate(WriteModel):
    score: Annotated[float | None, NotNull] = None
    reason: str | None = None
