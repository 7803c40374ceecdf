"""POST /api/listens/bulk: the worker's way in, with the listens:write scope."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidetrack.listening.models import ListenEvent
from sidetrack.users.service import create_api_token
from tests.factories import create_user


def listen(minutes: int, **extra: object) -> dict[str, object]:
    at = datetime(2025, 5, 1, 18, tzinfo=UTC) + timedelta(minutes=minutes)
    return {
        "artist_name": "Sigur Rós",
        "track_title": "Svefn-g-englar",
        "album_title": "Ágætis byrjun",
        "played_at": at.isoformat(),
        "source": "lastfm",
        **extra,
    }


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ListenEvent)) or 0


def test_bulk_listens_counts_and_keeps_the_good_rows(client: TestClient, session: Session) -> None:
    user = create_user(session)
    _row, token = create_api_token(session, "worker", ["listens:write"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "user_id": str(user.id),
        "listens": [
            listen(0),
            listen(20),
            listen(0, source="spotify"),
            listen(40, played_at="2001-01-01T00:00:00+00:00"),
        ],
    }
    response = client.post("/api/listens/bulk", json=body, headers=headers)
    assert response.status_code == 200, response.text
    # The Spotify row is the Last.fm play at 0 minutes again; the 2001 play predates scrobbling.
    assert response.json() == {
        "received": 4,
        "inserted": 2,
        "duplicates": 1,
        "rejected": [{"index": 3, "reason": "played_at is before 2002-10-01"}],
    }
    assert stored(session) == 2


def test_bulk_listens_refusals(client: TestClient, session: Session) -> None:
    user = create_user(session)
    _row, writer = create_api_token(session, "bot", ["club:write"])
    _row, worker = create_api_token(session, "worker", ["listens:write"])
    session.commit()
    body = {"user_id": str(user.id), "listens": [listen(0)]}
    assert client.post("/api/listens/bulk", json=body).status_code == 401
    forbidden = client.post(
        "/api/listens/bulk", json=body, headers={"Authorization": f"Bearer {writer}"}
    )
    assert forbidden.status_code == 403
    headers = {"Authorization": f"Bearer {worker}"}
    too_many = {"user_id": str(user.id), "listens": [listen(0)] * 10_001}
    response = client.post("/api/listens/bulk", json=too_many, headers=headers)
    assert response.status_code == 422
    assert "listens" in response.json()["error"]["details"]["fields"]
    unknown = {"user_id": "00000000-0000-0000-0000-000000000000", "listens": [listen(0)]}
    assert client.post("/api/listens/bulk", json=unknown, headers=headers).status_code == 404
    assert stored(session) == 0


def test_bulk_listens_ids_are_checked_and_made_canonical(
    client: TestClient, session: Session
) -> None:
    from sidetrack.catalog.models import Track

    user = create_user(session)
    _row, token = create_api_token(session, "worker", ["listens:write"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    mbid = "e97f805a-ab48-4c52-855e-07049142113d"
    first = listen(0, recording_mbid=mbid, isrc="usrc17607839")
    # The same recording, its id in capitals and the track renamed: still the same track.
    second = listen(20, recording_mbid=mbid.upper(), track_title="Svefn-g-englar (live)")
    body = {"user_id": str(user.id), "listens": [first]}
    assert client.post("/api/listens/bulk", json=body, headers=headers).status_code == 200
    body = {"user_id": str(user.id), "listens": [second]}
    response = client.post("/api/listens/bulk", json=body, headers=headers)
    assert response.json()["inserted"] == 1
    tracks = session.execute(select(Track.musicbrainz_id, Track.isrc)).all()
    assert tracks == [(mbid, "USRC17607839")]

    bad_ids = (("recording_mbid", "-" * 36), ("release_mbid", "x" * 36), ("isrc", "US-1"))
    for field, value in bad_ids:
        body = {"user_id": str(user.id), "listens": [listen(40, **{field: value})]}
        refused = client.post("/api/listens/bulk", json=body, headers=headers)
        assert refused.status_code == 200, field
        [rejection] = refused.json()["rejected"]
        assert rejection["index"] == 0
        assert rejection["reason"].startswith(f"{field}: "), rejection
    assert stored(session) == 2


def test_bulk_listens_a_row_that_does_not_validate_is_rejected_and_the_rest_kept(
    client: TestClient, session: Session
) -> None:
    user = create_user(session)
    _row, token = create_api_token(session, "worker", ["listens:write"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "user_id": str(user.id),
        "listens": [
            listen(0),
            listen(20, played_at="2025-05-01T18:00:00"),  # no time zone
            "not a play",
            listen(40, colour="blue"),  # an unknown field
            listen(60, played_at="2001-01-01T00:00:00+00:00"),  # refused by ingest
            listen(80),
        ],
    }
    response = client.post("/api/listens/bulk", json=body, headers=headers)
    assert response.status_code == 200, response.text
    counts = response.json()
    assert (counts["received"], counts["inserted"], counts["duplicates"]) == (6, 2, 0)
    reasons = {r["index"]: r["reason"] for r in counts["rejected"]}
    assert list(reasons) == [1, 2, 3, 4]
    assert reasons[1].startswith("played_at: ")
    assert reasons[2].startswith("row: ")
    assert reasons[3].startswith("colour: ")
    assert reasons[4] == "played_at is before 2002-10-01"
    assert stored(session) == 2


def test_bulk_listens_a_source_id_with_control_characters(
    client: TestClient, session: Session
) -> None:
    """Tabs, newlines and backslashes are stored as sent (text COPY escapes them); a NUL,
    which PostgreSQL cannot hold in text, rejects that row only."""
    user = create_user(session)
    _row, token = create_api_token(session, "worker", ["listens:write"])
    session.commit()
    body = {
        "user_id": str(user.id),
        "listens": [
            listen(0, source_id="a\tb\nc\\d"),
            listen(20, source_id="bad\x00id"),
        ],
    }
    response = client.post(
        "/api/listens/bulk", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 1
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "source_id: Value error, must not contain NUL (\\u0000) characters"}
    ]
    assert session.scalars(select(ListenEvent.source_id)).all() == ["a\tb\nc\\d"]
