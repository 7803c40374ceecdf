"""Domain errors: each carries its HTTP status and a code, so one handler can render them all."""

from typing import Any


class SidetrackError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(SidetrackError):
    status_code = 404
    code = "not_found"


class Conflict(SidetrackError):
    status_code = 409
    code = "conflict"


class InvalidInput(SidetrackError):
    status_code = 422
    code = "invalid"


class Unauthorized(SidetrackError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SidetrackError):
    status_code = 403
    code = "forbidden"


class StoredConflict(Conflict):
    """A write the database refused by its own rules (a duplicate key, a vanished reference)
    after the service's checks had passed: in practice, two requests racing each other."""


class PayloadTooLarge(SidetrackError):
    status_code = 413
    code = "too_large"
