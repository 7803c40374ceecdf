"""The declarative base, engine construction and session factory shared by every domain."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Uuid, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from sidetrack.core.errors import StoredConflict
from sidetrack.core.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _prepare_sqlite(engine: Engine) -> None:
    """Foreign keys on, and transactions SQLAlchemy controls (so SAVEPOINT works under pysqlite)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The unit of work for a command or job: commit once at the end, or roll back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# PostgreSQL: 'Key (week_id, user_id)=(…) already exists.'; SQLite: 'UNIQUE constraint failed:
# ratings.week_id, ratings.user_id'.
_POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)")
_SQLITE_COLUMNS = re.compile(r"constraint failed: (?P<columns>[\w., ]+)")


def stored_conflict(error: IntegrityError) -> StoredConflict:
    """The domain error for a write the database refused, naming the columns where it can."""
    original = error.orig
    diag = getattr(original, "diag", None)
    fields: list[str] = []
    if diag is not None and (match := _POSTGRES_KEY.search(diag.message_detail or "")):
        fields = [column.strip() for column in match["columns"].split(",")]
    elif diag is not None and diag.column_name:
        fields = [diag.column_name]
    elif match := _SQLITE_COLUMNS.search(str(original)):
        fields = [column.strip().rsplit(".", 1)[-1] for column in match["columns"].split(",")]
    details: dict[str, Any] = {"fields": fields}
    if diag is not None and diag.constraint_name:
        details["constraint"] = diag.constraint_name
    return StoredConflict(
        "This clashes with what is stored, perhaps a change made at the same moment; "
        "fetch the current state and try again",
        details=details,
    )
