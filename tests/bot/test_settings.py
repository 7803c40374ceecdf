"""SIDETRACK_BOT_* settings: what is required, and one line naming what is missing."""

from pathlib import Path

import pytest

from sidetrack.bot.settings import BotSettings, load_bot_settings
from sidetrack.core.config import SettingsError

REQUIRED = {
    "SIDETRACK_BOT_TOKEN": "discord-token",
    "SIDETRACK_BOT_GUILD_ID": "111111111111111111",
    "SIDETRACK_BOT_FORUM_CHANNEL_ID": "222222222222222222",
    "SIDETRACK_BOT_ORGANISER_ROLE_ID": "333333333333333333",
    "SIDETRACK_BOT_API_TOKEN": "api-token",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the developer's directory
    for name in [*REQUIRED, "SIDETRACK_BOT_API_URL", "SIDETRACK_BOT_TIMEZONE"]:
        monkeypatch.delenv(name, raising=False)


def test_all_required_settings_given(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    settings = load_bot_settings()
    assert isinstance(settings, BotSettings)
    assert settings.token.get_secret_value() == "discord-token"
    assert settings.guild_id == 111111111111111111
    assert settings.api_url == "http://127.0.0.1:8000"
    assert settings.offsets().nominations.total_seconds() == 12 * 3600
    assert "discord-token" not in repr(settings)


@pytest.mark.parametrize("missing", list(REQUIRED))
def test_a_missing_setting_is_named(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name, value in REQUIRED.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_bot_settings()
    assert str(error.value) == f"missing setting {missing}"


def test_malformed_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIDETRACK_BOT_API_URL", "ftp://x")
    monkeypatch.setenv("SIDETRACK_BOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError) as error:
        load_bot_settings()
    message = str(error.value)
    assert "\n" not in message
    assert "SIDETRACK_BOT_API_URL: must be an http:// or https:// URL" in message
    assert "SIDETRACK_BOT_TIMEZONE: unknown time zone 'Mars/Olympus'" in message
