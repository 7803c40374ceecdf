"""The shape every listening source is read into before ingest: one play, source-neutral."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
