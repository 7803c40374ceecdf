"""The ListenBrainz-compatible API under /1: ListenBrainz's rules, errors and shapes, and a live
server driven by the `liblistenbrainz` client library itself."""

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import liblistenbrainz
import pytest
import uvicorn
from fastapi.testclient import TestClient
from liblistenbrainz.errors import InvalidAuthTokenException, ListenBrainzAPIException
from sqlalchemy import Connection, Uuid, bindparam, event, func, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sidetrack.app import create_app
from sidetrack.catalog.models import Album, Track
from sidetrack.cli import app as cli
from sidetrack.core.config import get_settings
from sidetrack.core.db import make_engine, make_session_factory, transaction
from sidetrack.core.errors import NotFound
from sidetrack.core.migrations import upgrade
from sidetrack.listening import listenbrainz
from sidetrack.listening.models import ListenEvent, PlayingNow
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import ApiToken, User
from sidetrack.users.service import (
    create_api_token,
    get_user_by_handle,
    member_token,
    revoke_api_token,
    user_by_member_token,
)
from sidetrack.users.service import create_user as create_member
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.databases import temporary_postgres_database
from tests.factories import create_user

SUBMIT = "/1/submit-listens"
NOW = int(time.time())
T0 = 1_700_000_000  # 2023-11-14, a listen time well inside ListenBrainz's range
RECORDING = "e97f805a-ab48-4c52-855e-07049142113d"
RELEASE = "0a53ab74-ce5e-4d2f-b3d0-14f9b8c4a7c2"
ARTIST = "87c5dedd-371d-4a53-9f7f-80522fb7f3cb"
MSID = "b7ffd2af-418f-4be2-bdd1-22f8b48613da"


# --- helpers --------------------------------------------------------------------------------


def lb_listen(
    listened_at: Any = T0,
    track: str = "Jóga",
    artist: str = "Björk",
    release: str | None = "Homogenic",
    **info: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": track}
    if release is not None:
        metadata["release_name"] = release
    if info:
        metadata["additional_info"] = info
    listen: dict[str, Any] = {"track_metadata": metadata}
    if listened_at is not None:
        listen["listened_at"] = listened_at
    return listen


def body(listen_type: str, *listens: dict[str, Any]) -> dict[str, Any]:
    return {"listen_type": listen_type, "payload": list(listens)}


def post(client: TestClient, headers: dict[str, str], document: Any) -> Any:
    """POST a body the way liblistenbrainz does: raw JSON text and no Content-Type."""
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post(SUBMIT, content=content, headers=headers)


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ListenEvent)) or 0


def playing(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PlayingNow)) or 0


def lb_error(status: int, message: str) -> dict[str, Any]:
    return {"code": status, "error": message}


@pytest.fixture
def member(session: Session) -> User:
    return create_user(session, handle="rob", display_name="Rob")


@pytest.fixture
def headers(session: Session, member: User) -> dict[str, str]:
    token = member_token(session, member)
    session.commit()
    return {"Authorization": f"Token {token}"}


# --- member tokens --------------------------------------------------------------------------


def test_member_token_is_made_once_and_kept_encrypted(session: Session, member: User) -> None:
    token = member_token(session, member)
    assert member_token(session, member) == token
    other = member_token(session, create_user(session))
    assert other != token
    row = session.scalars(select(ApiToken).where(ApiToken.user_id == member.id)).one()
    assert row.scopes == ["listens:submit"]
    raw = session.execute(
        text("SELECT token_hash, token_encrypted FROM api_tokens WHERE id = :id").bindparams(
            bindparam("id", row.id, type_=Uuid())
        )
    ).one()
    assert raw.token_hash != token and token not in raw.token_encrypted  # neither is the token
    assert user_by_member_token(session, token) is member
    assert user_by_member_token(session, other) is not member


def test_only_live_member_tokens_name_a_member(session: Session, member: User) -> None:
    token = member_token(session, member)
    _row, club_token = create_api_token(session, "bot", ["club:write"])
    assert user_by_member_token(session, club_token) is None
    assert user_by_member_token(session, "not a token") is None
    assert user_by_member_token(session, "") is None
    row = session.scalars(select(ApiToken).where(ApiToken.user_id == member.id)).one()
    revoke_api_token(session, row.id)
    assert user_by_member_token(session, token) is None
    fresh = member_token(session, member)  # a revoked token is replaced, not handed out again
    assert fresh != token
    assert user_by_member_token(session, fresh) is member


def test_get_user_by_handle(session: Session, member: User) -> None:
    assert get_user_by_handle(session, "rob") is member
    with pytest.raises(NotFound):
        get_user_by_handle(session, "nobody")


def test_cli_creates_members_and_prints_their_token(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "ann", "--display-name", "Ann A"])
    assert created.exit_code == 0, created.output
    member_id = uuid.UUID(created.stdout.strip())

    taken = runner.invoke(cli, ["users", "create", "ann"])
    assert taken.exit_code == 2
    assert taken.stdout == ""
    assert taken.output.strip() == "error: The handle 'ann' is taken"
    assert runner.invoke(cli, ["users", "create", "not a handle"]).exit_code == 2

    first = runner.invoke(cli, ["users", "token", "ann"])
    second = runner.invoke(cli, ["users", "token", "ann"])
    assert first.exit_code == second.exit_code == 0
    token = first.stdout.removesuffix("\n")
    assert token and "\n" not in token and second.stdout == first.stdout

    unknown = runner.invoke(cli, ["users", "token", "nobody"])
    assert unknown.exit_code == 2
    assert unknown.stdout == ""
    assert unknown.output.startswith("error: ")

    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            user = user_by_member_token(session, token)
            assert user is not None
            assert (user.id, user.handle, user.display_name) == (member_id, "ann", "Ann A")
    finally:
        engine.dispose()


# --- submit-listens: authorization ----------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "You need to provide an Authorization header."),
        ("Token", "Provided Authorization header is invalid."),
        ("Token not-a-token", "Invalid authorization token."),
    ],
)
def test_submitting_needs_a_member_token(
    client: TestClient, session: Session, authorization: str | None, message: str
) -> None:
    sent = {"Authorization": authorization} if authorization else {}
    response = post(client, sent, body("single", lb_listen()))
    assert response.status_code == 401
    assert response.json() == lb_error(401, message)
    assert stored(session) == 0


def test_other_tokens_and_revoked_member_tokens_are_refused(
    client: TestClient, session: Session, member: User, headers: dict[str, str]
) -> None:
    _row, club_token = create_api_token(session, "bot", ["club:admin"])
    row = session.scalars(select(ApiToken).where(ApiToken.user_id == member.id)).one()
    revoke_api_token(session, row.id)
    session.commit()
    for sent in (headers, {"Authorization": f"Token {club_token}"}):
        response = post(client, sent, body("single", lb_listen()))
        assert response.status_code == 401
        assert response.json() == lb_error(401, "Invalid authorization token.")
    assert stored(session) == 0


def test_the_token_is_checked_before_the_body(client: TestClient) -> None:
    response = post(client, {"Authorization": "Token wrong"}, b"not json")
    assert response.status_code == 401


# --- submit-listens: validation, one rule at a time ------------------------------------------

TOO_MANY = body("import", *[lb_listen(T0 + n) for n in range(1001)])
DAYS_24 = 24 * 24 * 60 * 60

INVALID: list[tuple[str, Any, str]] = [
    (
        "top level not an object",
        [lb_listen()],
        "Invalid JSON document submitted. Top level of JSON document should be a json object.",
    ),
    ("no payload", {"listen_type": "single"}, "Invalid JSON document submitted."),
    (
        "payload not a list",
        {"listen_type": "single", "payload": lb_listen()},
        "The payload in the JSON document should be a list of listens.",
    ),
    ("empty payload", body("import"), "JSON document does not contain any listens"),
    (
        "more than 1000 listens",
        TOO_MANY,
        "Too many listens. You may not submit more than 1000 listens at once.",
    ),
    (
        "a listen over 10,240 bytes",
        body("single", lb_listen(track="x" * 10_300)),
        "JSON document is too large. Each listens may not be larger than 10240 bytes.",
    ),
    ("no listen_type", {"payload": [lb_listen()]}, "Invalid JSON document submitted."),
    (
        "unknown listen_type",
        body("scrobble", lb_listen()),
        "JSON document requires a valid listen_type key.",
    ),
    (
        "two single listens",
        body("single", lb_listen(), lb_listen(T0 + 300)),
        "JSON document contains more than listen for a single/playing_now. "
        "It should contain only one.",
    ),
    (
        "two playing_now listens",
        body("playing_now", lb_listen(None), lb_listen(None)),
        "JSON document contains more than listen for a single/playing_now. "
        "It should contain only one.",
    ),
    ("a null listen", body("import", None), "Listen is empty and cannot be validated."),
    (
        "no listened_at",
        body("single", lb_listen(None)),
        "JSON document must contain the key listened_at at the top level.",
    ),
    (
        "listened_at not a number",
        body("import", lb_listen("yesterday")),
        "JSON document must contain an int value for listened_at.",
    ),
    (
        "listened_at null",
        body("single", {"listened_at": None, "track_metadata": lb_listen()["track_metadata"]}),
        "JSON document must contain an int value for listened_at.",
    ),
    (
        "listened_at a day ahead",
        body("single", lb_listen(NOW + 86_400)),
        "Value for key listened_at is too high.",
    ),
    (
        "listened_at before 1033410600",
        body("single", lb_listen(1033410599)),
        "Value for key listened_at is too low. listened_at timestamp should be greater than "
        "1033410600 (2002-10-01 00:00:00 UTC).",
    ),
    (
        "no track_metadata",
        body("single", {"listened_at": T0}),
        "JSON document must contain the key track_metadata at the top level.",
    ),
    (
        "another top-level key",
        body("import", {**lb_listen(), "user_name": "rob"}),
        "JSON document may only contain listened_at and track_metadata top level keys",
    ),
    (
        "playing_now with listened_at",
        body("playing_now", lb_listen()),
        "JSON document must not contain listened_at while submitting playing_now.",
    ),
    (
        "playing_now with another key",
        body("playing_now", {**lb_listen(None), "extra": 1}),
        "JSON document may only contain track_metadata as top level key when submitting "
        "playing_now.",
    ),
    (
        "null track_metadata",
        body("single", {"listened_at": T0, "track_metadata": None}),
        "JSON document may not have track_metadata with null value.",
    ),
    (
        "no track_name",
        body("single", {"listened_at": T0, "track_metadata": {"artist_name": "Björk"}}),
        "JSON document does not contain required field track_metadata.track_name.",
    ),
    (
        "no artist_name",
        body("single", {"listened_at": T0, "track_metadata": {"track_name": "Jóga"}}),
        "JSON document does not contain required field track_metadata.artist_name.",
    ),
    (
        "artist_name not a string",
        body("single", lb_listen(artist=["Björk"])),  # type: ignore[arg-type]
        "track_metadata.artist_name must be a single string.",
    ),
    (
        "track_name blank",
        body("single", lb_listen(track="  \t ")),
        "field track_metadata.track_name is empty.",
    ),
    (
        "artist_name empty",
        body("single", lb_listen(artist="")),
        "field track_metadata.artist_name is empty.",
    ),
    (
        "release_name not a string",
        body("single", lb_listen(release=5)),  # type: ignore[arg-type]
        "track_metadata.release_name must be a single string.",
    ),
    (
        "a NUL in a name",
        body("single", lb_listen(track="Jó\x00ga")),
        "Jó\x00ga contains a unicode null",
    ),
    (
        "a NUL deep in additional_info",
        body("single", lb_listen(tags=["ok", "b\x00d"])),
        "b\x00d contains a unicode null",
    ),
    (
        "51 tags",
        body("single", lb_listen(tags=[f"tag {n}" for n in range(51)])),
        "JSON document may not contain more than 50 items in track_metadata.additional_info.tags.",
    ),
    (
        "a tag of 65 characters",
        body("single", lb_listen(tags=["t" * 65])),
        "JSON document may not contain track_metadata.additional_info.tags longer than 64 "
        "characters.",
    ),
    (
        "both duration keys",
        body("single", lb_listen(duration=200, duration_ms=200_000)),
        "JSON document should not contain both duration and duration_ms.",
    ),
    (
        "duration zero",
        body("single", lb_listen(duration=0)),
        "Value for duration is invalid, should be a positive integer.",
    ),
    (
        "duration_ms negative",
        body("single", lb_listen(duration_ms=-5)),
        "Value for duration_ms is invalid, should be a positive integer.",
    ),
    (
        "duration not a number",
        body("single", lb_listen(duration="long")),
        "Value for duration is invalid, should be a positive integer.",
    ),
    (
        "duration over 24 days",
        body("single", lb_listen(duration=DAYS_24 + 1)),
        f"Value for duration is too large, max permitted value is {DAYS_24}",
    ),
    (
        "duration_ms over 24 days",
        body("single", lb_listen(duration_ms=DAYS_24 * 1000 + 1)),
        f"Value for duration_ms is too large, max permitted value is {DAYS_24 * 1000}",
    ),
    (
        "recording_mbid not a UUID",
        body("single", lb_listen(recording_mbid="not-a-uuid")),
        "recording_mbid MBID format invalid.",
    ),
    (
        "release_group_mbid not a UUID",
        body("single", lb_listen(release_group_mbid=12)),
        "release_group_mbid MBID format invalid.",
    ),
    (
        "an artist_mbid not a UUID",
        body("single", lb_listen(artist_mbids=[ARTIST, "nope"])),
        "artist_mbids MBID format invalid.",
    ),
    (
        "one bad listen in an import",
        body("import", lb_listen(T0), lb_listen(T0 + 300, track=""), lb_listen(T0 + 600)),
        "field track_metadata.track_name is empty.",
    ),
]


@pytest.mark.parametrize(
    ("document", "message"),
    [pytest.param(document, message, id=name) for name, document, message in INVALID],
)
def test_invalid_submissions_get_listenbrainz_errors_and_store_nothing(
    client: TestClient, session: Session, headers: dict[str, str], document: Any, message: str
) -> None:
    response = post(client, headers, document)
    assert response.status_code == 400
    assert response.json() == lb_error(400, message)
    assert stored(session) == 0
    assert playing(session) == 0


def test_unparseable_bodies_are_400(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    for raw in (b"{", b"", b"\xff\xfe{}"):
        response = post(client, headers, raw)
        assert response.status_code == 400
        assert response.json()["code"] == 400
        assert response.json()["error"].startswith("Cannot parse JSON document: ")
    assert stored(session) == 0


def test_a_body_over_10_240_000_bytes_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    listen = lb_listen(release="r" * 10_200)
    raw = json.dumps(body("import", *[listen] * 1000)).encode()
    assert len(raw) > 10_240_000
    too_large = lb_error(400, "Payload too large. Payload cannot exceed 10240000 bytes")
    declared = post(client, headers, raw)  # with a Content-Length
    assert (declared.status_code, declared.json()) == (400, too_large)
    chunked = client.post(SUBMIT, content=iter([raw[:5_000_000], raw[5_000_000:]]), headers=headers)
    assert (chunked.status_code, chunked.json()) == (400, too_large)
    assert stored(session) == 0


def test_a_listen_before_sidetracks_own_floor_refuses_the_batch(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    """ListenBrainz's floor, 1033410600, is 2002-09-30 18:30 UTC; ingest starts at 2002-10-01."""
    response = post(client, headers, body("import", lb_listen(T0), lb_listen(1033410600)))
    assert response.status_code == 400
    assert response.json() == lb_error(400, "Listen 1 was refused: played_at is before 2002-10-01.")
    assert stored(session) == 0  # the valid one was rolled back with it


# --- submit-listens: what is stored ---------------------------------------------------------


def test_a_single_listen_is_stored_with_its_ids(
    client: TestClient, session: Session, member: User, headers: dict[str, str]
) -> None:
    listen = lb_listen(
        T0,
        recording_mbid=RECORDING.upper(),
        release_mbid=RELEASE,
        artist_mbids=[ARTIST],
        isrc="GBAYE9700315",
        spotify_id="https://open.spotify.com/track/6VYh0WnJZgSZ0qZQvCe6Yb",
        duration_ms=305_000,
        recording_msid=MSID,
        submission_client="test",
    )
    response = post(client, headers, body("single", listen))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-In"):
        assert int(response.headers[header]) > 0

    event_, track, album = session.execute(
        select(ListenEvent, Track, Album)
        .join(Track, Track.id == ListenEvent.track_id)
        .join(Album, Album.id == Track.album_id)
    ).one()
    assert event_.user_id == member.id
    assert event_.played_at == datetime.fromtimestamp(T0, UTC)
    assert (event_.source, event_.source_id) == (ListenSource.LISTENBRAINZ, MSID)
    assert (track.title, track.artist_name, album.title) == ("Jóga", "Björk", "Homogenic")
    assert track.musicbrainz_id == RECORDING  # canonical lower case
    assert (track.isrc, track.spotify_id) == ("GBAYE9700315", "6VYh0WnJZgSZ0qZQvCe6Yb")
    assert track.duration_ms == 305_000


def test_content_type_is_not_needed_and_numbers_are_coerced(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    as_text = {**headers, "Content-Type": "text/plain"}
    raw = json.dumps(body("single", lb_listen(str(T0), duration="200"))).encode()
    assert client.post(SUBMIT, content=raw, headers=as_text).status_code == 200
    assert post(client, headers, body("single", lb_listen(T0 + 600.9, track="Hunter"))).json() == {
        "status": "ok"
    }
    times = session.scalars(select(ListenEvent.played_at).order_by(ListenEvent.played_at)).all()
    assert times == [datetime.fromtimestamp(t, UTC) for t in (T0, T0 + 600)]
    assert session.scalar(select(Track.duration_ms).where(Track.title == "Jóga")) == 200_000


def test_empty_ids_and_release_are_dropped_not_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    listen = lb_listen(
        T0, release="  ", recording_mbid="", release_mbid=None, artist_mbids=["", None]
    )
    assert post(client, headers, body("import", listen)).status_code == 200
    track, album = session.execute(select(Track, Album).join(Album)).one()
    assert track.musicbrainz_id is None
    assert album.title == ""  # the artist's album-less plays


def test_an_import_is_ingested_in_one_call_and_resubmitting_merges(
    client: TestClient, session: Session, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counting(session: Session, user_id: uuid.UUID, records: list[ListenRecord]) -> Any:
        calls.append(len(records))
        return ingest_listens(session, user_id, records)

    monkeypatch.setattr(listenbrainz, "ingest_listens", counting)
    batch = body("import", *[lb_listen(T0 + n * 400, track=f"Song {n}") for n in range(5)])
    assert post(client, headers, batch).status_code == 200
    assert calls == [5]
    assert post(client, headers, batch).status_code == 200  # a client retrying
    assert post(client, headers, body("single", batch["payload"][2])).status_code == 200
    assert stored(session) == 5


def test_listened_at_just_under_an_hour_ahead_is_accepted(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    ahead = int(time.time()) + 3500
    assert post(client, headers, body("single", lb_listen(ahead))).status_code == 200
    assert stored(session) == 1


# --- playing now ----------------------------------------------------------------------------


def test_playing_now_is_shown_not_stored_and_expires(
    client: TestClient, session: Session, member: User, headers: dict[str, str]
) -> None:
    empty = client.get("/1/user/rob/playing-now")
    assert empty.status_code == 200
    assert empty.json() == {
        "payload": {"count": 0, "user_id": "rob", "playing_now": True, "listens": []}
    }

    now = lb_listen(None, release="", duration=240, recording_mbid="", tags=["pop"])
    response = post(client, headers, body("playing_now", now))
    assert response.json() == {"status": "ok"}
    assert stored(session) == 0
    shown = client.get("/1/user/rob/playing-now").json()["payload"]
    assert shown["count"] == 1
    assert shown["listens"] == [
        {
            "track_metadata": {
                "artist_name": "Björk",
                "track_name": "Jóga",
                "additional_info": {"duration": 240, "tags": ["pop"]},
            },
            "user_name": "rob",
            "playing_now": True,
        }
    ]
    row = session.scalars(select(PlayingNow)).one()
    session.refresh(row)
    expected = datetime.now(UTC) + timedelta(seconds=240)
    assert abs((row.expires_at - expected).total_seconds()) < 30

    # the next track replaces it; without a length it lasts ten minutes
    post(client, headers, body("playing_now", lb_listen(None, track="Hunter")))
    session.refresh(row)
    expected = datetime.now(UTC) + timedelta(minutes=10)
    assert abs((row.expires_at - expected).total_seconds()) < 30
    shown = client.get("/1/user/rob/playing-now").json()["payload"]
    assert [listen["track_metadata"]["track_name"] for listen in shown["listens"]] == ["Hunter"]

    session.execute(update(PlayingNow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert client.get("/1/user/rob/playing-now").json()["payload"]["listens"] == []
    assert playing(session) == 1


# --- validate-token -------------------------------------------------------------------------


def test_validate_token(client: TestClient, session: Session, headers: dict[str, str]) -> None:
    token = headers["Authorization"].removeprefix("Token ")
    valid = {"code": 200, "message": "Token valid.", "valid": True, "user_name": "rob"}
    invalid = {"code": 200, "message": "Token invalid.", "valid": False}

    assert client.get("/1/validate-token", headers=headers).json() == valid
    by_query = client.get("/1/validate-token", params={"token": token})
    assert (by_query.status_code, by_query.json()) == (200, valid)
    wrong = client.get("/1/validate-token", headers={"Authorization": "Token nope"})
    assert (wrong.status_code, wrong.json()) == (200, invalid)
    missing = client.get("/1/validate-token")
    assert missing.status_code == 400
    assert missing.json() == lb_error(400, "You need to provide an Authorization token.")


# --- reading listens ------------------------------------------------------------------------


def ingest_plays(session: Session, user: User, count: int, step: int = 600) -> list[int]:
    """`count` plays of distinct tracks, `step` seconds apart from T0; their listened_at."""
    times = [T0 + n * step for n in range(count)]
    records = [
        ListenRecord(
            artist_name="Massive Attack",
            track_title=f"Track {n}",
            album_title="Mezzanine",
            played_at=datetime.fromtimestamp(at, UTC),
            source=ListenSource.LASTFM,
        )
        for n, at in enumerate(times)
    ]
    assert ingest_listens(session, user.id, records).inserted == count
    session.commit()
    return times


def listened(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [listen["listened_at"] for listen in response.json()["payload"]["listens"]]


def test_listens_are_paged_like_listenbrainz(
    client: TestClient, session: Session, member: User
) -> None:
    t = ingest_plays(session, member, 10)
    url = "/1/user/rob/listens"
    everything = client.get(url)
    assert listened(everything) == t[::-1]
    payload = everything.json()["payload"]
    assert (payload["count"], payload["user_id"]) == (10, "rob")
    assert (payload["latest_listen_ts"], payload["oldest_listen_ts"]) == (t[9], t[0])

    assert listened(client.get(url, params={"count": 3})) == [t[9], t[8], t[7]]
    assert listened(client.get(url, params={"max_ts": t[5], "count": 2})) == [t[4], t[3]]
    # min_ts reads upwards: the 2 oldest after it, given newest first
    assert listened(client.get(url, params={"min_ts": t[5], "count": 2})) == [t[7], t[6]]
    assert listened(client.get(url, params={"min_ts": t[2], "max_ts": t[6]})) == [
        t[5],
        t[4],
        t[3],
    ]
    # bounds are exclusive, to the second
    assert listened(client.get(url, params={"min_ts": t[9] - 1})) == [t[9]]
    assert listened(client.get(url, params={"max_ts": t[0] + 1})) == [t[0]]
    assert listened(client.get(url, params={"count": 0})) == []


def test_count_is_at_most_1000(client: TestClient, session: Session, member: User) -> None:
    ingest_plays(session, member, 1001, step=60)
    response = client.get("/1/user/rob/listens", params={"count": 5000})
    assert response.json()["payload"]["count"] == 1000
    assert len(listened(response)) == 1000


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"count": "many"}, "Invalid count argument: many"),
        ({"min_ts": "1.5"}, "Invalid min_ts argument: 1.5"),
        ({"count": "-1"}, "Number of items requested should be positive"),
        ({"min_ts": T0 + 10, "max_ts": T0}, "max_ts should be greater than min_ts"),
        ({"min_ts": T0, "max_ts": T0}, "min_ts should be less than max_ts"),
    ],
)
def test_bad_listen_queries_are_400(
    client: TestClient, member: User, params: dict[str, Any], message: str
) -> None:
    response = client.get("/1/user/rob/listens", params=params)
    assert response.status_code == 400
    assert response.json() == lb_error(400, message)


def test_a_listen_reads_back_in_listenbrainz_shape(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    listen = lb_listen(
        T0,
        recording_mbid=RECORDING,
        release_mbid=RELEASE,
        isrc="GB-AYE-97-00315",
        spotify_id="spotify:track:6VYh0WnJZgSZ0qZQvCe6Yb",
        duration=305,
        recording_msid=MSID,
    )
    before = int(time.time())
    assert post(client, headers, body("single", listen)).status_code == 200
    assert (
        post(client, headers, body("single", lb_listen(T0 + 900, release=None))).status_code == 200
    )
    # Ingest does not keep a release MBID from plays; an album that has one shows it.
    session.execute(update(Album).where(Album.title == "Homogenic").values(musicbrainz_id=RELEASE))
    session.commit()
    listens = client.get("/1/user/rob/listens").json()["payload"]["listens"]
    older = listens[1]
    assert before <= older.pop("inserted_at") <= int(time.time())
    assert older == {
        "listened_at": T0,
        "recording_msid": MSID,
        "user_name": "rob",
        "track_metadata": {
            "artist_name": "Björk",
            "track_name": "Jóga",
            "release_name": "Homogenic",
            "additional_info": {
                "recording_msid": MSID,
                "recording_mbid": RECORDING,
                "release_mbid": RELEASE,
                "isrc": "GBAYE9700315",
                "spotify_id": "https://open.spotify.com/track/6VYh0WnJZgSZ0qZQvCe6Yb",
                "duration_ms": 305_000,
            },
        },
    }
    newer = listens[0]
    assert "release_name" not in newer["track_metadata"]
    # no msid was sent: one is made up, stable for the track
    msid = newer["recording_msid"]
    assert uuid.UUID(msid) and msid != MSID
    again = client.get("/1/user/rob/listens").json()["payload"]["listens"][0]
    assert (
        again["recording_msid"]
        == msid
        == again["track_metadata"]["additional_info"]["recording_msid"]
    )


def test_reading_listens_costs_the_same_few_queries_for_any_page(
    client: TestClient, session: Session, connection: Connection, member: User
) -> None:
    ingest_plays(session, member, 40)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        listened(client.get("/1/user/rob/listens", params={"count": 2}))
        few = len(statements)
        statements.clear()
        listened(client.get("/1/user/rob/listens", params={"count": 40}))
        many = len(statements)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    # member, first/last times, the page (savepoint statements aside)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert few == many
    assert len(selects) == 3


def test_unknown_members_are_404(client: TestClient, member: User) -> None:
    for path in ("/1/user/nobody/listens", "/1/user/nobody/playing-now"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == lb_error(404, "Cannot find user: nobody")


def test_private_listening_is_hidden_except_from_its_owner(
    client: TestClient, session: Session, member: User, headers: dict[str, str]
) -> None:
    member.listening_private = True
    other = member_token(session, create_user(session))
    session.commit()
    ingest_plays(session, member, 2)
    post(client, headers, body("playing_now", lb_listen(None)))  # a private member still submits
    for path in ("/1/user/rob/listens", "/1/user/rob/playing-now"):
        for sent in ({}, {"Authorization": f"Token {other}"}, {"Authorization": "Token junk"}):
            response = client.get(path, headers=sent)
            assert response.status_code == 404
            assert response.json() == lb_error(404, "Cannot find user: rob")
        assert client.get(path, headers=headers).json()["payload"]["count"] >= 1
    assert stored(session) == 2


def test_other_paths_under_1_answer_like_listenbrainz(client: TestClient) -> None:
    unknown = client.get("/1/user/rob/listen-count")
    assert unknown.status_code == 404
    assert set(unknown.json()) == {"code", "error"}
    wrong_method = client.get(SUBMIT)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == 405
    # and Sidetrack's own API keeps its own error body
    assert set(client.get("/api/no-such-thing").json()) == {"error"}


# --- liblistenbrainz against a live server --------------------------------------------------


@pytest.fixture(params=BACKENDS)
def live_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own: the server's sessions commit for real."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
        upgrade(url)
        yield url
    else:
        assert POSTGRES_URL is not None
        with temporary_postgres_database(POSTGRES_URL) as url:
            upgrade(url)
            yield url


@contextmanager
def live_server(url: str) -> Iterator[str]:
    """Sidetrack served by uvicorn on a free local port, in a thread; yields its base URL."""
    engine = make_engine(url)
    app = create_app(get_settings(), make_session_factory(engine))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        engine.dispose()


def test_liblistenbrainz_scrobbles_to_a_live_sidetrack(live_database: str) -> None:
    engine = make_engine(live_database)
    try:
        with transaction(make_session_factory(engine)) as session:
            token = member_token(session, create_member(session, "rob", "Rob"))
            create_member(session, "quiet").listening_private = True
    finally:
        engine.dispose()
    start = int(time.time()) - 3600

    with live_server(live_database) as base_url:
        lb = liblistenbrainz.ListenBrainz(api_base_url=base_url)
        with pytest.raises(InvalidAuthTokenException):  # validate-token says "invalid"
            lb.set_auth_token("not-a-token")
        lb.set_auth_token(token)  # validate-token says "valid"

        single = liblistenbrainz.Listen(
            track_name="Jóga",
            artist_name="Björk",
            release_name="Homogenic",
            listened_at=start,
            recording_mbid=RECORDING,
            isrc="GBAYE9700315",
            additional_info={"duration_ms": 305_000},
        )
        assert lb.submit_single_listen(single) == {"status": "ok"}
        assert lb.submit_single_listen(single) == {"status": "ok"}  # merges with the first

        assert lb.get_playing_now("rob") is None
        now_playing = liblistenbrainz.Listen(
            track_name="Hunter", artist_name="Björk", additional_info={"duration": 255}
        )
        assert lb.submit_playing_now(now_playing) == {"status": "ok"}
        playing_now = lb.get_playing_now("rob")
        assert playing_now is not None
        assert (playing_now.track_name, playing_now.artist_name) == ("Hunter", "Björk")

        imported = [
            liblistenbrainz.Listen(
                track_name=f"Track {n}",
                artist_name="Massive Attack",
                release_name="Mezzanine",
                listened_at=start + 600 * (n + 1),
                artist_mbids=[ARTIST],
                tags=["trip hop"],
            )
            for n in range(3)
        ]
        assert lb.submit_multiple_listens(imported) == {"status": "ok"}

        listens = lb.get_listens("rob")
        assert [(x.listened_at, x.track_name) for x in listens] == [
            (start + 1800, "Track 2"),
            (start + 1200, "Track 1"),
            (start + 600, "Track 0"),
            (start, "Jóga"),
        ]
        first = listens[-1]
        assert (first.artist_name, first.release_name) == ("Björk", "Homogenic")
        assert (first.recording_mbid, first.isrc) == (RECORDING, "GBAYE9700315")
        assert uuid.UUID(first.recording_msid)
        page = lb.get_listens("rob", min_ts=start, count=2)
        assert [x.track_name for x in page] == ["Track 1", "Track 0"]
        page = lb.get_listens("rob", max_ts=start + 1200)
        assert [x.track_name for x in page] == ["Track 0", "Jóga"]

        with pytest.raises(ListenBrainzAPIException) as refused:
            lb.submit_single_listen(
                liblistenbrainz.Listen(track_name="Old", artist_name="Ghost", listened_at=1000)
            )
        assert refused.value.status_code == 400
        assert refused.value.message.startswith("Value for key listened_at is too low.")
        with pytest.raises(ListenBrainzAPIException) as unknown:
            lb.get_listens("nobody")
        assert (unknown.value.status_code, unknown.value.message) == (
            404,
            "Cannot find user: nobody",
        )
        with pytest.raises(ListenBrainzAPIException) as private:
            lb.get_listens("quiet")
        assert private.value.status_code == 404

        anonymous = liblistenbrainz.ListenBrainz(api_base_url=base_url)
        assert len(anonymous.get_listens("rob", count=1)) == 1

    engine = make_engine(live_database)
    try:
        with Session(engine) as session:
            assert stored(session) == 4
            assert playing(session) == 1
    finally:
        engine.dispose()
