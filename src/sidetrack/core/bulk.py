"""Bulk writes of thousands of rows: COPY on PostgreSQL, executemany on SQLite.

Why not plain executemany everywhere: psycopg sends it as one statement per row, a network
round trip each, and multi-row VALUES cost SQLAlchemy more to compile than they save. COPY
into a staging table and one INSERT … SELECT is what PostgreSQL is fastest at, and keeps
ON CONFLICT, which COPY alone lacks. SQLite runs in-process: executemany has no round trips.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

Row = Mapping[str, Any]
# Given the statement's EXCLUDED pseudo-table, the SET clause of ON CONFLICT DO UPDATE.
UpdateFor = Callable[[Any], Mapping[str, ColumnElement[Any]]]


def write_rows(
    session: Session,
    target: Table,
    rows: Sequence[Row],
    *,
    conflict: Sequence[str] | None = None,
    update: UpdateFor | None = None,
    order_by: Sequence[str] = (),
) -> int:
    """Insert `rows` (dicts with the same keys) into `target`; returns the rows written.

    Values are given as the database takes them (an enum by its value): psycopg's COPY
    adapts uuids, datetimes, numbers and strings, and nothing else.

    With `conflict` (the columns of a unique key), rows that collide are skipped, or merged
    with `update` when given. `order_by` names the columns to insert in order on
    PostgreSQL, e.g. a key's, so its index is appended to rather than split.
    """
    if not rows:
        return 0
    names = list(rows[0])
    on_postgres = session.get_bind().dialect.name == "postgresql"
    statement: Any = postgresql.insert(target) if on_postgres else sqlite.insert(target)
    if on_postgres:
        staged = stage_rows(session, target, names, ([row[name] for name in names] for row in rows))
        rows_in_order = select(*[staged.c[name] for name in names]).order_by(
            *[staged.c[name] for name in order_by]
        )
        statement = statement.from_select(names, rows_in_order)
    if conflict is not None and update is not None:
        statement = statement.on_conflict_do_update(
            index_elements=conflict, set_=update(statement.excluded)
        )
    elif conflict is not None:
        statement = statement.on_conflict_do_nothing(index_elements=conflict)
    connection = session.connection()
    if on_postgres:
        # The statement binds no values (it selects from the staged rows). Run as an Insert
        # construct, SQLAlchemy drives psycopg so that the row count comes back as -1.
        sql = str(statement.compile(dialect=connection.dialect))
        return int(connection.exec_driver_sql(sql).rowcount)
    return int(connection.execute(statement, list(rows)).rowcount)


def stage_rows(
    session: Session, target: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Any:
    """COPY `rows` (the values of `names`, columns of `target`) into a temporary twin of
    `target`, emptied first and gone at commit; returns it as a table to select from.
    PostgreSQL only."""
    name = f"{target.name}_incoming"
    connection = session.connection()
    connection.execute(
        text(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{name}" '
            f'(LIKE "{target.name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
        )
    )
    connection.execute(text(f'TRUNCATE "{name}"'))
    columns = ", ".join(f'"{column_name}"' for column_name in names)
    driver = connection.connection.driver_connection
    statement = f'COPY "{name}" ({columns}) FROM STDIN (FORMAT BINARY)'
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        # Binary COPY is some six times faster to write than text; it needs each type named.
        copy.set_types([_binary_type(target.c[column_name]) for column_name in names])
        write_row = copy.write_row
        for row in rows:
            write_row(row)
    return table(name, *[column(column_name) for column_name in names])


def _binary_type(column: Column[Any]) -> str:
    """The PostgreSQL type name psycopg needs to write `column` in binary COPY."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Uuid):
        return "uuid"
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Float):
        return "float8"
    if isinstance(kind, String):  # VARCHAR, TEXT, and enums stored as VARCHAR
        return "text" if isinstance(kind, Text) else "varchar"
    owner = getattr(getattr(column, "table", None), "name", "staging")
    raise TypeError(f"no binary COPY type for {owner}.{column.name} ({kind!r})")
