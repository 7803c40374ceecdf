"""Conventions every model keeps: aware UTC timestamps that fill themselves, no lazy loading."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import DateTime, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, configure_mappers

import sidetrack.models  # noqa: F401  (every table in Base.metadata)
from sidetrack.catalog.models import TrackFeatures
from sidetrack.core.db import Base
from sidetrack.core.types import UTCDateTime
from sidetrack.social.models import Compatibility
from sidetrack.users.models import User
from tests.factories import (
    create_album,
    create_linked_account,
    create_nomination,
    create_rating,
    create_track,
    create_user,
    create_vote,
    create_week,
)

# Wall-clock values on purpose: a local hour and a local month, not instants.
LOCAL_TIME_COLUMNS = {("listen_hour_counts", "local_hour")}
# The bookkeeping columns, and whether they move on update as well.
BOOKKEEPING = {"created_at": False, "updated_at": True, "computed_at": True}


def test_every_instant_is_an_aware_utc_timestamp() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if not isinstance(column.type, DateTime | UTCDateTime):
                continue
            if (table.name, column.name) in LOCAL_TIME_COLUMNS:
                assert not isinstance(column.type, UTCDateTime), column
            else:
                assert isinstance(column.type, UTCDateTime), f"{table.name}.{column.name}"


def test_every_bookkeeping_timestamp_fills_itself() -> None:
    seen = set()
    for table in Base.metadata.tables.values():
        for name, on_update in BOOKKEEPING.items():
            if name not in table.columns:
                continue
            column = table.columns[name]
            seen.add(name)
            assert not column.nullable, f"{table.name}.{name}"
            assert column.default is not None, f"{table.name}.{name} has no default"
            assert (column.onupdate is not None) == on_update, f"{table.name}.{name} onupdate"
    assert seen == set(BOOKKEEPING)


LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)

# A row of each table with created_at/updated_at, and a change to make to it.
ROWS: dict[str, tuple[Callable[[Session], Any], str, Any]] = {
    "users": (create_user, "display_name", "Renamed"),
    "linked_accounts": (
        lambda s: create_linked_account(s, create_user(s)),
        "provider_username",
        "renamed",
    ),
    "albums": (create_album, "release_year", 1999),
    "tracks": (create_track, "duration_ms", 1234),
    "weeks": (create_week, "label", "WEEK 999"),
    "nominations": (create_nomination, "pitch", "Listen to it"),
    "votes": (lambda s: create_vote(s, create_nomination(s), rank=1), "rank", 2),
    "ratings": (create_rating, "review", "Better on the second listen"),
}


@pytest.mark.parametrize("table", sorted(ROWS))
def test_created_at_is_set_once_and_updated_at_on_every_change(
    session: Session, table: str
) -> None:
    make, attribute, value = ROWS[table]
    before = datetime.now(UTC)
    row = make(session)
    assert before <= row.created_at <= datetime.now(UTC)
    assert before <= row.updated_at <= datetime.now(UTC)
    # Age the row, then change it through the ORM.
    model = type(row)
    session.execute(
        update(model).where(model.id == row.id).values(created_at=LONG_AGO, updated_at=LONG_AGO)
    )
    session.expire(row)
    setattr(row, attribute, value)
    session.flush()
    session.expire(row)
    assert row.created_at == LONG_AGO
    assert row.updated_at >= before


def test_track_features_and_compatibilities_keep_their_own_timestamps(session: Session) -> None:
    before = datetime.now(UTC)
    features = TrackFeatures(track_id=create_track(session).id, energy=0.5)
    low, high = sorted([create_user(session).id, create_user(session).id])
    compatibility = Compatibility(user_a_id=low, user_b_id=high, score=50.0)
    session.add_all([features, compatibility])
    session.flush()
    assert features.updated_at >= before
    assert compatibility.computed_at >= before

    session.execute(update(TrackFeatures).values(updated_at=LONG_AGO))
    session.execute(update(Compatibility).values(computed_at=LONG_AGO))
    session.expire_all()
    features.energy = 0.9
    compatibility.score = 75.0
    session.flush()
    session.expire_all()
    assert features.updated_at >= before
    assert compatibility.computed_at >= before


def test_every_relationship_refuses_to_lazy_load() -> None:
    configure_mappers()
    relationships = [
        (mapper.class_.__name__, relationship.key, relationship.lazy)
        for mapper in Base.registry.mappers
        for relationship in mapper.relationships
    ]
    assert relationships
    assert [r for r in relationships if r[2] != "raise"] == []


def test_touching_an_unloaded_relationship_raises(session: Session) -> None:
    user = create_user(session)
    create_linked_account(session, user)
    session.expunge_all()
    stored = session.get(User, user.id)
    assert stored is not None
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        _ = stored.linked_accounts
