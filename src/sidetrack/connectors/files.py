"""Readers of the listening-history files people export from Spotify, Last.fm and ListenBrainz.

Each file is recognised from its content, never its name, and read row by row into
ListenRecords, lazily: one file (or zip member) is parsed at a time, so memory stays bounded
however long the history. Plays that are not music, or too short to count, are skipped and
counted by reason; a row that cannot be read becomes a RecordProblem and the import goes on.
Nothing here touches the database: deduplication and matching are the ingest's job.

Times follow our convention: `played_at` is the START of the play in UTC. Spotify stamps the
end of a play (`ts`, `endTime`), so its readers subtract the time played; Last.fm and
ListenBrainz stamp the start.
"""

import codecs
import copy
import csv
import json
import math
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import IO, Any, cast

import msgspec
from isal import isal_zlib

from sidetrack.listening.records import (
    EARLIEST_PLAY,
    FUTURE_SLACK,
    ListenRecord,
    ListenSource,
    ReadReport,
)

# Formats detect_format can name.
SPOTIFY_EXTENDED = "spotify_extended"  # Streaming_History_Audio_*.json, endsong_*.json
SPOTIFY_VIDEO = "spotify_video"  # Streaming_History_Video_*.json: read only to count it
SPOTIFY_ACCOUNT = "spotify_account"  # StreamingHistory*.json (account data, about a year)
LASTFM_CSV = "lastfm_csv"  # lastfm-to-csv (with or without a header), ghan's exporter
LISTENBRAINZ_JSON = "listenbrainz_json"  # the legacy export: one JSON array of listens
LISTENBRAINZ_JSONL = "listenbrainz_jsonl"  # listens/<YYYY>/<M>.jsonl in the user export
ZIP = "zip"  # a zip holding any of the above

# Why a play was skipped (the keys of ReadReport.skipped).
PODCAST = "podcast"
AUDIOBOOK = "audiobook"
VIDEO = "video"
SHORT_PLAY = "short_play"
NO_METADATA = "no_metadata"  # no artist or no title: local files, unavailable tracks
NOW_PLAYING = "now_playing"  # Last.fm's "now playing" row, a ListenBrainz listen with no time

DEFAULT_MIN_PLAY_MS = 30_000
# Play times outside these bounds are clock errors (Last.fm has scrobbles dated 1970).
# One zip member above this is refused: real export files are 10-20 MB.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
# JSON arrays above this are decoded item by item, so their parsed rows never all sit in memory.
LARGE_JSON_CHARS = 32 * 1024 * 1024
MAX_DURATION_MS = 24 * 24 * 3600 * 1000  # ListenBrainz's own bound on a track's length
MAX_SOURCE_ID = 128  # ListenEvent.source_id's column width

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UNKNOWN_EXPORT = "not a listening export we know"


class _BadRow(Exception):
    """A row that cannot be read; the message says why, for a RecordProblem."""


@dataclass(frozen=True, slots=True)
class _Options:
    min_play_ms: int
    latest: datetime  # plays after this are clock errors
    # Names as read → cleaned, shared by the files of one read: the same few thousand
    # recur in every file of an export, so each is cleaned once and kept as one string.
    names: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def make(cls, min_play_ms: int | None) -> "_Options":
        if min_play_ms is None:
            # Imported here: the reading process is always given min_play_ms, and the
            # settings (pydantic-settings, SQLAlchemy's URLs) were a fifth of its start.
            from sidetrack.core.config import get_settings

            min_play_ms = get_settings().import_min_play_seconds * 1000
        if min_play_ms < 0:
            raise ValueError("min_play_ms cannot be negative")
        return cls(min_play_ms=min_play_ms, latest=datetime.now(UTC) + FUTURE_SLACK)


@dataclass(frozen=True, slots=True)
class _Where:
    """The file a user gave, and the member inside it when it is a zip."""

    file: str
    member: str | None = None

    @property
    def name(self) -> str:
        return f"{self.file}/{self.member}" if self.member else self.file

    @property
    def whole(self) -> str:
        return self.member or "file"

    def at(self, kind: str, number: int) -> str:
        return f"{self.member} {kind} {number}" if self.member else f"{kind} {number}"


# --- Public API ---------------------------------------------------------------------------


def detect_format(name: str, data: bytes) -> str | None:
    """Which export `data` is (one of the format names above), or None when we don't know it.

    Decided from the content. The name is used for one thing only: Spotify's video history
    (`Streaming_History_Video_*`) has the same rows as its audio history.
    """
    if data.startswith(_ZIP_MAGIC):
        return ZIP
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return None
    return _detect_text(name, text)[0]


def read_listens(
    paths: Iterable[Path | str], report: ReadReport, *, min_play_ms: int | None = None
) -> Iterator[ListenRecord]:
    """Read each file (plain or zip) in turn, yielding its plays as they are parsed.

    `min_play_ms` defaults to the SIDETRACK_IMPORT_MIN_PLAY_SECONDS setting; it applies to
    Spotify only (Last.fm and ListenBrainz files say nothing of how long a play lasted).
    """
    options = _Options.make(min_play_ms)
    for given in paths:
        yield from _read_path(Path(given), report, options)


def read_listens_from_bytes(
    name: str, data: bytes, report: ReadReport, *, min_play_ms: int | None = None
) -> Iterator[ListenRecord]:
    """Read one uploaded file (plain or zip) held in memory; `name` labels its problems."""
    options = _Options.make(min_play_ms)
    yield from _read_blob(_Where(name), data, report, options, in_archive=False)


# --- Files and zips -------------------------------------------------------------------------


def _read_path(path: Path, report: ReadReport, options: _Options) -> Iterator[ListenRecord]:
    display = str(path)
    if path.is_dir():
        report.problem(display, "file", "is a folder: give the export files (or the zip) in it")
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head.startswith(_ZIP_MAGIC):
            yield from _read_zip(display, path, report, options)
            return
        held = [path.read_bytes()]
    except OSError as error:
        report.problem(display, "file", f"cannot be read: {error.strerror or error}")
        return
    # Handing over the only reference lets _read_blob free the bytes once decoded.
    yield from _read_blob(_Where(display), held.pop(), report, options)


def _read_zip(
    display: str, source: Path | IO[bytes], report: ReadReport, options: _Options
) -> Iterator[ListenRecord]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        report.problem(display, "file", "not a readable zip (damaged or cut off?)")
        return
    files_before = report.files
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            where = _Where(display, info.filename)
            if info.file_size > MAX_MEMBER_BYTES:
                report.problem(display, where.whole, "too large to be an export file; not read")
                continue
            try:
                held = [_unpack(archive, info)]
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, _INFLATE_ERROR) as error:
                report.problem(display, where.whole, f"cannot be unpacked: {error}")
                continue
            except NotImplementedError:
                report.problem(display, where.whole, "compressed in a way we cannot unpack")
                continue
            yield from _read_blob(where, held.pop(), report, options, in_archive=True)
    if report.files == files_before:
        report.problem(display, "file", "no listening export found in this zip")


# isal's stub declares its error class as an instance of Exception.
_INFLATE_ERROR = cast(type[Exception], isal_zlib.error)


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, checked against its CRC. Deflated members (every export we have
    seen) are inflated by ISA-L, twice as fast as zlib: inflating took a fifth of reading a
    1,000,000-play export. zipfile has no way to plug in a decompressor, so it is asked for
    the member's raw bytes, as if they were stored, and they are inflated here."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return archive.read(info)
    raw = copy.copy(info)
    raw.compress_type = zipfile.ZIP_STORED
    raw.file_size = info.compress_size
    del raw.CRC  # the CRC is the inflated bytes', checked below
    with archive.open(raw) as member:
        deflated = member.read()
    data = isal_zlib.decompress(deflated, wbits=-15, bufsize=max(info.file_size, 1))
    if len(data) != info.file_size or isal_zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC or size in {info.filename}")
    return data


def _read_blob(
    where: _Where, data: bytes, report: ReadReport, options: _Options, *, in_archive: bool = False
) -> Iterator[ListenRecord]:
    def unknown(why: str) -> None:
        if in_archive:
            report.ignored[where.name] = why
        else:
            report.problem(where.file, where.whole, f"{_UNKNOWN_EXPORT} ({why})")

    if data.startswith(_ZIP_MAGIC):
        if in_archive:
            unknown("a zip inside the zip; not opened")
        else:
            yield from _read_zip(where.file, BytesIO(data), report, options)
        return
    if _is_spotify_extended(where.name, data):
        # The one export of a million plays: msgspec reads its UTF-8 bytes (checking them)
        # twice as fast as a str, so the whole text is decoded only if that fails.
        report.files += 1
        report.formats[where.name] = SPOTIFY_EXTENDED
        numbered = _spotify_extended_items(data.removeprefix(_UTF8_BOM), where, report)
        del data  # the rows' reader holds the bytes until it has decoded them
        yield from _rows(numbered, _spotify_extended_parser(options), where, report, "item")
        return
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        unknown("not UTF-8 text")
        return
    del data
    fmt, why = _detect_text(where.name, text)
    if fmt is None:
        unknown(why)
        return
    report.files += 1
    report.formats[where.name] = fmt
    if fmt == LISTENBRAINZ_JSONL:
        numbered = _jsonl_items(text, where, report)
        yield from _rows(numbered, _listenbrainz_parser(options), where, report, "line")
    elif fmt == LASTFM_CSV:
        yield from _read_lastfm_csv(text, where, report, options)
    elif fmt == SPOTIFY_EXTENDED:  # too large to decode whole, or in UTF-16
        numbered = _spotify_extended_text_items(text, where, report)
        yield from _rows(numbered, _spotify_extended_parser(options), where, report, "item")
    else:
        parse = {
            SPOTIFY_ACCOUNT: _spotify_account_parser,
            LISTENBRAINZ_JSON: _listenbrainz_parser,
            SPOTIFY_VIDEO: _video_parser,
        }[fmt](options)
        yield from _rows(_json_array_items(text, where, report), parse, where, report, "item")


_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16 = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks of UTF-16


_HEAD_BYTES = 64 * 1024


def _is_spotify_extended(name: str, data: bytes) -> bool:
    """Whether `data` is a Spotify extended history in UTF-8 small enough to decode whole,
    judged from its first 64 KB (ninety-odd rows)."""
    if len(data) > LARGE_JSON_CHARS or data.startswith(_UTF16):
        return False
    # An incremental decoder, so that a character cut at the end of the head is no error.
    try:
        head = _HEAD_DECODER().decode(data[:_HEAD_BYTES], final=len(data) <= _HEAD_BYTES)
    except UnicodeDecodeError:
        return False
    return _detect_text(name, head)[0] == SPOTIFY_EXTENDED


_HEAD_DECODER = codecs.getincrementaldecoder("utf-8-sig")


def _decode(data: bytes) -> str:
    if data.startswith(_UTF16):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


# --- Detection ------------------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_JSON = msgspec.json.Decoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SAMPLE_ITEMS = 10


def _skip_space(text: str, position: int = 0) -> int:
    """The first position at or after `position` that is not JSON white space."""
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _detect_text(name: str, text: str) -> tuple[str | None, str]:
    """The format of a decoded file, or None and why not."""
    start = _skip_space(text)
    if start == len(text):
        return None, "the file is empty"
    why = "not Spotify, Last.fm or ListenBrainz data"
    if text[start] == "[":
        fmt, why = _detect_json_array(name, text, start)
        if fmt:
            return fmt, ""
    elif text[start] == "{" and _looks_like_listen_lines(text, start):
        return LISTENBRAINZ_JSONL, ""
    if _csv_layout(text) is not None:
        return LASTFM_CSV, ""
    return None, why


def _classify(item: object) -> str | None:
    if not isinstance(item, dict):
        return None
    if "ts" in item and ("ms_played" in item or "master_metadata_track_name" in item):
        return SPOTIFY_EXTENDED
    if "endTime" in item and "msPlayed" in item:
        return SPOTIFY_ACCOUNT
    if "listened_at" in item and isinstance(item.get("track_metadata"), dict):
        return LISTENBRAINZ_JSON
    return None


def _detect_json_array(name: str, text: str, start: int) -> tuple[str | None, str]:
    position = _skip_space(text, start + 1)
    if text.startswith("]", position):
        return None, "an empty list: no plays in it"
    for _ in range(_SAMPLE_ITEMS):
        try:
            item, position = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError):
            return None, "a JSON list we cannot read"
        fmt = _classify(item)
        if fmt == SPOTIFY_EXTENDED and _is_video_name(name):
            return SPOTIFY_VIDEO, ""
        if fmt:
            return fmt, ""
        position = _skip_space(text, position)
        if not text.startswith(",", position):
            break
        position = _skip_space(text, position + 1)
    return None, "a JSON list, but not of plays we know"


def _is_video_name(name: str) -> bool:
    return name.rsplit("/", 1)[-1].lower().startswith("streaming_history_video")


def _looks_like_listen_lines(text: str, start: int) -> bool:
    for _, line in zip(range(_SAMPLE_ITEMS), _lines(text, start), strict=False):
        try:
            item = _json_line(line)
        except (ValueError, RecursionError):
            continue
        return _classify(item) == LISTENBRAINZ_JSON
    return False


# --- Rows -----------------------------------------------------------------------------------

_Parsed = ListenRecord | str  # a play, or the reason it was skipped
_Parser = Callable[[Any], _Parsed]  # a row (a dict, or a _SpotifyPlay) → a play or why not


def _rows(
    numbered: Iterable[tuple[int, Any]],
    parse: _Parser,
    where: _Where,
    report: ReadReport,
    kind: str,
) -> Iterator[ListenRecord]:
    skipped = report.skipped
    for number, item in numbered:
        if type(item) is not dict and type(item) is not _SpotifyPlay:
            report.problem(where.file, where.at(kind, number), "not a JSON object")
            continue
        try:
            parsed = parse(item)
        except _BadRow as error:
            report.problem(where.file, where.at(kind, number), str(error))
            continue
        except Exception as error:  # a row must never stop the import
            reason = f"could not be read ({type(error).__name__}: {error})"
            report.problem(where.file, where.at(kind, number), reason)
            continue
        if isinstance(parsed, str):
            skipped[parsed] = skipped.get(parsed, 0) + 1
        else:
            report.read += 1
            yield parsed


def _json_array_items(text: str, where: _Where, report: ReadReport) -> Iterator[tuple[int, Any]]:
    """A JSON array's items, numbered from 1: parsed at once when the file is whole and not huge,
    else item by item, keeping every complete item before a cut or a flaw."""
    if len(text) <= LARGE_JSON_CHARS:
        try:
            # msgspec parses faster than json; what it refuses (NaN, say) is read item by
            # item below, by the standard library.
            items = _JSON.decode(text)
        except (ValueError, RecursionError):
            items = None
        if isinstance(items, list):
            yield from enumerate(items, 1)
            return
    yield from _incremental_items(text, where, report)


def _incremental_items(text: str, where: _Where, report: ReadReport) -> Iterator[tuple[int, Any]]:
    """Decode a JSON array one item at a time, stopping with a problem where it breaks off."""
    end = len(text)
    position = _skip_space(text) + 1  # past the "["
    count = 0

    def stop(position_label: str, reason: str) -> None:
        items = "1 item" if count == 1 else f"{count} items"
        report.problem(where.file, position_label, f"{reason}; the {items} before it were read")

    while True:
        position = _skip_space(text, position)
        if count and position < end and text[position] == ",":
            position = _skip_space(text, position + 1)
            if text.startswith("]", position):  # a trailing comma: tolerated
                position += 1
                break
        elif count and position < end and text[position] != "]":
            stop(where.at("item", count + 1), "a comma is missing before this item")
            return
        if position >= end:
            stop(where.whole, f"the file is cut off after item {count}")
            return
        if text[position] == "]":
            position += 1
            break
        try:
            item, position = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            truncated = error.msg.startswith("Unterminated string") or error.pos >= len(
                text.rstrip()
            )
            reason = "the file is cut off in this item" if truncated else "not valid JSON here"
            stop(where.at("item", count + 1), reason)
            return
        except RecursionError:
            stop(where.at("item", count + 1), "nested too deeply to read")
            return
        count += 1
        yield count, item
    if _skip_space(text, position) < end:
        report.problem(where.file, where.whole, "unexpected text after the list; ignored")


def _lines(text: str, start: int = 0) -> Iterator[str]:
    """Lines split on "\\n" only (a JSON string may hold U+2028, which str.splitlines splits)."""
    end = len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop == -1:
            stop = end
        line = text[start:stop].strip()
        start = stop + 1
        if line:
            yield line


def _json_line(line: str) -> Any:
    """One JSON value: by msgspec, or by the standard library where msgspec refuses what
    Python's json reads (NaN, a lone surrogate escape)."""
    try:
        return _JSON.decode(line)
    except ValueError:
        return json.loads(line)


def _jsonl_items(text: str, where: _Where, report: ReadReport) -> Iterator[tuple[int, Any]]:
    end = len(text)
    start = 0
    number = 0
    while start < end:
        stop = text.find("\n", start)
        if stop == -1:
            stop = end
        line = text[start:stop].strip()
        start = stop + 1
        number += 1
        if not line:
            continue
        try:
            item = _json_line(line)
        except (ValueError, RecursionError):
            report.problem(where.file, where.at("line", number), "not valid JSON (cut off?)")
            continue
        yield number, item


# --- Field normalisation --------------------------------------------------------------------


def _clean(value: object, name: str) -> str | None:
    """Stripped text in NFC, without NUL characters; None when empty or absent."""
    if value is None:
        return None
    if type(value) is not str:
        raise _BadRow(f"{name} is not text")
    text = value.strip()
    if not text:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "").strip()
        if not text:
            return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def _whole_number(value: object, name: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if value is None:
        raise _BadRow(f"{name} is missing")
    raise _BadRow(f"{name} is not a whole number: {value!r:.40}")


def _checked(played_at: datetime, latest: datetime) -> datetime:
    if EARLIEST_PLAY <= played_at <= latest:
        return played_at
    raise _BadRow(f"play time {played_at:%Y-%m-%d %H:%M} UTC cannot be right; not read")


def _from_unix(value: object, name: str, latest: datetime) -> datetime:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _BadRow(f"{name} is not a time: {value!r:.40}") from None
    if type(value) is not int and type(value) is not float:
        raise _BadRow(f"{name} is not a time: {value!r:.40}")
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _BadRow(f"{name} is not a time: {value!r:.40}") from None
    return _checked(moment, latest)


def _utc(moment: datetime) -> datetime:
    """Export times are UTC: a naive one is taken as UTC, never as the server's local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _mbid(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def _first_mbid(value: object) -> str | None:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        for candidate in value:
            mbid = _mbid(candidate)
            if mbid:
                return mbid
    return None


_SPOTIFY_TRACK = re.compile(
    r"(?:spotify:track:|open\.spotify\.com/(?:[\w-]+/)?track/)([0-9A-Za-z]{22})(?![0-9A-Za-z])"
)
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")


def _spotify_uri_id(uri: object) -> str | None:
    """`spotify:track:<22 characters>` → the bare id."""
    if type(uri) is str and len(uri) == 36 and uri.startswith("spotify:track:"):
        track_id = uri[14:]
        if track_id.isascii() and track_id.isalnum():
            return track_id
    return None


def _spotify_any_id(value: object) -> str | None:
    """An open.spotify.com track URL (or a track URI) → the bare id."""
    if not isinstance(value, str):
        return None
    match = _SPOTIFY_TRACK.search(value)
    return match.group(1) if match else None


def _isrc(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().upper().replace("-", "")
    return code if _ISRC.fullmatch(code) else None


def _duration_ms(info: dict[str, Any]) -> int | None:
    """`duration_ms`, or `duration` in seconds; None when absent or absurd."""
    value = info.get("duration_ms")
    scale = 1
    if value is None:
        value, scale = info.get("duration"), 1000
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if type(value) is not int and (type(value) is not float or not math.isfinite(value)):
        return None
    milliseconds = round(value * scale)
    return milliseconds if 0 < milliseconds <= MAX_DURATION_MS else None


def _source_id(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_SOURCE_ID:
            return value.strip()
    return None


# --- Spotify --------------------------------------------------------------------------------


class _SpotifyPlay(msgspec.Struct, gc=False):
    """The fields of an extended-history row that we read; the export's others are skipped
    unread. Untyped on purpose: a wrong type is the parser's to report, row by row. Left out
    of the cycle collector: decoded JSON cannot make a cycle, and a file is 25,000 rows."""

    ts: Any = None
    ms_played: Any = None
    master_metadata_track_name: Any = None
    master_metadata_album_artist_name: Any = None
    master_metadata_album_album_name: Any = None
    spotify_track_uri: Any = None
    episode_name: Any = None
    episode_show_name: Any = None
    spotify_episode_uri: Any = None
    audiobook_title: Any = None
    audiobook_uri: Any = None
    audiobook_chapter_uri: Any = None
    audiobook_chapter_title: Any = None


_SPOTIFY_PLAYS = msgspec.json.Decoder(list[_SpotifyPlay])


def _spotify_extended_items(
    utf8: bytes, where: _Where, report: ReadReport
) -> Iterator[tuple[int, Any]]:
    """The rows of an extended-history file as _SpotifyPlay: decoded straight from its bytes
    when the file is sound (some three times faster than dicts), else item by item."""
    try:
        rows = _SPOTIFY_PLAYS.decode(utf8)
    except (ValueError, RecursionError):
        rows = None
    if rows is not None:
        del utf8
        yield from enumerate(rows, 1)
        return
    try:
        text = utf8.decode("utf-8")
    except UnicodeDecodeError:
        report.problem(where.file, where.whole, "not UTF-8 text; not read")
        return
    del utf8
    yield from _spotify_extended_text_items(text, where, report)


def _spotify_extended_text_items(
    text: str, where: _Where, report: ReadReport
) -> Iterator[tuple[int, Any]]:
    for number, item in _json_array_items(text, where, report):
        yield number, msgspec.convert(item, _SpotifyPlay) if type(item) is dict else item


def _spotify_non_music(row: _SpotifyPlay) -> str:
    if row.episode_name or row.spotify_episode_uri or row.episode_show_name:
        return PODCAST
    if (
        row.audiobook_title
        or row.audiobook_uri
        or row.audiobook_chapter_uri
        or row.audiobook_chapter_title
    ):
        return AUDIOBOOK
    return NO_METADATA


_MAX_NAMES = 200_000


def _spotify_extended_parser(options: _Options) -> _Parser:
    min_play_ms = options.min_play_ms
    latest = options.latest
    spotify = ListenSource.SPOTIFY
    fromisoformat = datetime.fromisoformat
    millisecond = timedelta(milliseconds=1)
    names = options.names

    def name(value: object, field: str) -> str | None:
        cleaned = _clean(value, field)
        if type(value) is str:
            if len(names) >= _MAX_NAMES:  # a history of endless distinct names
                names.clear()
            names[value] = cleaned
        return cleaned

    def parse(row: _SpotifyPlay) -> _Parsed:
        raw_track = row.master_metadata_track_name
        if not raw_track:
            return _spotify_non_music(row)
        raw_artist = row.master_metadata_album_artist_name
        raw_album = row.master_metadata_album_album_name
        track = names.get(raw_track) or name(raw_track, "master_metadata_track_name")
        artist = (
            names.get(raw_artist) or name(raw_artist, "master_metadata_album_artist_name")
            if raw_artist
            else None
        )
        album = (
            names.get(raw_album) or name(raw_album, "master_metadata_album_album_name")
            if raw_album
            else None
        )
        if track is None or artist is None:
            return NO_METADATA
        ms_played = row.ms_played
        if type(ms_played) is not int:
            ms_played = _whole_number(ms_played, "ms_played")
        if ms_played < 0:
            raise _BadRow(f"ms_played is negative: {ms_played}")
        if ms_played < min_play_ms:
            return SHORT_PLAY
        stamp = row.ts
        if type(stamp) is not str:
            raise _BadRow("ts is missing" if stamp is None else "ts is not text")
        try:
            ended = fromisoformat(stamp)
        except ValueError:
            raise _BadRow(f"ts is not a date and time: {stamp!r:.40}") from None
        if ended.tzinfo is not UTC:
            ended = _utc(ended)
        played_at = ended - ms_played * millisecond
        if not EARLIEST_PLAY <= played_at <= latest:
            _checked(played_at, latest)
        uri = row.spotify_track_uri
        spotify_track_id = (
            uri[14:]
            if type(uri) is str and len(uri) == 36 and uri.startswith("spotify:track:")
            else _spotify_uri_id(uri)
        )
        # Positional: a million of these, and keywords cost half again as much.
        return ListenRecord(
            artist, track, played_at, spotify, album, None, ms_played, None, None, None,
            spotify_track_id,
        )  # fmt: skip

    return parse


def _video_parser(options: _Options) -> _Parser:
    return lambda _row: VIDEO


def _spotify_account_parser(options: _Options) -> _Parser:
    min_play_ms = options.min_play_ms
    latest = options.latest

    def parse(row: dict[str, Any]) -> _Parsed:
        if "podcastName" in row or "episodeName" in row:
            return PODCAST
        artist = _clean(row.get("artistName"), "artistName")
        track = _clean(row.get("trackName"), "trackName")
        if artist is None or track is None:
            return NO_METADATA
        if artist == "Unknown Artist" and track == "Unknown Track":
            return NO_METADATA
        ms_played = _whole_number(row.get("msPlayed"), "msPlayed")
        if ms_played < min_play_ms:
            return SHORT_PLAY
        stamp = row.get("endTime")
        if type(stamp) is not str:
            raise _BadRow("endTime is missing" if stamp is None else "endTime is not text")
        try:
            ended = _utc(datetime.fromisoformat(stamp.strip()))
        except ValueError:
            raise _BadRow(f"endTime is not a date and time: {stamp!r:.40}") from None
        played_at = _checked(ended - timedelta(milliseconds=ms_played), latest)
        return ListenRecord(
            artist_name=artist,
            track_title=track,
            played_at=played_at,
            source=ListenSource.SPOTIFY,
            ms_played=ms_played,
        )

    return parse


# --- ListenBrainz ---------------------------------------------------------------------------


def _listenbrainz_parser(options: _Options) -> _Parser:
    latest = options.latest

    def parse(item: dict[str, Any]) -> _Parsed:
        meta = item.get("track_metadata")
        if type(meta) is not dict:
            raise _BadRow("track_metadata is missing or not an object")
        listened_at = item.get("listened_at")
        if listened_at is None:
            return NOW_PLAYING
        artist = _clean(meta.get("artist_name"), "artist_name")
        track = _clean(meta.get("track_name"), "track_name")
        if artist is None or track is None:
            return NO_METADATA
        played_at = _from_unix(listened_at, "listened_at", latest)
        info = meta.get("additional_info")
        if type(info) is not dict:
            info = {}
        mapping = meta.get("mbid_mapping") or item.get("mbid_mapping")
        if type(mapping) is not dict:
            mapping = {}
        return ListenRecord(
            artist_name=artist,
            track_title=track,
            played_at=played_at,
            source=ListenSource.LISTENBRAINZ,
            album_title=_clean(meta.get("release_name"), "release_name"),
            duration_ms=_duration_ms(info),
            recording_mbid=_mbid(info.get("recording_mbid"))
            or _mbid(mapping.get("recording_mbid")),
            release_mbid=_mbid(info.get("release_mbid")) or _mbid(mapping.get("release_mbid")),
            artist_mbid=_first_mbid(info.get("artist_mbids"))
            or _first_mbid(mapping.get("artist_mbids")),
            spotify_track_id=_spotify_any_id(info.get("spotify_id")),
            isrc=_isrc(info.get("isrc")),
            source_id=_source_id(
                item.get("recording_msid"),
                meta.get("recording_msid"),
                info.get("recording_msid"),
            ),
        )

    return parse


# --- Last.fm CSV ----------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_COLUMN_NAMES = {
    "artist": ("artist", "artist_name", "artist name"),
    "track": ("track", "name", "track_name", "track name", "title"),
    "album": ("album", "album_name", "album name", "release"),
    "date": ("date", "utc_time", "time", "datetime"),
    "uts": ("uts", "timestamp", "unix_timestamp"),
    "artist_mbid": ("artist_mbid",),
    "album_mbid": ("album_mbid",),
    "track_mbid": ("track_mbid",),
}
# lastfm-to-csv without a header: artist, album, track, date.
_HEADERLESS = {"artist": 0, "album": 1, "track": 2, "date": 3}
_CSV_SAMPLE_ROWS = 10


@dataclass(frozen=True, slots=True)
class _CsvLayout:
    columns: dict[str, int]  # our name → column index
    header: bool


def _lastfm_date(text: str) -> datetime | None:
    """`31 Jan 2021 18:22` or `20 Jul 2026, 15:07` (UTC); also ISO 8601 or Unix seconds."""
    parts = text.replace(",", " ").split()
    if len(parts) == 4:
        day, month_name, year, clock = parts
        month = _MONTHS.get(month_name[:3].lower())
        pieces = clock.split(":")
        if not month or not 2 <= len(pieces) <= 3 or not all(p.isdigit() for p in pieces):
            return None
        hour, minute, second = (*pieces, "0")[:3]
        try:
            return datetime(
                int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            return None
    if text.isdigit():
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _csv_layout(text: str) -> _CsvLayout | None:
    try:
        sample = [
            row
            for _, row in zip(range(_CSV_SAMPLE_ROWS), _csv_rows(text), strict=False)
            if any(cell.strip() for cell in row)
        ]
    except csv.Error:
        return None
    if not sample:
        return None
    names = [cell.strip().lower() for cell in sample[0]]
    columns: dict[str, int] = {}
    for ours, theirs in _COLUMN_NAMES.items():
        for index, name in enumerate(names):
            if name in theirs:
                columns[ours] = index
                break
    if "artist" in columns and "track" in columns and ("date" in columns or "uts" in columns):
        return _CsvLayout(columns=columns, header=True)
    fitting = [row for row in sample if len(row) == 4]
    dated = [row for row in fitting if _lastfm_date(row[3].strip())]
    if dated and 2 * len(fitting) >= len(sample):
        return _CsvLayout(columns=_HEADERLESS, header=False)
    return None


def _csv_rows(text: str) -> Iterator[list[str]]:
    """CSV records over lines that keep their "\\n", so a quoted field may span lines."""

    def lines() -> Iterator[str]:
        start, end = 0, len(text)
        while start < end:
            stop = text.find("\n", start)
            stop = end if stop == -1 else stop + 1
            yield text[start:stop]
            start = stop

    return csv.reader(lines())


def _read_lastfm_csv(
    text: str, where: _Where, report: ReadReport, options: _Options
) -> Iterator[ListenRecord]:
    layout = _csv_layout(text)
    if layout is None:  # detection said otherwise; cannot happen
        return
    columns = layout.columns
    width = max(columns.values()) + 1
    artist_at, track_at = columns["artist"], columns["track"]
    album_at, date_at, uts_at = columns.get("album"), columns.get("date"), columns.get("uts")
    mbid_columns = [columns.get(name) for name in ("artist_mbid", "album_mbid", "track_mbid")]
    latest = options.latest

    def cell(row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None else ""

    def parse(row: list[str]) -> _Parsed:
        if layout.header and len(row) < width:
            raise _BadRow(f"has {len(row)} columns; the header has {width} or more")
        if not layout.header and len(row) != 4:
            raise _BadRow(
                f"has {len(row)} columns; expected 4 (artist, album, track, date) — a comma in "
                "a name that was not quoted?"
            )
        uts, date = cell(row, uts_at), cell(row, date_at)
        if not uts and not date:
            return NOW_PLAYING
        artist = _clean(row[artist_at], "artist")
        track = _clean(row[track_at], "track")
        if artist is None or track is None:
            return NO_METADATA
        if uts:
            played_at = _from_unix(uts, "uts", latest)
        else:
            parsed = _lastfm_date(date)
            if parsed is None:
                raise _BadRow(f"date {date!r:.40} is not a date we know (like 31 Jan 2021 18:22)")
            played_at = _checked(parsed, latest)
        artist_mbid, album_mbid, track_mbid = (_mbid(cell(row, i)) for i in mbid_columns)
        return ListenRecord(
            artist_name=artist,
            track_title=track,
            played_at=played_at,
            source=ListenSource.LASTFM,
            album_title=_clean(row[album_at], "album") if album_at is not None else None,
            recording_mbid=track_mbid,
            release_mbid=album_mbid,
            artist_mbid=artist_mbid,
        )

    skipped = report.skipped
    rows = _csv_rows(text)
    number = 0
    header_pending = layout.header
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            report.problem(where.file, where.at("row", number), f"not valid CSV: {error}")
            continue
        number += 1
        if not any(cell.strip() for cell in row):
            continue
        if header_pending:
            header_pending = False
            continue
        try:
            parsed = parse(row)
        except _BadRow as error:
            report.problem(where.file, where.at("row", number), str(error))
            continue
        except Exception as error:  # a row must never stop the import
            reason = f"could not be read ({type(error).__name__}: {error})"
            report.problem(where.file, where.at("row", number), reason)
            continue
        if isinstance(parsed, str):
            skipped[parsed] = skipped.get(parsed, 0) + 1
        else:
            report.read += 1
            yield parsed
