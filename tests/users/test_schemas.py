"""User and LinkedAccount schemas: read from saved rows, tokens never shown, bad input refused."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sidetrack.users.models import LinkedAccount, ProviderType, User
from sidetrack.users.schemas import (
    LinkedAccountCreate,
    LinkedAccountRead,
    LinkedAccountUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tests.factories import create_linked_account, create_user
from tests.schema_support import (
    assert_read_covers,
    assert_refused,
    assert_writes_columns,
    saved,
)

ACCESS = "access-6f1d2c-SECRET"
REFRESH = "refresh-9a7b3e-SECRET"


def test_user_read_from_a_saved_row(session: Session) -> None:
    user = saved(
        session, create_user(session, display_name="Ada", handle="ada.l", timezone="Europe/Paris")
    )

    read = UserRead.model_validate(user)

    assert read.id == user.id
    assert (read.display_name, read.handle, read.timezone) == ("Ada", "ada.l", "Europe/Paris")
    assert read.listening_private is False
    assert read.created_at.utcoffset() == timedelta(0)


def test_schemas_match_the_tables() -> None:
    assert_read_covers(UserRead, User)
    assert_read_covers(LinkedAccountRead, LinkedAccount, omitted={"access_token", "refresh_token"})
    assert_writes_columns(User, UserCreate, UserUpdate)
    assert_writes_columns(LinkedAccount, LinkedAccountCreate, LinkedAccountUpdate)


def test_user_create_fills_a_row(session: Session) -> None:
    data = UserCreate(display_name="  Grace  ", handle="grace_h", timezone="America/New_York")

    user = saved(session, User(**data.model_dump()))

    assert (user.display_name, user.handle, user.timezone) == (
        "Grace",
        "grace_h",
        "America/New_York",
    )


def test_linked_account_read_never_shows_tokens(session: Session) -> None:
    account = create_linked_account(
        session, create_user(session), access_token=ACCESS, refresh_token=REFRESH
    )
    account = saved(session, account)
    assert account.access_token == ACCESS  # the row really holds them

    read = LinkedAccountRead.model_validate(account)

    outputs = [read.model_dump_json(), str(read.model_dump()), repr(read), str(read)]
    for output in outputs:
        assert ACCESS not in output
        assert REFRESH not in output
    assert "access_token" not in read.model_dump()
    assert "refresh_token" not in LinkedAccountRead.model_json_schema()["properties"]


def test_linked_account_create_keeps_tokens_out_of_repr_and_errors(session: Session) -> None:
    user = create_user(session)
    data = LinkedAccountCreate(
        user_id=user.id,
        provider=ProviderType.SPOTIFY,
        provider_user_id="spotify-user",
        access_token=ACCESS,
        refresh_token=REFRESH,
    )
    assert ACCESS not in repr(data)
    assert REFRESH not in str(data)

    # A missing field reports the whole input; it must not carry the tokens with it.
    error = assert_refused(
        LinkedAccountCreate,
        {"user_id": str(user.id), "provider_user_id": "x", "access_token": ACCESS},
        "provider",
    )
    assert ACCESS not in str(error)

    # The tokens are plain strings, so the dump goes straight into the row (and is encrypted).
    account = saved(session, LinkedAccount(**data.model_dump()))
    assert (account.access_token, account.refresh_token) == (ACCESS, REFRESH)


def test_update_dump_holds_only_what_was_sent(session: Session) -> None:
    user = create_user(session, handle="before")

    changes = UserUpdate.model_validate({"timezone": "Asia/Tokyo", "handle": None})
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(user, name, value)
    user = saved(session, user)

    assert changes.model_dump(exclude_unset=True) == {"timezone": "Asia/Tokyo", "handle": None}
    assert (user.timezone, user.handle) == ("Asia/Tokyo", None)
    assert user.display_name.startswith("Member")


def test_token_expiry_accepts_any_offset() -> None:
    tokyo = timezone(timedelta(hours=9))
    update = LinkedAccountUpdate(token_expires_at=datetime(2026, 1, 1, 9, tzinfo=tokyo))
    assert update.token_expires_at == datetime(2026, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("handle", ["a", "A_b-c.9", "x" * 64])
def test_handles_accepted(handle: str) -> None:
    assert UserCreate(display_name="M", handle=handle).handle == handle


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_iana_zones_accepted(zone: str) -> None:
    assert UserUpdate(timezone=zone).timezone == zone


USER = {"display_name": "Member"}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (UserCreate, {}, "display_name"),
        (UserCreate, {"display_name": ""}, "display_name"),
        (UserCreate, {"display_name": "   "}, "display_name"),
        (UserCreate, {"display_name": "x" * 121}, "display_name"),
        (UserCreate, {**USER, "handle": ""}, "handle"),
        (UserCreate, {**USER, "handle": "x" * 65}, "handle"),
        (UserCreate, {**USER, "handle": "two words"}, "handle"),
        (UserCreate, {**USER, "handle": "josé"}, "handle"),
        (UserCreate, {**USER, "handle": "ada\n"}, "handle"),
        (UserCreate, {**USER, "handle": "@ada"}, "handle"),
        (UserCreate, {**USER, "timezone": "Mars/Olympus_Mons"}, "timezone"),
        (UserCreate, {**USER, "timezone": "europe/paris"}, "timezone"),
        (UserCreate, {**USER, "timezone": "localtime"}, "timezone"),
        (UserCreate, {**USER, "timezone": "../../etc/passwd"}, "timezone"),
        (UserCreate, {**USER, "timezone": "+02:00"}, "timezone"),
        (UserCreate, {**USER, "id": str(uuid.uuid4())}, "id"),
        (UserUpdate, {"display_name": None}, "display_name"),
        (UserUpdate, {"timezone": None}, "timezone"),
        (UserUpdate, {"listening_private": None}, "listening_private"),
        (UserUpdate, {"listening_private": "perhaps"}, "listening_private"),
        (UserUpdate, {"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_invalid_user_input_is_refused(model: Any, data: dict[str, Any], field: str) -> None:
    assert_refused(model, data, field)


ACCOUNT = {"user_id": str(uuid.uuid4()), "provider": "lastfm", "provider_user_id": "rj"}


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (LinkedAccountCreate, {**ACCOUNT, "provider": "myspace"}, "provider"),
        (LinkedAccountCreate, {**ACCOUNT, "provider_user_id": ""}, "provider_user_id"),
        (LinkedAccountCreate, {**ACCOUNT, "provider_user_id": "x" * 256}, "provider_user_id"),
        (LinkedAccountCreate, {**ACCOUNT, "provider_username": "x" * 256}, "provider_username"),
        (LinkedAccountCreate, {**ACCOUNT, "user_id": "not-a-uuid"}, "user_id"),
        (
            LinkedAccountCreate,
            {**ACCOUNT, "token_expires_at": "2026-01-01T10:00"},
            "token_expires_at",
        ),
        (LinkedAccountUpdate, {"token_expires_at": datetime(2026, 1, 1)}, "token_expires_at"),
        (LinkedAccountUpdate, {"provider": "spotify"}, "provider"),
        (LinkedAccountUpdate, {"user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
def test_invalid_linked_account_input_is_refused(
    model: Any, data: dict[str, Any], field: str
) -> None:
    assert_refused(model, data, field)
