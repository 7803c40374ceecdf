"""Listening rollups: plays per member per local hour, and per member per track.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sidetrack.core.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listen_hour_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_hour", sa.DateTime(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_hour_counts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "local_hour", name=op.f("pk_listen_hour_counts")),
    )
    op.create_table(
        "listen_track_totals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.Column(
            "first_played_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_played_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_listen_track_totals_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_track_totals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "track_id", name=op.f("pk_listen_track_totals")),
    )


def downgrade() -> None:
    op.drop_table("listen_track_totals")
    op.drop_table("listen_hour_counts")
