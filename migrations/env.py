"""Alembic environment: runs migrations on the connection or URL that sidetrack.core.migrations hands over."""

from alembic import context
from sqlalchemy import Connection

from sidetrack.core.config import get_settings
from sidetrack.core.db import make_engine
from sidetrack.models import metadata

config = context.config


def run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by dropping it; with foreign keys on, SQLite would
        # cascade that drop into every referencing table. The PRAGMA only takes effect outside
        # a transaction, hence the raw DBAPI connection.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=sqlite,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as new_connection:
        run(new_connection)
    engine.dispose()
