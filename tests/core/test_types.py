"""Column types: UTC timestamps on every backend, and tokens encrypted at rest."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from sidetrack.users.models import LinkedAccount, ProviderType, User
from tests.factories import create_linked_account, create_user


def test_timestamps_come_back_aware_in_utc(session: Session) -> None:
    tokyo = timezone(timedelta(hours=9))
    user = create_user(session)
    account = create_linked_account(
        session, user, token_expires_at=datetime(2026, 1, 1, 9, 30, tzinfo=tokyo)
    )
    session.expire_all()
    stored = session.get(LinkedAccount, account.id)
    assert stored is not None
    assert stored.token_expires_at == datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    assert stored.token_expires_at.utcoffset() == timedelta(0)


def test_created_and_updated_at_are_filled(session: Session) -> None:
    before = datetime.now(UTC)
    user = create_user(session)
    assert before <= user.created_at <= datetime.now(UTC)
    first_update = user.updated_at
    user.display_name = "Renamed"
    session.flush()
    assert user.updated_at >= first_update


def test_naive_datetime_is_refused(session: Session) -> None:
    user = create_user(session)
    with pytest.raises(StatementError, match="naive datetime"), session.begin_nested():
        create_linked_account(session, user, token_expires_at=datetime(2026, 1, 1))


def test_oauth_tokens_are_encrypted_at_rest(session: Session) -> None:
    user = create_user(session)
    account = create_linked_account(
        session,
        user,
        provider=ProviderType.SPOTIFY,
        access_token="spotify-access-secret",
        refresh_token="spotify-refresh-secret",
    )
    raw = session.execute(
        text("SELECT access_token, refresh_token FROM linked_accounts WHERE provider = 'spotify'")
    ).one()
    assert "secret" not in raw.access_token
    assert "secret" not in raw.refresh_token
    session.expire_all()
    stored = session.scalars(select(LinkedAccount).where(LinkedAccount.id == account.id)).one()
    assert stored.access_token == "spotify-access-secret"
    assert stored.refresh_token == "spotify-refresh-secret"
    assert session.get(User, user.id) is not None
