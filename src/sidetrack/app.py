"""The FastAPI application factory: mounts each domain's routes, and /health."""

from typing import Literal

from fastapi import Depends, FastAPI, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sidetrack import __version__
from sidetrack.club import api as club_api
from sidetrack.core.config import Settings, get_settings
from sidetrack.core.db import make_engine, make_session_factory
from sidetrack.core.http import DbSession, install_error_handlers, refuse_unstorable_parameters
from sidetrack.listening import api as listening_api
from sidetrack.listening import listenbrainz
from sidetrack.web import pages
from sidetrack.web.errors import install_error_pages
from sidetrack.web.templating import STATIC_DIR


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unavailable"]


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the app; tests pass their own session factory bound to a test database."""
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))

    app = FastAPI(
        title="Sidetrack",
        version=__version__,
        dependencies=[Depends(refuse_unstorable_parameters)],
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    install_error_handlers(app)
    # People get friendly HTML error pages; the API keeps the JSON bodies above.
    install_error_pages(app)
    app.include_router(club_api.router, prefix="/api")
    # ListenBrainz-compatible, with ListenBrainz's own error bodies (only /1 raises these).
    app.add_exception_handler(
        listenbrainz.ListenBrainzError, listenbrainz.listenbrainz_error_handler
    )
    app.include_router(listenbrainz.router, prefix="/1")
    app.include_router(listening_api.router, prefix="/api")
    app.include_router(club_api.member_router, prefix="/api")
    # The public pages own the plain paths; the JSON API stays under /api.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)

    @app.get(
        "/health",
        tags=["meta"],
        responses={503: {"model": Health, "description": "The database is unreachable"}},
    )
    def health(session: DbSession, response: Response) -> Health:
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            session.rollback()
            response.status_code = 503
            return Health(status="degraded", version=__version__, database="unavailable")
        return Health(status="ok", version=__version__, database="ok")

    return app
