"""The week runner: what is due, given the week, the time and what was already posted."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sidetrack.bot.runner import (
    Advance,
    OpenThread,
    PostRecap,
    Remind,
    ThreadKind,
    plan,
    recap_key,
    reminder_key,
)
from sidetrack.bot.settings import ReminderOffsets
from sidetrack.club.schemas import WeekFields

T0 = datetime(2026, 1, 5, 20, tzinfo=UTC)
NOMINATIONS_CLOSE = T0 + timedelta(days=2)
POLL_CLOSE = T0 + timedelta(days=3)
DISCUSSION = T0 + timedelta(days=6)
RATINGS_CLOSE = T0 + timedelta(days=9)
OFFSETS = ReminderOffsets(
    nominations=timedelta(hours=12),
    poll=timedelta(hours=6),
    discussion=timedelta(hours=1),
    ratings=timedelta(hours=24),
)


def week(phase: str, **threads: int) -> WeekFields:
    data: dict[str, Any] = {
        "id": uuid.UUID(int=7),
        "label": "WEEK 003 [2026-01-05]",
        "week_number": 3,
        "phase": phase,
        "nominations_close_at": NOMINATIONS_CLOSE,
        "poll_close_at": POLL_CLOSE,
        "discussion_at": DISCUSSION,
        "ratings_close_at": RATINGS_CLOSE,
        "nominations_thread_id": None,
        "poll_thread_id": None,
        "winner_thread_id": None,
        "ratings_thread_id": None,
    }
    data.update({f"{kind}_thread_id": value for kind, value in threads.items()})
    return WeekFields.model_validate(data)


WEEK_ID = uuid.UUID(int=7)


def test_a_new_week_opens_its_nominations_thread() -> None:
    assert plan(week("nominations"), T0, OFFSETS, set()) == [OpenThread(ThreadKind.NOMINATIONS)]
    assert plan(week("nominations", nominations=1), T0, OFFSETS, set()) == []


@pytest.mark.parametrize(
    "now, due",
    [
        (NOMINATIONS_CLOSE - timedelta(hours=12, seconds=1), False),
        (NOMINATIONS_CLOSE - timedelta(hours=12), True),
        (NOMINATIONS_CLOSE - timedelta(seconds=1), True),
    ],
)
def test_the_nominations_reminder_is_due_in_its_window(now: datetime, due: bool) -> None:
    actions = plan(week("nominations", nominations=1), now, OFFSETS, set())
    assert actions == (
        [Remind("nominations", ThreadKind.NOMINATIONS, NOMINATIONS_CLOSE)] if due else []
    )


def test_a_reminder_posted_is_not_posted_again() -> None:
    now = NOMINATIONS_CLOSE - timedelta(hours=1)
    posted = {reminder_key(WEEK_ID, "nominations")}
    assert plan(week("nominations", nominations=1), now, OFFSETS, posted) == []


def test_a_zero_offset_turns_a_reminder_off() -> None:
    offsets = ReminderOffsets(nominations=timedelta(0))
    now = NOMINATIONS_CLOSE - timedelta(minutes=1)
    assert plan(week("nominations", nominations=1), now, offsets, set()) == []


def test_at_the_deadline_the_week_moves_on_and_a_missed_reminder_is_skipped() -> None:
    assert plan(week("nominations", nominations=1), NOMINATIONS_CLOSE, OFFSETS, set()) == [
        Advance("close-nominations")
    ]


def test_each_phase_opens_its_thread_reminds_and_moves_on() -> None:
    assert plan(week("poll", nominations=1), POLL_CLOSE - timedelta(hours=1), OFFSETS, set()) == [
        OpenThread(ThreadKind.POLL)
    ]
    assert plan(
        week("poll", nominations=1, poll=2), POLL_CLOSE - timedelta(hours=1), OFFSETS, set()
    ) == [Remind("poll", ThreadKind.POLL, POLL_CLOSE)]
    assert plan(week("poll", nominations=1, poll=2), POLL_CLOSE, OFFSETS, set()) == [
        Advance("close-poll")
    ]
    assert plan(week("discussion", poll=2), POLL_CLOSE, OFFSETS, set()) == [
        OpenThread(ThreadKind.WINNER)
    ]
    assert plan(
        week("discussion", winner=3), DISCUSSION - timedelta(minutes=30), OFFSETS, set()
    ) == [Remind("discussion", ThreadKind.WINNER, DISCUSSION)]
    assert plan(week("discussion", winner=3), DISCUSSION, OFFSETS, set()) == [
        Advance("open-ratings")
    ]
    assert plan(week("ratings", winner=3), DISCUSSION, OFFSETS, set()) == [
        OpenThread(ThreadKind.RATINGS)
    ]
    assert plan(
        week("ratings", winner=3, ratings=4), RATINGS_CLOSE - timedelta(hours=2), OFFSETS, set()
    ) == [Remind("ratings", ThreadKind.RATINGS, RATINGS_CLOSE)]
    assert plan(week("ratings", winner=3, ratings=4), RATINGS_CLOSE, OFFSETS, set()) == [
        Advance("close")
    ]
    assert plan(week("closed", ratings=4), RATINGS_CLOSE, OFFSETS, set()) == [PostRecap()]
    assert plan(week("closed", ratings=4), RATINGS_CLOSE, OFFSETS, {recap_key(WEEK_ID)}) == []


def test_a_bot_away_past_a_deadline_still_opens_the_thread_before_moving_on() -> None:
    late = POLL_CLOSE + timedelta(days=1)
    assert plan(week("poll", nominations=1), late, OFFSETS, set()) == [
        OpenThread(ThreadKind.POLL),
        Advance("close-poll"),
    ]


def test_a_week_without_dates_waits_for_the_organisers() -> None:
    undated = week("nominations", nominations=1).model_copy(update={"nominations_close_at": None})
    assert plan(undated, T0 + timedelta(days=365), OFFSETS, set()) == []
