"""`sidetrack token create`: the token alone on stdout, only its hash stored, and the 401/403
rules of the club API for what it grants."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from sidetrack.app import create_app
from sidetrack.cli import app as cli
from sidetrack.core.config import get_settings
from sidetrack.core.db import make_engine, make_session_factory
from sidetrack.core.secrets import hash_token
from sidetrack.users.models import ApiToken

WEEK = {"label": "WEEK 001", "week_number": 1}


def test_token_create_prints_the_token_alone_and_stores_only_its_hash() -> None:
    runner = CliRunner()
    bot = runner.invoke(cli, ["token", "create", "discord-bot", "--scope", "club:write"])
    admin = runner.invoke(
        cli, ["token", "create", "ann", "--scope", "club:admin", "--scope", "listens:write"]
    )
    assert bot.exit_code == admin.exit_code == 0, bot.output + admin.output
    # The whole of stdout is the token and its newline: a script can take it as it is.
    bot_token, admin_token = bot.stdout.removesuffix("\n"), admin.stdout.removesuffix("\n")
    for token in (bot_token, admin_token):
        assert token and token.strip() == token and "\n" not in token and len(token) >= 32

    engine = make_engine(get_settings().database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        rows = {row.name: row for row in session.scalars(select(ApiToken))}
    assert set(rows) == {"discord-bot", "ann"}
    assert rows["discord-bot"].scopes == ["club:write"]
    assert rows["ann"].scopes == ["club:admin", "listens:write"]
    assert rows["discord-bot"].token_hash == hash_token(bot_token) != bot_token
    assert rows["discord-bot"].token_encrypted is None  # a service token is never kept

    with TestClient(create_app(get_settings(), factory)) as client:
        as_bot = {"Authorization": f"Bearer {bot_token}"}
        as_admin = {"Authorization": f"Bearer {admin_token}"}
        # The stored hash is no token, and no token at all is a 401.
        stolen = {"Authorization": f"Bearer {rows['discord-bot'].token_hash}"}
        assert client.post("/api/club/weeks", json=WEEK, headers=stolen).status_code == 401
        assert client.post("/api/club/weeks", json=WEEK).status_code == 401
        week = client.post("/api/club/weeks", json=WEEK, headers=as_bot)
        assert week.status_code == 201, week.text
        # The bot's token lacks club:admin: moderation is a 403 naming the scope.
        override = {"nomination_id": week.json()["id"], "reason": "why not"}
        refused = client.put(
            f"/api/club/weeks/{week.json()['id']}/winner", json=override, headers=as_bot
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["details"] == {"scope": "club:admin"}
        # club:admin includes club:write.
        renamed = client.patch(
            f"/api/club/weeks/{week.json()['id']}", json={"label": "W1"}, headers=as_admin
        )
        assert renamed.status_code == 200
    engine.dispose()


def test_an_unknown_scope_prints_no_token_and_stores_nothing() -> None:
    result = CliRunner().invoke(cli, ["token", "create", "x", "--scope", "club:everything"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.output.startswith("error: Unknown scope club:everything")
    engine = make_engine(get_settings().database_url)
    with make_session_factory(engine)() as session:
        assert session.scalars(select(ApiToken)).all() == []
    engine.dispose()
