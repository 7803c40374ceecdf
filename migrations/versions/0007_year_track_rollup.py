"""Listening rollup per member, local year and track, backfilled from the monthly rollup.

A year's top lists summed some 55,000 monthly rows for a heavy listener; the same year is
some 16,500 rows here (docs/db-notes.md). Like the other rollups since 0006, the table keeps
`user_id` and `track_id` without foreign keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listen_year_track_counts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("local_year", sa.Date(), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "local_year", "track_id", name=op.f("pk_listen_year_track_counts")
        ),
    )
    _backfill()


# Frozen copies of what this revision needs, so the migration means the same thing later.
_months = sa.table(
    "listen_month_track_counts",
    sa.column("user_id", sa.Uuid()),
    sa.column("local_month", sa.Date()),
    sa.column("track_id", sa.Uuid()),
    sa.column("plays", sa.Integer()),
)
_years = sa.table(
    "listen_year_track_counts",
    sa.column("user_id", sa.Uuid()),
    sa.column("local_year", sa.Date()),
    sa.column("track_id", sa.Uuid()),
    sa.column("plays", sa.Integer()),
)


def _backfill() -> None:
    """Sum each member's monthly rows per local year: the months are already local, in the
    zone each member's rollups were counted in, so the years agree with them."""
    if op.get_bind().dialect.name == "sqlite":
        # local_month is 'YYYY-MM-DD' text, as a Date column writes it.
        year = sa.func.strftime(sa.literal_column("'%Y-01-01'"), _months.c.local_month)
    else:
        # 'year' literal, not bound: PostgreSQL must see the same expression in GROUP BY. The
        # month as a plain timestamp, so that the session's time zone plays no part.
        month = sa.cast(_months.c.local_month, sa.DateTime())
        year = sa.cast(sa.func.date_trunc(sa.literal_column("'year'"), month), sa.Date)
    per_year = (
        sa.select(_months.c.user_id, year, _months.c.track_id, sa.func.sum(_months.c.plays))
        .group_by(_months.c.user_id, year, _months.c.track_id)
        .order_by(_months.c.user_id, year, _months.c.track_id)  # appends to the key's index
    )
    op.execute(
        sa.insert(_years).from_select(["user_id", "local_year", "track_id", "plays"], per_year)
    )


def downgrade() -> None:
    op.drop_table("listen_year_track_counts")
