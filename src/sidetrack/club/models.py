"""Tables for the club: Week, Nomination, Vote, and Rating (club or personal)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sidetrack.catalog.models import Album
from sidetrack.core.db import Base, Timestamps, UUIDPrimaryKey
from sidetrack.core.enums import string_enum
from sidetrack.users.models import User


class WeekPhase(StrEnum):
    NOMINATIONS = "nominations"
    POLL = "poll"
    DISCUSSION = "discussion"
    RATINGS = "ratings"
    CLOSED = "closed"


class Week(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "weeks"
    __table_args__ = (
        # use_alter: weeks and nominations refer to each other.
        ForeignKeyConstraint(
            ["winner_nomination_id", "id"],
            ["nominations.id", "nominations.week_id"],
            name="fk_weeks_winner_nomination_of_week",
            use_alter=True,
        ),
    )

    label: Mapped[str] = mapped_column(String(255))  # e.g. "WEEK 003 [2025-11-24]"
    week_number: Mapped[int | None] = mapped_column(Integer, unique=True)
    phase: Mapped[WeekPhase] = mapped_column(
        string_enum(WeekPhase, "phase"),
        default=WeekPhase.NOMINATIONS,
        server_default=WeekPhase.NOMINATIONS.value,
    )
    nominations_close_at: Mapped[datetime | None]
    poll_close_at: Mapped[datetime | None]
    discussion_at: Mapped[datetime | None]
    ratings_close_at: Mapped[datetime | None]

    winner_album_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("albums.id", ondelete="SET NULL"), index=True
    )
    # The nomination that won (the album alone is ambiguous when two members nominate it);
    # the composite key in __table_args__ keeps it one of this week's nominations.
    winner_nomination_id: Mapped[uuid.UUID | None] = mapped_column()
    # Set when an organiser replaced the tallied winner: who, when and why.
    winner_override_by: Mapped[str | None] = mapped_column(String(120))
    winner_override_at: Mapped[datetime | None]
    winner_override_reason: Mapped[str | None] = mapped_column(Text)

    # Discord snowflakes need 64 bits.
    nominations_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    poll_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    winner_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    ratings_thread_id: Mapped[int | None] = mapped_column(BigInteger)

    winner_album: Mapped[Album | None] = relationship(lazy="raise")
    winner_nomination: Mapped["Nomination | None"] = relationship(
        foreign_keys=[winner_nomination_id], lazy="raise", post_update=True, viewonly=True
    )
    nominations: Mapped[list["Nomination"]] = relationship(
        back_populates="week",
        lazy="raise",
        order_by="Nomination.created_at",
        foreign_keys="Nomination.week_id",
    )
    votes: Mapped[list["Vote"]] = relationship(back_populates="week", lazy="raise")
    ratings: Mapped[list["Rating"]] = relationship(back_populates="week", lazy="raise")


class Nomination(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "nominations"
    __table_args__ = (
        UniqueConstraint("week_id", "user_id", "album_id"),
        # Target of the votes' composite foreign key: a vote's nomination must be of its week.
        UniqueConstraint("id", "week_id"),
        Index("ix_nominations_user_id", "user_id"),
        Index("ix_nominations_album_id", "album_id"),
    )

    week_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("weeks.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    album_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))

    pitch: Mapped[str | None] = mapped_column(Text)
    pitch_track_url: Mapped[str | None] = mapped_column(Text)
    # The nominator's tags as given; the album's normalised genres live in album_genre_tags.
    genre: Mapped[str | None] = mapped_column(String(64))
    decade: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(64))

    week: Mapped[Week] = relationship(
        back_populates="nominations", lazy="raise", foreign_keys=[week_id]
    )
    user: Mapped[User] = relationship(lazy="raise")
    album: Mapped[Album] = relationship(lazy="raise")
    votes: Mapped[list["Vote"]] = relationship(
        back_populates="nomination", lazy="raise", overlaps="votes,week"
    )


class Vote(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint("rank IN (1, 2)", name="rank_is_1_or_2"),
        UniqueConstraint("week_id", "user_id", "rank"),
        UniqueConstraint("user_id", "nomination_id"),
        ForeignKeyConstraint(
            ["nomination_id", "week_id"],
            ["nominations.id", "nominations.week_id"],
            ondelete="CASCADE",
        ),
        Index("ix_votes_nomination_id", "nomination_id"),
    )

    week_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("weeks.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nomination_id: Mapped[uuid.UUID]
    rank: Mapped[int] = mapped_column(Integer)  # 1st choice = 2 points, 2nd = 1

    week: Mapped[Week] = relationship(back_populates="votes", lazy="raise", overlaps="votes")
    user: Mapped[User] = relationship(lazy="raise")
    nomination: Mapped[Nomination] = relationship(
        back_populates="votes", lazy="raise", overlaps="votes,week"
    )


class Rating(UUIDPrimaryKey, Timestamps, Base):
    """A 1.0–5.0 rating: of a week's winner (week_id set) or a personal one (week_id NULL)."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint(
            "value >= 1.0 AND value <= 5.0 AND value * 2 = CAST(value * 2 AS INTEGER)",
            name="value_in_half_steps",
        ),
        UniqueConstraint("week_id", "user_id"),
        Index(
            "uq_ratings_personal_user_id_album_id",
            "user_id",
            "album_id",
            unique=True,
            sqlite_where=text("week_id IS NULL"),
            postgresql_where=text("week_id IS NULL"),
        ),
        Index("ix_ratings_album_id", "album_id"),
        Index("ix_ratings_user_id", "user_id"),
    )

    week_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("weeks.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    album_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"))
    value: Mapped[float]
    favorite_track: Mapped[str | None] = mapped_column(String(255))
    review: Mapped[str | None] = mapped_column(Text)
    # Moderation keeps a hidden review, with who hid it and when.
    review_hidden_at: Mapped[datetime | None]
    review_hidden_by: Mapped[str | None] = mapped_column(String(120))

    week: Mapped[Week | None] = relationship(back_populates="ratings", lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")
    album: Mapped[Album] = relationship(lazy="raise")
