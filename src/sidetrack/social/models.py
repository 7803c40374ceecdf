"""Tables for Follow, Compatibility (one row per unordered pair) and UserRecommendation."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sidetrack.catalog.models import Album
from sidetrack.core.db import Base, UUIDPrimaryKey
from sidetrack.core.types import PortableJSON, utcnow
from sidetrack.users.models import User


class Follow(UUIDPrimaryKey, Base):
    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("follower_id <> followee_id", name="not_self"),
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_followee_id", "followee_id"),
    )

    follower_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    follower: Mapped[User] = relationship(foreign_keys=[follower_id], lazy="raise")
    followee: Mapped[User] = relationship(foreign_keys=[followee_id], lazy="raise")


class Compatibility(UUIDPrimaryKey, Base):
    """Cached taste similarity of two members, stored once with user_a_id < user_b_id."""

    __tablename__ = "compatibilities"
    __table_args__ = (
        CheckConstraint("user_a_id < user_b_id", name="pair_ordered"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_0_to_100"),
        UniqueConstraint("user_a_id", "user_b_id"),
        Index("ix_compatibilities_user_b_id", "user_b_id"),
    )

    user_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    score: Mapped[float]
    payload: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user_a: Mapped[User] = relationship(foreign_keys=[user_a_id], lazy="raise")
    user_b: Mapped[User] = relationship(foreign_keys=[user_b_id], lazy="raise")


class UserRecommendation(UUIDPrimaryKey, Base):
    __tablename__ = "user_recommendations"
    __table_args__ = (UniqueConstraint("user_id", "album_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    album_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))
    score: Mapped[float]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
    album: Mapped[Album] = relationship(lazy="raise")
