"""HTTP delivery for members: the bearer-token dependency that guards every write."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sidetrack.core.http import DbSession
from sidetrack.users.models import ApiToken
from sidetrack.users.service import authenticate

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
