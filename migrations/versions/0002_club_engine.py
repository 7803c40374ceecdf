"""Club engine: API tokens, the winning nomination and its override, review moderation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sidetrack.core.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review_hidden_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("review_hidden_by", sa.String(length=120), nullable=True))
        batch_op.create_index("ix_ratings_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("weeks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("winner_nomination_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("winner_override_by", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column(
                "winner_override_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("winner_override_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            "fk_weeks_winner_nomination_of_week",
            "nominations",
            ["winner_nomination_id", "id"],
            ["id", "week_id"],
            use_alter=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("weeks", schema=None) as batch_op:
        batch_op.drop_constraint("fk_weeks_winner_nomination_of_week", type_="foreignkey")
        batch_op.drop_column("winner_override_reason")
        batch_op.drop_column("winner_override_at")
        batch_op.drop_column("winner_override_by")
        batch_op.drop_column("winner_nomination_id")

    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_ratings_user_id")
        batch_op.drop_column("review_hidden_by")
        batch_op.drop_column("review_hidden_at")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
