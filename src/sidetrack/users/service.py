"""Members, their linked accounts and API tokens: finding, creating and authenticating."""

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidetrack.catalog.normalize import normalize_name
from sidetrack.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from sidetrack.core.secrets import hash_token, new_token
from sidetrack.core.types import utcnow
from sidetrack.users.models import ApiToken, LinkedAccount, ProviderType, User

SCOPES = {
    "club:write": "the bot: weeks, nominations, votes and ratings",
    "club:admin": "organisers: any phase, moderation, winner override",
    "listens:write": "the worker: bulk listening imports",
    "listens:submit": "a member's own scrobbling token (the ListenBrainz-compatible API)",
}
MEMBER_SCOPE = "listens:submit"

_HANDLE_FORBIDDEN = re.compile(r"[^a-z0-9_.-]+")


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No member with id {user_id}", details={"user_id": str(user_id)})
    return user


def get_user_for_writing_listens(session: Session, user_id: uuid.UUID) -> User:
    """The member, held against deletion until the transaction ends (FOR KEY SHARE).

    Plays and rollups reference members without a foreign key (docs/db-notes.md), so their
    writer takes the lock that the key's check would have taken, once instead of per row.
    """
    user = session.get(
        User,
        user_id,
        with_for_update={"read": True, "key_share": True},
        populate_existing=True,  # the zone as committed now, not as this session last saw it
    )
    if user is None:
        raise NotFound(f"No member with id {user_id}", details={"user_id": str(user_id)})
    return user


def get_user_by_handle(session: Session, handle: str) -> User:
    user = session.scalar(select(User).where(User.handle == handle))
    if user is None:
        raise NotFound(f"No member with handle '{handle}'", details={"handle": handle})
    return user


def _free_handle(session: Session, wanted: str) -> str:
    base = _HANDLE_FORBIDDEN.sub("-", normalize_name(wanted).replace(" ", "-")).strip("-.")
    base = base[:56] or "member"
    taken = set(session.scalars(select(User.handle).where(User.handle.like(f"{base}%"))).all())
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def create_user(session: Session, handle: str, display_name: str | None = None) -> User:
    if session.scalar(select(User.id).where(User.handle == handle)) is not None:
        raise Conflict(f"The handle '{handle}' is taken", details={"handle": "taken"})
    user = User(handle=handle, display_name=display_name or handle)
    session.add(user)
    session.flush()
    return user


def find_or_create_discord_member(
    session: Session, discord_id: str, display_name: str | None = None
) -> User:
    """The member behind a Discord account, created on first sight; keeps the name current."""
    account = session.scalar(
        select(LinkedAccount).where(
            LinkedAccount.provider == ProviderType.DISCORD,
            LinkedAccount.provider_user_id == discord_id,
        )
    )
    if account is not None:
        user = get_user(session, account.user_id)
        if display_name and user.display_name != display_name:
            user.display_name = display_name
            session.flush()
        return user
    name = display_name or f"Member {discord_id[-4:]}"
    user = User(display_name=name, handle=_free_handle(session, name))
    session.add(user)
    session.flush()
    session.add(
        LinkedAccount(user_id=user.id, provider=ProviderType.DISCORD, provider_user_id=discord_id)
    )
    session.flush()
    return user


def resolve_member(
    session: Session,
    *,
    user_id: uuid.UUID | None = None,
    discord_id: str | None = None,
    display_name: str | None = None,
) -> User:
    """A member named either by our id or by their Discord id (the bot knows only the latter)."""
    if user_id is not None:
        return get_user(session, user_id)
    if discord_id is not None:
        return find_or_create_discord_member(session, discord_id, display_name)
    raise InvalidInput(
        "Name the member by discord_id or user_id",
        details={"fields": {"user": "discord_id or user_id"}},
    )


def create_api_token(
    session: Session, name: str, scopes: Iterable[str], user_id: uuid.UUID | None = None
) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the token itself, which is never stored."""
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scope {', '.join(unknown)}; known: {', '.join(SCOPES)}",
            details={"fields": {"scope": f"unknown: {', '.join(unknown)}"}},
        )
    token = new_token()
    row = ApiToken(name=name, token_hash=hash_token(token), scopes=scopes, user_id=user_id)
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str | None, scope: str) -> ApiToken:
    """The token's row if it is valid and grants `scope` (club:admin implies club:write)."""
    if not token:
        raise Unauthorized("Missing bearer token", details={"authorization": "missing"})
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked token", details={"authorization": "invalid"})
    granted = set(row.scopes)
    if "club:admin" in granted:
        granted.add("club:write")
    if scope not in granted:
        raise Forbidden(f"This token lacks the scope {scope}", details={"scope": scope})
    return row


def token_owner(session: Session, token: str) -> uuid.UUID | None:
    """The member a valid token belongs to (None for a service token); a bad token is a 401."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked token", details={"authorization": "invalid"})
    return row.user_id


def member_token(session: Session, user: User) -> str:
    """The member's ListenBrainz-compatible token: made on first call, the same one after.

    Looked up by its hash like any token, and also kept encrypted so it can be shown again.
    """
    rows = session.scalars(
        select(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.token_encrypted.is_not(None),
        )
        .order_by(ApiToken.created_at, ApiToken.id)
    ).all()
    for row in rows:
        if MEMBER_SCOPE in row.scopes and row.token_encrypted:
            return row.token_encrypted
    token = new_token()
    session.add(
        ApiToken(
            name=f"member token of {user.handle or user.id}"[:120],
            token_hash=hash_token(token),
            scopes=[MEMBER_SCOPE],
            user_id=user.id,
            token_encrypted=token,
        )
    )
    session.flush()
    return token


def user_by_member_token(session: Session, token: str) -> User | None:
    """The member whose own (unrevoked) token this is, else None."""
    if not token:
        return None
    row = session.execute(
        select(User, ApiToken.scopes)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or MEMBER_SCOPE not in row.scopes:
        return None
    user: User = row.User
    return user


def revoke_api_token(session: Session, token_id: uuid.UUID) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No token with id {token_id}", details={"token_id": str(token_id)})
    row.revoked_at = row.revoked_at or utcnow()
    session.flush()
    return row
