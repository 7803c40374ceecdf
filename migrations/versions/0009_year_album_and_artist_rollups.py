"""Listening rollups per member, local year and album, and per local year and artist.

A calendar year's top albums and artists summed the year's 16,500 per-track rows; these hold
some 4,000 and 1,400 rows for the same year (docs/db-notes.md). Backfilled from the yearly
per-track rollup, whose rows carry their album and artist since 0008. No foreign keys, like
the other rollups since 0006.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listen_year_album_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_year", sa.Date(), nullable=False),
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "local_year", "album_id", name=op.f("pk_listen_year_album_counts")
        ),
    )
    op.create_table(
        "listen_year_artist_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_year", sa.Date(), nullable=False),
        sa.Column("artist_key", sa.String(length=300), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "local_year", "artist_key", name=op.f("pk_listen_year_artist_counts")
        ),
    )
    for table, column in (
        ("listen_year_album_counts", "album_id"),
        ("listen_year_artist_counts", "artist_key"),
    ):
        _backfill(table, column)


# A frozen copy of what this revision reads, so the migration means the same thing later.
_years = sa.table(
    "listen_year_track_counts",
    sa.column("user_id", sa.Uuid()),
    sa.column("local_year", sa.Date()),
    sa.column("album_id", sa.Uuid()),
    sa.column("artist_key", sa.String()),
    sa.column("plays", sa.Integer()),
)


def _backfill(table: str, column: str) -> None:
    target = sa.table(
        table,
        sa.column("user_id", sa.Uuid()),
        sa.column("local_year", sa.Date()),
        sa.column(column),
        sa.column("plays", sa.Integer()),
    )
    key = (_years.c.user_id, _years.c.local_year, _years.c[column])
    per_year = sa.select(*key, sa.func.sum(_years.c.plays)).group_by(*key).order_by(*key)
    op.execute(sa.insert(target).from_select(["user_id", "local_year", column, "plays"], per_year))


def downgrade() -> None:
    op.drop_table("listen_year_artist_counts")
    op.drop_table("listen_year_album_counts")
