"""Reading exports in a child process gives exactly what reading them here gives."""

import multiprocessing
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sidetrack.connectors.child_reader import read_batches_in_child
from sidetrack.connectors.files import read_listens
from sidetrack.listening.records import ListenBatch, ReadReport, listen_batches
from tests.connectors.test_files import jsonl, listen, spotify_row, write, write_json


def exports(tmp_path: Path) -> list[Path]:
    spotify = write_json(
        tmp_path / "Streaming_History_Audio_2024.json",
        [
            spotify_row(),
            spotify_row(ts="2024-03-01T10:00:00Z", ms_played=1_000),  # short
            spotify_row(master_metadata_track_name=None, episode_name="An episode"),
            spotify_row(ms_played="lots"),  # a bad row
        ],
    )
    brainz = write(tmp_path / "listens.jsonl", jsonl(listen(1700000000.25), listen(1700000300)))
    lastfm = write(tmp_path / "scrobbles.csv", "Björk,Homogenic,Jóga,31 Jan 2021 18:22\n,,,\n")
    return [spotify, brainz, lastfm]


def test_the_same_batches_and_the_same_report_as_reading_here(tmp_path: Path) -> None:
    paths = exports(tmp_path)
    here, there = ReadReport(), ReadReport()
    expected = list(listen_batches(read_listens(paths, here, min_play_ms=30_000), 3))
    got = list(read_batches_in_child(paths, there, min_play_ms=30_000, batch_size=3))
    assert [len(batch) for batch in expected] == [3, 1]
    assert got == expected
    assert there.as_dict() == here.as_dict()
    assert there.skipped == {"podcast": 1, "short_play": 1}
    assert there.problem_count == here.problem_count > 0


def test_closing_early_stops_the_child(tmp_path: Path) -> None:
    # Far more plays than the first hand-over holds: left alone, the child would go on
    # reading for seconds after the first batch arrives.
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        spotify_row(ts=(start + timedelta(minutes=5 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for n in range(20_000)
    ]
    many = write_json(tmp_path / "Streaming_History_Audio_2024.json", rows)
    batches = read_batches_in_child([many] * 20, ReadReport(), min_play_ms=30_000, batch_size=500)
    assert isinstance(next(batches), ListenBatch)
    batches.close()
    assert multiprocessing.active_children() == []


def test_the_reading_process_starts_without_the_database_code() -> None:
    """What a spawned reader imports: SQLAlchemy, the models and the settings were a third
    of a second of its start, before the first batch could reach the import."""
    heavy = ("sqlalchemy", "pydantic", "pydantic_settings", "sidetrack.listening.models")
    probe = (
        "import sys, sidetrack.connectors.child_reader; "
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
