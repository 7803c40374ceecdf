"""HTTP delivery for members: the bearer-token dependency that guards every write."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sidetrack.core.http import DbSession
from sidetrack.users.models import ApiToken
from sidetrack.users.service import authenticate, token_owner

_bearer = HTTPBearer(auto_error=False, description="A token from `sidetrack token create`.")


def require_scope(scope: str) -> Callable[..., ApiToken]:
    def dependency(
        session: DbSession,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiToken:
        return authenticate(session, credentials.credentials if credentials else None, scope)

    return dependency


ClubWriter = Annotated[ApiToken, Depends(require_scope("club:write"))]
ClubAdmin = Annotated[ApiToken, Depends(require_scope("club:admin"))]


def _viewer(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> uuid.UUID | None:
    """The member a request speaks for (by their own token), or None when anonymous."""
    if credentials is None:
        return None
    return token_owner(session, credentials.credentials)


Viewer = Annotated[uuid.UUID | None, Depends(_viewer)]
ListensWriter = Annotated[ApiToken, Depends(require_scope("listens:write"))]
