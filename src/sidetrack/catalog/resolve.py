"""Batch resolution of played tracks to catalog rows, in a bounded number of queries.

Matching order (docs/listening.md): Spotify track id, then MusicBrainz recording id, then the
normalised names: the album by artist + album title, the track within it by artist + title.
Plays with no album name share one "unknown album" per artist. A batch of any size costs a
few queries (on SQLite, per 500 distinct tracks), never one per play.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Table, any_, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, Track
from sidetrack.catalog.normalize import artist_key_of, match_key
from sidetrack.core.bulk import write_rows
from sidetrack.core.types import utcnow

CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit on every version


# A NamedTuple, not a frozen dataclass: an import hashes each ref a few times per batch, and
# a tuple's hash and equality are C, a dataclass's Python (a third of resolving a cached batch).
class TrackRef(NamedTuple):
    artist_name: str
    track_title: str
    album_title: str | None = None
    duration_ms: int | None = None
    recording_mbid: str | None = None
    spotify_track_id: str | None = None
    isrc: str | None = None

    @property
    def album_key(self) -> str:
        return match_key(self.artist_name, self.album_title or "")

    @property
    def track_key(self) -> str:
        return match_key(self.artist_name, self.track_title)


@dataclass(frozen=True, slots=True)
class ResolvedTrack:
    id: uuid.UUID
    album_id: uuid.UUID  # copied into the per-track rollups (listening.models.PlacedTrack)
    duration_ms: int | None
    match_key: str  # the normalised artist and title: one song, whatever album it is on
    artist_key: str  # the normalised artist (see normalize.artist_key_of)
    artist_name: str  # as the catalog spells it


@dataclass
class TrackCache:
    """Tracks an import resolved in its earlier batches, so each spelling is looked up once.

    Only what a committed batch resolved is reused (`keep` after the commit, `forget` after a
    rollback): the catalog never deletes a track, so a committed one stays right.
    """

    committed: dict[TrackRef, ResolvedTrack] = field(default_factory=dict)
    pending: dict[TrackRef, ResolvedTrack] = field(default_factory=dict)

    def keep(self) -> None:
        self.committed.update(self.pending)
        self.pending.clear()

    def forget(self) -> None:
        self.pending.clear()


def _one_of(session: Session, column: Any, values: Sequence[Any]) -> Iterable[Any]:
    """Conditions that together select the rows whose `column` is among `values`.

    On PostgreSQL one `= ANY(array)`: a single parameter, where an IN list of 500 costs
    SQLAlchemy and psycopg a placeholder each to render and parse, a tenth of a second per
    10,000 new tracks. SQLite has no arrays: IN lists of CHUNK.
    """
    if session.get_bind().dialect.name == "postgresql":
        if values:
            yield column == any_(literal(list(values), postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start : start + CHUNK])


def resolve_tracks(
    session: Session, refs: Sequence[TrackRef], cache: TrackCache | None = None
) -> list[ResolvedTrack]:
    """The catalog track of each ref (same order), creating albums and tracks that are new."""
    resolved: dict[TrackRef, ResolvedTrack] = {}
    if cache is None:
        distinct = list(dict.fromkeys(refs))
    else:
        committed = cache.committed
        distinct = []
        for ref in dict.fromkeys(refs):
            track = committed.get(ref)
            if track is None:
                distinct.append(ref)
            else:
                resolved[ref] = track

    def found(ref: TrackRef, row: Any) -> None:
        track_id, album_id, duration_ms, key, artist_name = row
        resolved[ref] = ResolvedTrack(
            track_id, album_id, duration_ms, key, artist_key_of(key), artist_name
        )

    known = (Track.id, Track.album_id, Track.duration_ms, Track.match_key, Track.artist_name)

    # Several refs can share one Spotify id with different spellings: all map to its track.
    by_spotify: dict[str, list[TrackRef]] = {}
    for ref in distinct:
        if ref.spotify_track_id:
            by_spotify.setdefault(ref.spotify_track_id, []).append(ref)
    for among in _one_of(session, Track.spotify_id, list(by_spotify)):
        rows = session.execute(select(Track.spotify_id, *known).where(among))
        for spotify_id, *row in rows:
            for ref in by_spotify[spotify_id]:
                found(ref, row)

    pending = [ref for ref in distinct if ref not in resolved and ref.recording_mbid]
    by_mbid: dict[str, list[TrackRef]] = {}
    for ref in pending:
        by_mbid.setdefault(ref.recording_mbid or "", []).append(ref)
    for among in _one_of(session, Track.musicbrainz_id, list(by_mbid)):
        rows = session.execute(select(Track.musicbrainz_id, *known).where(among))
        for mbid, *row in rows:
            for ref in by_mbid[mbid]:
                found(ref, row)

    _resolve_by_name(session, [ref for ref in distinct if ref not in resolved], resolved)
    if cache is not None:
        cache.pending.update((ref, resolved[ref]) for ref in distinct)
    return [resolved[ref] for ref in refs]


def _resolve_by_name(
    session: Session, refs: list[TrackRef], resolved: dict[TrackRef, ResolvedTrack]
) -> None:
    if not refs:
        return
    albums = _albums_for(session, refs)
    tracks: dict[tuple[uuid.UUID, str], ResolvedTrack] = {}
    album_ids = list(set(albums.values()))
    for among in _one_of(session, Track.album_id, album_ids):
        rows = session.execute(
            select(Track.album_id, Track.id, Track.duration_ms, Track.match_key, Track.artist_name)
            .where(among)
            .order_by(Track.created_at)
        )
        for album_id, track_id, duration_ms, key, artist_name in rows:
            tracks.setdefault(
                (album_id, key),
                ResolvedTrack(
                    track_id, album_id, duration_ms, key, artist_key_of(key), artist_name
                ),
            )

    new_rows: list[dict[str, Any]] = []
    taken_spotify: set[str] = set()
    taken_mbid: set[str] = set()
    now = utcnow()
    for ref in refs:
        track_key = ref.track_key
        slot = (albums[ref.album_key], track_key)
        if slot not in tracks:
            track_id = uuid.uuid4()
            tracks[slot] = ResolvedTrack(
                track_id,
                slot[0],
                ref.duration_ms,
                track_key[:600],
                artist_key_of(track_key),
                ref.artist_name[:255],
            )
            # An id already claimed in this batch stays with its first track (ids are unique).
            spotify_id = ref.spotify_track_id if ref.spotify_track_id not in taken_spotify else None
            mbid = ref.recording_mbid if ref.recording_mbid not in taken_mbid else None
            taken_spotify.add(spotify_id or "")
            taken_mbid.add(mbid or "")
            new_rows.append(
                {
                    "id": track_id,
                    "album_id": slot[0],
                    "title": ref.track_title[:255],
                    "artist_name": ref.artist_name[:255],
                    "duration_ms": ref.duration_ms,
                    "musicbrainz_id": mbid,
                    "spotify_id": spotify_id,
                    "isrc": ref.isrc,
                    "match_key": track_key[:600],
                    "created_at": now,
                    "updated_at": now,
                }
            )
        resolved[ref] = tracks[slot]
    _bulk_insert(session, Track.__table__, new_rows)  # type: ignore[arg-type]


def _albums_for(session: Session, refs: list[TrackRef]) -> dict[str, uuid.UUID]:
    """Album id per album key, creating the albums not in the catalog yet."""
    wanted: dict[str, TrackRef] = {}
    for ref in refs:
        wanted.setdefault(ref.album_key, ref)  # a new album is spelled as first met
    albums: dict[str, uuid.UUID] = {}
    for among in _one_of(session, Album.match_key, list(wanted)):
        rows = session.execute(
            select(Album.match_key, Album.id).where(among).order_by(Album.created_at)
        )
        for key, album_id in rows:
            albums.setdefault(key, album_id)
    now = utcnow()
    new_rows = []
    for key, ref in wanted.items():
        if key not in albums:
            albums[key] = uuid.uuid4()
            new_rows.append(
                {
                    "id": albums[key],
                    "title": (ref.album_title or "")[:255],
                    "artist_name": ref.artist_name[:255],
                    "match_key": key[:600],
                    "created_at": now,
                    "updated_at": now,
                }
            )
    _bulk_insert(session, Album.__table__, new_rows)  # type: ignore[arg-type]
    return albums


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    write_rows(session, table, rows)
