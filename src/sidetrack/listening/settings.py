"""A member's listening settings: the time zone their statistics are counted in, and privacy."""

import uuid

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from sidetrack.core.errors import Forbidden, InvalidInput, Unauthorized
from sidetrack.listening.service import rebuild_rollups
from sidetrack.users.models import User
from sidetrack.users.schemas import Timezone
from sidetrack.users.service import get_user

_ZONE: TypeAdapter[str] = TypeAdapter(Timezone)


def check_time_zone(name: str) -> str:
    """The IANA zone name as given, or InvalidInput saying what is expected."""
    try:
        return _ZONE.validate_python(name)
    except ValidationError:
        raise InvalidInput(
            f"Unknown time zone {name[:64]!r}: use an IANA name, such as Europe/Paris or UTC",
            details={"fields": {"timezone": "not an IANA time zone"}},
        ) from None


def update_listening_settings(
    session: Session,
    user: User,
    *,
    timezone: str | None = None,
    listening_private: bool | None = None,
) -> User:
    """Change a member's zone and/or privacy. A new zone recounts their local-time rollups
    (per local hour and month), so days and hours follow the new zone at once."""
    zone = check_time_zone(timezone) if timezone is not None else None
    if zone is not None:
        # FOR UPDATE waits for imports in flight (they hold the member FOR KEY SHARE) and
        # holds off new ones until we commit, so the recount sees every play and no batch
        # counts its hours in the old zone meanwhile.
        session.refresh(user, with_for_update=True)
    if listening_private is not None:
        user.listening_private = listening_private
    if zone is not None and zone != user.timezone:
        user.timezone = zone
        session.flush()
        rebuild_rollups(session, user.id)
    session.flush()
    return user


def update_own_listening_settings(
    session: Session,
    user_id: uuid.UUID,
    caller_id: uuid.UUID | None,
    *,
    timezone: str | None = None,
    listening_private: bool | None = None,
) -> User:
    """The same, through the API: only the member themself, with their own token."""
    if caller_id is None:
        raise Unauthorized(
            "Sign in with your own token to change your settings",
            details={"authorization": "missing"},
        )
    user = get_user(session, user_id)
    if caller_id != user.id:
        raise Forbidden("Members change only their own settings", details={"user_id": "not you"})
    return update_listening_settings(
        session, user, timezone=timezone, listening_private=listening_private
    )
