"""The club over HTTP, end to end: weeks, nominations, the ranked poll, ratings, and refusals.

Every number is worked out by hand in the comments next to it.
"""

import zlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, sessionmaker

from sidetrack.app import create_app
from sidetrack.catalog.models import Album
from sidetrack.club.models import Nomination, Rating, Vote
from sidetrack.core.config import Settings
from sidetrack.users.models import LinkedAccount, User

Headers = dict[str, str]

WEEK = {
    "label": "WEEK 001 [2026-01-05]",
    "week_number": 1,
    "nominations_close_at": "2026-01-07T20:00:00+00:00",
    "poll_close_at": "2026-01-08T20:00:00+00:00",
    "discussion_at": "2026-01-11T19:00:00+01:00",
    "ratings_close_at": "2026-01-14T20:00:00+00:00",
}


def member(name: str) -> dict[str, str]:
    return {"discord_id": str(zlib.crc32(name.encode()) + 10**17), "display_name": name}


def start_week(client: TestClient, bot: Headers, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/club/weeks", json={**WEEK, **overrides}, headers=bot)
    assert response.status_code == 201, response.text
    return response.json()


def nominate(
    client: TestClient, bot: Headers, week_id: str, who: str, title: str, artist: str, **extra: Any
) -> dict[str, Any]:
    body = {"user": member(who), "album": {"title": title, "artist_name": artist}, **extra}
    response = client.post(f"/api/club/weeks/{week_id}/nominations", json=body, headers=bot)
    assert response.status_code in (200, 201), response.text
    return response.json()


def vote(
    client: TestClient, bot: Headers, week_id: str, who: str, nomination_id: str, rank: int
) -> Any:
    return client.post(
        f"/api/club/weeks/{week_id}/votes",
        json={"user": member(who), "nomination_id": nomination_id, "rank": rank},
        headers=bot,
    )


def cast_ballots(
    client: TestClient,
    bot: Headers,
    week_id: str,
    ballots: dict[str, tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    """Each voter's (1st choice, 2nd choice), every vote accepted."""
    for voter, (first, second) in ballots.items():
        assert vote(client, bot, week_id, voter, first["id"], 1).status_code == 201
        assert vote(client, bot, week_id, voter, second["id"], 2).status_code == 201


def advance(client: TestClient, bot: Headers, week_id: str, action: str) -> dict[str, Any]:
    response = client.post(f"/api/club/weeks/{week_id}/{action}", headers=bot)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_whole_week_with_an_exact_tie_decided_by_the_earliest_nomination(
    client: TestClient, bot: Headers
) -> None:
    week = start_week(client, bot)
    assert week["phase"] == "nominations"
    week_id = week["id"]

    n1 = nominate(
        client,
        bot,
        week_id,
        "Ann",
        "Kid A",
        "Radiohead",
        genre="Electronic",
        decade="2000s",
        country="UK",
        pitch="Cold and beautiful",
        pitch_track_url="https://open.spotify.com/track/6LgJvl0Xdtc73RJ1mmpotq",
    )
    n2 = nominate(
        client,
        bot,
        week_id,
        "Ben",
        "Homogenic",
        "Björk",
        decade="90s",
        country="Iceland",
        genre="Art Pop",
    )
    n3 = nominate(client, bot, week_id, "Cat", "Blue", "Joni Mitchell", decade="1970s")
    n4 = nominate(client, bot, week_id, "Dan", "Maggot Brain", "Funkadelic", decade="70's")
    assert n2["decade"] == "1990s"
    assert n4["decade"] == "1970s"
    assert n1["nominator"]["display_name"] == "Ann"

    # Ben re-sends with a pitch: the same nomination is updated (200), not duplicated.
    response = client.post(
        f"/api/club/weeks/{week_id}/nominations",
        json={
            "user": member("Ben"),
            "album": {"title": "homogenic ", "artist_name": "BJORK"},
            "pitch": "Strings and beats",
            "decade": "1990s",
        },
        headers=bot,
    )
    assert response.status_code == 200
    assert response.json()["id"] == n2["id"]
    assert response.json()["pitch"] == "Strings and beats"
    assert len(client.get(f"/api/club/weeks/{week_id}/nominations").json()) == 4

    advance(client, bot, week_id, "close-nominations")
    ballots = {  # voter: (1st choice, 2nd choice)
        "Ann": (n2, n3),
        "Ben": (n1, n3),
        "Cat": (n2, n1),
        "Dan": (n1, n2),
        "Eve": (n3, n4),
        "Fay": (n3, n2),
    }
    cast_ballots(client, bot, week_id, ballots)

    # N1 Kid A:     1st Ben, Dan = 2×2 = 4; 2nd Cat = 1        → 5 points (2 firsts, 1 second)
    # N2 Homogenic: 1st Ann, Cat = 4;       2nd Dan, Fay = 2   → 6 points (2, 2)
    # N3 Blue:      1st Eve, Fay = 4;       2nd Ann, Ben = 2   → 6 points (2, 2)
    # N4 Maggot:    2nd Eve = 1                                → 1 point  (0, 1)
    # N2 and N3 tie on points and first places; Homogenic was nominated first and wins.
    summary = client.get(f"/api/club/weeks/{week_id}/votes/summary").json()
    rows = {row["nomination_id"]: row for row in summary["results"]}
    assert [
        (
            rows[n["id"]]["points"],
            rows[n["id"]]["first_place_votes"],
            rows[n["id"]]["second_place_votes"],
            rows[n["id"]]["position"],
        )
        for n in (n1, n2, n3, n4)
    ] == [(5, 2, 1, 3), (6, 2, 2, 1), (6, 2, 2, 1), (1, 0, 1, 4)]
    assert [row["nomination_id"] for row in summary["results"]] == [
        n2["id"],
        n3["id"],
        n1["id"],
        n4["id"],
    ]
    assert summary["tie"] is True
    assert set(summary["tied_nomination_ids"]) == {n2["id"], n3["id"]}
    assert summary["tie_break"] == "earliest_nomination"
    assert summary["voter_count"] == 6
    assert summary["final"] is False

    closed = advance(client, bot, week_id, "close-poll")
    assert closed["phase"] == "discussion"
    assert closed["winner"]["id"] == n2["id"]
    assert closed["winner"]["album"]["title"] == "Homogenic"
    assert closed["poll"]["final"] is True
    assert closed["poll"]["winner_nomination_id"] == n2["id"]

    # Early raters are welcome during the discussion.
    ratings = {"Ann": 4.5, "Ben": 3.0, "Cat": 5.0, "Dan": 3.5, "Eve": 2.0}
    for rater, value in ratings.items():
        response = client.post(
            f"/api/club/weeks/{week_id}/ratings",
            json={"user": member(rater), "value": value, "review": f"{rater} says hi"},
            headers=bot,
        )
        assert response.status_code == 201, response.text
    advance(client, bot, week_id, "open-ratings")
    # Ann changes her mind: 4.5 → 4.0, an update (200).
    response = client.post(
        f"/api/club/weeks/{week_id}/ratings",
        json={"user": member("Ann"), "value": 4.0, "favorite_track": "Jóga"},
        headers=bot,
    )
    assert response.status_code == 200
    assert response.json()["favorite_track"] == "Jóga"

    # Values 4.0, 3.0, 5.0, 3.5, 2.0: sum 17.5 / 5 = 3.5; sorted 2, 3, 3.5, 4, 5 → median 3.5.
    summary = client.get(f"/api/club/weeks/{week_id}/ratings/summary").json()
    assert summary["average"] == 3.5
    assert summary["median"] == 3.5
    assert summary["count"] == 5
    assert summary["histogram"] == {
        "1.0": 0,
        "1.5": 0,
        "2.0": 1,
        "2.5": 0,
        "3.0": 1,
        "3.5": 1,
        "4.0": 1,
        "4.5": 0,
        "5.0": 1,
    }

    final = advance(client, bot, week_id, "close")
    assert final["phase"] == "closed"
    assert final["ratings_summary"]["average"] == 3.5
    assert len(final["ratings"]) == 5
    assert len(final["nominations"]) == 4
    assert client.get("/api/club/weeks").json()["items"][0]["winner"]["id"] == n2["id"]


def test_a_whole_week_with_a_points_tie_decided_by_first_place_votes(
    client: TestClient, bot: Headers
) -> None:
    week_id = start_week(client, bot)["id"]
    m1 = nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    m2 = nominate(
        client,
        bot,
        week_id,
        "Ben",
        "Aquemini",
        "OutKast",
        genre="Hip Hop",
        decade="90's",
        country="US",
    )
    m3 = nominate(client, bot, week_id, "Cat", "Vespertine", "Björk")
    m4 = nominate(client, bot, week_id, "Dan", "Maggot Brain", "Funkadelic")
    advance(client, bot, week_id, "close-nominations")
    ballots = {  # voter: (1st choice, 2nd choice); Eve nominated nothing
        "Ann": (m2, m3),
        "Ben": (m3, m1),
        "Cat": (m2, m1),
        "Dan": (m1, m2),
        "Eve": (m4, m1),
    }
    cast_ballots(client, bot, week_id, ballots)
    # M1 Blonde:     1st Dan = 2;       2nd Ben, Cat, Eve = 3 → 5 points (1 first, 3 seconds)
    # M2 Aquemini:   1st Ann, Cat = 4;  2nd Dan = 1           → 5 points (2 firsts, 1 second)
    # M3 Vespertine: 1st Ben = 2;       2nd Ann = 1           → 3 points (1, 1)
    # M4 Maggot:     1st Eve = 2                              → 2 points (1, 0)
    # M1 and M2 tie on points; M2 has more first places and wins, though M1 came first.
    closed = advance(client, bot, week_id, "close-poll")
    poll = closed["poll"]
    assert closed["winner"]["id"] == m2["id"]
    assert [
        (
            row["nomination_id"],
            row["points"],
            row["first_place_votes"],
            row["second_place_votes"],
            row["position"],
        )
        for row in poll["results"]
    ] == [
        (m2["id"], 5, 2, 1, 1),
        (m1["id"], 5, 1, 3, 2),
        (m3["id"], 3, 1, 1, 3),
        (m4["id"], 2, 1, 0, 4),
    ]
    assert poll["winner_nomination_id"] == m2["id"]
    assert poll["tie"] is False
    assert poll["tied_nomination_ids"] == []
    assert poll["tie_break"] == "first_place_votes"
    assert poll["voter_count"] == 5
    assert poll["final"] is True
    # The poll is closed: a late vote is refused.
    assert vote(client, bot, week_id, "Eve", m3["id"], 1).status_code == 409

    advance(client, bot, week_id, "open-ratings")
    for rater, value in {"Ann": 4.5, "Cat": 3.0, "Dan": 2.5, "Eve": 2.5}.items():
        response = client.post(
            f"/api/club/weeks/{week_id}/ratings",
            json={"user": member(rater), "value": value},
            headers=bot,
        )
        assert response.status_code == 201, response.text
    # Sum 4.5 + 3.0 + 2.5 + 2.5 = 12.5; 12.5 / 4 = 3.125 → 3.13 rounded half-up (a float's
    # round() says 3.12). Sorted 2.5, 2.5, 3.0, 4.5: median (2.5 + 3.0) / 2 = 2.75.
    summary = client.get(f"/api/club/weeks/{week_id}/ratings/summary").json()
    assert summary == {
        "average": 3.13,
        "median": 2.75,
        "count": 4,
        "histogram": {
            "1.0": 0,
            "1.5": 0,
            "2.0": 0,
            "2.5": 2,
            "3.0": 1,
            "3.5": 0,
            "4.0": 0,
            "4.5": 1,
            "5.0": 0,
        },
    }
    assert advance(client, bot, week_id, "close")["phase"] == "closed"

    # The club's statistics, from this one week.
    stats = client.get("/api/club/stats").json()
    assert stats["totals"] == {
        "weeks_closed": 1,
        "nominations": 4,
        "votes": 10,  # five ballots of two
        "ratings": 4,
        "members": 5,
    }
    assert stats["winners_by_genre"] == [{"name": "Hip Hop", "count": 1}]
    assert stats["winners_by_decade"] == [{"name": "1990s", "count": 1}]
    assert stats["winners_by_country"] == [{"name": "US", "count": 1}]
    # Most nominations, then wins, then ratings given, then name.
    assert [
        (
            s["member"]["display_name"],
            s["nominations"],
            s["wins"],
            s["ratings_given"],
            s["average_given"],
        )
        for s in stats["members"]
    ] == [
        ("Ben", 1, 1, 0, None),
        ("Ann", 1, 0, 1, 4.5),
        ("Cat", 1, 0, 1, 3.0),
        ("Dan", 1, 0, 1, 2.5),
        ("Eve", 0, 0, 1, 2.5),
    ]
    [famous] = stats["hall_of_fame"]  # four ratings: at least the three it takes
    assert (famous["nomination_id"], famous["rating_average"], famous["rating_count"]) == (
        m2["id"],
        3.13,
        4,
    )

    ben = client.get(f"/api/users/{m2['nominator']['id']}/club").json()
    assert (ben["nominations_total"], ben["wins"], ben["ratings_given"]) == (1, 1, 0)
    assert ben["average_given"] is None
    assert (ben["winning_picks_average"], ben["winning_picks_ratings"]) == (3.13, 4)
    assert [(n["id"], n["won"], n["decade"]) for n in ben["nominations"]] == [
        (m2["id"], True, "1990s")
    ]
    ann = client.get(f"/api/users/{m1['nominator']['id']}/club").json()
    assert (ann["nominations_total"], ann["wins"], ann["ratings_given"]) == (1, 0, 1)
    assert ann["average_given"] == 4.5
    assert [(r["value"], r["album"]["title"]) for r in ann["ratings"]] == [(4.5, "Aquemini")]


def test_one_week_with_both_tie_breaks_end_to_end(client: TestClient, bot: Headers) -> None:
    """Six members, five nominations: the top is an exact tie (earliest nomination wins) and
    the two below it tie on points, ranked by first-place votes."""
    week_id = start_week(client, bot)["id"]
    n1 = nominate(client, bot, week_id, "Ann", "Kid A", "Radiohead")
    n2 = nominate(client, bot, week_id, "Ben", "Homogenic", "Björk")
    n3 = nominate(client, bot, week_id, "Cat", "Blue", "Joni Mitchell")
    n4 = nominate(client, bot, week_id, "Dan", "Maggot Brain", "Funkadelic")
    n5 = nominate(client, bot, week_id, "Eve", "Spirit of Eden", "Talk Talk")
    advance(client, bot, week_id, "close-nominations")
    ballots = {  # voter: (1st choice, 2nd choice)
        "Ann": (n2, n4),
        "Ben": (n1, n4),
        "Cat": (n1, n2),
        "Dan": (n2, n3),
        "Eve": (n3, n1),
        "Fay": (n5, n4),
    }
    cast_ballots(client, bot, week_id, ballots)

    # N1: 1st Ben, Cat; 2nd Eve       → 2×2 + 1 = 5 (2 firsts)
    # N2: 1st Ann, Dan; 2nd Cat       → 5 (2 firsts): an exact tie with N1, nominated later
    # N3: 1st Eve; 2nd Dan            → 2 + 1 = 3 (1 first)
    # N4: 2nd Ann, Ben, Fay           → 3 (0 firsts): N3's points, fewer first places
    # N5: 1st Fay                     → 2
    summary = client.get(f"/api/club/weeks/{week_id}/votes/summary").json()
    assert [
        (
            row["nomination_id"],
            row["points"],
            row["first_place_votes"],
            row["second_place_votes"],
            row["position"],
        )
        for row in summary["results"]
    ] == [
        (n1["id"], 5, 2, 1, 1),
        (n2["id"], 5, 2, 1, 1),
        (n3["id"], 3, 1, 1, 3),
        (n4["id"], 3, 0, 3, 4),
        (n5["id"], 2, 1, 0, 5),
    ]
    assert summary["tie"] is True
    assert set(summary["tied_nomination_ids"]) == {n1["id"], n2["id"]}
    assert summary["tie_break"] == "earliest_nomination"
    assert summary["voter_count"] == 6

    closed = advance(client, bot, week_id, "close-poll")
    assert closed["winner"]["id"] == n1["id"]
    advance(client, bot, week_id, "open-ratings")
    for rater, value in {"Ann": 4.5, "Ben": 4.0, "Cat": 3.0, "Dan": 2.5, "Eve": 5.0}.items():
        response = client.post(
            f"/api/club/weeks/{week_id}/ratings",
            json={"user": member(rater), "value": value},
            headers=bot,
        )
        assert response.status_code == 201, response.text
    final = advance(client, bot, week_id, "close")
    # 4.5 + 4 + 3 + 2.5 + 5 = 19 over 5 = 3.8; sorted 2.5, 3, 4, 4.5, 5 → median 4.0.
    assert final["phase"] == "closed"
    assert (final["ratings_summary"]["average"], final["ratings_summary"]["median"]) == (3.8, 4.0)
    assert final["ratings_summary"]["count"] == 5


def test_casting_a_rank_again_replaces_it(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    a = nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    b = nominate(client, bot, week_id, "Ben", "Aquemini", "OutKast")
    advance(client, bot, week_id, "close-nominations")
    vote(client, bot, week_id, "Cat", a["id"], 1)
    assert vote(client, bot, week_id, "Cat", b["id"], 1).status_code == 201
    votes = session.scalars(select(Vote)).all()
    assert [(str(v.nomination_id), v.rank) for v in votes] == [(b["id"], 1)]


# --- refusals: the right status, a body naming the problem, and nothing written --------------


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_votes_outside_the_poll_are_refused(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    nomination = nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    response = vote(client, bot, week_id, "Ben", nomination["id"], 1)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["phase"] == "nominations"
    assert count(session, Vote) == 0


def test_illegal_phase_step_names_the_current_phase(client: TestClient, bot: Headers) -> None:
    week_id = start_week(client, bot)["id"]
    response = client.post(f"/api/club/weeks/{week_id}/close-poll", headers=bot)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "wrong_phase"
    assert "nominations" in error["message"]
    assert error["details"]["phase"] == "nominations"


def test_self_votes_and_double_ranks_are_refused(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    own = nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    other = nominate(client, bot, week_id, "Ben", "Aquemini", "OutKast")
    advance(client, bot, week_id, "close-nominations")
    response = vote(client, bot, week_id, "Ann", own["id"], 1)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {"nomination_id": "your own nomination"}
    assert vote(client, bot, week_id, "Ann", other["id"], 1).status_code == 201
    response = vote(client, bot, week_id, "Ann", other["id"], 2)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {
        "nomination_id": "already your choice of rank 1"
    }
    assert count(session, Vote) == 1


def test_ratings_off_the_half_steps_are_refused(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    advance(client, bot, week_id, "close-nominations")
    advance(client, bot, week_id, "close-poll")
    for value in (0.5, 4.3, 5.5, "four"):
        response = client.post(
            f"/api/club/weeks/{week_id}/ratings",
            json={"user": member("Ben"), "value": value},
            headers=bot,
        )
        assert response.status_code == 422
        assert "value" in response.json()["error"]["details"]["fields"]
    assert count(session, Rating) == 0


def test_writes_need_a_token_with_the_scope(
    client: TestClient, bot: Headers, session: Session
) -> None:
    assert client.post("/api/club/weeks", json=WEEK).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    response = client.post("/api/club/weeks", json=WEEK, headers=bad)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    week_id = start_week(client, bot)["id"]
    response = client.put(
        f"/api/club/weeks/{week_id}/winner",
        json={"nomination_id": week_id, "reason": "because"},
        headers=bot,
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["scope"] == "club:admin"


def test_malformed_nomination_names_the_fields(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    response = client.post(
        f"/api/club/weeks/{week_id}/nominations",
        json={"user": {}, "album": {"title": ""}, "pitch_track_url": "javascript:alert(1)"},
        headers=bot,
    )
    assert response.status_code == 422
    fields = response.json()["error"]["details"]["fields"]
    assert {"user", "album.title", "album.artist_name", "pitch_track_url"} <= set(fields)
    assert count(session, Nomination) == 0


def test_organisers_act_in_any_phase_and_override_the_winner(
    client: TestClient, bot: Headers, organiser: Headers
) -> None:
    week_id = start_week(client, bot)["id"]
    a = nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    b = nominate(client, bot, week_id, "Ben", "Aquemini", "OutKast")
    # A vote during nominations: refused for the bot, allowed for an organiser.
    assert vote(client, organiser, week_id, "Cat", a["id"], 1).status_code == 201
    advance(client, bot, week_id, "close-nominations")
    closed = advance(client, bot, week_id, "close-poll")
    assert closed["winner"]["id"] == a["id"]
    response = client.put(
        f"/api/club/weeks/{week_id}/winner",
        json={"nomination_id": b["id"], "reason": "Recount after a duplicate account"},
        headers=organiser,
    )
    assert response.status_code == 200
    week = response.json()
    assert week["winner"]["id"] == b["id"]
    assert week["winner_override_reason"] == "Recount after a duplicate account"
    assert week["winner_override_by"].startswith("test")
    assert week["poll"]["overridden"] is True
    assert week["poll"]["winner_nomination_id"] == b["id"]


def test_hidden_reviews_are_kept_but_left_out(
    client: TestClient, bot: Headers, organiser: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    advance(client, bot, week_id, "close-nominations")
    advance(client, bot, week_id, "close-poll")
    rating = client.post(
        f"/api/club/weeks/{week_id}/ratings",
        json={"user": member("Ben"), "value": 1.0, "review": "spam spam spam"},
        headers=bot,
    ).json()
    hidden = client.post(f"/api/club/ratings/{rating['id']}/hide", headers=organiser)
    assert hidden.status_code == 200
    assert hidden.json()["review"] == "spam spam spam"
    assert hidden.json()["review_hidden_by"].startswith("test")
    public = client.get(f"/api/club/weeks/{week_id}/ratings").json()
    assert public[0]["review"] is None
    assert public[0]["review_hidden"] is True
    assert client.get(f"/api/club/weeks/{week_id}").json()["ratings"][0]["review"] is None
    client.post(f"/api/club/ratings/{rating['id']}/unhide", headers=organiser)
    assert client.get(f"/api/club/weeks/{week_id}/ratings").json()[0]["review"] == "spam spam spam"


def test_unknown_week_is_a_404_with_the_error_body(client: TestClient) -> None:
    response = client.get("/api/club/weeks/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.get("/api/club/weeks/not-a-uuid")
    assert response.status_code == 422
    assert "week_id" in response.json()["error"]["details"]["fields"]


def test_a_week_links_its_discord_threads_once_the_server_is_known(
    connection: Connection, bot: Headers
) -> None:
    thread_ids = {"nominations_thread_id": "1300000000000000001", "poll_thread_id": 2**62}
    for guild_id, links in [
        (None, {"nominations": None, "poll": None, "winner": None, "ratings": None}),
        (
            "1200000000000000000",
            {
                "nominations": "https://discord.com/channels/1200000000000000000/1300000000000000001",
                "poll": f"https://discord.com/channels/1200000000000000000/{2**62}",
                "winner": None,
                "ratings": None,
            },
        ),
    ]:
        settings = Settings(database_url="sqlite://", discord_guild_id=guild_id)
        factory = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        with TestClient(create_app(settings, factory)) as client:
            week = start_week(client, bot, week_number=None, **thread_ids)
            assert week["discord_links"] == links
            read = client.get(f"/api/club/weeks/{week['id']}").json()
            assert read["discord_links"] == links


def test_a_refused_nomination_leaves_no_member_and_no_album_behind(
    client: TestClient, bot: Headers, session: Session
) -> None:
    week_id = start_week(client, bot)["id"]
    nominate(client, bot, week_id, "Ann", "Blonde", "Frank Ocean")
    advance(client, bot, week_id, "close-nominations")
    people, albums = count(session, User), count(session, Album)
    # A member never seen before nominates a new album after nominations closed.
    body = {"user": member("Zed"), "album": {"title": "Debut", "artist_name": "Björk"}}
    response = client.post(f"/api/club/weeks/{week_id}/nominations", json=body, headers=bot)
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"phase": "poll"}
    assert (count(session, User), count(session, Album)) == (people, albums)
    assert count(session, LinkedAccount) == 1  # Ann's
    assert count(session, Nomination) == 1
