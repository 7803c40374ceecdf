"""Club schemas: read from saved rows, thread ids as strings, club rules refused before the DB."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.club.schemas import (
    NominationCreate,
    NominationRead,
    NominationUpdate,
    RatingCreate,
    RatingRead,
    RatingSubmit,
    RatingUpdate,
    VoteCreate,
    VoteRead,
    VoteSubmit,
    VoteUpdate,
    WeekCreate,
    WeekRead,
    WeekUpdate,
)
from tests.factories import (
    create_album,
    create_nomination,
    create_rating,
    create_user,
    create_vote,
    create_week,
)
from tests.schema_support import assert_read_covers, assert_refused, assert_writes_columns, saved

# Above 2**53, where a JavaScript number would round it to 1234567890123456800.
THREAD = 1234567890123456789


def test_schemas_match_the_tables() -> None:
    assert_read_covers(WeekRead, Week)
    assert_read_covers(NominationRead, Nomination)
    assert_read_covers(VoteRead, Vote)
    assert_read_covers(RatingRead, Rating)
    assert_writes_columns(Week, WeekCreate, WeekUpdate)
    assert_writes_columns(Nomination, NominationCreate, NominationUpdate)
    assert_writes_columns(Vote, VoteCreate, VoteUpdate)
    assert_writes_columns(Rating, RatingCreate, RatingUpdate)


def test_week_read_serialises_thread_ids_as_strings(session: Session) -> None:
    week = saved(session, create_week(session, poll_thread_id=THREAD, winner_thread_id=2**63 - 1))

    read = WeekRead.model_validate(week)

    assert read.poll_thread_id == THREAD  # Python callers (the bot) still get an int
    as_json = json.loads(read.model_dump_json())
    assert as_json["poll_thread_id"] == str(THREAD)
    assert as_json["winner_thread_id"] == str(2**63 - 1)
    assert as_json["ratings_thread_id"] is None
    assert read.model_dump()["poll_thread_id"] == str(THREAD)
    assert WeekRead.model_validate_json(read.model_dump_json()) == read


def test_week_read_from_a_saved_row(session: Session) -> None:
    winner = create_album(session)
    week = saved(session, create_week(session, phase=WeekPhase.POLL, winner_album_id=winner.id))

    read = WeekRead.model_validate(week)

    assert (read.id, read.label, read.phase) == (week.id, week.label, WeekPhase.POLL)
    assert read.winner_album_id == winner.id
    assert read.discussion_at == datetime(2026, 1, 11, 12, tzinfo=UTC)
    assert read.winner_override_by is None


@pytest.mark.parametrize("given", [THREAD, str(THREAD)])
def test_thread_ids_accepted_as_int_or_numeric_string(session: Session, given: Any) -> None:
    data = WeekCreate.model_validate({"label": "WEEK 900", "ratings_thread_id": given})
    assert data.ratings_thread_id == THREAD

    # The write dump keeps the int, so it goes into the BIGINT column unchanged.
    week = saved(session, Week(**data.model_dump()))
    assert week.ratings_thread_id == THREAD
    assert week.phase is WeekPhase.NOMINATIONS


def test_thread_id_from_json_string_keeps_every_digit() -> None:
    data = WeekUpdate.model_validate_json(f'{{"poll_thread_id": "{THREAD}"}}')
    assert data.poll_thread_id == THREAD


def test_nomination_vote_and_ratings_read_from_saved_rows(session: Session) -> None:
    nomination = create_nomination(
        session, pitch="Play it loud", pitch_track_url="https://youtu.be/x", decade="1990s"
    )
    vote = create_vote(session, nomination, rank=2)
    week = session.get(Week, nomination.week_id)
    club = create_rating(session, week=week, value=4.5, favorite_track="Airbag")
    personal = create_rating(session, value=1.0)
    for row in (nomination, vote, club, personal):
        saved(session, row)

    read_nomination = NominationRead.model_validate(nomination)
    read_vote = VoteRead.model_validate(vote)
    read_club = RatingRead.model_validate(club)
    read_personal = RatingRead.model_validate(personal)

    assert (read_nomination.id, read_nomination.week_id) == (nomination.id, nomination.week_id)
    assert read_nomination.pitch_track_url == "https://youtu.be/x"
    assert (read_vote.nomination_id, read_vote.rank) == (nomination.id, 2)
    assert (read_club.week_id, read_club.value, read_club.favorite_track) == (
        nomination.week_id,
        4.5,
        "Airbag",
    )
    assert (read_personal.week_id, read_personal.value) == (None, 1.0)


def test_create_models_fill_rows(session: Session) -> None:
    week = create_week(session)
    album = create_album(session)
    nominator, voter = create_user(session), create_user(session)

    nomination = saved(
        session,
        Nomination(
            **NominationCreate(
                week_id=week.id,
                user_id=nominator.id,
                album_id=album.id,
                pitch_track_url="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
            ).model_dump()
        ),
    )
    vote = saved(
        session,
        Vote(
            **VoteCreate(
                week_id=week.id, user_id=voter.id, nomination_id=nomination.id, rank=1
            ).model_dump()
        ),
    )
    rating = saved(
        session,
        Rating(**RatingCreate(user_id=voter.id, album_id=album.id, value="3.5").model_dump()),
    )

    assert isinstance(nomination.pitch_track_url, str)
    assert (vote.rank, rating.value, rating.week_id) == (1, 3.5, None)


@pytest.mark.parametrize("value", [1, 1.5, 3.0, 4.5, 5, "2.5"])
def test_ratings_in_half_steps_accepted(value: Any) -> None:
    assert RatingUpdate.model_validate({"value": value}).value == float(value)


def test_update_dump_holds_only_what_was_sent() -> None:
    changes = RatingUpdate.model_validate({"review": None, "value": 2})
    assert changes.model_dump(exclude_unset=True) == {"review": None, "value": 2.0}
    assert NominationUpdate(genre="shoegaze").model_dump(exclude_unset=True) == {
        "genre": "shoegaze"
    }


WEEK = {"label": "WEEK 001"}
IDS = {"week_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4())}
NOMINATION = {**IDS, "album_id": str(uuid.uuid4())}
VOTE = {**IDS, "nomination_id": str(uuid.uuid4()), "rank": 1}
RATING = {"user_id": str(uuid.uuid4()), "album_id": str(uuid.uuid4()), "value": 4}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (WeekCreate, {}, "label"),
        (WeekCreate, {"label": " "}, "label"),
        (WeekCreate, {"label": "x" * 256}, "label"),
        (WeekCreate, {**WEEK, "week_number": 0}, "week_number"),
        (WeekCreate, {**WEEK, "week_number": 2**31}, "week_number"),
        (WeekCreate, {**WEEK, "phase": "voting"}, "phase"),
        (WeekCreate, {**WEEK, "poll_close_at": "2026-01-08T20:00:00"}, "poll_close_at"),
        (WeekCreate, {**WEEK, "discussion_at": datetime(2026, 1, 11)}, "discussion_at"),
        (WeekCreate, {**WEEK, "poll_thread_id": 1.234567890123456e18}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": True}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": "12e3"}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": "-5"}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": ""}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": 0}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "poll_thread_id": 2**63}, "poll_thread_id"),
        (WeekCreate, {**WEEK, "winner_album_id": str(uuid.uuid4())}, "winner_album_id"),
        (WeekUpdate, {"label": None}, "label"),
        (WeekUpdate, {"phase": "closed"}, "phase"),
        (WeekUpdate, {"winner_thread_id": "１２３"}, "winner_thread_id"),
        (
            NominationCreate,
            {**NOMINATION, "pitch_track_url": "javascript:alert(1)"},
            "pitch_track_url",
        ),
        (NominationCreate, {**NOMINATION, "pitch_track_url": "not a url"}, "pitch_track_url"),
        (
            NominationCreate,
            {**NOMINATION, "pitch_track_url": "ftp://x.org/a.mp3"},
            "pitch_track_url",
        ),
        (NominationCreate, {**NOMINATION, "genre": "x" * 65}, "genre"),
        (NominationCreate, {**NOMINATION, "decade": "x" * 17}, "decade"),
        (NominationCreate, {**NOMINATION, "country": "x" * 65}, "country"),
        (NominationCreate, {**IDS}, "album_id"),
        (NominationUpdate, {"album_id": str(uuid.uuid4())}, "album_id"),
        (NominationUpdate, {"pitch_track_url": "mailto:a@b.c"}, "pitch_track_url"),
        (VoteCreate, {**VOTE, "rank": 0}, "rank"),
        (VoteCreate, {**VOTE, "rank": 3}, "rank"),
        (VoteCreate, {**VOTE, "rank": "first"}, "rank"),
        (VoteCreate, {**VOTE, "rank": True}, "rank"),
        (
            VoteSubmit,
            {"user": {"user_id": IDS["user_id"]}, "nomination_id": IDS["week_id"], "rank": True},
            "rank",
        ),
        (VoteUpdate, {"rank": None}, "rank"),
        (VoteUpdate, {"nomination_id": None}, "nomination_id"),
        (VoteUpdate, {"week_id": str(uuid.uuid4())}, "week_id"),
        (RatingCreate, {**RATING, "value": 0.5}, "value"),
        (RatingCreate, {**RATING, "value": 5.5}, "value"),
        (RatingCreate, {**RATING, "value": 4.3}, "value"),
        (RatingCreate, {**RATING, "value": 4.25}, "value"),
        (RatingCreate, {**RATING, "value": float("nan")}, "value"),
        (RatingCreate, {**RATING, "value": "four"}, "value"),
        (RatingCreate, {**RATING, "value": True}, "value"),
        (RatingSubmit, {"user": {"user_id": IDS["user_id"]}, "value": True}, "value"),
        (RatingCreate, {**RATING, "favorite_track": "x" * 256}, "favorite_track"),
        (RatingCreate, {**RATING, "review_hidden_by": "mod"}, "review_hidden_by"),
        (RatingUpdate, {"value": None}, "value"),
        (RatingUpdate, {"user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
def test_invalid_club_input_is_refused(model: Any, data: dict[str, Any], field: str) -> None:
    assert_refused(model, data, field)
