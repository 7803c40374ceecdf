"""The per-track all-time rollup goes: all-time statistics sum the yearly per-track rollup.

Writing `listen_track_totals` was a tenth of storing every imported batch, for one range
that the yearly rows answer as well: every play is in one of them (docs/db-notes.md). The
downgrade builds it again from the plays.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sidetrack.core.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("listen_track_totals")


# Frozen copies of what the downgrade reads, so the migration means the same thing later.
_SEPARATOR = "\x1f"
_plays = sa.table(
    "listen_events",
    sa.column("user_id", sa.Uuid()),
    sa.column("played_at", sidetrack.core.types.UTCDateTime(timezone=True)),
    sa.column("track_id", sa.Uuid()),
    sa.column("ms_played", sa.Integer()),
)
_tracks = sa.table(
    "tracks",
    sa.column("id", sa.Uuid()),
    sa.column("album_id", sa.Uuid()),
    sa.column("duration_ms", sa.Integer()),
    sa.column("match_key", sa.String()),
)


def _artist_key(match_key: sa.ColumnElement[str], dialect: str) -> sa.ColumnElement[str]:
    """The part of the track's match_key before the separator, as the statistics cut it."""
    if dialect == "sqlite":
        return sa.func.substr(match_key, 1, sa.func.instr(match_key, _SEPARATOR) - 1)
    return sa.func.split_part(match_key, _SEPARATOR, 1)


def downgrade() -> None:
    moment = sidetrack.core.types.UTCDateTime(timezone=True)
    op.create_table(
        "listen_track_totals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("ms_played", sa.BigInteger(), nullable=False),
        sa.Column("first_played_at", moment, nullable=False),
        sa.Column("last_played_at", moment, nullable=False),
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("artist_key", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "track_id", name=op.f("pk_listen_track_totals")),
    )
    names = [
        "user_id",
        "track_id",
        "plays",
        "ms_played",
        "first_played_at",
        "last_played_at",
        "album_id",
        "artist_key",
    ]
    # A play's time heard is its own, else its track's length, as ingest counts it.
    heard = sa.func.coalesce(_plays.c.ms_played, _tracks.c.duration_ms, 0)
    key = (_plays.c.user_id, _plays.c.track_id, _tracks.c.album_id, _tracks.c.match_key)
    rows = (
        sa.select(
            _plays.c.user_id,
            _plays.c.track_id,
            sa.func.count(),
            sa.func.sum(heard),
            sa.func.min(_plays.c.played_at),
            sa.func.max(_plays.c.played_at),
            _tracks.c.album_id,
            _artist_key(_tracks.c.match_key, op.get_bind().dialect.name),
        )
        .join(_tracks, _tracks.c.id == _plays.c.track_id)
        .group_by(*key)
        .order_by(_plays.c.user_id, _plays.c.track_id)
    )
    target = sa.table("listen_track_totals", *map(sa.column, names))
    op.execute(sa.insert(target).from_select(names, rows))
