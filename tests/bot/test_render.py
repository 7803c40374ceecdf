"""What the bot posts stays inside Discord's limits, and says what the API says."""

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sidetrack.bot import limits, render
from sidetrack.club.schemas import AlbumSummary, RatingsSummary, WeekFields


def album(title: str, artist: str = "Artist", year: int | None = 1997) -> AlbumSummary:
    return AlbumSummary(
        id=uuid.uuid4(),
        title=title,
        artist_name=artist,
        release_year=year,
        spotify_id=None,
        musicbrainz_id=None,
        cover_url=None,
        genres=[],
    )


def week(**changes: Any) -> WeekFields:
    data: dict[str, Any] = {
        "id": uuid.uuid4(),
        "label": "WEEK 003 [2025-11-24]",
        "week_number": 3,
        "phase": "discussion",
        "nominations_close_at": None,
        "poll_close_at": None,
        "discussion_at": datetime(2025, 11, 30, 19, tzinfo=UTC),
        "ratings_close_at": None,
        "nominations_thread_id": None,
        "poll_thread_id": None,
        "winner_thread_id": None,
        "ratings_thread_id": None,
    }
    return WeekFields.model_validate({**data, **changes})


def test_winner_thread_names_as_the_club_writes_them() -> None:
    assert (
        render.thread_title(week(), "WINNER", album("Homogenic", "Björk"))
        == "WEEK 003 [2025-11-24] - WINNER - Homogenic — Björk (1997)"
    )
    long = render.thread_title(week(), "WINNER", album("x" * 200))
    assert len(long) == 100 and long.endswith("…")
    assert render.thread_title(week(), "WINNER", album("A", year=None)).endswith("A — Artist")


@given(st.text(max_size=300), st.integers(1, 120))
def test_truncate_fits_and_keeps_what_fits(text: str, limit: int) -> None:
    cut = limits.truncate(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(limits.ELLIPSIS)


@given(st.lists(st.text(alphabet="ab \n", max_size=120), max_size=40), st.integers(20, 200))
def test_split_message_fits_and_loses_nothing(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    parts = limits.split_message(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


@given(st.lists(st.integers(), max_size=80))
def test_chunks_of_25(items: list[int]) -> None:
    chunks = limits.chunk(items)
    assert all(1 <= len(c) <= 25 for c in chunks)
    assert [i for c in chunks for i in c] == items


def test_thread_names_are_one_line_and_never_empty() -> None:
    assert limits.thread_name("  a\nb  ") == "a b"
    assert limits.thread_name("") == "thread"


def test_the_recap_histogram_and_an_empty_week() -> None:
    summary = RatingsSummary(
        average=3.5,
        median=3.5,
        count=3,
        histogram={step: 0 for step in render.HALF_STEPS} | {"3.0": 2, "5.0": 1},
    )
    text = render.histogram(summary)
    assert "3.0 ██████████ 2" in text and "5.0 █████      1" in text and "1.0            0" in text
    empty = RatingsSummary(average=None, median=None, count=0, histogram={})
    (post,) = render.recap_posts(week(), None, empty, [])
    assert "Nobody rated" in post


def test_reminders_use_discord_timestamps() -> None:
    moment = datetime(2025, 11, 26, 20, tzinfo=UTC)
    assert render.reminder("poll", moment) == (
        f"⏰ The poll closes <t:{int(moment.timestamp())}:R>: pick your first and second "
        "choices above."
    )
