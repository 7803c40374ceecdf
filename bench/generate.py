"""A deterministic Spotify Extended Streaming History for benchmarks, written like the real one.

Zipf popularity over ~20,000 tracks on ~4,000 albums by ~1,500 artists, five years of plays,
a few percent of short plays and podcasts, several JSON files of at most ~20 MB in one zip.
"""

import json
import random
import string
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ARTISTS, ALBUMS, TRACKS = 1_500, 4_000, 20_000
YEARS = 5
FILE_LIMIT = 20_000_000  # bytes per JSON file, as real exports split them
SHORT_SHARE, PODCAST_SHARE = 0.04, 0.02
END = datetime(2026, 1, 1, tzinfo=UTC)


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=22))


def _catalog(rng: random.Random) -> list[tuple[str, str, str, str, int]]:
    """(artist, album, track, spotify id, duration ms) for every track."""
    artists = [
        f"Artist {n:04d} {rng.choice(['Björk', 'Sigur', 'Nils', 'Ólafur', 'Zoë'])}"
        for n in range(ARTISTS)
    ]
    albums = [(artists[rng.randrange(ARTISTS)], f"Album {n:04d}") for n in range(ALBUMS)]
    tracks = []
    for n in range(TRACKS):
        artist, album = albums[n % ALBUMS]
        tracks.append(
            (artist, album, f"Track {n:05d}", _spotify_id(rng), rng.randint(90, 420) * 1000)
        )
    rng.shuffle(tracks)  # popularity rank independent of album order
    return tracks


def _rows(plays: int, seed: int) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    tracks = _catalog(rng)
    weights = [1 / (rank + 1) for rank in range(TRACKS)]  # Zipf, s = 1
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    chosen = rng.choices(range(TRACKS), cum_weights=cumulative, k=plays)
    span = YEARS * 365 * 24 * 3600
    start = END - timedelta(seconds=span)
    offsets = sorted(rng.randrange(span) for _ in range(plays))
    for index, offset in zip(chosen, offsets, strict=True):
        ended = start + timedelta(seconds=offset)
        roll = rng.random()
        base: dict[str, object] = {
            "ts": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "platform": "android",
            "conn_country": "IS",
            "ip_addr": "192.0.2.1",
            "episode_name": None,
            "episode_show_name": None,
            "spotify_episode_uri": None,
            "audiobook_title": None,
            "audiobook_uri": None,
            "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None,
            "reason_start": "trackdone",
            "reason_end": "trackdone",
            "shuffle": False,
            "skipped": False,
            "offline": False,
            "offline_timestamp": None,
            "incognito_mode": False,
        }
        if roll < PODCAST_SHARE:
            base.update(
                ms_played=rng.randint(60_000, 3_000_000),
                master_metadata_track_name=None,
                master_metadata_album_artist_name=None,
                master_metadata_album_album_name=None,
                spotify_track_uri=None,
                episode_name=f"Episode {rng.randrange(500)}",
                episode_show_name="A Podcast",
                spotify_episode_uri=f"spotify:episode:{_spotify_id(rng)}",
            )
        else:
            artist, album, title, spotify_id, duration = tracks[index]
            short = roll < PODCAST_SHARE + SHORT_SHARE
            base.update(
                ms_played=rng.randint(1_000, 29_000) if short else duration - rng.randint(0, 2_000),
                master_metadata_track_name=title,
                master_metadata_album_artist_name=artist,
                master_metadata_album_album_name=album,
                spotify_track_uri=f"spotify:track:{spotify_id}",
                reason_end="fwdbtn" if short else "trackdone",
                skipped=short,
            )
        yield base


def write_history(directory: Path, plays: int, seed: int = 2026) -> Path:
    """Write (once) and return the zip of `plays` plays; the same arguments give the same file."""
    path = directory / f"spotify_extended_{plays}_{seed}.zip"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(
        partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
    ) as archive:
        part, batch, size = 0, [], 2
        for row in _rows(plays, seed):
            encoded = json.dumps(row, ensure_ascii=False)
            if batch and size + len(encoded) + 2 > FILE_LIMIT:
                archive.writestr(_member(part), "[" + ",\n".join(batch) + "]")
                part, batch, size = part + 1, [], 2
            batch.append(encoded)
            size += len(encoded.encode()) + 2
        if batch:
            archive.writestr(_member(part), "[" + ",\n".join(batch) + "]")
        archive.writestr(
            "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf",
            b"%PDF-1.4",
        )
    partial.rename(path)
    return path


def _member(part: int) -> str:
    return f"Spotify Extended Streaming History/Streaming_History_Audio_2021-2026_{part}.json"


if __name__ == "__main__":
    import sys

    print(write_history(Path(sys.argv[1]), int(sys.argv[2])))
