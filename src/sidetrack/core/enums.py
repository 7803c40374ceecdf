"""Helpers for storing Python enums as portable, CHECK-constrained strings."""

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


def string_enum(enum_class: type[StrEnum], name: str) -> SAEnum:
    """A VARCHAR column with a CHECK on the enum's values: portable, and cheap to extend."""
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
