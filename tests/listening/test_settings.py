"""A member's own time zone and privacy: set over the API or with `sidetrack users set`."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sidetrack.cli import app as cli
from sidetrack.core.config import get_settings
from sidetrack.core.db import make_engine
from sidetrack.listening.queries import listening_stats
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import User
from sidetrack.users.service import create_api_token, get_user_by_handle
from tests.factories import create_user

NOW = datetime(2025, 3, 20, 12, tzinfo=UTC)


def plays() -> list[ListenRecord]:
    # 15:30 UTC on the 18th is 00:30 on the 19th in Tokyo; 10:00 UTC on the 19th is 19:00 there.
    return [
        ListenRecord(
            "Björk", "Jóga", datetime(2025, 3, 18, 15, 30, tzinfo=UTC), ListenSource.LASTFM
        ),
        ListenRecord("Björk", "Hunter", datetime(2025, 3, 19, 10, tzinfo=UTC), ListenSource.LASTFM),
    ]


def test_a_member_sets_their_zone_and_privacy(client: TestClient, session: Session) -> None:
    user = create_user(session)
    other = create_user(session)
    ingest_listens(session, user.id, plays())
    _row, own = create_api_token(session, "member", [], user_id=user.id)
    _row, others = create_api_token(session, "other", [], user_id=other.id)
    session.commit()
    mine = {"Authorization": f"Bearer {own}"}
    url = f"/api/users/{user.id}/listening-settings"

    before = listening_stats(session, user.id, user.id, "week", now=NOW)
    assert before.plays_per_day == {date(2025, 3, 18): 1, date(2025, 3, 19): 1}

    response = client.patch(url, json={"timezone": "Asia/Tokyo"}, headers=mine)
    assert response.status_code == 200, response.text
    assert response.json() == {"timezone": "Asia/Tokyo", "listening_private": False}
    assert client.get(f"/api/users/{user.id}/stats").json()["time_zone"] == "Asia/Tokyo"
    # The rollups were recounted: both plays now fall on Tokyo's 19th, at 00 h and 19 h.
    after = listening_stats(session, user.id, user.id, "week", now=NOW)
    assert after.plays_per_day == {date(2025, 3, 19): 2}
    assert [hour for hour, n in enumerate(after.plays_per_hour) if n] == [0, 19]

    assert client.patch(url, json={"listening_private": True}, headers=mine).json() == {
        "timezone": "Asia/Tokyo",
        "listening_private": True,
    }
    assert client.get(f"/api/users/{user.id}/stats").status_code == 403
    assert client.get(f"/api/users/{user.id}/listens").status_code == 403
    assert client.get(f"/api/users/{user.id}/stats", headers=mine).status_code == 200

    # Only the member themself, with a valid zone.
    other_headers = {"Authorization": f"Bearer {others}"}
    assert (
        client.patch(url, json={"listening_private": False}, headers=other_headers).status_code
        == 403
    )
    assert client.patch(url, json={"listening_private": False}).status_code == 401
    for bad in ({"timezone": "Mars/Olympus"}, {"timezone": None}, {"listening_private": "maybe"}):
        refused = client.patch(url, json=bad, headers=mine)
        assert refused.status_code == 422, bad
        assert list(refused.json()["error"]["details"]["fields"]) == list(bad)
    session.expire_all()
    assert (session.get(User, user.id).timezone, session.get(User, user.id).listening_private) == (
        "Asia/Tokyo",
        True,
    )


def test_sidetrack_users_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(cli, ["users", "create", "ann"]).exit_code == 0
    changed = runner.invoke(cli, ["users", "set", "ann", "--timezone", "Europe/Paris", "--private"])
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout) == {"timezone": "Europe/Paris", "listening_private": True}
    public = runner.invoke(cli, ["users", "set", "ann", "--public"])
    assert json.loads(public.stdout) == {"timezone": "Europe/Paris", "listening_private": False}

    bad_zone = runner.invoke(cli, ["users", "set", "ann", "--timezone", "Europe/Atlantis"])
    assert bad_zone.exit_code == 2
    assert bad_zone.output.startswith("error: Unknown time zone 'Europe/Atlantis'")
    assert runner.invoke(cli, ["users", "set", "ann"]).exit_code == 2
    assert runner.invoke(cli, ["users", "set", "nobody", "--public"]).exit_code == 2

    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            user = get_user_by_handle(session, "ann")
            assert (user.timezone, user.listening_private) == ("Europe/Paris", False)
    finally:
        engine.dispose()
