"""Listening rollups per member: plays per local month and track, and per artist.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import sidetrack.core.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listen_artist_totals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("artist_key", sa.String(length=300), nullable=False),
        sa.Column("artist_name", sa.String(length=255), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column(
            "first_played_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_artist_totals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "artist_key", name=op.f("pk_listen_artist_totals")),
    )
    with op.batch_alter_table("listen_artist_totals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listen_artist_totals_user_id_first_played_at",
            ["user_id", "first_played_at"],
            unique=False,
        )

    op.create_table(
        "listen_month_track_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_month", sa.Date(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_listen_month_track_counts_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_month_track_counts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "local_month", "track_id", name=op.f("pk_listen_month_track_counts")
        ),
    )
    _backfill()


# Frozen copies of what this revision needs, so the migration means the same thing later.
_SEPARATOR = "\x1f"
_users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("timezone", sa.String()))
_plays = sa.table(
    "listen_events",
    sa.column("user_id", sa.Uuid()),
    sa.column("track_id", sa.Uuid()),
    sa.column("played_at", sidetrack.core.types.UTCDateTime()),
)
_tracks = sa.table(
    "tracks",
    sa.column("id", sa.Uuid()),
    sa.column("match_key", sa.String()),
    sa.column("artist_name", sa.String()),
)
_months = sa.table(
    "listen_month_track_counts",
    sa.column("user_id", sa.Uuid()),
    sa.column("local_month", sa.Date()),
    sa.column("track_id", sa.Uuid()),
    sa.column("plays", sa.Integer()),
)
_artists = sa.table(
    "listen_artist_totals",
    sa.column("user_id", sa.Uuid()),
    sa.column("artist_key", sa.String()),
    sa.column("artist_name", sa.String()),
    sa.column("plays", sa.Integer()),
    sa.column("first_played_at", sidetrack.core.types.UTCDateTime()),
)


def _backfill() -> None:
    """Fill the new rollups from the plays already stored, member by member."""
    connection = op.get_bind()
    for user_id, zone_name in connection.execute(sa.select(_users.c.id, _users.c.timezone)).all():
        zone = ZoneInfo(zone_name)
        months: dict[tuple[date, object], int] = defaultdict(int)
        artists: dict[str, list[object]] = {}
        plays = connection.execute(
            sa.select(
                _plays.c.played_at, _plays.c.track_id, _tracks.c.match_key, _tracks.c.artist_name
            )
            .join(_tracks, _tracks.c.id == _plays.c.track_id)
            .where(_plays.c.user_id == user_id)
            .order_by(_plays.c.played_at)
        )
        for played_at, track_id, match_key, artist_name in plays:
            local = played_at.astimezone(zone)
            months[(date(local.year, local.month, 1), track_id)] += 1
            key = match_key.split(_SEPARATOR, 1)[0]
            if key in artists:
                artists[key][1] += 1  # type: ignore[operator]
            else:
                artists[key] = [artist_name, 1, played_at]  # in time order: the first play
        if months:
            connection.execute(
                sa.insert(_months),
                [
                    {"user_id": user_id, "local_month": month, "track_id": track, "plays": n}
                    for (month, track), n in months.items()
                ],
            )
        if artists:
            connection.execute(
                sa.insert(_artists),
                [
                    {
                        "user_id": user_id,
                        "artist_key": key,
                        "artist_name": name,
                        "plays": n,
                        "first_played_at": first,
                    }
                    for key, (name, n, first) in artists.items()
                ],
            )


def downgrade() -> None:
    op.drop_table("listen_month_track_counts")
    with op.batch_alter_table("listen_artist_totals", schema=None) as batch_op:
        batch_op.drop_index("ix_listen_artist_totals_user_id_first_played_at")

    op.drop_table("listen_artist_totals")
