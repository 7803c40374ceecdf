"""HTTP plumbing shared by every domain's api.py: the request-scoped session and error bodies."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from sidetrack.core.errors import SidetrackError


def get_session(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit once when the route returns, else roll back."""
    with request.app.state.session_factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a client never sees a 2xx for a
# write that then failed to commit.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, details: dict[str, Any]) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "album", "title") → "album.title"; the first element says where, not what.
    parts = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SidetrackError)
    async def _domain_error(_request: Request, error: SidetrackError) -> JSONResponse:
        return error_response(error.status_code, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for problem in error.errors():
            fields.setdefault(_field_name(tuple(problem["loc"])), problem["msg"])
        names = ", ".join(fields) or "request"
        return error_response(422, "invalid", f"Invalid input: {names}", {"fields": fields})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail), {})
