"""ListenEvent and TasteProfile schemas: read from saved rows, bad input refused before the DB."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sidetrack.listening.models import ListenEvent, TasteProfile
from sidetrack.listening.records import ListenSource
from sidetrack.listening.schemas import (
    ListenEventCreate,
    ListenEventRead,
    ListenEventUpdate,
    TasteProfileCreate,
    TasteProfileRead,
    TasteProfileUpdate,
)
from tests.factories import create_listen, create_track, create_user
from tests.schema_support import assert_read_covers, assert_refused, assert_writes_columns, saved

BERLIN = timezone(timedelta(hours=1))


def test_schemas_match_the_tables() -> None:
    assert_read_covers(ListenEventRead, ListenEvent)
    assert_read_covers(TasteProfileRead, TasteProfile)
    assert_writes_columns(ListenEvent, ListenEventCreate, ListenEventUpdate)
    assert_writes_columns(TasteProfile, TasteProfileCreate, TasteProfileUpdate)


def test_listen_create_to_read_through_the_database(session: Session) -> None:
    user, track = create_user(session), create_track(session)
    data = ListenEventCreate(
        user_id=user.id,
        track_id=track.id,
        played_at=datetime(2026, 2, 1, 23, 30, tzinfo=BERLIN),
        source=ListenSource.LISTENBRAINZ,
        source_id="msid-1",
        ms_played=180_000,
    )
    listen = saved(session, ListenEvent(**data.model_dump()))

    read = ListenEventRead.model_validate(listen)

    assert (read.user_id, read.track_id, read.source) == (user.id, track.id, "listenbrainz")
    assert read.played_at == datetime(2026, 2, 1, 22, 30, tzinfo=UTC)
    assert read.played_at.utcoffset() == timedelta(0)
    assert (read.source_id, read.ms_played) == ("msid-1", 180_000)


def test_listen_read_from_a_factory_row(session: Session) -> None:
    played = datetime(2026, 2, 2, 8, tzinfo=UTC)
    listen = saved(
        session, create_listen(session, create_user(session), create_track(session), played)
    )
    assert ListenEventRead.model_validate(listen).model_dump(include={"played_at", "source"}) == {
        "played_at": played,
        "source": ListenSource.SPOTIFY,
    }


def test_taste_profile_create_to_read_through_the_database(session: Session) -> None:
    user = create_user(session)
    data = TasteProfileCreate(
        user_id=user.id,
        genre_histogram={"shoegaze": 0.6, "jazz": 0.4},
        feature_means={"energy": 0.7, "tempo": 121.5},
        time_of_day_histogram={"23": 12, "nested": {"ok": [1, None, "x"]}},
        last_computed_at=datetime(2026, 2, 3, tzinfo=UTC),
    )
    profile = saved(session, TasteProfile(**data.model_dump()))

    read = TasteProfileRead.model_validate(profile)

    assert read.user_id == user.id
    assert read.genre_histogram == {"shoegaze": 0.6, "jazz": 0.4}
    assert read.time_of_day_histogram == {"23": 12, "nested": {"ok": [1, None, "x"]}}
    assert read.last_computed_at == datetime(2026, 2, 3, tzinfo=UTC)


def test_update_dump_holds_only_what_was_sent() -> None:
    assert ListenEventUpdate(ms_played=0).model_dump(exclude_unset=True) == {"ms_played": 0}
    assert TasteProfileUpdate(feature_means=None).model_dump(exclude_unset=True) == {
        "feature_means": None
    }


LISTEN = {
    "user_id": str(uuid.uuid4()),
    "track_id": str(uuid.uuid4()),
    "played_at": "2026-02-01T10:00:00Z",
    "source": "spotify",
}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (ListenEventCreate, {**LISTEN, "played_at": "2026-02-01T10:00:00"}, "played_at"),
        (ListenEventCreate, {**LISTEN, "played_at": datetime(2026, 2, 1)}, "played_at"),
        (ListenEventCreate, {**LISTEN, "source": "napster"}, "source"),
        (ListenEventCreate, {**LISTEN, "source_id": "x" * 129}, "source_id"),
        (ListenEventCreate, {**LISTEN, "source_id": ""}, "source_id"),
        (ListenEventCreate, {**LISTEN, "ms_played": -1}, "ms_played"),
        (ListenEventCreate, {**LISTEN, "ms_played": 2**31}, "ms_played"),
        (ListenEventCreate, {k: v for k, v in LISTEN.items() if k != "track_id"}, "track_id"),
        (ListenEventUpdate, {"played_at": "2026-02-01T10:00:00Z"}, "played_at"),
        (TasteProfileCreate, {"user_id": "nope"}, "user_id"),
        (
            TasteProfileCreate,
            {"user_id": str(uuid.uuid4()), "genre_histogram": []},
            "genre_histogram",
        ),
        (TasteProfileUpdate, {"feature_means": {"when": datetime(2026, 1, 1)}}, "feature_means"),
        (TasteProfileUpdate, {"time_of_day_histogram": {"7": {1, 2}}}, "time_of_day_histogram"),
        (TasteProfileUpdate, {"last_computed_at": datetime(2026, 1, 1)}, "last_computed_at"),
        (TasteProfileUpdate, {"user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
def test_invalid_listening_input_is_refused(model: Any, data: dict[str, Any], field: str) -> None:
    assert_refused(model, data, field)
