"""`sidetrack bot`: a missing setting stops it with one line naming it."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sidetrack.bot.settings import BotSettings
from sidetrack.cli import app
from tests.bot.test_settings import REQUIRED


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)


def test_a_missing_setting_stops_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        if name != "SIDETRACK_BOT_FORUM_CHANNEL_ID":
            monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["bot"])
    assert result.exit_code == 2
    assert result.stderr == "error: missing setting SIDETRACK_BOT_FORUM_CHANNEL_ID\n"


def test_with_its_settings_the_bot_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import sidetrack.bot.discord_app

    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    ran: list[BotSettings] = []
    monkeypatch.setattr(sidetrack.bot.discord_app, "run", ran.append)
    result = CliRunner().invoke(app, ["bot"])
    assert result.exit_code == 0, result.output
    assert [s.forum_channel_id for s in ran] == [222222222222222222]
