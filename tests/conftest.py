"""Test fixtures: each database backend migrated once per run, one rolled-back transaction per test.

Database tests take the `session` (or `connection`) fixture and run on SQLite, and again on
PostgreSQL when SIDETRACK_TEST_POSTGRES_URL names a server we may create databases on.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from sidetrack.core.db import make_engine
from sidetrack.core.migrations import upgrade
from tests.databases import temporary_postgres_database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

POSTGRES_URL = os.environ.get("SIDETRACK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's own data directory, database or key."""
    from sidetrack.core.config import get_settings
    from sidetrack.core.secrets import fernet

    monkeypatch.setenv("SIDETRACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'default.db'}")
    get_settings.cache_clear()
    fernet.cache_clear()
    yield
    get_settings.cache_clear()
    fernet.cache_clear()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly created, migrated database of each backend, for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'sidetrack.db'}"
        upgrade(url)
        yield url
    else:
        assert POSTGRES_URL is not None
        with temporary_postgres_database(POSTGRES_URL) as url:
            upgrade(url)
            yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits only release savepoints inside the test's transaction."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture
def client(connection: Connection) -> Iterator["TestClient"]:
    """The real app, its sessions joined to the test's transaction (rolled back afterwards)."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from sidetrack.app import create_app
    from sidetrack.core.config import get_settings

    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with TestClient(create_app(get_settings(), factory)) as test_client:
        yield test_client


def _token_headers(session: Session, *scopes: str) -> dict[str, str]:
    from sidetrack.users.service import create_api_token

    _row, token = create_api_token(session, f"test {' '.join(scopes)}", scopes)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bot(session: Session) -> dict[str, str]:
    """Headers of a club:write token, as the Discord bot has."""
    return _token_headers(session, "club:write")


@pytest.fixture
def organiser(session: Session) -> dict[str, str]:
    """Headers of a club:admin token, as organisers have."""
    return _token_headers(session, "club:admin")
