"""HTTP plumbing shared by every domain's api.py: the request-scoped session and error bodies."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from sidetrack.core.db import stored_conflict
from sidetrack.core.errors import SidetrackError
from sidetrack.core.schemas import unstorable


def get_session(request: Request) -> Iterator[Session]:
    """The request owns the transaction: commit once when the route returns, else roll back.

    A write the database refuses by its own rules (two requests racing to make the same
    member, say) is a 409 like any other conflict, not a server error.
    """
    with request.app.state.session_factory() as session:
        try:
            yield session
            session.commit()
        except IntegrityError as error:
            session.rollback()
            raise stored_conflict(error) from error
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


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route's error statuses (422 always: input is validated)."""
    return {code: {"model": ErrorBody} for code in (422, *codes)}


def error_response(status: int, code: str, message: str, details: dict[str, Any]) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "album", "title") → "album.title"; the first element says where, not what.
    parts = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(parts)


def _declared_parameters(route: APIRoute) -> frozenset[tuple[str, str]]:
    """The (location, name) of every path and query parameter of the route and its dependencies."""
    declared: set[tuple[str, str]] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        declared.update(("path", param.alias) for param in dependant.path_params)
        declared.update(("query", param.alias) for param in dependant.query_params)
        pending.extend(dependant.dependencies)
    return frozenset(declared)


async def refuse_unstorable_parameters(request: Request) -> None:
    """An app-wide dependency: a path or query parameter holding text no database can store
    (a NUL) is a 422 naming it, as WriteModel does for bodies, not a database error."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    problems = []
    for location, name in sorted(_declared_parameters(route)):
        values = (
            request.query_params.getlist(name)
            if location == "query"
            else [request.path_params.get(name)]
        )
        for value in values:
            if (problem := unstorable(value)) is not None:
                problems.append({"type": "unstorable", "loc": (location, name), "msg": problem})
                break
    if problems:
        raise RequestValidationError(problems)


def _invalid(fields: dict[str, str]) -> JSONResponse:
    names = ", ".join(fields) or "request"
    return error_response(422, "invalid", f"Invalid input: {names}", {"fields": fields})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SidetrackError)
    async def _domain_error(_request: Request, error: SidetrackError) -> JSONResponse:
        return error_response(error.status_code, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for problem in error.errors():
            # Unparseable JSON is located at a character offset; the field is the body itself.
            location = ("body",) if problem["type"] == "json_invalid" else tuple(problem["loc"])
            fields.setdefault(_field_name(location), problem["msg"])
        return _invalid(fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and isinstance(error.__cause__, ValueError):
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): to the client that
            # is invalid JSON, which is a 422 like any other malformed body.
            return _invalid({"body": "not valid JSON (UTF-8)"})
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        details = {
            404: {"path": request.url.path},
            405: {"method": request.method},
        }.get(error.status_code, {})
        return error_response(error.status_code, code, str(error.detail), details)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _error: Exception) -> JSONResponse:
        # The last resort: still the error body, never a stack trace. Starlette re-raises the
        # exception after sending this, so it is logged (and fails a test) all the same.
        return error_response(500, "internal", "Something went wrong on our side", {})
