"""The club's and the tracker's rules, enforced by the database itself on every backend.

Each test writes the violating row below the services (straight through the ORM) and shows
that the database refuses it.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sidetrack.club.models import Vote
from sidetrack.core.types import UTCDateTime, utcnow
from sidetrack.listening.models import ListenEvent
from sidetrack.listening.records import ListenSource
from sidetrack.social.models import Compatibility, Follow
from sidetrack.users.models import ProviderType
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


def refused(session: Session, write: Callable[[], object]) -> None:
    """Assert the write raises IntegrityError at flush; the test's transaction stays usable."""
    with pytest.raises(IntegrityError), session.begin_nested():
        write()
        session.flush()


# --- votes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rank", [0, 3, -1])
def test_vote_rank_must_be_1_or_2(session: Session, rank: int) -> None:
    nomination = create_nomination(session)
    refused(session, lambda: create_vote(session, nomination, rank=rank))


@pytest.mark.parametrize("rank", [1, 2])
def test_vote_rank_1_and_2_are_accepted(session: Session, rank: int) -> None:
    vote = create_vote(session, create_nomination(session), rank=rank)
    assert session.get(Vote, vote.id) is not None


def test_one_vote_per_week_user_and_rank(session: Session) -> None:
    week = create_week(session)
    voter = create_user(session)
    first = create_nomination(session, week=week)
    second = create_nomination(session, week=week)
    create_vote(session, first, user=voter, rank=1)
    refused(session, lambda: create_vote(session, second, user=voter, rank=1))


def test_both_ranks_on_one_nomination_refused(session: Session) -> None:
    voter = create_user(session)
    nomination = create_nomination(session)
    create_vote(session, nomination, user=voter, rank=1)
    refused(session, lambda: create_vote(session, nomination, user=voter, rank=2))


def test_vote_nomination_must_belong_to_the_vote_week(session: Session) -> None:
    other_week = create_week(session)
    nomination = create_nomination(session)
    voter = create_user(session)
    refused(
        session,
        lambda: session.add(
            Vote(week_id=other_week.id, user_id=voter.id, nomination_id=nomination.id, rank=1)
        ),
    )


# --- ratings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 5.5, 0.0, 4.3, 2.25, 6.0])
def test_rating_value_outside_range_or_half_steps_refused(session: Session, value: float) -> None:
    refused(session, lambda: create_rating(session, value=value))


@pytest.mark.parametrize("value", [1.0, 1.5, 3.0, 4.5, 5.0])
def test_rating_half_steps_accepted(session: Session, value: float) -> None:
    assert create_rating(session, value=value).value == value


def test_one_club_rating_per_week_and_user(session: Session) -> None:
    week = create_week(session)
    user = create_user(session)
    album = create_album(session)
    create_rating(session, user=user, album=album, week=week)
    refused(session, lambda: create_rating(session, user=user, album=album, week=week))


def test_one_personal_rating_per_user_and_album(session: Session) -> None:
    user = create_user(session)
    album = create_album(session)
    create_rating(session, user=user, album=album)
    refused(session, lambda: create_rating(session, user=user, album=album, value=2.0))


def test_club_and_personal_rating_of_one_album_coexist(session: Session) -> None:
    user = create_user(session)
    album = create_album(session)
    club = create_rating(session, user=user, album=album, week=create_week(session))
    personal = create_rating(session, user=user, album=album, value=2.5)
    assert club.week_id is not None
    assert personal.week_id is None


# --- nominations -------------------------------------------------------------------------------


def test_one_nomination_per_week_user_and_album(session: Session) -> None:
    week = create_week(session)
    user = create_user(session)
    album = create_album(session)
    create_nomination(session, week=week, user=user, album=album)
    refused(session, lambda: create_nomination(session, week=week, user=user, album=album))


# --- social ------------------------------------------------------------------------------------


def test_user_cannot_follow_themself(session: Session) -> None:
    user = create_user(session)
    refused(session, lambda: session.add(Follow(follower_id=user.id, followee_id=user.id)))


def test_one_follow_per_pair(session: Session) -> None:
    a, b = create_user(session), create_user(session)
    session.add(Follow(follower_id=a.id, followee_id=b.id))
    session.flush()
    refused(session, lambda: session.add(Follow(follower_id=a.id, followee_id=b.id)))
    # The other direction is a different follow.
    session.add(Follow(follower_id=b.id, followee_id=a.id))
    session.flush()


def test_compatibility_pair_is_stored_once_in_order(session: Session) -> None:
    low, high = sorted([create_user(session).id, create_user(session).id])
    session.add(Compatibility(user_a_id=low, user_b_id=high, score=50.0))
    session.flush()
    refused(session, lambda: session.add(Compatibility(user_a_id=high, user_b_id=low, score=50.0)))
    refused(session, lambda: session.add(Compatibility(user_a_id=low, user_b_id=high, score=60.0)))
    refused(session, lambda: session.add(Compatibility(user_a_id=low, user_b_id=low, score=60.0)))


# --- linked accounts ---------------------------------------------------------------------------


def test_one_linked_account_per_provider_identity(session: Session) -> None:
    create_linked_account(session, create_user(session), provider_user_id="42")
    other = create_user(session)
    refused(session, lambda: create_linked_account(session, other, provider_user_id="42"))


def test_one_linked_account_per_user_and_provider(session: Session) -> None:
    user = create_user(session)
    create_linked_account(session, user, provider=ProviderType.SPOTIFY)
    refused(session, lambda: create_linked_account(session, user, provider=ProviderType.SPOTIFY))
    assert create_linked_account(session, user, provider=ProviderType.LASTFM).user_id == user.id


def test_unknown_provider_refused_by_the_database(session: Session) -> None:
    user = create_user(session)
    # Raw SQL, because the ORM's enum type would refuse the value before the database sees it.
    insert = text(
        "INSERT INTO linked_accounts (id, user_id, provider, provider_user_id, created_at, "
        "updated_at) VALUES (:id, :user_id, 'myspace', 'x', :now, :now)"
    ).bindparams(
        bindparam("id", type_=Uuid()),
        bindparam("user_id", type_=Uuid()),
        bindparam("now", type_=UTCDateTime()),
    )
    refused(
        session,
        lambda: session.execute(insert, {"id": uuid.uuid4(), "user_id": user.id, "now": utcnow()}),
    )


def test_unknown_week_phase_refused_by_the_database(session: Session) -> None:
    insert = text(
        "INSERT INTO weeks (id, label, phase, created_at, updated_at) "
        "VALUES (:id, 'WEEK 900', 'voting', :now, :now)"
    ).bindparams(bindparam("id", type_=Uuid()), bindparam("now", type_=UTCDateTime()))
    refused(session, lambda: session.execute(insert, {"id": uuid.uuid4(), "now": utcnow()}))


def test_unknown_listen_source_refused_by_the_database(session: Session) -> None:
    user, track = create_user(session), create_track(session)
    insert = text(
        "INSERT INTO listen_events (user_id, played_at, track_id, source, created_at) "
        "VALUES (:user_id, :now, :track_id, 'napster', :now)"
    ).bindparams(
        bindparam("user_id", type_=Uuid()),
        bindparam("track_id", type_=Uuid()),
        bindparam("now", type_=UTCDateTime()),
    )
    refused(
        session,
        lambda: session.execute(
            insert, {"user_id": user.id, "track_id": track.id, "now": utcnow()}
        ),
    )


# --- listens -----------------------------------------------------------------------------------


def test_same_play_is_stored_once(session: Session) -> None:
    user = create_user(session)
    track = create_track(session)
    played_at = datetime(2025, 3, 1, 20, 15, tzinfo=UTC)
    session.add(
        ListenEvent(user_id=user.id, track_id=track.id, played_at=played_at, source="spotify")
    )
    session.flush()
    refused(
        session,
        lambda: session.add(
            ListenEvent(
                user_id=user.id,
                track_id=track.id,
                played_at=played_at,
                source=ListenSource.LASTFM,
            )
        ),
    )


def test_week_winner_must_be_one_of_its_own_nominations(session: Session) -> None:
    week = create_week(session)
    elsewhere = create_nomination(session)
    own = create_nomination(session, week=week)
    week.winner_nomination_id = own.id
    session.flush()

    def crown_another_weeks_nomination() -> None:
        week.winner_nomination_id = elsewhere.id

    refused(session, crown_another_weeks_nomination)
