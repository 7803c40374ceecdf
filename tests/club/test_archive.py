"""Reads for the web archive: a week's next deadline and the gallery's filter values."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from sidetrack.club.models import WeekPhase
from sidetrack.club.queries import gallery_filters, next_deadline, week_detail
from tests.club.test_stats import build_club
from tests.factories import create_week

MONDAY = datetime(2026, 1, 5, 12, tzinfo=UTC)  # the factories' default week start


@pytest.mark.parametrize(
    ("phase", "now", "expected"),
    [
        # The factory's week: nominations close +2 days, poll +3, discussion +6, ratings +9.
        (WeekPhase.NOMINATIONS, MONDAY, ("Nominations close", 2)),
        (WeekPhase.POLL, MONDAY, ("The poll closes", 3)),
        (WeekPhase.DISCUSSION, MONDAY, ("Discussion", 6)),
        (WeekPhase.RATINGS, MONDAY, ("Ratings close", 9)),
        # A phase whose own time has passed points at the next one still ahead.
        (WeekPhase.NOMINATIONS, MONDAY + timedelta(days=2, hours=1), ("The poll closes", 3)),
        (WeekPhase.DISCUSSION, MONDAY + timedelta(days=7), ("Ratings close", 9)),
        # Nothing ahead, or nothing to wait for.
        (WeekPhase.RATINGS, MONDAY + timedelta(days=10), None),
        (WeekPhase.CLOSED, MONDAY, None),
    ],
)
def test_next_deadline(
    session: Session, phase: WeekPhase, now: datetime, expected: tuple[str, int] | None
) -> None:
    week = week_detail(session, create_week(session, phase=phase, start=MONDAY).id)
    deadline = next_deadline(week, now)
    if expected is None:
        assert deadline is None
    else:
        assert deadline is not None
        assert (deadline.what, deadline.at) == (expected[0], MONDAY + timedelta(days=expected[1]))


def test_unset_times_are_skipped(session: Session) -> None:
    week = create_week(session, start=MONDAY, nominations_close_at=None, poll_close_at=None)
    deadline = next_deadline(week, MONDAY)
    assert deadline is not None
    assert deadline.what == "Discussion"


def test_gallery_filters_offer_what_the_winners_carry(session: Session) -> None:
    build_club(session)
    filters = gallery_filters(session)
    # Winners: Kid A (Electronic, 2000s, UK), Blue (Folk, 1970s, Canada), Vespertine
    # (electronic, 2000s, Iceland), Blonde (US), Pink Moon (Folk, 1970s, UK). Losing
    # nominations' tags (Jazz, Funk, 1950s …) are not offered.
    assert [(t.name, t.count) for t in filters.genres] == [("Electronic", 2), ("Folk", 2)]
    assert [(t.name, t.count) for t in filters.decades] == [("1970s", 2), ("2000s", 2)]
    assert [t.name for t in filters.countries] == ["Canada", "Iceland", "UK", "US"]
    # Ann (Kid A, Blonde), Ben (Vespertine), Cat (Blue, Pink Moon); Dan never won.
    assert [m.handle for m in filters.nominators] == ["ann", "ben", "cat"]


def test_gallery_filters_of_an_empty_club(session: Session) -> None:
    filters = gallery_filters(session)
    assert (filters.genres, filters.decades, filters.countries, filters.nominators) == (
        [],
        [],
        [],
        [],
    )
