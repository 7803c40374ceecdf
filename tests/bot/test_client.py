"""The bot's API client against the real app: typed answers, the API's refusals, and outages."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidetrack.bot.client import ApiError, ApiUnavailable, ClubClient, Member, Retry
from sidetrack.bot.forms import NominationForm, RatingForm
from sidetrack.club.models import Nomination, WeekPhase
from sidetrack.club.schemas import WeekDetail
from tests.bot.conftest import Switchable

pytestmark = pytest.mark.anyio

START = datetime(2026, 1, 5, 20, tzinfo=UTC)
ANN = Member(101, "Ann")
BEN = Member(102, "Ben")
CAT = Member(103, "Cat")


async def new_week(club: ClubClient, number: int = 1) -> WeekDetail:
    return await club.create_week(
        f"WEEK {number:03} [2026-01-05]",
        week_number=number,
        nominations_close_at=START + timedelta(days=2),
        poll_close_at=START + timedelta(days=3),
        discussion_at=START + timedelta(days=6),
        ratings_close_at=START + timedelta(days=9),
    )


async def test_a_week_through_the_client(club: ClubClient) -> None:
    week = await new_week(club)
    assert week.phase == WeekPhase.NOMINATIONS
    assert week.nominations_close_at == START + timedelta(days=2)

    first, created = await club.submit_nomination(
        week.id, ANN, NominationForm("Homogenic", "Björk", 1997, "Strings", decade="1990s")
    )
    assert created and first.album.title == "Homogenic" and first.nominator.display_name == "Ann"
    again, created = await club.submit_nomination(
        week.id, ANN, NominationForm("Homogenic", "Björk", 1997, "Strings and beats")
    )
    assert not created and again.id == first.id and again.pitch == "Strings and beats"
    second, _ = await club.submit_nomination(week.id, BEN, NominationForm("Blue", "Joni Mitchell"))
    assert [n.id for n in await club.list_nominations(week.id)] == [first.id, second.id]

    updated = await club.update_week(week.id, nominations_thread_id=2**62 + 1)
    assert updated.nominations_thread_id == 2**62 + 1

    poll = await club.close_nominations(week.id)
    assert poll.phase == WeekPhase.POLL
    vote = await club.cast_vote(week.id, CAT, first.id, 1)
    assert vote.rank == 1 and vote.nomination_id == first.id
    await club.cast_vote(week.id, CAT, second.id, 2)
    summary = await club.poll_summary(week.id)
    assert [(r.nomination_id, r.points) for r in summary.results] == [(first.id, 2), (second.id, 1)]

    closed = await club.close_poll(week.id)
    assert closed.winner is not None and closed.winner.id == first.id
    rating, created = await club.submit_rating(week.id, BEN, RatingForm(4.5, "Jóga", "Cold."))
    assert created and rating.value == 4.5 and rating.favorite_track == "Jóga"
    await club.open_ratings(week.id)
    assert (await club.ratings_summary(week.id)).average == 4.5
    assert [r.member.display_name for r in await club.list_ratings(week.id)] == ["Ben"]
    assert (await club.current_week()) is not None
    done = await club.close_week(week.id)
    assert done.phase == WeekPhase.CLOSED
    assert await club.current_week() is None
    assert (await club.list_weeks()).items[0].id == week.id
    assert (await club.get_week(week.id)).ratings_summary.count == 1


async def test_refusals_carry_the_apis_error(club: ClubClient) -> None:
    week = await new_week(club)
    nomination, _ = await club.submit_nomination(week.id, ANN, NominationForm("Blue", "Joni"))
    with pytest.raises(ApiError) as error:
        await club.cast_vote(week.id, BEN, nomination.id, 1)
    assert error.value.status == 409
    assert error.value.code == "wrong_phase"
    assert "nominations" in error.value.message
    assert error.value.details == {"phase": "nominations"}

    await club.close_nominations(week.id)
    with pytest.raises(ApiError) as error:
        await club.cast_vote(week.id, ANN, nomination.id, 1)
    assert error.value.code == "invalid"
    assert error.value.message == "You cannot vote for your own nomination"

    with pytest.raises(ApiError) as error:
        await club.get_week(uuid.uuid4())
    assert error.value.status == 404 and error.value.code == "not_found"


async def test_withdrawing_a_nomination(club: ClubClient, session: Session) -> None:
    week = await new_week(club)
    nomination, _ = await club.submit_nomination(week.id, ANN, NominationForm("Blue", "Joni"))
    with pytest.raises(ApiError):
        await club.withdraw_nomination(week.id, nomination.id, BEN.discord_id)
    await club.withdraw_nomination(week.id, nomination.id, ANN.discord_id)
    assert await club.list_nominations(week.id) == []
    assert session.scalar(select(func.count()).select_from(Nomination)) == 0


async def test_a_wrong_token_is_refused_not_retried(
    transport: Switchable, sleeps: list[float]
) -> None:
    async with ClubClient("http://sidetrack.test", "nope", transport=transport) as club:
        with pytest.raises(ApiError) as error:
            await new_week(club)
    assert error.value.status == 401
    assert len(transport.requests) == 1 and sleeps == []


async def test_a_short_outage_is_ridden_out_with_backoff(
    club: ClubClient, transport: Switchable, sleeps: list[float], session: Session
) -> None:
    week = await new_week(club)
    transport.fail_next = 3  # three 503s, then the API is back
    nomination, created = await club.submit_nomination(
        week.id, ANN, NominationForm("Blue", "Joni Mitchell")
    )
    assert created and nomination.album.title == "Blue"
    assert sleeps == [0.5, 1.0, 2.0]
    assert session.scalar(select(func.count()).select_from(Nomination)) == 1


@pytest.mark.parametrize("mode", ["connect", "500", "502", "503", "429"])
async def test_a_long_outage_raises_unavailable_and_writes_nothing(
    club: ClubClient, transport: Switchable, sleeps: list[float], session: Session, mode: str
) -> None:
    week = await new_week(club)
    transport.down = mode
    with pytest.raises(ApiUnavailable):
        await club.submit_nomination(week.id, ANN, NominationForm("Blue", "Joni Mitchell"))
    assert transport.refused == 4 and sleeps == [0.5, 1.0, 2.0]
    assert session.scalar(select(func.count()).select_from(Nomination)) == 0
    transport.down = None
    await club.submit_nomination(week.id, ANN, NominationForm("Blue", "Joni Mitchell"))
    assert session.scalar(select(func.count()).select_from(Nomination)) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    retry = Retry(attempts=10, base=1.0, cap=8.0)
    assert [retry.delay(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_an_error_body_that_is_not_the_apis_still_raises_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(418, text="teapot")

    async with ClubClient("http://x", "t", transport=httpx.MockTransport(handler)) as club:
        with pytest.raises(ApiError) as error:
            await club.list_weeks()
    assert error.value.status == 418 and error.value.code == "http_error"
