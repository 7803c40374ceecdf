"""Settings: defaults, SIDETRACK_* overrides, and one-line errors for malformed values."""

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from sidetrack.cli import app
from sidetrack.core.config import Settings, SettingsError, get_settings


def test_database_defaults_to_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIDETRACK_DATABASE_URL")
    url = Settings().database_url
    assert url.startswith("sqlite:///")
    assert url.endswith("sidetrack.db")


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", "postgresql+psycopg://me@db.example/sidetrack")
    assert get_settings().database_url == "postgresql+psycopg://me@db.example/sidetrack"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("SIDETRACK_DATABASE_URL", "not a url", "not a database URL"),
        ("SIDETRACK_DATABASE_URL", "mysql://root@localhost/x", "unsupported database 'mysql'"),
        (
            "SIDETRACK_DATABASE_URL",
            "postgresql+psycopg2://me@db/x",
            "unsupported driver 'psycopg2'",
        ),
        ("SIDETRACK_DATABASE_URL", "postgresql+asyncpg://me@db/x", "unsupported driver 'asyncpg'"),
        ("SIDETRACK_DATABASE_URL", "sqlite+aiosqlite:///x.db", "unsupported driver 'aiosqlite'"),
        ("SIDETRACK_LOG_LEVEL", "loud", "must be one of"),
        ("SIDETRACK_SECRET_KEY", "hunter2", "not a Fernet key"),
    ],
)
def test_malformed_setting_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        get_settings()
    message = str(error.value)
    assert name in message
    assert complaint in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://me:p%40ss@db.example:5432/sidetrack",
        "postgres://me:p%40ss@db.example:5432/sidetrack",
    ],
)
def test_postgresql_without_a_driver_uses_psycopg(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """SQLAlchemy would pick psycopg2 for these, which is not installed: a traceback at start."""
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", given)
    url = get_settings().database_url
    assert url == "postgresql+psycopg://me:p%40ss@db.example:5432/sidetrack"
    assert make_url(url).get_dialect().driver == "psycopg"


def test_cli_stops_with_one_line_and_nonzero_exit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", "mysql://root@localhost/x")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "SIDETRACK_DATABASE_URL" in lines[0]
    assert lines[0].startswith("error: ")


def test_the_default_database_lives_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SIDETRACK_DATABASE_URL")
    monkeypatch.setenv("SIDETRACK_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().database_url == f"sqlite:///{tmp_path / 'elsewhere' / 'sidetrack.db'}"


def test_a_bad_secret_key_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDETRACK_SECRET_KEY", "my-very-secret-passphrase")
    with pytest.raises(SettingsError) as error:
        get_settings()
    assert "my-very-secret-passphrase" not in str(error.value)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["demo"], ["users", "create", "ann"]])
@pytest.mark.parametrize("where", ["under a file", "no server"])
def test_a_database_that_cannot_be_opened_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str], where: str
) -> None:
    if where == "under a file":
        (tmp_path / "a-file").write_text("")
        url = f"sqlite:///{tmp_path / 'a-file' / 'sidetrack.db'}"
    else:  # nothing listens on port 1
        url = "postgresql+psycopg://me:sekrit@127.0.0.1:1/sidetrack?connect_timeout=5"
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", url)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: cannot open the database SIDETRACK_DATABASE_URL=")
    assert "sekrit" not in lines[0]
