"""The week runner: given a week as the API tells it, the time, and what the bot already posted,
what is due now. Pure: no Discord, no HTTP, no clock of its own.

What the bot did is kept where it survives a restart: the threads it opened are on the week
(its thread ids, saved through the API), and the reminders and recaps it posted are keys in
the bot's state file (`posted`). So planning again after a restart gives only what is still
missing: nothing is missed, nothing is posted twice.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from sidetrack.bot.settings import ReminderOffsets
from sidetrack.club.schemas import WeekDetail, WeekFields

__all__ = [
    "Action",
    "Advance",
    "OpenThread",
    "PostRecap",
    "Remind",
    "ThreadKind",
    "plan",
    "recap_key",
    "reminder_key",
]


class ThreadKind(StrEnum):
    NOMINATIONS = "nominations"
    POLL = "poll"
    WINNER = "winner"
    RATINGS = "ratings"


Step = Literal["close-nominations", "close-poll", "open-ratings", "close"]


@dataclass(frozen=True)
class OpenThread:
    """Open the week's thread of this kind (and save its id to the week)."""

    kind: ThreadKind


@dataclass(frozen=True)
class Remind:
    """Post the reminder `kind` in the week's thread `thread`; `deadline` is what it is about."""

    kind: Literal["nominations", "poll", "discussion", "ratings"]
    thread: ThreadKind
    deadline: datetime


@dataclass(frozen=True)
class Advance:
    """Move the week one phase forward: its deadline has passed."""

    step: Step


@dataclass(frozen=True)
class PostRecap:
    """Post the ratings recap in the ratings thread: the week is closed."""


Action = OpenThread | Remind | Advance | PostRecap


def reminder_key(week_id: object, kind: str) -> str:
    return f"{week_id}:remind:{kind}"


def recap_key(week_id: object) -> str:
    return f"{week_id}:recap"


def thread_id(week: WeekFields, kind: ThreadKind) -> int | None:
    value: int | None = getattr(week, f"{kind.value}_thread_id")
    return value


def _reminder(
    week: WeekFields,
    now: datetime,
    posted: Collection[str],
    kind: Literal["nominations", "poll", "discussion", "ratings"],
    thread: ThreadKind,
    deadline: datetime | None,
    offset: timedelta,
) -> Remind | None:
    """A reminder is due from `offset` before its deadline until the deadline itself."""
    if deadline is None or offset <= timedelta(0) or thread_id(week, thread) is None:
        return None
    if reminder_key(week.id, kind) in posted:
        return None
    if deadline - offset <= now < deadline:
        return Remind(kind, thread, deadline)
    return None


@dataclass(frozen=True)
class _PhaseStep:
    threads: tuple[ThreadKind, ...]  # open in this phase, in order; the last takes reminders
    reminder: Literal["nominations", "poll", "discussion", "ratings"]
    deadline: str  # the week's field that ends the phase
    advance: Step  # the API step out of the phase


_STEPS = {
    "nominations": _PhaseStep(
        (ThreadKind.NOMINATIONS,), "nominations", "nominations_close_at", "close-nominations"
    ),
    "poll": _PhaseStep((ThreadKind.POLL,), "poll", "poll_close_at", "close-poll"),
    "discussion": _PhaseStep((ThreadKind.WINNER,), "discussion", "discussion_at", "open-ratings"),
    "ratings": _PhaseStep(
        (ThreadKind.WINNER, ThreadKind.RATINGS), "ratings", "ratings_close_at", "close"
    ),
}


def plan(
    week: WeekDetail | WeekFields,
    now: datetime,
    offsets: ReminderOffsets,
    posted: Collection[str],
) -> list[Action]:
    """What is due for `week` at `now`, in the order to do it.

    Each phase's thread comes before the step out of that phase, so a bot that was away past
    a deadline still opens the poll before closing it. After an `Advance`, plan again with the
    week the API answered: the next phase's actions depend on it.
    """
    phase = week.phase.value
    step = _STEPS.get(phase)
    if step is None:  # closed: the recap, once
        closed_with_thread = phase == "closed" and week.ratings_thread_id is not None
        return [PostRecap()] if closed_with_thread and recap_key(week.id) not in posted else []
    actions: list[Action] = [
        OpenThread(kind) for kind in step.threads if thread_id(week, kind) is None
    ]
    deadline: datetime | None = getattr(week, step.deadline)
    reminder = _reminder(
        week,
        now,
        posted,
        step.reminder,
        step.threads[-1],
        deadline,
        getattr(offsets, step.reminder),
    )
    if reminder:
        actions.append(reminder)
    if deadline is not None and now >= deadline:
        actions.append(Advance(step.advance))
    return actions
