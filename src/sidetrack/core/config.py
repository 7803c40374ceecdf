"""Settings read from SIDETRACK_* environment variables (and a .env file), validated at start-up."""

from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet
from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATA_DIR = Path(user_data_dir("sidetrack", appauthor=False))
# The one installed driver of each supported database.
SUPPORTED_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIDETRACK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = DATA_DIR
    # The embedded default lives in the data dir (declared above, so it is known here).
    database_url: str = Field(
        default_factory=lambda settings: f"sqlite:///{settings['data_dir'] / 'sidetrack.db'}"
    )
    # Fernet key for OAuth tokens at rest; when unset, one is generated once into the data dir.
    secret_key: SecretStr | None = None
    log_level: str = "INFO"
    club_nominations_per_member: int = Field(default=1, ge=1, le=10)
    import_min_play_seconds: int = Field(default=30, ge=0, le=3600)
    # The club's Discord server: with it, the archive links each week's threads.
    discord_guild_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
            ) from None
        backend, _, driver = url.drivername.partition("+")
        if backend == "postgres":  # the scheme Heroku and others hand out
            backend = "postgresql"
        if backend not in SUPPORTED_DRIVERS:
            raise ValueError(f"unsupported database '{backend}'; use sqlite or postgresql")
        supported = SUPPORTED_DRIVERS[backend]
        if driver and driver != supported:
            raise ValueError(
                f"unsupported driver '{driver}' for {backend}; "
                f"use {backend}+{supported}:// (or {backend}://)"
            )
        if backend == "sqlite" or url.drivername == f"{backend}+{supported}":
            return value
        # postgresql:// names no driver, and SQLAlchemy's default (psycopg2) is not installed.
        return url.set(drivername=f"{backend}+{supported}").render_as_string(hide_password=False)

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:
                raise ValueError(
                    "not a Fernet key (32 url-safe base64-encoded bytes); make one with "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'"
                ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class SettingsError(Exception):
    """A setting is malformed; the message is one line naming it and what is wrong."""


def describe_validation_error(error: ValidationError, prefix: str = "SIDETRACK_") -> str:
    parts = []
    for problem in error.errors():
        name = prefix + "_".join(str(p) for p in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "; ".join(parts)


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(f"invalid setting {describe_validation_error(error)}") from None
