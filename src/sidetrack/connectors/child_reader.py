"""Reading export files in a child process, so parsing runs on a core of its own.

An import is Python work on both sides (parsing the export; preparing the plays for the
database), and one process's Python shares one GIL: a reader thread only overlaps the
database's time. A child process parses beside the import proper, and hands the plays over
as plain tuples, which pickle ten times faster than ListenRecord instances.
"""

import multiprocessing
import queue
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sidetrack.connectors.files import read_listens
from sidetrack.core.config import get_settings
from sidetrack.listening.models import ListenSource
from sidetrack.listening.records import ListenRecord, ReadReport

CHUNK = 10_000  # plays per hand-over: pickling is paid per chunk, memory per chunk in flight
IN_FLIGHT = 8  # chunks the child may read ahead of the import
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SOURCES = {source.value: source for source in ListenSource}

Packed = tuple[Any, ...]


def _pack(record: ListenRecord) -> Packed:
    # Whole microseconds since the epoch: exact, where a float timestamp can be off by one.
    return (
        record.artist_name,
        record.track_title,
        (record.played_at - _EPOCH) // _MICROSECOND,
        record.source.value,
        record.album_title,
        record.duration_ms,
        record.ms_played,
        record.recording_mbid,
        record.release_mbid,
        record.artist_mbid,
        record.spotify_track_id,
        record.isrc,
        record.source_id,
    )


def _unpack(row: Packed) -> ListenRecord:
    artist, title, microseconds, source, *rest = row
    return ListenRecord(
        artist, title, _EPOCH + microseconds * _MICROSECOND, _SOURCES[source], *rest
    )


def _read_in_child(paths: list[str], min_play_ms: int, to_parent: Any) -> None:
    report = ReadReport()
    try:
        chunk: list[Packed] = []
        for record in read_listens(paths, report, min_play_ms=min_play_ms):
            chunk.append(_pack(record))
            if len(chunk) == CHUNK:
                to_parent.put(("plays", chunk))
                chunk = []
        if chunk:
            to_parent.put(("plays", chunk))
        to_parent.put(("done", report))
    except BaseException as error:  # raised again in the parent, which reads the queue
        to_parent.put(("failed", f"{type(error).__name__}: {error}"))


def read_listens_in_child(
    paths: Iterable[Path | str], report: ReadReport, *, min_play_ms: int | None = None
) -> Iterator[ListenRecord]:
    """What `read_listens` yields, parsed in a child process; `report` is filled in once
    every play has been yielded. Closing the iterator early stops the child."""
    if min_play_ms is None:  # decided here, so the child needs no settings of its own
        min_play_ms = get_settings().import_min_play_seconds * 1000
    # spawn, not fork: the parent holds database connections and threads.
    context = multiprocessing.get_context("spawn")
    to_parent = context.Queue(maxsize=IN_FLIGHT)
    child = context.Process(
        target=_read_in_child,
        args=([str(path) for path in paths], min_play_ms, to_parent),
        name="listen-reader",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                kind, payload = to_parent.get(timeout=1)
            except queue.Empty:
                if child.exitcode is not None:
                    raise RuntimeError(
                        f"the reading process stopped (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "plays":
                yield from map(_unpack, payload)
            elif kind == "done":
                for field in fields(ReadReport):
                    setattr(report, field.name, getattr(payload, field.name))
                return
            else:
                raise RuntimeError(f"reading the files failed: {payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        to_parent.close()
