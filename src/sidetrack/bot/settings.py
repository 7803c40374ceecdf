"""The bot's settings, read from SIDETRACK_BOT_* environment variables (and a .env file)."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sidetrack.core.config import DATA_DIR, SettingsError

PREFIX = "SIDETRACK_BOT_"

Snowflake = int
Hours = float


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Required: the bot's Discord token, where it runs, who organises, and its API token.
    token: SecretStr
    guild_id: Snowflake = Field(ge=1)
    forum_channel_id: Snowflake = Field(ge=1)
    organiser_role_id: Snowflake = Field(ge=1)
    api_token: SecretStr

    api_url: str = "http://127.0.0.1:8000"
    # Hours before each deadline that the reminders go out (0 turns one off).
    remind_nominations_hours: Hours = Field(default=12, ge=0, le=24 * 14)
    remind_poll_hours: Hours = Field(default=6, ge=0, le=24 * 14)
    remind_discussion_hours: Hours = Field(default=1, ge=0, le=24 * 14)
    remind_ratings_hours: Hours = Field(default=24, ge=0, le=24 * 14)
    # Dates typed in /week start are read in this time zone.
    timezone: str = "UTC"
    # What the bot has posted and what members posted that is not saved yet.
    state_file: Path = DATA_DIR / "bot-state.json"
    # How often the schedule is checked, in seconds.
    tick_seconds: float = Field(default=60, ge=1, le=3600)

    @field_validator("api_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (try Europe/Paris or UTC)") from None
        return value

    @field_validator("token", "api_token")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    def offsets(self) -> "ReminderOffsets":
        return ReminderOffsets(
            nominations=timedelta(hours=self.remind_nominations_hours),
            poll=timedelta(hours=self.remind_poll_hours),
            discussion=timedelta(hours=self.remind_discussion_hours),
            ratings=timedelta(hours=self.remind_ratings_hours),
        )


@dataclass(frozen=True)
class ReminderOffsets:
    """How long before each deadline its reminder goes out; zero means no reminder."""

    nominations: timedelta = timedelta(hours=12)
    poll: timedelta = timedelta(hours=6)
    discussion: timedelta = timedelta(hours=1)
    ratings: timedelta = timedelta(hours=24)


def load_bot_settings() -> BotSettings:
    """The settings, or SettingsError: one line naming every missing or malformed one."""
    try:
        return BotSettings()
    except ValidationError as error:
        missing = [
            PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
            for problem in error.errors()
            if problem["type"] == "missing"
        ]
        invalid = [
            f"{PREFIX}{'_'.join(str(p) for p in problem['loc']).upper()}: "
            + problem["msg"].removeprefix("Value error, ")
            for problem in error.errors()
            if problem["type"] != "missing"
        ]
        parts = []
        if missing:
            parts.append(f"missing setting {', '.join(missing)}")
        if invalid:
            parts.append(f"invalid setting {'; '.join(invalid)}")
        raise SettingsError("; ".join(parts)) from None
