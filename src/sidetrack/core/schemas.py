"""Bases and field types shared by every domain's Pydantic schemas."""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter

# The largest value a PostgreSQL INTEGER column holds; SQLite would store more, so check here.
INT32_MAX = 2**31 - 1


class ReadModel(BaseModel):
    """Output built from an ORM row with `model_validate(row)`.

    Read models declare only columns, never relationships: those load lazy="raise", and a
    column not declared here (an OAuth token, say) can never leak into a response.
    """

    model_config = ConfigDict(from_attributes=True)


class WriteModel(BaseModel):
    """Input for a create or a PATCH-style update.

    Unknown keys are refused, so a misspelt or read-only field fails loudly instead of being
    silently dropped; NaN and infinity are refused because they poison averages and scores.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
HttpUrlStr = Annotated[str, AfterValidator(_http_url)]

# Counts and durations in an INTEGER column.
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
