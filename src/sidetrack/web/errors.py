"""Friendly HTML error pages for people, while the API keeps its JSON error bodies.

`install_error_pages` wraps the JSON handlers that core.http installed: a request gets the
HTML page when it was routed to a page, or when it is not under the API's prefixes and its
Accept header asks for HTML (a browser at an unknown address); everything else gets the
JSON body exactly as before.
"""

from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sidetrack.core.errors import SidetrackError
from sidetrack.web.pages import PAGE_TAG
from sidetrack.web.templating import render

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

API_PREFIXES: Final = ("/api", "/1", "/static", "/docs", "/redoc", "/openapi.json", "/health")

TITLES: Final = {
    400: "That request did not make sense",
    403: "That is private",
    404: "Page not found",
    405: "Not something you can do here",
    422: "That address has something odd in it",
    500: "Something went wrong",
}


def wants_html(request: Request) -> bool:
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return PAGE_TAG in route.tags
    path = request.url.path
    if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "That did not work")
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


def _status_and_message(error: Exception) -> tuple[int, str | None]:
    if isinstance(error, SidetrackError):
        return error.status_code, error.message
    if isinstance(error, StarletteHTTPException):
        if error.status_code == 404:
            return 404, None
        return error.status_code, str(error.detail)
    if isinstance(error, RequestValidationError):
        return 422, None
    return 500, None


def _either(api_handler: Handler) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if wants_html(request):
            status, message = _status_and_message(error)
            return error_page(request, status, message)
        response = api_handler(request, error)
        return await response if isinstance(response, Awaitable) else response

    return handle


def install_error_pages(app: FastAPI) -> None:
    """Call after core.http.install_error_handlers, whose handlers this wraps."""
    for error_class in (StarletteHTTPException, SidetrackError, RequestValidationError, Exception):
        app.add_exception_handler(error_class, _either(app.exception_handlers[error_class]))
