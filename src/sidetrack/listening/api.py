"""HTTP delivery for listening under /api: bulk ingest, a member's history and statistics."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from sidetrack.catalog.schemas import Isrc, MusicBrainzId
from sidetrack.connectors.files import read_listens_from_bytes
from sidetrack.core.errors import PayloadTooLarge
from sidetrack.core.http import DbSession, error_responses
from sidetrack.core.schemas import NonNegativeInt32, NotNull, WriteModel
from sidetrack.listening import queries
from sidetrack.listening.records import ListenRecord, ListenSource, ReadReport
from sidetrack.listening.schemas import ListeningStats, ListenPage, StatsRangeName
from sidetrack.listening.service import import_export_file, ingest_listens
from sidetrack.listening.settings import update_own_listening_settings
from sidetrack.users.api import ListensWriter, Viewer
from sidetrack.users.schemas import Timezone

router = APIRouter(tags=["listening"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ListenIn(WriteModel):
    artist_name: Name
    track_title: Name
    played_at: AwareDatetime = Field(description="When the play STARTED.")
    source: ListenSource
    album_title: Name | None = None
    duration_ms: NonNegativeInt32 | None = None
    ms_played: NonNegativeInt32 | None = None
    # Canonical ids (lower-case UUIDs, upper-case ISRCs), as the catalog's unique ids need.
    recording_mbid: MusicBrainzId | None = None
    release_mbid: MusicBrainzId | None = None
    spotify_track_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{22}$")] | None = None
    isrc: Isrc | None = None
    source_id: Annotated[str, StringConstraints(max_length=128)] | None = None


@dataclass(frozen=True)
class InvalidListen:
    """A row of a bulk request that failed validation: reported by index, never stored."""

    reason: str


def _keep_invalid(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    """Validate one row as a ListenIn; a bad row becomes an InvalidListen instead of refusing
    the whole batch, so every valid row is kept. The OpenAPI schema stays ListenIn's."""
    try:
        return validate(value)
    except ValidationError as error:
        return InvalidListen(
            "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'row'}: {problem['msg']}"
                for problem in error.errors()
            )
        )


class BulkListens(WriteModel):
    user_id: uuid.UUID
    # Each item is a ListenIn, or an InvalidListen where that row did not validate.
    listens: list[Annotated[ListenIn, WrapValidator(_keep_invalid)]] = Field(max_length=10_000)


class RejectedListen(BaseModel):
    index: int
    reason: str


class IngestCounts(BaseModel):
    received: int
    inserted: int
    duplicates: int
    rejected: list[RejectedListen]


@router.post("/listens/bulk", responses=error_responses(401, 403, 404))
def bulk_listens(body: BulkListens, session: DbSession, _token: ListensWriter) -> IngestCounts:
    """Store a batch of a member's plays in one transaction; the same play is stored once.

    A row that does not validate, or that ingest refuses, is listed in `rejected` by its index
    and reason; every other row is stored.
    """
    rejected: list[RejectedListen] = []
    positions: list[int] = []  # the request index of each record handed to ingest
    records: list[ListenRecord] = []
    for index, listen in enumerate(body.listens):
        if isinstance(listen, InvalidListen):
            rejected.append(RejectedListen(index=index, reason=listen.reason))
            continue
        positions.append(index)
        records.append(
            ListenRecord(
                artist_name=listen.artist_name,
                track_title=listen.track_title,
                played_at=listen.played_at.astimezone(UTC),
                source=listen.source,
                album_title=listen.album_title,
                duration_ms=listen.duration_ms,
                ms_played=listen.ms_played,
                recording_mbid=listen.recording_mbid,
                release_mbid=listen.release_mbid,
                spotify_track_id=listen.spotify_track_id,
                isrc=listen.isrc,
                source_id=listen.source_id,
            )
        )
    result = ingest_listens(session, body.user_id, records)
    rejected.extend(
        RejectedListen(index=positions[r.index], reason=r.reason) for r in result.rejected
    )
    return IngestCounts(
        received=len(body.listens),
        inserted=result.inserted,
        duplicates=result.duplicates,
        rejected=sorted(rejected, key=lambda r: r.index),
    )


@router.get("/users/{user_id}/listens", responses=error_responses(401, 403, 404))
def list_listens(
    user_id: uuid.UUID,
    session: DbSession,
    viewer: Viewer,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ListenPage:
    """A member's plays, newest first; follow `next_cursor` for older ones."""
    return queries.list_listens(session, user_id, viewer, cursor, limit)


@router.get("/users/{user_id}/stats", responses=error_responses(401, 403, 404))
def listening_stats(
    user_id: uuid.UUID,
    session: DbSession,
    viewer: Viewer,
    range_name: Annotated[StatsRangeName, Query(alias="range")] = "month",
    start: Annotated[date | None, Query(alias="from", description="First local day.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last local day.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Length of top lists.")] = 10,
) -> ListeningStats:
    """Top artists, albums and tracks, totals, plays per day and hour, new artists.

    Days and hours are the member's own (their time zone). Private listening: 403 to others.
    """
    return queries.listening_stats(
        session, user_id, viewer, range_name, start, end, limit, now=datetime.now(UTC)
    )


class ListeningSettingsUpdate(WriteModel):
    timezone: Annotated[Timezone | None, NotNull] = Field(
        None, description="IANA zone that days and hours are counted in, e.g. Asia/Tokyo."
    )
    listening_private: Annotated[bool | None, NotNull] = Field(
        None, description="When true, history and statistics answer 403 to anyone else."
    )


class ListeningSettings(BaseModel):
    timezone: str
    listening_private: bool


@router.patch("/users/{user_id}/listening-settings", responses=error_responses(401, 403, 404))
def change_listening_settings(
    user_id: uuid.UUID, body: ListeningSettingsUpdate, session: DbSession, viewer: Viewer
) -> ListeningSettings:
    """Set your own time zone and/or make your listening private, with your own token.

    A new time zone recounts your statistics' days and hours in it.
    """
    user = update_own_listening_settings(
        session,
        user_id,
        viewer,
        timezone=body.timezone,
        listening_private=body.listening_private,
    )
    return ListeningSettings(timezone=user.timezone, listening_private=user.listening_private)


class ImportReport(BaseModel):
    files: int
    read: int
    imported: int
    duplicates: int
    skipped: dict[str, int] = Field(description="Plays not imported, by reason.")
    errors: list[dict[str, str]] = Field(description="{file, position, reason} of bad rows.")
    error_count: int = Field(description="All bad rows; `errors` lists the first 1,000.")
    ignored: dict[str, str] = Field(description="Files in a zip that hold no plays, and why.")


MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@router.post("/users/{user_id}/imports", responses=error_responses(401, 403, 404, 413))
def upload_import(
    user_id: uuid.UUID, file: UploadFile, session: DbSession, viewer: Viewer
) -> ImportReport:
    """Import an export file or zip (Spotify, Last.fm, ListenBrainz), with your own token.

    The format is recognised from the content. The same summary as `sidetrack import`.
    """
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            "Uploads are limited to 512 MB; import larger histories with `sidetrack import`",
            details={"file": "larger than 512 MB"},
        )
    report = ReadReport()
    records = read_listens_from_bytes(file.filename or "upload", data, report)
    summary = import_export_file(session, user_id, viewer, records, report)
    return ImportReport(**summary.as_dict())
