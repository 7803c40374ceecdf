"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sidetrack.core.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "albums",
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("artist_name", sa.String(length=255), nullable=False),
        sa.Column("release_year", sa.Integer(), nullable=True),
        sa.Column("musicbrainz_id", sa.String(length=36), nullable=True),
        sa.Column("spotify_id", sa.String(length=64), nullable=True),
        sa.Column("cover_url", sa.Text(), nullable=True),
        sa.Column("match_key", sa.String(length=600), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_albums")),
        sa.UniqueConstraint("musicbrainz_id", name=op.f("uq_albums_musicbrainz_id")),
        sa.UniqueConstraint("spotify_id", name=op.f("uq_albums_spotify_id")),
    )
    with op.batch_alter_table("albums", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_albums_match_key"), ["match_key"], unique=False)

    op.create_table(
        "genre_tags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genre_tags")),
        sa.UniqueConstraint("slug", name=op.f("uq_genre_tags_slug")),
    )
    op.create_table(
        "users",
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("listening_private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("handle", name=op.f("uq_users_handle")),
    )
    op.create_table(
        "album_genre_tags",
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("genre_tag_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name=op.f("fk_album_genre_tags_album_id_albums"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["genre_tag_id"],
            ["genre_tags.id"],
            name=op.f("fk_album_genre_tags_genre_tag_id_genre_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("album_id", "genre_tag_id", name=op.f("pk_album_genre_tags")),
    )
    with op.batch_alter_table("album_genre_tags", schema=None) as batch_op:
        batch_op.create_index("ix_album_genre_tags_genre_tag_id", ["genre_tag_id"], unique=False)

    op.create_table(
        "compatibilities",
        sa.Column("user_a_id", sa.Uuid(), nullable=False),
        sa.Column("user_b_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("computed_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_compatibilities_score_0_to_100")
        ),
        sa.CheckConstraint("user_a_id < user_b_id", name=op.f("ck_compatibilities_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["user_a_id"],
            ["users.id"],
            name=op.f("fk_compatibilities_user_a_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_b_id"],
            ["users.id"],
            name=op.f("fk_compatibilities_user_b_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compatibilities")),
        sa.UniqueConstraint(
            "user_a_id", "user_b_id", name=op.f("uq_compatibilities_user_a_id_user_b_id")
        ),
    )
    with op.batch_alter_table("compatibilities", schema=None) as batch_op:
        batch_op.create_index("ix_compatibilities_user_b_id", ["user_b_id"], unique=False)

    op.create_table(
        "follows",
        sa.Column("follower_id", sa.Uuid(), nullable=False),
        sa.Column("followee_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_not_self")),
        sa.ForeignKeyConstraint(
            ["followee_id"],
            ["users.id"],
            name=op.f("fk_follows_followee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["users.id"],
            name=op.f("fk_follows_follower_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint(
            "follower_id", "followee_id", name=op.f("uq_follows_follower_id_followee_id")
        ),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index("ix_follows_followee_id", ["followee_id"], unique=False)

    op.create_table(
        "linked_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "provider",
            sa.Enum(
                "discord",
                "spotify",
                "lastfm",
                "listenbrainz",
                name="provider",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider_user_id", sa.String(length=255), nullable=False),
        sa.Column("provider_username", sa.String(length=255), nullable=True),
        sa.Column("access_token", sidetrack.core.types.EncryptedText(), nullable=True),
        sa.Column("refresh_token", sidetrack.core.types.EncryptedText(), nullable=True),
        sa.Column(
            "token_expires_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_linked_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linked_accounts")),
        sa.UniqueConstraint(
            "provider",
            "provider_user_id",
            name=op.f("uq_linked_accounts_provider_provider_user_id"),
        ),
        sa.UniqueConstraint(
            "user_id", "provider", name=op.f("uq_linked_accounts_user_id_provider")
        ),
    )
    op.create_table(
        "taste_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "genre_histogram",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "feature_means",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "time_of_day_histogram",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "last_computed_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_taste_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_taste_profiles")),
    )
    op.create_table(
        "tracks",
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("artist_name", sa.String(length=255), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("musicbrainz_id", sa.String(length=36), nullable=True),
        sa.Column("spotify_id", sa.String(length=64), nullable=True),
        sa.Column("isrc", sa.String(length=12), nullable=True),
        sa.Column("match_key", sa.String(length=600), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name=op.f("fk_tracks_album_id_albums"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracks")),
        sa.UniqueConstraint("musicbrainz_id", name=op.f("uq_tracks_musicbrainz_id")),
        sa.UniqueConstraint("spotify_id", name=op.f("uq_tracks_spotify_id")),
    )
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracks_album_id_match_key", ["album_id", "match_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tracks_isrc"), ["isrc"], unique=False)

    op.create_table(
        "user_recommendations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name=op.f("fk_user_recommendations_album_id_albums"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_recommendations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_recommendations")),
        sa.UniqueConstraint(
            "user_id", "album_id", name=op.f("uq_user_recommendations_user_id_album_id")
        ),
    )
    op.create_table(
        "weeks",
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=True),
        sa.Column(
            "phase",
            sa.Enum(
                "nominations",
                "poll",
                "discussion",
                "ratings",
                "closed",
                name="phase",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="nominations",
            nullable=False,
        ),
        sa.Column(
            "nominations_close_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("poll_close_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("discussion_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "ratings_close_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("winner_album_id", sa.Uuid(), nullable=True),
        sa.Column("nominations_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("poll_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("winner_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("ratings_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["winner_album_id"],
            ["albums.id"],
            name=op.f("fk_weeks_winner_album_id_albums"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weeks")),
        sa.UniqueConstraint("week_number", name=op.f("uq_weeks_week_number")),
    )
    with op.batch_alter_table("weeks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weeks_winner_album_id"), ["winner_album_id"], unique=False
        )

    op.create_table(
        "listen_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("played_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "spotify",
                "lastfm",
                "listenbrainz",
                name="source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("ms_played", sa.Integer(), nullable=True),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_listen_events_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listen_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "played_at", "track_id", name=op.f("pk_listen_events")),
    )
    op.create_table(
        "nominations",
        sa.Column("week_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("pitch", sa.Text(), nullable=True),
        sa.Column("pitch_track_url", sa.Text(), nullable=True),
        sa.Column("genre", sa.String(length=64), nullable=True),
        sa.Column("decade", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name=op.f("fk_nominations_album_id_albums"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_nominations_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"], ["weeks.id"], name=op.f("fk_nominations_week_id_weeks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint("id", "week_id", name=op.f("uq_nominations_id_week_id")),
        sa.UniqueConstraint(
            "week_id", "user_id", "album_id", name=op.f("uq_nominations_week_id_user_id_album_id")
        ),
    )
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.create_index("ix_nominations_album_id", ["album_id"], unique=False)
        batch_op.create_index("ix_nominations_user_id", ["user_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("week_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("album_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("favorite_track", sa.String(length=255), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "value >= 1.0 AND value <= 5.0 AND value * 2 = CAST(value * 2 AS INTEGER)",
            name=op.f("ck_ratings_value_in_half_steps"),
        ),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name=op.f("fk_ratings_album_id_albums"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ratings_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"], ["weeks.id"], name=op.f("fk_ratings_week_id_weeks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("week_id", "user_id", name=op.f("uq_ratings_week_id_user_id")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index("ix_ratings_album_id", ["album_id"], unique=False)
        batch_op.create_index(
            "uq_ratings_personal_user_id_album_id",
            ["user_id", "album_id"],
            unique=True,
            sqlite_where=sa.text("week_id IS NULL"),
            postgresql_where=sa.text("week_id IS NULL"),
        )

    op.create_table(
        "track_features",
        sa.Column("track_id", sa.Uuid(), nullable=False),
        sa.Column("energy", sa.Float(), nullable=True),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("danceability", sa.Float(), nullable=True),
        sa.Column("tempo", sa.Float(), nullable=True),
        sa.Column("acousticness", sa.Float(), nullable=True),
        sa.Column("instrumentalness", sa.Float(), nullable=True),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_features_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", name=op.f("pk_track_features")),
    )
    op.create_table(
        "votes",
        sa.Column("week_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("nomination_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sidetrack.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rank IN (1, 2)", name=op.f("ck_votes_rank_is_1_or_2")),
        sa.ForeignKeyConstraint(
            ["nomination_id", "week_id"],
            ["nominations.id", "nominations.week_id"],
            name=op.f("fk_votes_nomination_id_week_id_nominations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_votes_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"], ["weeks.id"], name=op.f("fk_votes_week_id_weeks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
        sa.UniqueConstraint(
            "user_id", "nomination_id", name=op.f("uq_votes_user_id_nomination_id")
        ),
        sa.UniqueConstraint(
            "week_id", "user_id", "rank", name=op.f("uq_votes_week_id_user_id_rank")
        ),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index("ix_votes_nomination_id", ["nomination_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("ix_votes_nomination_id")

    op.drop_table("votes")
    op.drop_table("track_features")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ratings_personal_user_id_album_id",
            sqlite_where=sa.text("week_id IS NULL"),
            postgresql_where=sa.text("week_id IS NULL"),
        )
        batch_op.drop_index("ix_ratings_album_id")

    op.drop_table("ratings")
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_user_id")
        batch_op.drop_index("ix_nominations_album_id")

    op.drop_table("nominations")
    op.drop_table("listen_events")
    with op.batch_alter_table("weeks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weeks_winner_album_id"))

    op.drop_table("weeks")
    op.drop_table("user_recommendations")
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracks_isrc"))
        batch_op.drop_index("ix_tracks_album_id_match_key")

    op.drop_table("tracks")
    op.drop_table("taste_profiles")
    op.drop_table("linked_accounts")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_followee_id")

    op.drop_table("follows")
    with op.batch_alter_table("compatibilities", schema=None) as batch_op:
        batch_op.drop_index("ix_compatibilities_user_b_id")

    op.drop_table("compatibilities")
    with op.batch_alter_table("album_genre_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_album_genre_tags_genre_tag_id")

    op.drop_table("album_genre_tags")
    op.drop_table("users")
    op.drop_table("genre_tags")
    with op.batch_alter_table("albums", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_albums_match_key"))

    op.drop_table("albums")
