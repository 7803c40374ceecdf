"""A week page and a member page cost the same number of queries however much they show."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album
from sidetrack.club.models import Week, WeekPhase
from sidetrack.core.types import utcnow
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import User
from tests.club.test_stats import statements_during
from tests.factories import (
    create_album,
    create_nomination,
    create_rating,
    create_user,
    create_vote,
    create_week,
)

HTML = {"Accept": "text/html"}


def fill_week(session: Session, week: Week, members: list[User], nominations: int) -> None:
    """`nominations` nominations, a vote and a reviewed rating from every member."""
    picks = [
        create_nomination(
            session, week, members[i % len(members)], create_album(session), pitch="Listen."
        )
        for i in range(nominations)
    ]
    week.winner_nomination_id = picks[0].id
    week.winner_album_id = picks[0].album_id
    session.flush()
    winner = session.get_one(Album, picks[0].album_id)
    for index, member in enumerate(members):
        create_vote(session, picks[index % len(picks)], member, 1)
        create_rating(session, member, winner, week, 3.5, review="Good.", favorite_track="One")
    session.flush()


def test_a_week_page_takes_as_many_queries_for_a_big_week(
    client: TestClient, session: Session, connection: Connection
) -> None:
    small = create_week(session, phase=WeekPhase.CLOSED)
    fill_week(session, small, [create_user(session) for _ in range(2)], nominations=2)
    big = create_week(session, phase=WeekPhase.CLOSED)
    fill_week(session, big, [create_user(session) for _ in range(15)], nominations=12)

    def week_page(week: Week) -> Callable[[], Response]:
        return lambda: client.get(f"/club/weeks/{week.id}", headers=HTML)

    few = statements_during(connection, week_page(small))
    many = statements_during(connection, week_page(big))
    assert few == many
    # The week, its nominations with members, albums and tags, votes, ratings with members
    # (and the request's savepoint): a per-row query would push this far past.
    assert few <= 12, few
    html = week_page(big)().text
    assert html.count('data-testid="nomination"') == 12
    assert html.count('data-testid="review"') == 15


def history(days: int, per_day: int) -> list[ListenRecord]:
    now = utcnow()
    return [
        ListenRecord(
            artist_name=f"Artist {(day * per_day + n) % 7}",
            track_title=f"Track {(day + n) % 11}",
            played_at=now - timedelta(days=day, minutes=7 * n + 1),
            source=ListenSource.LASTFM,
            album_title=f"Album {(day + n) % 5}",
            duration_ms=200_000,
        )
        for day in range(days)
        for n in range(per_day)
    ]


def test_a_member_page_takes_as_many_queries_for_a_long_history(
    client: TestClient, session: Session, connection: Connection
) -> None:
    light = create_user(session, handle="light")
    ingest_listens(session, light.id, history(days=2, per_day=2))
    week = create_week(session)
    create_nomination(session, week, light)
    # One of each: eager loads of an empty list issue no query at all.
    create_rating(session, light, week=week, value=2.0)
    heavy = create_user(session, handle="heavy")
    assert ingest_listens(session, heavy.id, history(days=400, per_day=6)).inserted == 2400
    for _ in range(14):
        week = create_week(session)
        create_nomination(session, week, heavy)
        create_rating(session, heavy, week=week, value=4.0, review="Yes.")

    for range_name in ("week", "month", "year", "all_time"):

        def member_page(handle: str, range_name: str = range_name) -> Callable[[], Response]:
            return lambda: client.get(f"/u/{handle}", params={"range": range_name}, headers=HTML)

        few = statements_during(connection, member_page("light"))
        many = statements_during(connection, member_page("heavy"))
        assert few == many, range_name
        assert few <= 16, (range_name, few)
    html = client.get("/u/heavy", params={"range": "all_time"}).text
    assert 'data-testid="total-plays">2,400<' in html
    assert html.split('data-testid="member-ratings"')[1].count('class="media"') == 10
