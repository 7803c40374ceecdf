"""Club statistics (/api/club/stats) and a member's club life (/api/users/{id}/club).

One small club, built with the factories, and every number checked against the hand
calculations in the comments next to it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album
from sidetrack.catalog.service import find_or_create_genre_tag
from sidetrack.club.models import Nomination, Week, WeekPhase
from sidetrack.core.types import utcnow
from sidetrack.users.models import User
from tests.factories import (
    create_album,
    create_nomination,
    create_rating,
    create_user,
    create_vote,
    create_week,
)

CLOSED, DISCUSSION, NOMINATIONS = WeekPhase.CLOSED, WeekPhase.DISCUSSION, WeekPhase.NOMINATIONS

# week number: (phase, [(key, nominator, title, genre, decade, country)], winning key or None)
WEEKS: dict[int, tuple[WeekPhase, list[tuple[str, ...]], str | None]] = {
    1: (
        CLOSED,
        [
            ("N1", "Ann", "Kid A", "Electronic", "2000s", "UK"),
            ("N2", "Ben", "Homogenic", "Art Pop", "1990s", "Iceland"),
        ],
        "N1",
    ),
    2: (
        CLOSED,
        [
            ("N3", "Cat", "Blue", "Folk", "1970s", "Canada"),
            ("N4", "Ann", "Maggot Brain", "Funk", "1970s", "US"),
            ("N5", "Dan", "Aquemini", "Hip Hop", "1990s", "US"),
        ],
        "N3",
    ),
    3: (
        CLOSED,
        [
            ("N6", "Ben", "Vespertine", "electronic", "2000s", "Iceland"),
            ("N7", "Dan", "Channel Orange", "R&B", "2010s", "US"),
        ],
        "N6",
    ),
    4: (
        DISCUSSION,
        [
            ("N8", "Ann", "Blonde", "", "", "US"),
            ("N9", "Cat", "Ys", "", "", ""),
        ],
        "N8",
    ),
    5: (CLOSED, [("N10", "Cat", "Pink Moon", "Folk", "1970s", "UK")], "N10"),
    6: (NOMINATIONS, [("N11", "Dan", "Kind of Blue", "Jazz", "1950s", "US")], None),
}

# week number: {rater: value} — club ratings of that week's winner.
RATINGS = {
    1: {"Ann": 4.0, "Ben": 3.0, "Cat": 4.0, "Dan": 3.5},
    2: {"Ann": 4.5, "Ben": 4.0, "Cat": 5.0, "Dan": 3.0},
    3: {"Ann": 5.0, "Cat": 5.0},
    4: {"Ben": 2.0, "Cat": 3.0, "Dan": 2.5},
    5: {"Ann": 1.5, "Ben": 3.5, "Cat": 2.5, "Dan": 2.5},
}

# (voter, nomination, rank): Cat, Dan and Eve in week 1; Eve and Ben in week 2.
VOTES = [
    ("Cat", "N1", 1),
    ("Dan", "N2", 1),
    ("Eve", "N1", 2),
    ("Eve", "N3", 1),
    ("Ben", "N5", 1),
]


@dataclass
class Club:
    members: dict[str, User] = field(default_factory=dict)
    weeks: dict[int, Week] = field(default_factory=dict)
    nominations: dict[str, Nomination] = field(default_factory=dict)


def build_club(session: Session) -> Club:
    club = Club()
    # Eve only votes; Zed only keeps personal ratings, so is not a club member.
    for name in ("Ann", "Ben", "Cat", "Dan", "Eve", "Zed"):
        club.members[name] = create_user(session, display_name=name, handle=name.lower())
    electronic = find_or_create_genre_tag(session, "Electronic")
    for number, (phase, nominations, winner) in WEEKS.items():
        week = create_week(
            session, label=f"WEEK {number:03d}", week_number=1000 + number, phase=phase
        )
        club.weeks[number] = week
        for key, who, title, genre, decade, country in nominations:
            tags = [electronic] if genre.lower() == "electronic" else []
            club.nominations[key] = create_nomination(
                session,
                week,
                club.members[who],
                create_album(session, title=title, artist_name=f"{title} band", genre_tags=tags),
                genre=genre or None,
                decade=decade or None,
                country=country or None,
            )
        if winner:
            week.winner_nomination_id = club.nominations[winner].id
            week.winner_album_id = club.nominations[winner].album_id
    session.flush()
    for number, ratings in RATINGS.items():
        week = club.weeks[number]
        for rater, value in ratings.items():
            extra: dict[str, Any] = {"review": f"{rater} on week {number}"}
            if (number, rater) == (1, "Dan"):
                extra.update(review="spam", review_hidden_at=utcnow(), review_hidden_by="mod")
            if (number, rater) == (2, "Ann"):
                extra["favorite_track"] = "Carey"
            album = session.get(Album, week.winner_album_id)
            create_rating(session, club.members[rater], album, week, value, **extra)
    for voter, key, rank in VOTES:
        create_vote(session, club.nominations[key], club.members[voter], rank)
    # Personal ratings (no week) count nowhere in the club.
    create_rating(session, club.members["Ann"], value=1.0)
    create_rating(session, club.members["Zed"], value=5.0)
    session.flush()
    return club


@pytest.fixture
def club(session: Session) -> Club:
    return build_club(session)


def names(tags: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(tag["name"], tag["count"]) for tag in tags]


def test_stats_count_winners_members_and_the_hall_of_fame(client: TestClient, club: Club) -> None:
    response = client.get("/api/club/stats")
    assert response.status_code == 200, response.text
    stats = response.json()

    # Weeks 1, 2, 3 and 5 are closed (4 is in discussion, 6 in nominations). Nominations:
    # 2 + 3 + 2 + 2 + 1 + 1 = 11. Votes: 5. Club ratings: 4 + 4 + 2 + 3 + 4 = 17, the two
    # personal ones left out. Members: Ann, Ben, Cat, Dan and Eve (a voter); not Zed.
    assert stats["totals"] == {
        "weeks_closed": 4,
        "nominations": 11,
        "votes": 5,
        "ratings": 17,
        "members": 5,
    }

    # Winners: N1 (Electronic, 2000s, UK), N3 (Folk, 1970s, Canada), N6 (electronic, 2000s,
    # Iceland), N8 (-, -, US), N10 (Folk, 1970s, UK); week 6 has none yet.
    # "Electronic" and "electronic" are one genre: 2 weeks, level with Folk, so by name.
    # Losing nominations' tags (Art Pop, Funk, Jazz, 1990s …) never count.
    assert names(stats["winners_by_genre"]) == [("Electronic", 2), ("Folk", 2)]
    assert names(stats["winners_by_decade"]) == [("1970s", 2), ("2000s", 2)]
    assert names(stats["winners_by_country"]) == [
        ("UK", 2),
        ("Canada", 1),
        ("Iceland", 1),
        ("US", 1),
    ]

    # nominations: Ann N1 N4 N8 = 3, Ben N2 N6 = 2, Cat N3 N9 N10 = 3, Dan N5 N7 N11 = 3.
    # wins: Ann N1 N8 = 2, Cat N3 N10 = 2, Ben N6 = 1, Dan 0.
    # ratings given and their mean, rounded half-up:
    #   Ann 4.0 + 4.5 + 5.0 + 1.5       = 15.0 / 4 = 3.75
    #   Ben 3.0 + 4.0 + 2.0 + 3.5       = 12.5 / 4 = 3.125 → 3.13 (a float round gives 3.12)
    #   Cat 4.0 + 5.0 + 5.0 + 3.0 + 2.5 = 19.5 / 5 = 3.9
    #   Dan 3.5 + 3.0 + 2.5 + 2.5       = 11.5 / 4 = 2.875 → 2.88
    # Ann and Cat tie on 3 nominations and 2 wins; Cat gave more ratings, so comes first.
    standings = [
        (
            row["member"]["display_name"],
            row["nominations"],
            row["wins"],
            row["ratings_given"],
            row["average_given"],
        )
        for row in stats["members"]
    ]
    assert standings == [
        ("Cat", 3, 2, 5, 3.9),
        ("Ann", 3, 2, 4, 3.75),
        ("Dan", 3, 0, 4, 2.88),
        ("Ben", 2, 1, 4, 3.13),
        ("Eve", 0, 0, 0, None),
    ]
    assert stats["members"][0]["member"] == {
        "id": str(club.members["Cat"].id),
        "display_name": "Cat",
        "handle": "cat",
    }

    # Week averages: 1: 14.5 / 4 = 3.625 → 3.63; 2: 16.5 / 4 = 4.125 → 4.13;
    # 3: only 2 ratings (both 5.0), so left out; 4: 7.5 / 3 = 2.5; 5: 10.0 / 4 = 2.5.
    # Weeks 4 and 5 tie on 2.5; week 5 has more ratings and comes first.
    fame = stats["hall_of_fame"]
    assert [
        (
            entry["week"]["label"],
            entry["album"]["title"],
            entry["nominator"]["display_name"],
            entry["rating_average"],
            entry["rating_count"],
        )
        for entry in fame
    ] == [
        ("WEEK 002", "Blue", "Cat", 4.13, 4),
        ("WEEK 001", "Kid A", "Ann", 3.63, 4),
        ("WEEK 005", "Pink Moon", "Cat", 2.5, 4),
        ("WEEK 004", "Blonde", "Ann", 2.5, 3),
    ]
    assert fame[1]["nomination_id"] == str(club.nominations["N1"].id)
    assert fame[1]["week"] == {
        "id": str(club.weeks[1].id),
        "label": "WEEK 001",
        "week_number": 1001,
    }
    assert fame[1]["album"]["genres"] == ["Electronic"]


def test_stats_of_an_empty_club(client: TestClient) -> None:
    stats = client.get("/api/club/stats").json()
    assert stats == {
        "totals": {"weeks_closed": 0, "nominations": 0, "votes": 0, "ratings": 0, "members": 0},
        "winners_by_genre": [],
        "winners_by_decade": [],
        "winners_by_country": [],
        "members": [],
        "hall_of_fame": [],
    }


def test_a_members_club_life(client: TestClient, club: Club) -> None:
    ann = club.members["Ann"]
    response = client.get(f"/api/users/{ann.id}/club")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["member"] == {"id": str(ann.id), "display_name": "Ann", "handle": "ann"}
    # Ann nominated N1 (week 1, won), N4 (week 2, lost) and N8 (week 4, won); newest first.
    assert body["nominations_total"] == 3
    assert body["wins"] == 2
    assert [
        (n["id"], n["week"]["label"], n["album"]["title"], n["won"]) for n in body["nominations"]
    ] == [
        (str(club.nominations["N8"].id), "WEEK 004", "Blonde", True),
        (str(club.nominations["N4"].id), "WEEK 002", "Maggot Brain", False),
        (str(club.nominations["N1"].id), "WEEK 001", "Kid A", True),
    ]
    assert body["nominations"][2]["week"]["id"] == str(club.weeks[1].id)
    assert (body["nominations"][1]["genre"], body["nominations"][1]["country"]) == ("Funk", "US")
    assert body["nominations"][2]["album"]["genres"] == ["Electronic"]
    # Her club ratings, newest week first: 5: 1.5, 3: 5.0, 2: 4.5, 1: 4.0 (the personal 1.0
    # is not a club rating) → 4 given, 15.0 / 4 = 3.75.
    assert body["ratings_given"] == 4
    assert body["average_given"] == 3.75
    assert [(r["week"]["label"], r["album"]["title"], r["value"]) for r in body["ratings"]] == [
        ("WEEK 005", "Pink Moon", 1.5),
        ("WEEK 003", "Vespertine", 5.0),
        ("WEEK 002", "Blue", 4.5),
        ("WEEK 001", "Kid A", 4.0),
    ]
    assert body["ratings"][2]["favorite_track"] == "Carey"
    assert body["ratings"][2]["review"] == "Ann on week 2"
    assert body["ratings"][2]["review_hidden"] is False
    # Her winning picks were rated in week 1 (4.0 + 3.0 + 4.0 + 3.5 = 14.5, 4 ratings, her own
    # included) and week 4 (2.0 + 3.0 + 2.5 = 7.5, 3): 22.0 / 7 = 3.142… → 3.14.
    assert body["winning_picks_ratings"] == 7
    assert body["winning_picks_average"] == 3.14
    assert (body["limit"], body["offset"]) == (50, 0)


def test_a_member_without_wins_and_with_a_hidden_review(client: TestClient, club: Club) -> None:
    body = client.get(f"/api/users/{club.members['Dan'].id}/club").json()
    # Dan: N5, N7, N11 and no win; ratings 3.5 (week 1, review hidden), 3.0, 2.5, 2.5.
    assert (body["nominations_total"], body["wins"]) == (3, 0)
    assert [n["won"] for n in body["nominations"]] == [False, False, False]
    assert (body["winning_picks_ratings"], body["winning_picks_average"]) == (0, None)
    assert (body["ratings_given"], body["average_given"]) == (4, 2.88)
    week_1 = body["ratings"][-1]
    assert (week_1["week"]["label"], week_1["value"]) == ("WEEK 001", 3.5)
    assert week_1["review"] is None
    assert week_1["review_hidden"] is True
    assert "spam" not in str(body)


def test_a_member_outside_the_club_has_an_empty_record(client: TestClient, club: Club) -> None:
    zed = club.members["Zed"]
    body = client.get(f"/api/users/{zed.id}/club").json()
    assert body == {
        "member": {"id": str(zed.id), "display_name": "Zed", "handle": "zed"},
        "nominations_total": 0,
        "wins": 0,
        "ratings_given": 0,
        "average_given": None,
        "winning_picks_average": None,
        "winning_picks_ratings": 0,
        "nominations": [],
        "ratings": [],
        "limit": 50,
        "offset": 0,
    }


def test_a_members_lists_come_a_page_at_a_time(client: TestClient, club: Club) -> None:
    ann = club.members["Ann"]
    body = client.get(f"/api/users/{ann.id}/club", params={"limit": 2, "offset": 1}).json()
    # Skipping the newest of each: nominations N4, N1; ratings of weeks 3 and 2.
    assert [n["album"]["title"] for n in body["nominations"]] == ["Maggot Brain", "Kid A"]
    assert [r["week"]["label"] for r in body["ratings"]] == ["WEEK 003", "WEEK 002"]
    # Totals and averages stay those of all her records.
    assert (body["nominations_total"], body["ratings_given"], body["average_given"]) == (3, 4, 3.75)
    assert (body["limit"], body["offset"]) == (2, 1)
    past_the_end = client.get(f"/api/users/{ann.id}/club", params={"offset": 4}).json()
    assert (past_the_end["nominations"], past_the_end["ratings"]) == ([], [])
    assert past_the_end["nominations_total"] == 3


def test_an_unknown_member_is_a_404_with_the_error_body(client: TestClient) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    response = client.get(f"/api/users/{unknown}/club")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": f"No member with id {unknown}",
            "details": {"user_id": unknown},
        }
    }


@pytest.mark.parametrize(
    ("path", "params", "field_name"),
    [
        ("/api/users/not-a-uuid/club", {}, "user_id"),
        ("/api/users/{id}/club", {"limit": 0}, "limit"),
        ("/api/users/{id}/club", {"limit": 101}, "limit"),
        ("/api/users/{id}/club", {"limit": "ten"}, "limit"),
        ("/api/users/{id}/club", {"offset": -1}, "offset"),
    ],
)
def test_a_malformed_id_or_page_is_a_422_naming_the_field(
    client: TestClient, club: Club, path: str, params: dict[str, Any], field_name: str
) -> None:
    response = client.get(path.format(id=club.members["Ann"].id), params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["details"]["fields"]) == [field_name]


# --- a bounded number of queries, whatever the size of the club ------------------------------


def add_weeks(session: Session, members: list[User], count: int) -> None:
    """`count` closed weeks: two nominations each, a vote, and every other member rating."""
    nominators = members[:2]
    for index in range(count):
        week = create_week(session, phase=CLOSED)
        tag = find_or_create_genre_tag(session, f"Genre {index % 3}")
        picks = [
            create_nomination(
                session,
                week,
                member,
                create_album(session, genre_tags=[tag]),
                genre=f"Genre {index % 3}",
                decade=f"{1960 + 10 * (index % 4)}s",
                country=f"Country {index % 5}",
            )
            for member in nominators
        ]
        winner = picks[index % 2]
        week.winner_nomination_id = winner.id
        week.winner_album_id = winner.album_id
        session.flush()
        create_vote(session, winner, members[2], 1)
        for rater in [members[0], *members[2:]]:
            album = session.get(Album, winner.album_id)
            create_rating(session, rater, album, week, 3.0 + (index % 3) / 2)
    session.flush()


def statements_during(connection: Connection, request: Callable[[], Response]) -> int:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    return len(statements)


def test_reads_take_as_many_queries_for_a_large_club_as_for_a_small_one(
    client: TestClient, session: Session, connection: Connection
) -> None:
    members = [create_user(session) for _ in range(4)]
    first = members[0]

    def stats() -> Response:
        return client.get("/api/club/stats")

    def member() -> Response:
        return client.get(f"/api/users/{first.id}/club")

    add_weeks(session, members, 2)
    small = statements_during(connection, stats), statements_during(connection, member)
    members += [create_user(session) for _ in range(6)]
    add_weeks(session, members, 20)
    large = statements_during(connection, stats), statements_during(connection, member)

    assert large == small
    # A sanity bound, so the test also fails if some query were issued per member or week:
    # 2 weeks already have 4 members and 6 ratings.
    assert max(small) <= 12, small
    # The larger club really is larger in both responses.
    body = member().json()
    assert (body["nominations_total"], len(body["ratings"])) == (22, 22)
    assert len(stats().json()["members"]) == 10
