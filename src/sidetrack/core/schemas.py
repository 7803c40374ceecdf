"""Bases and field types shared by every domain's Pydantic schemas."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    field_validator,
)

# The largest value a PostgreSQL INTEGER column holds; SQLite would store more, so check here.
INT32_MAX = 2**31 - 1


class ReadModel(BaseModel):
    """Output built from an ORM row with `model_validate(row)`.

    Read models declare only columns, never relationships: those load lazy="raise", and a
    column not declared here (an OAuth token, say) can never leak into a response.
    """

    model_config = ConfigDict(from_attributes=True)


def unstorable(value: Any) -> str | None:
    """Why no database column could hold `value` (or one inside it), or None if any could.

    PostgreSQL text cannot hold NUL, no UTF-8 column holds an unpaired surrogate (JSON's
    "\\ud800"), and an aware datetime near year 1 or 9999 may not exist in UTC, where it is
    stored. Refused as input, these are a 422 naming the field instead of a database error.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL (\\u0000) characters"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "must be valid Unicode (no unpaired surrogates)"
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                return "is out of range once converted to UTC"
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key) or unstorable(item)
            if problem:
                return problem
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = unstorable(item)
            if problem:
                return problem
    return None


class WriteModel(BaseModel):
    """Input for a create or a PATCH-style update.

    Unknown keys are refused, so a misspelt or read-only field fails loudly instead of being
    silently dropped; NaN and infinity are refused because they poison averages and scores;
    text and times no database can store are refused (see `unstorable`).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = unstorable(value)
        if problem:
            raise ValueError(problem)
        return value


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not set to null")
    return value


# For update fields whose column is NOT NULL: leaving the field out keeps the stored value,
# an explicit null would only fail later at the database. The default None is not validated.
NotNull = AfterValidator(_refuse_null)

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    try:
        return str(_HTTP_URL.validate_python(value))
    except ValueError:
        raise ValueError("must be an http:// or https:// URL") from None


# Stored and returned as a plain string; only http(s) so a link can never be javascript:.
HttpUrlStr = Annotated[
    str,
    AfterValidator(_http_url),
    Field(json_schema_extra={"format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}),
]

# Counts and durations in an INTEGER column.
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
