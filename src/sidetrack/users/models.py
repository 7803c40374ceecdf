"""Tables for members (User) and their accounts at outside providers (LinkedAccount)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sidetrack.core.db import Base, Timestamps, UUIDPrimaryKey
from sidetrack.core.enums import string_enum
from sidetrack.core.types import EncryptedText, PortableJSON, utcnow


class ProviderType(StrEnum):
    DISCORD = "discord"
    SPOTIFY = "spotify"
    LASTFM = "lastfm"
    LISTENBRAINZ = "listenbrainz"


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    display_name: Mapped[str] = mapped_column(String(120))
    handle: Mapped[str | None] = mapped_column(String(64), unique=True)
    # IANA zone name: a member's days, hours and ranges are counted in their own time.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    listening_private: Mapped[bool] = mapped_column(default=False, server_default=false())

    linked_accounts: Mapped[list["LinkedAccount"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="raise"
    )


class LinkedAccount(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "linked_accounts"
    __table_args__ = (
        UniqueConstraint("provider", "provider_user_id"),
        UniqueConstraint("user_id", "provider"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[ProviderType] = mapped_column(string_enum(ProviderType, "provider"))
    provider_user_id: Mapped[str] = mapped_column(String(255))
    # The name shown at the provider (Discord username, Last.fm user name), for display only.
    provider_username: Mapped[str | None] = mapped_column(String(255))

    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    token_expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="linked_accounts", lazy="raise")


class ApiToken(UUIDPrimaryKey, Base):
    """A bearer token for the API, found by its SHA-256; most tokens are shown once only.

    A member's ListenBrainz-compatible token (scope listens:submit, user_id set) is also kept
    encrypted in `token_encrypted`, so `sidetrack users token HANDLE` can print it again.
    """

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(PortableJSON)
    # Set for a member's own token (e.g. their ListenBrainz-compatible scrobbling token).
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Only for members' own tokens (above); NULL for tokens that are shown once.
    token_encrypted: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
