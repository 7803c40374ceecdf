"""Checks shared by the schema tests: refused input names its field; schemas match the tables."""

from typing import Any, TypeVar

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import inspect
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def assert_refused(model: type[BaseModel], data: dict[str, Any], field: str) -> ValidationError:
    """Validating `data` fails, and the failure is reported against `field`."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    locations = [error["loc"] for error in caught.value.errors()]
    assert any(location[:1] == (field,) for location in locations), locations
    return caught.value


def columns(orm_class: type[Any]) -> set[str]:
    return {attribute.key for attribute in inspect(orm_class).column_attrs}


def assert_read_covers(
    read_model: type[BaseModel], orm_class: type[Any], *, omitted: set[str] = frozenset()
) -> None:
    """The read model has every column except those deliberately `omitted`, and nothing else.

    Fails when a column is added to the model but not to its schema (or the other way round).
    """
    assert set(read_model.model_fields) == columns(orm_class) - omitted


def assert_writes_columns(orm_class: type[Any], *models: type[BaseModel]) -> None:
    """Every field of these write models is a column, so model_dump() can be assigned as is."""
    for model in models:
        assert set(model.model_fields) <= columns(orm_class), model.__name__


def saved(session: Session, row: Row) -> Row:
    """Save the row and read it back, so a test sees what the database holds, not its input."""
    session.add(row)
    session.flush()
    session.refresh(row)
    return row
