"""Pydantic schemas for reading and writing members (User) and their LinkedAccounts."""

import uuid
import zoneinfo
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints

from sidetrack.core.schemas import NotNull, ReadModel, WriteModel
from sidetrack.users.models import ProviderType

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# ASCII only: a handle is part of profile URLs, and look-alike letters would allow impersonation.
Handle = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ProviderUserId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ProviderUsername = Annotated[str, StringConstraints(max_length=255)]


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    # available_timezones() reads the whole zone database, so read it once. Membership (rather
    # than ZoneInfo(name)) also refuses "europe/paris" on case-insensitive file systems, and
    # "localtime", which is the host's zone rather than an IANA name.
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def _iana_zone(value: str) -> str:
    if value not in _iana_zones():
        raise ValueError("must be an IANA time zone name, such as Europe/Paris or UTC")
    return value


Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_iana_zone)]


class UserRead(ReadModel):
    id: uuid.UUID
    display_name: str
    handle: str | None
    timezone: str
    listening_private: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


class UserCreate(WriteModel):
    display_name: DisplayName
    handle: Handle | None = None
    timezone: Timezone = "UTC"
    listening_private: bool = False


class UserUpdate(WriteModel):
    display_name: Annotated[DisplayName | None, NotNull] = None
    handle: Handle | None = None
    timezone: Annotated[Timezone | None, NotNull] = None
    listening_private: Annotated[bool | None, NotNull] = None


class LinkedAccountRead(ReadModel):
    """A linked account as shown to anyone: the OAuth tokens are deliberately not fields."""

    id: uuid.UUID
    user_id: uuid.UUID
    provider: ProviderType
    provider_user_id: str
    provider_username: str | None
    token_expires_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


# Tokens stay plain strings so model_dump() can be assigned to the row as is; repr=False and
# hide_input_in_errors keep them out of logs, tracebacks and validation messages.
_SECRET_INPUT = ConfigDict(hide_input_in_errors=True)


class LinkedAccountCreate(WriteModel):
    model_config = _SECRET_INPUT

    user_id: uuid.UUID
    provider: ProviderType
    provider_user_id: ProviderUserId
    provider_username: ProviderUsername | None = None
    access_token: str | None = Field(default=None, repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
    token_expires_at: AwareDatetime | None = None


class LinkedAccountUpdate(WriteModel):
    """Tokens and display name only: another provider or account is a new link, not an edit."""

    model_config = _SECRET_INPUT

    provider_username: ProviderUsername | None = None
    access_token: str | None = Field(default=None, repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
    token_expires_at: AwareDatetime | None = None
