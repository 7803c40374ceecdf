"""Listening statistics and history: numbers worked out by hand, in the member's own time."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from sidetrack.core.errors import Forbidden
from sidetrack.listening.models import (
    ListenYearAlbumCount,
    ListenYearArtistCount,
    ListenYearTrackCount,
)
from sidetrack.listening.queries import cover_range, listening_stats
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import User
from sidetrack.users.service import create_api_token
from tests.factories import create_user


def record(
    at: datetime, track: str, artist: str, album: str = "LP", ms: int = 200_000
) -> ListenRecord:
    return ListenRecord(artist, track, at, ListenSource.SPOTIFY, album_title=album, ms_played=ms)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


NOW = utc(2025, 3, 20, 12, 0)


@pytest.fixture
def tokyo(session: Session) -> User:
    """A Tokyo member (UTC+9, no DST) with eight plays."""
    user = create_user(session, timezone="Asia/Tokyo")
    plays = [
        record(utc(2025, 3, 18, 15, 30), "Jóga", "Björk", "Homogenic"),  # Tokyo 19 Mar 00:30
        record(utc(2025, 3, 18, 14, 30), "Hunter", "Björk", "Homogenic"),  # Tokyo 18 Mar 23:30
        record(utc(2025, 3, 19, 11, 0), "Jóga", "bjork", "homogenic"),  # Tokyo 19 Mar 20:00
        record(utc(2025, 3, 19, 12, 0), "Windowlicker", "Aphex Twin", "Windowlicker"),  # 21:00
        record(utc(2025, 3, 19, 12, 10), "Flim", "Aphex Twin", "Come to Daddy"),  # 21:10
        record(utc(2025, 3, 20, 1, 0), "Jóga", "Björk", "Homogenic"),  # Tokyo 20 Mar 10:00
        record(utc(2025, 1, 5, 10, 0), "Roygbiv", "Boards of Canada", "MHTRTC"),  # January
        record(utc(2024, 2, 1, 10, 0), "Jóga", "Björk", "Homogenic"),  # last year
    ]
    assert ingest_listens(session, user.id, plays).inserted == 8
    return user


def test_week_counts_days_and_hours_in_tokyo(session: Session, tokyo: User) -> None:
    stats = listening_stats(session, tokyo.id, tokyo.id, "week", now=NOW)
    # Today in Tokyo is 20 Mar (12:00 UTC = 21:00 JST); the week is 14–20 Mar.
    assert (stats.start, stats.end) == (date(2025, 3, 14), date(2025, 3, 20))
    assert stats.total_plays == 6
    assert stats.listening_ms == 6 * 200_000
    # 00:30 in Tokyo on the 19th counts on the 19th, although it was the 18th in UTC.
    assert stats.plays_per_day == {date(2025, 3, 18): 1, date(2025, 3, 19): 4, date(2025, 3, 20): 1}
    hours = {hour: n for hour, n in enumerate(stats.plays_per_hour) if n}
    assert hours == {0: 1, 23: 1, 20: 1, 21: 2, 10: 1}
    # Björk: Jóga ×3 (spelled two ways) + Hunter = 4; Aphex Twin: 2.
    assert [(a.artist_name, a.plays) for a in stats.top_artists] == [
        ("Björk", 4),
        ("Aphex Twin", 2),
    ]
    assert (stats.top_tracks[0].title, stats.top_tracks[0].plays) == ("Jóga", 3)
    assert stats.top_albums[0].title == "Homogenic"
    assert stats.top_albums[0].plays == 4
    # Björk was first heard in 2024, Boards of Canada in January: only Aphex Twin is new.
    assert [a.artist_name for a in stats.new_artists] == ["Aphex Twin"]


def test_all_time_and_year_ranges(session: Session, tokyo: User) -> None:
    all_time = listening_stats(session, tokyo.id, tokyo.id, "all_time", now=NOW)
    assert all_time.start is None
    assert all_time.total_plays == 8
    assert [(a.artist_name, a.plays) for a in all_time.top_artists] == [
        ("Björk", 5),
        ("Aphex Twin", 2),
        ("Boards of Canada", 1),
    ]
    # Summed over both years, per track and per album.
    assert (all_time.top_tracks[0].title, all_time.top_tracks[0].plays) == ("Jóga", 4)
    assert (all_time.top_albums[0].title, all_time.top_albums[0].plays) == ("Homogenic", 5)
    year = listening_stats(session, tokyo.id, tokyo.id, "year", now=NOW)
    assert year.start == date(2024, 3, 21)
    assert year.total_plays == 7
    assert {a.artist_name for a in year.new_artists} == {"Aphex Twin", "Boards of Canada"}


def test_custom_days(session: Session, tokyo: User) -> None:
    stats = listening_stats(
        session,
        tokyo.id,
        tokyo.id,
        "month",
        start=date(2025, 3, 19),
        end=date(2025, 3, 19),
        now=NOW,
    )
    assert stats.range == "custom"
    assert stats.total_plays == 4
    assert sum(t.plays for t in stats.top_tracks) == 4


def test_daylight_saving_days_in_new_york(session: Session) -> None:
    user = create_user(session, timezone="America/New_York")
    # 9 Mar 2025 clocks jump 02:00 → 03:00. 06:30 UTC is 01:30 EST; 07:30 UTC is 03:30 EDT;
    # 04:30 UTC on the 10th is 00:30 EDT on the 10th, and 03:30 UTC on the 10th is 23:30 the 9th.
    ingest_listens(
        session,
        user.id,
        [
            record(utc(2025, 3, 9, 6, 30), "A", "X"),
            record(utc(2025, 3, 9, 7, 30), "B", "X"),
            record(utc(2025, 3, 10, 3, 30), "C", "X"),
            record(utc(2025, 3, 10, 4, 30), "D", "X"),
        ],
    )
    stats = listening_stats(session, user.id, user.id, "week", now=utc(2025, 3, 12, 12))
    assert stats.plays_per_day == {date(2025, 3, 9): 3, date(2025, 3, 10): 1}
    assert [h for h, n in enumerate(stats.plays_per_hour) if n] == [0, 1, 3, 23]


def test_private_listening_is_refused_to_others(session: Session) -> None:
    user = create_user(session, listening_private=True)
    other = create_user(session)
    with pytest.raises(Forbidden):
        listening_stats(session, user.id, other.id, "week")
    with pytest.raises(Forbidden):
        listening_stats(session, user.id, None, "week")
    assert listening_stats(session, user.id, user.id, "week").total_plays == 0


def test_stats_and_history_over_http(client: TestClient, session: Session) -> None:
    user = create_user(session, listening_private=True)
    start = datetime.now(UTC) - timedelta(hours=5)
    ingest_listens(
        session, user.id, [record(start + timedelta(minutes=5 * i), f"T{i}", "X") for i in range(7)]
    )
    _row, own = create_api_token(session, "member", [], user_id=user.id)
    session.commit()
    assert client.get(f"/api/users/{user.id}/stats?range=week").status_code == 403
    headers = {"Authorization": f"Bearer {own}"}
    response = client.get(f"/api/users/{user.id}/stats?range=week", headers=headers)
    assert response.status_code == 200
    assert response.json()["total_plays"] == 7

    seen = []
    cursor = None
    while True:
        url = f"/api/users/{user.id}/listens?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).json()
        seen += [item["track_title"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"T{i}" for i in reversed(range(7))]

    bad = client.get(f"/api/users/{user.id}/listens?cursor=nonsense", headers=headers)
    assert bad.status_code == 422
    assert "cursor" in bad.json()["error"]["details"]["fields"]
    assert (
        client.get(f"/api/users/{user.id}/stats?range=decade", headers=headers).status_code == 422
    )


def test_members_upload_their_own_exports(client: TestClient, session: Session) -> None:
    user = create_user(session)
    other = create_user(session)
    _row, own = create_api_token(session, "member", [], user_id=user.id)
    _row, others = create_api_token(session, "other", [], user_id=other.id)
    session.commit()
    csv = "Björk,Homogenic,Jóga,19 Mar 2023 18:28\nBjörk,Homogenic,Hunter,broken\n".encode()
    upload = {"file": ("scrobbles.csv", csv, "text/csv")}
    url = f"/api/users/{user.id}/imports"
    assert client.post(url, files=upload).status_code == 401
    assert (
        client.post(url, files=upload, headers={"Authorization": f"Bearer {others}"}).status_code
        == 403
    )
    response = client.post(url, files=upload, headers={"Authorization": f"Bearer {own}"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["imported"], report["duplicates"]) == (1, 1, 0)
    assert [(e["file"], e["position"]) for e in report["errors"]] == [("scrobbles.csv", "row 2")]
    again = client.post(url, files=upload, headers={"Authorization": f"Bearer {own}"}).json()
    assert (again["imported"], again["duplicates"]) == (0, 1)
    missing = client.post(url, headers={"Authorization": f"Bearer {own}"})
    assert missing.status_code == 422
    assert "file" in missing.json()["error"]["details"]["fields"]


def test_ranges_mixing_whole_months_and_edge_days_count_every_play(session: Session) -> None:
    """Whole local months come from the monthly rollup, the edge days from the plays."""
    user = create_user(session, timezone="Asia/Tokyo")
    # One play on each of these local days (noon in Tokyo is 03:00 UTC).
    days = [
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 3, 15),
    ]
    ingest_listens(
        session,
        user.id,
        [record(datetime(d.year, d.month, d.day, 3, tzinfo=UTC), f"T{d}", "X") for d in days],
    )

    def plays(start: date, end: date) -> int:
        stats = listening_stats(session, user.id, user.id, "month", start=start, end=end, now=NOW)
        assert sum(t.plays for t in stats.top_tracks) == stats.total_plays  # lists agree
        return sum(t.plays for t in stats.top_tracks)

    assert plays(date(2025, 1, 31), date(2025, 3, 1)) == 4  # edge day + all Feb + edge day
    assert plays(date(2025, 2, 1), date(2025, 2, 28)) == 2  # exactly one whole month
    assert plays(date(2025, 2, 2), date(2025, 2, 27)) == 0  # inside one month, no whole month
    assert plays(date(2025, 1, 1), date(2025, 3, 31)) == 5  # three whole months
    assert plays(date(2025, 3, 2), date(2025, 3, 20)) == 1


def test_a_range_is_covered_by_whole_years_then_whole_months_then_days() -> None:
    assert cover_range(date(2024, 11, 15), date(2026, 2, 11)) == [
        ("days", date(2024, 11, 15), date(2024, 12, 1)),
        ("month", date(2024, 12, 1), date(2025, 1, 1)),
        ("year", date(2025, 1, 1), date(2026, 1, 1)),
        ("month", date(2026, 1, 1), date(2026, 2, 1)),
        ("days", date(2026, 2, 1), date(2026, 2, 11)),
    ]
    assert cover_range(date(2023, 1, 1), date(2026, 1, 1)) == [
        ("year", date(2023, 1, 1), date(2026, 1, 1))
    ]
    assert cover_range(date(2025, 3, 1), date(2025, 6, 1)) == [
        ("month", date(2025, 3, 1), date(2025, 6, 1))
    ]
    # Across New Year without a whole month on either side: days only.
    assert cover_range(date(2024, 12, 15), date(2025, 1, 16)) == [
        ("days", date(2024, 12, 15), date(2025, 1, 16))
    ]
    # All time up to a `to` date: every year before its own, then months, then days.
    assert cover_range(None, date(2025, 3, 10)) == [
        ("year", None, date(2025, 1, 1)),
        ("month", date(2025, 1, 1), date(2025, 3, 1)),
        ("days", date(2025, 3, 1), date(2025, 3, 10)),
    ]


TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9, no DST
# Plays around the edges of the ranges below, (UTC moment, track); Tokyo time in comments.
EDGE_PLAYS = [
    (utc(2023, 11, 14, 14, 30), "A"),  # 14 Nov 2023 23:30
    (utc(2023, 11, 14, 15, 0), "B"),  # 15 Nov 00:00
    (utc(2023, 11, 30, 14, 30), "C"),  # 30 Nov 23:30
    (utc(2023, 11, 30, 15, 30), "A"),  # 1 Dec 00:30
    (utc(2023, 12, 31, 14, 30), "B"),  # 31 Dec 2023 23:30
    (utc(2023, 12, 31, 15, 30), "C"),  # 1 Jan 2024 00:30
    (utc(2024, 6, 15, 3, 0), "A"),  # 15 Jun 2024 12:00
    (utc(2024, 6, 15, 4, 0), "A"),
    (utc(2024, 12, 31, 14, 30), "B"),  # 31 Dec 2024 23:30: still 2024
    (utc(2024, 12, 31, 15, 30), "A"),  # 1 Jan 2025 00:30
    (utc(2025, 1, 31, 15, 30), "C"),  # 1 Feb 00:30
    (utc(2025, 2, 10, 14, 30), "B"),  # 10 Feb 23:30
    (utc(2025, 2, 10, 15, 30), "C"),  # 11 Feb 00:30
]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2023, 11, 15), date(2025, 2, 10)),  # days, month, year, month, days
        (date(2024, 1, 1), date(2024, 12, 31)),  # one whole year
        (date(2023, 12, 31), date(2025, 1, 1)),  # a day, a year, a day
        (date(2023, 12, 1), date(2025, 1, 31)),  # a month, a year, a month
        (date(2023, 11, 15), date(2024, 1, 31)),  # days and months across New Year
        (date(2024, 12, 31), date(2024, 12, 31)),  # New Year's Eve alone
        (None, date(2024, 12, 31)),  # all time up to the end of a year
        (None, date(2025, 2, 10)),  # all time up to a day: years, a month, days
    ],
)
def test_top_lists_over_years_months_and_days_count_every_play_in_local_time(
    session: Session, start: date | None, end: date
) -> None:
    user = create_user(session, timezone="Asia/Tokyo")
    # Two batches, so that the second one adds to the rollup rows the first one made.
    ingest_listens(session, user.id, [record(at, track, "X") for at, track in EDGE_PLAYS[:7]])
    ingest_listens(session, user.id, [record(at, track, "X") for at, track in EDGE_PLAYS[7:]])
    expected = Counter(
        track
        for at, track in EDGE_PLAYS
        if (start is None or start <= at.astimezone(TOKYO).date())
        and at.astimezone(TOKYO).date() <= end
    )
    stats = listening_stats(
        session,
        user.id,
        user.id,
        "all_time" if start is None else "month",
        start=start,
        end=end,
        limit=50,
    )
    assert {t.title: t.plays for t in stats.top_tracks} == dict(expected)
    assert stats.total_plays == expected.total()
    assert [(a.artist_name, a.plays) for a in stats.top_artists] == [("X", expected.total())]


ARTIST_OF = {"A": "Björk", "B": "Sigur Rós", "C": "Sigur Rós"}
ALBUM_OF = {"A": "Homogenic", "B": "Takk", "C": "Ágætis byrjun"}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 1), date(2024, 12, 31)),  # one whole year: its album and artist rows
        (date(2023, 1, 1), date(2024, 12, 31)),  # two whole years: summed per album, artist
        (date(2023, 12, 1), date(2025, 1, 31)),  # a month, a year, a month: per track
    ],
)
def test_top_albums_and_artists_count_every_play_of_the_range(
    session: Session, start: date, end: date
) -> None:
    user = create_user(session, timezone="Asia/Tokyo")
    plays = [record(at, t, ARTIST_OF[t], ALBUM_OF[t]) for at, t in EDGE_PLAYS]
    ingest_listens(session, user.id, plays[:7])
    ingest_listens(session, user.id, plays[7:])  # adds to the first batch's rows
    heard = [t for at, t in EDGE_PLAYS if start <= at.astimezone(TOKYO).date() <= end]
    stats = listening_stats(session, user.id, user.id, start=start, end=end, limit=50)
    assert {a.artist_name: a.plays for a in stats.top_artists} == Counter(
        ARTIST_OF[t] for t in heard
    )
    assert {a.title: a.plays for a in stats.top_albums} == Counter(ALBUM_OF[t] for t in heard)
    assert [a.plays for a in stats.top_albums] == sorted(Counter(heard).values(), reverse=True)


def test_whole_years_rank_albums_and_artists_from_their_yearly_rollups(
    session: Session,
) -> None:
    """A changed yearly album or artist row shows in whole-year ranges, and only there."""
    user = create_user(session, timezone="Asia/Tokyo")
    ingest_listens(
        session, user.id, [record(at, t, ARTIST_OF[t], ALBUM_OF[t]) for at, t in EDGE_PLAYS]
    )
    for model in (ListenYearAlbumCount, ListenYearArtistCount):
        session.execute(
            update(model).where(model.user_id == user.id).values(plays=model.plays + 100)
        )

    def top(start: date, end: date) -> tuple[int, int]:
        stats = listening_stats(session, user.id, user.id, start=start, end=end, limit=50)
        return stats.top_albums[0].plays, stats.top_artists[0].plays

    # 2024 in Tokyo: C just after New Year, A twice, B on New Year's Eve: Björk and
    # Sigur Rós have two each, Homogenic two.
    assert top(date(2024, 1, 1), date(2024, 12, 31)) == (102, 102)
    assert top(date(2024, 1, 1), date(2024, 12, 30)) == (2, 2)  # not whole: per track


def test_whole_years_are_read_from_the_yearly_rollup(session: Session) -> None:
    """Not summed from the months again: a changed yearly row shows in whole-year ranges only."""
    user = create_user(session, timezone="Asia/Tokyo")
    ingest_listens(session, user.id, [record(at, track, "X") for at, track in EDGE_PLAYS])
    session.execute(
        update(ListenYearTrackCount)
        .where(ListenYearTrackCount.user_id == user.id)
        .values(plays=ListenYearTrackCount.plays + 100)
    )

    def plays(start: date, end: date) -> int:
        stats = listening_stats(session, user.id, user.id, start=start, end=end, limit=50)
        return sum(t.plays for t in stats.top_tracks)

    assert plays(date(2024, 1, 1), date(2024, 12, 31)) == 4 + 3 * 100  # A, B and C in 2024
    assert plays(date(2024, 1, 1), date(2024, 12, 30)) == 3  # months and days, no year


@pytest.mark.parametrize(
    "params",
    [
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"to": "0001-01-01"},
        {"to": "0001-01-03", "range": "week"},
        {"from": "1899-12-31"},
    ],
)
def test_days_at_the_ends_of_the_calendar_are_422_not_500(
    client: TestClient, session: Session, params: dict[str, str]
) -> None:
    user = create_user(session)
    session.commit()
    response = client.get(f"/api/users/{user.id}/stats", params=params)
    assert response.status_code == 422, response.text
    field = "from" if "from" in params and params["from"] < "1900" else "to"
    assert response.json()["error"]["details"]["fields"] == {field: "out of range"}


def test_the_widest_days_allowed_are_answered(client: TestClient, session: Session) -> None:
    user = create_user(session, timezone="Pacific/Kiritimati")  # UTC+14: the first local day
    ingest_listens(session, user.id, [record(utc(2025, 3, 1, 12), "A", "X")])
    session.commit()
    for range_name in ("week", "all_time"):
        params = {"from": "1900-01-01", "to": "9998-12-31", "range": range_name}
        response = client.get(f"/api/users/{user.id}/stats", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["total_plays"] == 1
    week = client.get(f"/api/users/{user.id}/stats", params={"to": "1900-01-01", "range": "week"})
    assert week.status_code == 200
    assert (week.json()["start"], week.json()["total_plays"]) == ("1899-12-26", 0)


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"],
)
def test_a_forged_cursor_past_the_calendar_is_422(
    client: TestClient, session: Session, moment: str
) -> None:
    import base64

    user = create_user(session)
    session.commit()
    raw = f"{moment}|00000000-0000-0000-0000-000000000000".encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/api/users/{user.id}/listens", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["fields"] == {"cursor": "not a valid cursor"}
