"""Alembic migrations build exactly the models' schema, and take it all down again."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sidetrack.core.db import make_engine
from sidetrack.core.migrations import downgrade, upgrade
from sidetrack.models import metadata
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.databases import temporary_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        assert POSTGRES_URL is not None
        with temporary_postgres_database(POSTGRES_URL) as url:
            yield url


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_yields_exactly_the_models_schema(empty_database: str) -> None:
    upgrade(empty_database)
    assert schema_differences(empty_database) == []
    assert table_names(empty_database) == set(metadata.tables) | {"alembic_version"}


def test_an_empty_database_differs_from_the_models(empty_database: str) -> None:
    """The comparison above can fail: before migrating, every table is reported missing."""
    differences = schema_differences(empty_database)
    added = {
        diff[1].name for diff in differences if isinstance(diff, tuple) and diff[0] == "add_table"
    }
    assert added == set(metadata.tables)


def test_downgrade_base_empties_the_database(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert table_names(empty_database) <= {"alembic_version"}
    upgrade(empty_database)  # and the way back up still works
    assert schema_differences(empty_database) == []
