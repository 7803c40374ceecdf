"""The shape every listening source is read into before ingest: one play, source-neutral."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sidetrack.listening.models import ListenSource

# The plays every reader and ingest accept: ListenBrainz's lower bound (2002-10-01, before any
# scrobbling service), and no more than an hour ahead of the clock.
EARLIEST_PLAY = datetime(2002, 10, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(hours=1)


# Not frozen: readers build a million of these per import, and frozen costs ~12% of that.
@dataclass(slots=True)
class ListenRecord:
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
