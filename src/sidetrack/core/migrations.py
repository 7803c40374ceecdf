"""Runs the Alembic migrations that ship with Sidetrack, against a URL or an open connection."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection


def migrations_dir() -> Path:
    package_dir = Path(__file__).resolve().parents[1]
    bundled = package_dir / "_migrations"  # inside an installed wheel
    if bundled.is_dir():
        return bundled
    return package_dir.parents[1] / "migrations"  # a source checkout


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        # ConfigParser interpolation would read a '%' in a password as a variable.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
