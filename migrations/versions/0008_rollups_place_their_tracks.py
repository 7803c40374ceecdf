"""The per-track rollups carry each track's album and normalised artist, backfilled from tracks.

A calendar year's top lists joined its 16,500 yearly rows to `tracks` for the album and the
artist key, most of the query's time; with both copied into the rows, the lists rank without
that join (docs/db-notes.md). The copies cannot go stale: the catalog never moves a track to
another album, and a track's match_key never changes. No foreign key on `album_id`, as on the
rollups' other ids since 0006.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import sidetrack.core.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what this revision needs, so the migration means the same thing later.
_SEPARATOR = "\x1f"
_tracks = sa.table(
    "tracks",
    sa.column("id", sa.Uuid()),
    sa.column("album_id", sa.Uuid()),
    sa.column("match_key", sa.String()),
)


# Each table's primary key.
KEYS = {
    "listen_track_totals": ("user_id", "track_id"),
    "listen_month_track_counts": ("user_id", "local_month", "track_id"),
    "listen_year_track_counts": ("user_id", "local_year", "track_id"),
}


def _columns_at_0007(name: str) -> list[sa.Column[Any]]:
    """The table's columns as 0007 left them; new objects each call (a column has one table)."""
    if name == "listen_track_totals":
        moment = sidetrack.core.types.UTCDateTime(timezone=True)
        return [
            sa.Column("user_id", sa.Uuid(), nullable=False),
            sa.Column("track_id", sa.Uuid(), nullable=False),
            sa.Column("plays", sa.Integer(), nullable=False),
            sa.Column("ms_played", sa.BigInteger(), nullable=False),
            sa.Column("first_played_at", moment, nullable=False),
            sa.Column("last_played_at", moment, nullable=False),
        ]
    return [
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(KEYS[name][1], sa.Date(), nullable=False),  # local_month or local_year
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
    ]


def _artist_key(match_key: sa.ColumnElement[str], dialect: str) -> sa.ColumnElement[str]:
    """The part of the track's match_key before the separator, as the statistics cut it."""
    if dialect == "sqlite":
        return sa.func.substr(match_key, 1, sa.func.instr(match_key, _SEPARATOR) - 1)
    return sa.func.split_part(match_key, _SEPARATOR, 1)


def upgrade() -> None:
    """Each table is written anew, its rows joined to their tracks, in key order, and put in
    the old one's place. Adding the columns and updating every row instead would leave
    PostgreSQL tables half dead rows, which the statistics then scan (docs/db-notes.md)."""
    dialect = op.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    for name, key in KEYS.items():
        placed = f"{name}_placed"
        old = sa.table(name, *[sa.column(column.name) for column in _columns_at_0007(name)])
        # SQLite cannot rename a constraint, but lets two tables use one name for a while;
        # PostgreSQL the other way round.
        primary_key = f"pk_{name}" if sqlite else f"pk_{placed}"
        op.create_table(
            placed,
            *_columns_at_0007(name),
            sa.Column("album_id", sa.Uuid(), nullable=False),
            sa.Column("artist_key", sa.String(length=300), nullable=False),
            sa.PrimaryKeyConstraint(*key, name=primary_key),
        )
        # A row whose track is gone (no foreign key stops that) cannot be placed and is
        # left out: every top list left it out already, since they all joined tracks.
        rows = (
            sa.select(
                *old.c,
                _tracks.c.album_id,
                _artist_key(_tracks.c.match_key, dialect),
            )
            .join(_tracks, _tracks.c.id == old.c.track_id)
            .order_by(*[old.c[column] for column in key])
        )
        names = [*old.c.keys(), "album_id", "artist_key"]
        op.execute(sa.insert(sa.table(placed, *map(sa.column, names))).from_select(names, rows))
        op.drop_table(name)
        op.rename_table(placed, name)
        if not sqlite:
            op.execute(f'ALTER TABLE "{name}" RENAME CONSTRAINT "{primary_key}" TO "pk_{name}"')


def downgrade() -> None:
    for name in KEYS:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("artist_key")
            batch_op.drop_column("album_id")
