"""A ListenBrainz-compatible API under /1, so scrobblers built for ListenBrainz work unchanged.

Supported: POST /1/submit-listens (single, playing_now, import), GET /1/validate-token,
GET /1/user/{name}/listens and GET /1/user/{name}/playing-now, authenticated with
`Authorization: Token <member token>` (`sidetrack users token HANDLE`).

Requests are checked exactly as ListenBrainz checks them (api.py and api_tools.py of
listenbrainz-server): the same limits, order of checks, status codes and messages, and errors
in ListenBrainz's body, `{"code": <status>, "error": "<message>"}`, not Sidetrack's usual one.
Nothing is stored unless the whole request is valid. Plays go through `ingest_listens`, once per
request, so a resubmitted listen merges with the stored one; `playing_now` is not a play and
only replaces the member's row in `playing_now`.
"""

import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.routing import Match

from sidetrack.catalog.models import Album, Track
from sidetrack.core.http import DbSession
from sidetrack.core.types import utcnow
from sidetrack.listening.models import ListenEvent, PlayingNow
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import User
from sidetrack.users.service import user_by_member_token

#: ListenBrainz's limits (listenbrainz/webserver/views/api_tools.py).
MAX_LISTEN_SIZE = 10_240  # bytes per listen, counted over the whole body
MAX_LISTENS_PER_REQUEST = 1000
MAX_PAYLOAD_SIZE = MAX_LISTEN_SIZE * MAX_LISTENS_PER_REQUEST  # 10,240,000 bytes
MAX_TAGS_PER_LISTEN = 50
MAX_TAG_SIZE = 64
MAX_DURATION = 24 * 24 * 60 * 60  # 24 days, in seconds
MAX_DURATION_MS = MAX_DURATION * 1000
MIN_LISTENED_AT = 1033410600  # ListenBrainz's floor (it calls it 2002-10-01)
LISTENED_AT_SKEW = 3600  # listened_at may be up to an hour ahead of the server's clock
DEFAULT_ITEMS_PER_GET = 25
MAX_ITEMS_PER_GET = 1000
PLAYING_NOW_MAX_DURATION = timedelta(minutes=10)  # when the track's length is not given

LISTEN_TYPES = ("single", "playing_now", "import")
SINGLE_MBID_KEYS = ("release_mbid", "recording_mbid", "release_group_mbid", "track_mbid")
MULTIPLE_MBID_KEYS = ("artist_mbids", "work_mbids")

# Static, generous rate-limit headers: clients built for ListenBrainz read them to pace
# themselves, and Sidetrack does not limit members' scrobbling.
RATE_LIMIT = 1000
RATE_LIMIT_WINDOW = 10  # seconds

_SPOTIFY_TRACK = re.compile(
    r"(?:open\.spotify\.com/(?:intl-[a-z-]+/)?track/|spotify:track:)([0-9A-Za-z]{22})"
)
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
# recording_msid of plays that came without one: stable per catalog track.
_MSID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sidetrack.invalid/recording-msid")


class ListenBrainzError(Exception):
    """An error answered the way ListenBrainz answers: status, and {"code", "error"}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad_request(message: str) -> NoReturn:
    raise ListenBrainzError(400, message)


def rate_limit_headers() -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": str(RATE_LIMIT - 1),
        "X-RateLimit-Reset-In": str(RATE_LIMIT_WINDOW),
        "X-RateLimit-Reset": str(int(time.time()) + RATE_LIMIT_WINDOW),
    }


async def listenbrainz_error_handler(_request: Request, error: Exception) -> JSONResponse:
    """Install with app.add_exception_handler(ListenBrainzError, …); only /1 raises these."""
    assert isinstance(error, ListenBrainzError)
    return JSONResponse(
        status_code=error.status,
        content={"code": error.status, "error": error.message},
        headers=rate_limit_headers(),
    )


def _add_rate_limit_headers(response: Response) -> None:
    response.headers.update(rate_limit_headers())


router = APIRouter(tags=["listenbrainz"], dependencies=[Depends(_add_rate_limit_headers)])


# --- Submissions: parsing and validation ---------------------------------------------------


def parse_submission(raw: bytes | None, now: int) -> tuple[str, list[dict[str, Any]]]:
    """The listen type and the validated listens of a submit-listens body, or a 400.

    `raw` is None when the body was larger than MAX_PAYLOAD_SIZE (it is not read further).
    The listens come back normalised: names stripped, empty or null MBIDs and release names
    dropped, listened_at and durations made integers.
    """
    if raw is None:
        _bad_request(f"Payload too large. Payload cannot exceed {MAX_PAYLOAD_SIZE} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        _bad_request(f"Cannot parse JSON document: {error}")
    if not isinstance(data, dict):
        _bad_request(
            "Invalid JSON document submitted. Top level of JSON document should be a json object."
        )
    if "payload" not in data:
        _bad_request("Invalid JSON document submitted.")
    payload = data["payload"]
    if not isinstance(payload, list):
        _bad_request("The payload in the JSON document should be a list of listens.")
    if not payload:
        _bad_request("JSON document does not contain any listens")
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        _bad_request(
            f"Too many listens. You may not submit more than {MAX_LISTENS_PER_REQUEST} "
            "listens at once."
        )
    if len(raw) > len(payload) * MAX_LISTEN_SIZE:
        _bad_request(
            f"JSON document is too large. Each listens may not be larger than "
            f"{MAX_LISTEN_SIZE} bytes."
        )
    if "listen_type" not in data:
        _bad_request("Invalid JSON document submitted.")
    listen_type = data["listen_type"]
    if not isinstance(listen_type, str) or listen_type not in LISTEN_TYPES:
        _bad_request("JSON document requires a valid listen_type key.")
    if listen_type != "import" and len(payload) > 1:
        _bad_request(
            "JSON document contains more than listen for a single/playing_now. "
            "It should contain only one."
        )
    return listen_type, [validate_listen(listen, listen_type, now) for listen in payload]


def validate_listen(listen: Any, listen_type: str, now: int) -> dict[str, Any]:
    """One listen checked in ListenBrainz's order; returns it normalised, or raises a 400."""
    if listen is None:
        _bad_request("Listen is empty and cannot be validated.")
    if not isinstance(listen, dict):
        _bad_request("Invalid JSON document submitted.")
    listen = checked = dict(listen)
    if listen_type == "playing_now":
        if "listened_at" in listen:
            _bad_request("JSON document must not contain listened_at while submitting playing_now.")
        if "track_metadata" not in listen:
            _bad_request("JSON document must contain the key track_metadata at the top level.")
        if len(listen) > 1:
            _bad_request(
                "JSON document may only contain track_metadata as top level key when "
                "submitting playing_now."
            )
    else:
        listen["listened_at"] = _listened_at(listen, now)
        if "track_metadata" not in listen:
            _bad_request("JSON document must contain the key track_metadata at the top level.")
        if len(listen) > 2:
            _bad_request(
                "JSON document may only contain listened_at and track_metadata top level keys"
            )

    metadata = listen["track_metadata"]
    if metadata is None:
        _bad_request("JSON document may not have track_metadata with null value.")
    if not isinstance(metadata, dict):
        _bad_request("track_metadata must be a JSON object.")
    metadata = listen["track_metadata"] = dict(metadata)
    for key in ("track_name", "artist_name"):
        if key not in metadata:
            _bad_request(f"JSON document does not contain required field track_metadata.{key}.")
        metadata[key] = _name(metadata[key], key)
    if metadata.get("release_name") is None:
        metadata.pop("release_name", None)
    else:
        metadata["release_name"] = _name(metadata["release_name"], "release_name", required=False)
        if not metadata["release_name"]:
            del metadata["release_name"]

    if "additional_info" in metadata:
        info = metadata["additional_info"]
        if info is None:
            del metadata["additional_info"]
        elif not isinstance(info, dict):
            _bad_request("track_metadata.additional_info must be a JSON object.")
        else:
            metadata["additional_info"] = _additional_info(dict(info))

    for text in _strings(checked):
        if "\x00" in text:
            _bad_request(f"{text} contains a unicode null")
    return checked


def _listened_at(listen: dict[str, Any], now: int) -> int:
    if "listened_at" not in listen:
        _bad_request("JSON document must contain the key listened_at at the top level.")
    try:
        # ListenBrainz coerces with int(): 1.7e9 and "1700000000" are accepted.
        listened_at = int(listen["listened_at"])
    except (ValueError, TypeError, OverflowError):
        _bad_request("JSON document must contain an int value for listened_at.")
    if listened_at >= now + LISTENED_AT_SKEW:
        _bad_request("Value for key listened_at is too high.")
    if listened_at < MIN_LISTENED_AT:
        _bad_request(
            "Value for key listened_at is too low. listened_at timestamp should be greater "
            f"than {MIN_LISTENED_AT} (2002-10-01 00:00:00 UTC)."
        )
    return listened_at


def _name(value: Any, key: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        _bad_request(f"track_metadata.{key} must be a single string.")
    name: str = value.strip()
    if required and not name:
        _bad_request(f"field track_metadata.{key} is empty.")
    return name


def _additional_info(info: dict[str, Any]) -> dict[str, Any]:
    if "tags" in info:
        tags = info["tags"]
        if tags is None:
            del info["tags"]
        elif not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            _bad_request("track_metadata.additional_info.tags must be a list of strings.")
        elif len(tags) > MAX_TAGS_PER_LISTEN:
            _bad_request(
                f"JSON document may not contain more than {MAX_TAGS_PER_LISTEN} items in "
                "track_metadata.additional_info.tags."
            )
        elif any(len(tag) > MAX_TAG_SIZE for tag in tags):
            _bad_request(
                "JSON document may not contain track_metadata.additional_info.tags longer "
                f"than {MAX_TAG_SIZE} characters."
            )
    if "duration" in info and "duration_ms" in info:
        _bad_request("JSON document should not contain both duration and duration_ms.")
    for key, limit in (("duration", MAX_DURATION), ("duration_ms", MAX_DURATION_MS)):
        if key in info:
            info[key] = _duration(info[key], key, limit)
    for key in SINGLE_MBID_KEYS:
        if key in info:
            if not info[key]:
                del info[key]
            elif not _is_uuid(info[key]):
                _bad_request(f"{key} MBID format invalid.")
    for key in MULTIPLE_MBID_KEYS:
        if key in info:
            mbids = info[key]
            if not mbids:
                del info[key]
                continue
            if not isinstance(mbids, list):
                _bad_request(f"{key} MBID format invalid.")
            mbids = [mbid for mbid in mbids if mbid]
            if not all(_is_uuid(mbid) for mbid in mbids):
                _bad_request(f"{key} MBID format invalid.")
            info[key] = mbids
    return info


def _duration(value: Any, key: str, limit: int) -> int:
    invalid = f"Value for {key} is invalid, should be a positive integer."
    try:
        duration = int(value)
    except (ValueError, TypeError, OverflowError):
        _bad_request(invalid)
    if duration <= 0:
        _bad_request(invalid)
    if duration > limit:
        _bad_request(f"Value for {key} is too large, max permitted value is {limit}")
    return duration


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- Submissions: storing -------------------------------------------------------------------


def _canonical_uuid(value: Any) -> str | None:
    return str(uuid.UUID(value)) if _is_uuid(value) else None


def _spotify_track_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    found = _SPOTIFY_TRACK.search(value)
    return found.group(1) if found else None


def _isrc(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    isrc = value.replace("-", "").strip().upper()
    return isrc if _ISRC.fullmatch(isrc) else None


def _duration_ms(info: dict[str, Any]) -> int | None:
    if "duration_ms" in info:
        return int(info["duration_ms"])
    if "duration" in info:
        return int(info["duration"]) * 1000
    return None


def to_record(listen: dict[str, Any]) -> ListenRecord:
    """A validated single/import listen as the source-neutral play that ingest stores."""
    metadata = listen["track_metadata"]
    info: dict[str, Any] = metadata.get("additional_info") or {}
    artist_mbids = info.get("artist_mbids") or []
    return ListenRecord(
        artist_name=metadata["artist_name"],
        track_title=metadata["track_name"],
        album_title=metadata.get("release_name"),
        played_at=datetime.fromtimestamp(listen["listened_at"], UTC),
        source=ListenSource.LISTENBRAINZ,
        duration_ms=_duration_ms(info),
        recording_mbid=_canonical_uuid(info.get("recording_mbid")),
        release_mbid=_canonical_uuid(info.get("release_mbid")),
        artist_mbid=_canonical_uuid(artist_mbids[0]) if artist_mbids else None,
        spotify_track_id=_spotify_track_id(info.get("spotify_id")),
        isrc=_isrc(info.get("isrc")),
        source_id=_canonical_uuid(info.get("recording_msid")),
    )


def _set_playing_now(
    session: Session, user_id: uuid.UUID, metadata: dict[str, Any], now: datetime
) -> None:
    info = metadata.get("additional_info") or {}
    length = _duration_ms(info)
    expires_at = now + (timedelta(milliseconds=length) if length else PLAYING_NOW_MAX_DURATION)
    row = {"user_id": user_id, "track_metadata": metadata, "expires_at": expires_at}
    if session.get_bind().dialect.name == "postgresql":
        statement: Any = postgresql.insert(PlayingNow).values(row)
    else:
        statement = sqlite.insert(PlayingNow).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "track_metadata": statement.excluded.track_metadata,
            "expires_at": statement.excluded.expires_at,
        },
    )
    session.execute(statement)


# --- Authentication and members -------------------------------------------------------------


def _submitter(session: Session, request: Request) -> User:
    header = request.headers.get("Authorization")
    if not header:
        raise ListenBrainzError(401, "You need to provide an Authorization header.")
    parts = header.split()
    if len(parts) < 2:
        raise ListenBrainzError(401, "Provided Authorization header is invalid.")
    user = user_by_member_token(session, parts[1])
    if user is None:
        raise ListenBrainzError(401, "Invalid authorization token.")
    return user


def _caller(session: Session, request: Request) -> User | None:
    """Whoever a read is made by, if it carries a valid member token (it need not)."""
    parts = (request.headers.get("Authorization") or "").split()
    if len(parts) < 2 or parts[0].lower() != "token":
        return None
    return user_by_member_token(session, parts[1])


def _visible_member(session: Session, request: Request, name: str) -> User:
    """The member with this handle, unless their listening is private and the caller not them.

    A private member is answered exactly like an unknown one, so their existence is not told.
    """
    user = session.scalar(select(User).where(User.handle == name))
    if user is not None and user.listening_private:
        caller = _caller(session, request)
        if caller is None or caller.id != user.id:
            user = None
    if user is None:
        raise ListenBrainzError(404, f"Cannot find user: {name}")
    return user


# --- Reading listens ------------------------------------------------------------------------


def _int_arg(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        _bad_request(f"Invalid {name} argument: {value}")


# Unix seconds that datetime can represent on every platform.
_LATEST_TS = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(min(max(seconds, 0), _LATEST_TS), UTC)


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


_LISTEN_COLUMNS = (
    ListenEvent.played_at,
    ListenEvent.created_at,
    ListenEvent.source,
    ListenEvent.source_id,
    Track.id.label("track_id"),
    Track.title.label("track_title"),
    Track.artist_name,
    Track.duration_ms,
    Track.musicbrainz_id.label("recording_mbid"),
    Track.spotify_id,
    Track.isrc,
    Album.title.label("album_title"),
    Album.musicbrainz_id.label("release_mbid"),
)


def fetch_listens(
    session: Session, user_id: uuid.UUID, min_ts: int | None, max_ts: int | None, count: int
) -> list[Row[Any]]:
    """A page of a member's plays with their tracks and albums, in one query, newest first.

    Bounds are exclusive and in whole seconds, as ListenBrainz's are. With min_ts, the page is
    the `count` plays just after it (ListenBrainz reads upwards from min_ts), else the `count`
    plays just before max_ts (or the latest).
    """
    query = (
        select(*_LISTEN_COLUMNS)
        .join(Track, Track.id == ListenEvent.track_id)
        .join(Album, Album.id == Track.album_id)
        .where(ListenEvent.user_id == user_id)
    )
    if min_ts:
        # listened_at is played_at in whole seconds: listened_at > min_ts ⇔ played_at ≥ min_ts+1.
        query = query.where(ListenEvent.played_at >= _at(min_ts + 1))
    if max_ts:
        query = query.where(ListenEvent.played_at < _at(max_ts))
    if min_ts:
        query = query.order_by(ListenEvent.played_at, ListenEvent.track_id)
    else:
        query = query.order_by(ListenEvent.played_at.desc(), ListenEvent.track_id.desc())
    rows = list(session.execute(query.limit(count)))
    if min_ts:
        rows.reverse()
    return rows


def _recording_msid(row: Row[Any]) -> str:
    if row.source == ListenSource.LISTENBRAINZ and row.source_id and _is_uuid(row.source_id):
        return str(row.source_id)
    return str(uuid.uuid5(_MSID_NAMESPACE, str(row.track_id)))


def listen_json(row: Row[Any], user_name: str) -> dict[str, Any]:
    """One stored play in ListenBrainz's shape, with the ids Sidetrack knows for it."""
    msid = _recording_msid(row)
    info: dict[str, Any] = {"recording_msid": msid}
    if row.recording_mbid:
        info["recording_mbid"] = row.recording_mbid
    if row.release_mbid:
        info["release_mbid"] = row.release_mbid
    if row.isrc:
        info["isrc"] = row.isrc
    if row.spotify_id:
        info["spotify_id"] = f"https://open.spotify.com/track/{row.spotify_id}"
    if row.duration_ms:
        info["duration_ms"] = row.duration_ms
    metadata: dict[str, Any] = {"artist_name": row.artist_name, "track_name": row.track_title}
    if row.album_title:  # album-less plays sit on an untitled album
        metadata["release_name"] = row.album_title
    metadata["additional_info"] = info
    return {
        "listened_at": _timestamp(row.played_at),
        "inserted_at": _timestamp(row.created_at),
        "recording_msid": msid,
        "user_name": user_name,
        "track_metadata": metadata,
    }


# --- Routes ---------------------------------------------------------------------------------


async def _body(request: Request) -> bytes | None:
    """The raw body, whatever its Content-Type; None once it exceeds MAX_PAYLOAD_SIZE."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_PAYLOAD_SIZE:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PAYLOAD_SIZE:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["listen_type", "payload"],
                    "properties": {
                        "listen_type": {"type": "string", "enum": list(LISTEN_TYPES)},
                        "payload": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_LISTENS_PER_REQUEST,
                            "items": {"type": "object"},
                        },
                    },
                }
            }
        },
    }
}


@router.post("/submit-listens", openapi_extra=_SUBMIT_BODY)
def submit_listens(
    request: Request, session: DbSession, body: Annotated[bytes | None, Depends(_body)]
) -> dict[str, str]:
    """Submit plays (`single`, `import` of up to 1000) or what is playing now (`playing_now`).

    Authorization: `Token <member token>`. Errors: 400 invalid payload, 401 bad token, with
    ListenBrainz's `{"code", "error"}` body. Resubmitting a play does not store it twice.
    """
    user = _submitter(session, request)
    now = utcnow()
    listen_type, listens = parse_submission(body, int(now.timestamp()))
    if listen_type == "playing_now":
        _set_playing_now(session, user.id, listens[0]["track_metadata"], now)
    else:
        result = ingest_listens(session, user.id, [to_record(listen) for listen in listens])
        if result.rejected:
            # Raising rolls the request's transaction back: none of the batch is kept.
            first = result.rejected[0]
            _bad_request(f"Listen {first.index} was refused: {first.reason}.")
    return {"status": "ok"}


@router.get("/validate-token")
def validate_token(request: Request, session: DbSession) -> dict[str, Any]:
    """Whether a member token is valid: HTTP 200 either way. Header or `?token=`; none: 400."""
    header = request.headers.get("Authorization") or ""
    parts = header.split()
    if len(parts) >= 2 and parts[0].lower() == "token":
        token = parts[1]
    else:
        token = request.query_params.get("token", "")
    if not token:
        _bad_request("You need to provide an Authorization token.")
    user = user_by_member_token(session, token)
    if user is None:
        return {"code": 200, "message": "Token invalid.", "valid": False}
    return {"code": 200, "message": "Token valid.", "valid": True, "user_name": user.handle}


@router.get("/user/{user_name}/listens")
def get_listens(request: Request, session: DbSession, user_name: str) -> dict[str, Any]:
    """A member's plays, newest first: `count` (default 25, at most 1000), `min_ts`, `max_ts`.

    Bounds are exclusive Unix seconds. Private members are unknown (404) except to themselves.
    """
    user = _visible_member(session, request, user_name)
    max_ts = _int_arg(request, "max_ts")
    min_ts = _int_arg(request, "min_ts")
    if max_ts and min_ts and max_ts < min_ts:
        _bad_request("max_ts should be greater than min_ts")
    count = min(_int_arg(request, "count", DEFAULT_ITEMS_PER_GET) or 0, MAX_ITEMS_PER_GET)
    if count < 0:
        _bad_request("Number of items requested should be positive")
    if min_ts and max_ts and min_ts >= max_ts:
        _bad_request("min_ts should be less than max_ts")

    oldest, latest = session.execute(
        select(func.min(ListenEvent.played_at), func.max(ListenEvent.played_at)).where(
            ListenEvent.user_id == user.id
        )
    ).one()
    rows = fetch_listens(session, user.id, min_ts, max_ts, count)
    listens = [listen_json(row, user_name) for row in rows]
    return {
        "payload": {
            "count": len(listens),
            "user_id": user_name,
            "listens": listens,
            "latest_listen_ts": _timestamp(latest) if latest else 0,
            "oldest_listen_ts": _timestamp(oldest) if oldest else 0,
        }
    }


@router.get("/user/{user_name}/playing-now")
def get_playing_now(request: Request, session: DbSession, user_name: str) -> dict[str, Any]:
    """What the member is playing now, if their last `playing_now` has not expired."""
    user = _visible_member(session, request, user_name)
    metadata = session.scalar(
        select(PlayingNow.track_metadata).where(
            PlayingNow.user_id == user.id, PlayingNow.expires_at > utcnow()
        )
    )
    listens = (
        [{"track_metadata": metadata, "user_name": user_name, "playing_now": True}]
        if metadata is not None
        else []
    )
    return {
        "payload": {
            "count": len(listens),
            "user_id": user_name,
            "playing_now": True,
            "listens": listens,
        }
    }


@router.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
    response_model=None,
)
def unsupported(request: Request, path: str) -> NoReturn:
    """Anything else under /1 gets ListenBrainz's error body too (404, or 405 on a known path)."""
    for route in router.routes:
        if getattr(route, "endpoint", None) is unsupported:
            continue
        scope = dict(request.scope, path="/" + path)
        if route.matches(scope)[0] == Match.PARTIAL:
            raise ListenBrainzError(405, "The method is not allowed for the requested URL.")
    raise ListenBrainzError(
        404,
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again.",
    )
