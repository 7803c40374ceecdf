"""Plays and listening rollups keep their user and track ids without foreign-key constraints.

PostgreSQL checks a foreign key row by row with a trigger: on an import that was twice the
cost of inserting the plays themselves. Ingest is the only writer of these tables and writes
only ids it resolved, in the same transaction, under a lock on the member (docs/db-notes.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table)
FOREIGN_KEYS = [
    ("listen_events", "user_id", "users"),
    ("listen_events", "track_id", "tracks"),
    ("listen_hour_counts", "user_id", "users"),
    ("listen_track_totals", "user_id", "users"),
    ("listen_track_totals", "track_id", "tracks"),
    ("listen_month_track_counts", "user_id", "users"),
    ("listen_month_track_counts", "track_id", "tracks"),
    ("listen_artist_totals", "user_id", "users"),
]


def _name(table: str, column: str, referenced: str) -> str:
    return f"fk_{table}_{column}_{referenced}"


def upgrade() -> None:
    for table in dict.fromkeys(table for table, _, _ in FOREIGN_KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referenced in FOREIGN_KEYS:
                if owner == table:
                    batch_op.drop_constraint(_name(owner, column, referenced), type_="foreignkey")


def downgrade() -> None:
    for table in dict.fromkeys(table for table, _, _ in FOREIGN_KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referenced in FOREIGN_KEYS:
                if owner == table:
                    batch_op.create_foreign_key(
                        _name(owner, column, referenced),
                        referenced,
                        [column],
                        ["id"],
                        ondelete="CASCADE",
                    )
