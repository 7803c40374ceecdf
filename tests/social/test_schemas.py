"""Social schemas: read from saved rows, pair order as the database orders it, bad input refused."""

import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sidetrack.social.models import Compatibility, Follow, UserRecommendation
from sidetrack.social.schemas import (
    CompatibilityCreate,
    CompatibilityRead,
    CompatibilityUpdate,
    FollowCreate,
    FollowRead,
    UserRecommendationCreate,
    UserRecommendationRead,
    UserRecommendationUpdate,
)
from tests.factories import create_album, create_user
from tests.schema_support import assert_read_covers, assert_refused, assert_writes_columns, saved

LOW = uuid.UUID(int=1)
HIGH = uuid.UUID(int=2)


def test_schemas_match_the_tables() -> None:
    assert_read_covers(FollowRead, Follow)
    assert_read_covers(CompatibilityRead, Compatibility)
    assert_read_covers(UserRecommendationRead, UserRecommendation)
    assert_writes_columns(Follow, FollowCreate)
    assert_writes_columns(Compatibility, CompatibilityCreate, CompatibilityUpdate)
    assert_writes_columns(UserRecommendation, UserRecommendationCreate, UserRecommendationUpdate)


def test_follow_create_to_read_through_the_database(session: Session) -> None:
    follower, followee = create_user(session), create_user(session)
    data = FollowCreate(follower_id=follower.id, followee_id=followee.id)
    follow = saved(session, Follow(**data.model_dump()))

    read = FollowRead.model_validate(follow)

    assert (read.id, read.follower_id, read.followee_id) == (follow.id, follower.id, followee.id)
    assert read.created_at.utcoffset() is not None


def test_compatibility_pairs_ordered_in_python_are_ordered_in_the_database(
    session: Session,
) -> None:
    # The schema checks user_a_id < user_b_id in Python; the CHECK compares them in SQL. Any
    # pair the schema accepts must be accepted by the database, on every backend.
    users = [create_user(session) for _ in range(6)]
    rows = []
    for first, second in itertools.combinations(users, 2):
        low, high = sorted([first.id, second.id])
        data = CompatibilityCreate(user_a_id=low, user_b_id=high, score=50, payload={"n": 1})
        rows.append(saved(session, Compatibility(**data.model_dump())))

    read = CompatibilityRead.model_validate(rows[0])

    assert len(rows) == 15
    assert (read.user_a_id, read.user_b_id) == (rows[0].user_a_id, rows[0].user_b_id)
    assert (read.score, read.payload) == (50.0, {"n": 1})
    assert read.computed_at.utcoffset() is not None


def test_recommendation_create_to_read_through_the_database(session: Session) -> None:
    user, album = create_user(session), create_album(session)
    data = UserRecommendationCreate(
        user_id=user.id, album_id=album.id, score=0.93, reason="Because you rated Loveless 5"
    )
    recommendation = saved(session, UserRecommendation(**data.model_dump()))

    read = UserRecommendationRead.model_validate(recommendation)

    assert (read.user_id, read.album_id, read.score) == (user.id, album.id, 0.93)
    assert read.reason == "Because you rated Loveless 5"


def test_update_dump_holds_only_what_was_sent() -> None:
    assert CompatibilityUpdate(score=12.5).model_dump(exclude_unset=True) == {"score": 12.5}
    assert UserRecommendationUpdate(reason=None).model_dump(exclude_unset=True) == {"reason": None}


def test_following_oneself_is_left_to_the_service() -> None:
    assert FollowCreate(follower_id=LOW, followee_id=LOW).followee_id == LOW


PAIR = {"user_a_id": str(LOW), "user_b_id": str(HIGH), "score": 70}
RECOMMENDATION = {"user_id": str(LOW), "album_id": str(HIGH), "score": 1}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (FollowCreate, {"follower_id": str(LOW)}, "followee_id"),
        (FollowCreate, {"follower_id": str(LOW), "followee_id": "me"}, "followee_id"),
        (CompatibilityCreate, {**PAIR, "user_a_id": str(HIGH), "user_b_id": str(LOW)}, "user_b_id"),
        (CompatibilityCreate, {**PAIR, "user_b_id": str(LOW)}, "user_b_id"),
        (CompatibilityCreate, {**PAIR, "score": -0.1}, "score"),
        (CompatibilityCreate, {**PAIR, "score": 100.5}, "score"),
        (CompatibilityCreate, {**PAIR, "score": float("nan")}, "score"),
        (CompatibilityCreate, {**PAIR, "payload": {"at": object()}}, "payload"),
        (CompatibilityUpdate, {"score": None}, "score"),
        (CompatibilityUpdate, {"user_a_id": str(LOW)}, "user_a_id"),
        (UserRecommendationCreate, {**RECOMMENDATION, "score": float("inf")}, "score"),
        (UserRecommendationCreate, {**RECOMMENDATION, "album_id": None}, "album_id"),
        (UserRecommendationUpdate, {"score": None}, "score"),
        (UserRecommendationUpdate, {"album_id": str(HIGH)}, "album_id"),
    ],
)
def test_invalid_social_input_is_refused(model: Any, data: dict[str, Any], field: str) -> None:
    assert_refused(model, data, field)
