"""Reading exports in a child process gives exactly what reading them here gives."""

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sidetrack.connectors.child_reader import _pack, _unpack, read_listens_in_child
from sidetrack.connectors.files import read_listens
from sidetrack.listening.models import ListenSource
from sidetrack.listening.records import ListenRecord, ReadReport
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


def test_the_same_plays_and_the_same_report_as_reading_here(tmp_path: Path) -> None:
    paths = exports(tmp_path)
    here, there = ReadReport(), ReadReport()
    expected = list(read_listens(paths, here, min_play_ms=30_000))
    got = list(read_listens_in_child(paths, there, min_play_ms=30_000))
    assert len(expected) == 4
    assert got == expected
    assert there.as_dict() == here.as_dict()
    assert there.skipped == {"podcast": 1, "short_play": 1}
    assert there.problem_count == here.problem_count > 0


def test_closing_early_stops_the_child(tmp_path: Path) -> None:
    # Far more plays than the first hand-over holds: left alone, the child would go on
    # reading for seconds after the first play arrives.
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        spotify_row(ts=(start + timedelta(minutes=5 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for n in range(20_000)
    ]
    many = write_json(tmp_path / "Streaming_History_Audio_2024.json", rows)
    records = read_listens_in_child([many] * 20, ReadReport(), min_play_ms=30_000)
    assert isinstance(next(records), ListenRecord)
    records.close()
    assert multiprocessing.active_children() == []


@given(
    st.datetimes(
        min_value=datetime(2002, 10, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
    st.sampled_from(list(ListenSource)),
    st.none() | st.integers(min_value=0, max_value=2**31 - 1),
)
def test_a_play_crosses_over_exactly(
    played_at: datetime, source: ListenSource, ms_played: int | None
) -> None:
    record = ListenRecord(
        "Björk", "Jóga", played_at, source, album_title="Homogenic", ms_played=ms_played
    )
    assert _unpack(_pack(record)) == record
    # To the microsecond: a float timestamp would round some of these.
    assert _unpack(_pack(record)).played_at - played_at == timedelta(0)
