"""The app factory and /health."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sidetrack import __version__
from sidetrack.app import create_app
from sidetrack.core.config import get_settings
from sidetrack.core.db import make_engine, make_session_factory


def test_health_reports_version_and_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "database": "ok"}


def test_health_reports_an_unreachable_database() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    factory: sessionmaker[Session] = make_session_factory(engine)
    with TestClient(create_app(get_settings(), factory)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_unknown_path_gets_the_error_body(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
