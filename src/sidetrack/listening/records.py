"""The shapes every listening source is read into before ingest: one play, source-neutral,
and a batch of plays grouped by spelling, in columns."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import Any

import msgspec


# Here, not beside the tables: the file reader's process imports this module, and none of the
# database code (SQLAlchemy and the models were a third of a second of its start).
class ListenSource(StrEnum):
    SPOTIFY = "spotify"
    LASTFM = "lastfm"
    LISTENBRAINZ = "listenbrainz"


# The plays every reader and ingest accept: ListenBrainz's lower bound (2002-10-01, before any
# scrobbling service), and no more than an hour ahead of the clock.
EARLIEST_PLAY = datetime(2002, 10, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(hours=1)


# A msgspec Struct, not a dataclass: readers build a million of these per import, and a
# Struct is built in C (half the time) and, holding no containers, is left out of the cycle
# collector (gc=False), which otherwise walked the live ones every few hundred allocations.
class ListenRecord(msgspec.Struct, gc=False):
    """One play as a source reported it, already normalised to our conventions.

    `played_at` is the START of the play, timezone-aware UTC; sources that stamp the end
    (Spotify) are converted by their readers using how long the play lasted.
    """

    artist_name: str
    track_title: str
    played_at: datetime
    source: ListenSource
    album_title: str | None = None
    duration_ms: int | None = None  # the track's length, when the source knows it
    ms_played: int | None = None  # how much of it was heard
    recording_mbid: str | None = None
    release_mbid: str | None = None
    artist_mbid: str | None = None
    spotify_track_id: str | None = None  # the bare 22-character id, not the URI
    isrc: str | None = None
    source_id: str | None = None  # the source's own id for the play, if any


# Plays per batch of an import: big enough that per-batch work (catalog look-ups, rollup
# merges) is paid rarely; small enough that a batch and those read ahead stay well under 1 GB.
BATCH_SIZE = 100_000

# How a play names its track: (artist, title, album, Spotify id, recording MBID, length, ISRC),
# as the source spelled them. A million plays share a few tens of thousands of these.
Spelling = tuple[str, str, str | None, str | None, str | None, int | None, str | None]


def _spelling(record: ListenRecord) -> Spelling:
    return (
        record.artist_name,
        record.track_title,
        record.album_title,
        record.spotify_track_id,
        record.recording_mbid,
        record.duration_ms,
        record.isrc,
    )


@dataclass(slots=True)
class ListenBatch:
    """A batch of plays as ingest takes them: checked, grouped by spelling, in columns.

    The valid plays are columns of equal length (whole seconds since the epoch, UTC, for the
    start); `spelling[i]` indexes `spellings`. Columns of plain ints and shared strings are
    what a reading process hands over cheaply (connectors.child_reader): pickling a million
    ListenRecords cost more than parsing them.
    """

    received: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (index in the batch, why)
    spellings: list[Spelling] = field(default_factory=list)
    spelling: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    ms_played: list[int | None] = field(default_factory=list)
    source: list[str] = field(default_factory=list)  # a ListenSource's value
    source_id: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start)


def problem_with(record: ListenRecord, latest: datetime) -> str | None:
    """Why ingest refuses this play, or None."""
    artist, title, album = record.artist_name, record.track_title, record.album_title
    if not artist or artist.isspace():
        return "artist_name is empty"
    if not title or title.isspace():
        return "track_title is empty"
    if "\x00" in artist or "\x00" in title or (album and "\x00" in album):
        return "a name contains a NUL character"
    played_at = record.played_at
    if played_at.tzinfo is None:
        return "played_at has no time zone"
    if played_at < EARLIEST_PLAY:
        return "played_at is before 2002-10-01"
    if played_at > latest:
        return "played_at is in the future"
    if record.ms_played is not None and record.ms_played < 0:
        return "ms_played is negative"
    return None


_VALUES = {source: source.value for source in ListenSource}  # Enum.value is slow to read


def group_listens(records: Iterable[ListenRecord], *, now: datetime | None = None) -> ListenBatch:
    """Check `records` and group the valid ones by spelling, into one ListenBatch."""
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    batch = ListenBatch()
    index_of: dict[Spelling, int] = {}
    spelling, start = batch.spelling, batch.start
    ms_played, source, source_id = batch.ms_played, batch.source, batch.source_id
    received = 0
    for received, record in enumerate(records, 1):
        problem = problem_with(record, latest)
        if problem:
            batch.rejected.append((received - 1, problem))
            continue
        key = _spelling(record)
        index = index_of.get(key)
        if index is None:
            index = index_of[key] = len(index_of)
        spelling.append(index)
        # Whole seconds, truncated: exact, as a float timestamp is never below the second.
        start.append(int(record.played_at.timestamp()))
        ms_played.append(record.ms_played)
        source.append(_VALUES[record.source])
        source_id.append(record.source_id)
    batch.received = received
    batch.spellings = list(index_of)
    return batch


def listen_batches(
    records: Iterable[ListenRecord], size: int = BATCH_SIZE
) -> Iterator[ListenBatch]:
    """`records` checked and grouped `size` at a time, as an import stores them."""
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield group_listens(chunk)


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A row that could not be read: where it was and why; the import goes on without it."""

    file: str
    position: str  # e.g. "row 12", "item 40", "line 7"
    reason: str


@dataclass
class ReadReport:
    """What a read did, filled in as the records are consumed.

    `problems` keeps the first `max_problems` problems; `problem_count` counts them all, so a
    file of a million broken rows cannot fill memory with complaints. `formats` maps each file
    read (`archive.zip/member.json` for a zip member) to its format; `ignored` maps the files
    inside a zip that were not listening exports to the reason.
    """

    files: int = 0
    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[RecordProblem] = field(default_factory=list)
    problem_count: int = 0
    formats: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    max_problems: int = 1000

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def problem(self, file: str, position: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(RecordProblem(file=file, position=position, reason=reason))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what `sidetrack import listens --json` can print)."""
        return {
            "files": self.files,
            "read": self.read,
            "skipped": dict(sorted(self.skipped.items())),
            "problem_count": self.problem_count,
            "problems": [
                {"file": p.file, "position": p.position, "reason": p.reason} for p in self.problems
            ],
            "formats": dict(self.formats),
            "ignored": dict(self.ignored),
        }
