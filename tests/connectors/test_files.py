"""The listening-export readers, fed small files written here in the services' real formats."""

import json
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sidetrack.connectors import files
from sidetrack.connectors.files import (
    LASTFM_CSV,
    LISTENBRAINZ_JSON,
    LISTENBRAINZ_JSONL,
    SPOTIFY_ACCOUNT,
    SPOTIFY_EXTENDED,
    SPOTIFY_VIDEO,
    ZIP,
    detect_format,
    read_listens,
    read_listens_from_bytes,
)
from sidetrack.core.config import Settings, SettingsError, get_settings
from sidetrack.listening.records import ListenRecord, ListenSource, ReadReport, RecordProblem

RECORDING = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
RELEASE = "b84ee12a-09ef-421b-82de-0441a926375b"
ARTIST = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
MSID = "e97f805a-ab48-4c52-855e-07049142113d"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# --- Builders of real-shaped export content -------------------------------------------------


def spotify_row(**overrides: Any) -> dict[str, Any]:
    """One row of Streaming_History_Audio_*.json, every key a real export has."""
    row: dict[str, Any] = {
        "ts": "2023-03-19T18:31:37Z",
        "platform": "android",
        "ms_played": 215_500,
        "conn_country": "SE",
        "ip_addr": "192.0.2.1",
        "master_metadata_track_name": "Jóga",
        "master_metadata_album_artist_name": "Björk",
        "master_metadata_album_album_name": "Homogenic",
        "spotify_track_uri": "spotify:track:1u8c2t2Cy7UBoG4ArRcF5g",
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
    row.update(overrides)
    return row


def podcast_row(**overrides: Any) -> dict[str, Any]:
    return spotify_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        episode_name="Episode 12: Tape",
        episode_show_name="Song Exploder",
        spotify_episode_uri="spotify:episode:5m2zQYiGu6tVnQp7wbDZKa",
        **overrides,
    )


def audiobook_row(**overrides: Any) -> dict[str, Any]:
    return spotify_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        audiobook_title="Just Kids",
        audiobook_uri="spotify:show:7iHfbu1YPACw6oZPAFJtqe",
        audiobook_chapter_uri="spotify:episode:1ZbQnWZ5JxJ1wJtKcA2b3c",
        audiobook_chapter_title="Chapter 1",
        **overrides,
    )


def null_row(**overrides: Any) -> dict[str, Any]:
    return spotify_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        **overrides,
    )


def endsong_row(**overrides: Any) -> dict[str, Any]:
    """The older endsong_<n>.json shape: username and decrypted IP, no audiobook keys."""
    row = spotify_row(**overrides)
    for key in list(row):
        if key.startswith("audiobook_") or key == "ip_addr":
            del row[key]
    row["username"] = "rob"
    row["ip_addr_decrypted"] = "192.0.2.1"
    row["user_agent_decrypted"] = "unknown"
    return row


def listen(listened_at: float | None = 1672531200, **meta: Any) -> dict[str, Any]:
    """One ListenBrainz listen as in listens/<YYYY>/<M>.jsonl."""
    track_metadata: dict[str, Any] = {
        "artist_name": "Ryuichi Sakamoto",
        "track_name": "Merry Christmas Mr. Lawrence",
        "release_name": "Coda",
        "additional_info": {
            "recording_mbid": RECORDING,
            "release_mbid": RELEASE,
            "artist_mbids": [ARTIST],
            "isrc": "JPB600760301",
            "duration_ms": 272000,
            "spotify_id": "https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh",
            "recording_msid": MSID,
            "submission_client": "navidrome",
        },
        "mbid_mapping": {
            "recording_mbid": RECORDING,
            "release_mbid": RELEASE,
            "artist_mbids": [ARTIST],
            "recording_name": "Merry Christmas Mr. Lawrence",
        },
        "recording_msid": MSID,
    }
    track_metadata.update(meta)
    item: dict[str, Any] = {"inserted_at": 1672531210.123456, "track_metadata": track_metadata}
    if listened_at is not None:
        item["listened_at"] = listened_at
    return item


def jsonl(*items: dict[str, Any]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def write_json(path: Path, value: Any) -> Path:
    return write(path, json.dumps(value, ensure_ascii=False, indent=2))


def read(*paths: Path, min_play_ms: int | None = 30_000) -> tuple[list[ListenRecord], ReadReport]:
    report = ReadReport()
    return list(read_listens(paths, report, min_play_ms=min_play_ms)), report


# --- Spotify Extended Streaming History -----------------------------------------------------


def test_spotify_extended_row_is_read_with_its_start_time(tmp_path: Path) -> None:
    # ts 18:31:37 marks the END; 215,500 ms earlier is 18:28:01.500.
    path = write_json(tmp_path / "Streaming_History_Audio_2023_0.json", [spotify_row()])
    records, report = read(path)
    assert records == [
        ListenRecord(
            artist_name="Björk",
            track_title="Jóga",
            played_at=datetime(2023, 3, 19, 18, 28, 1, 500_000, tzinfo=UTC),
            source=ListenSource.SPOTIFY,
            album_title="Homogenic",
            ms_played=215_500,
            spotify_track_id="1u8c2t2Cy7UBoG4ArRcF5g",
        )
    ]
    assert records[0].played_at.tzinfo is UTC
    assert (report.files, report.read, report.skipped, report.problems) == (1, 1, {}, [])
    assert report.formats == {str(path): SPOTIFY_EXTENDED}


def test_end_to_start_across_midnight_and_a_year(tmp_path: Path) -> None:
    # 00:01:00 on New Year's Day minus 3 min 20.25 s is 23:57:39.750 the year before.
    path = write_json(
        tmp_path / "history.json", [spotify_row(ts="2024-01-01T00:01:00Z", ms_played=200_250)]
    )
    records, _ = read(path)
    assert records[0].played_at == datetime(2023, 12, 31, 23, 57, 39, 750_000, tzinfo=UTC)


def test_offsets_convert_to_utc_and_naive_times_are_utc(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "history.json",
        [
            spotify_row(ts="2023-03-19T20:31:37+02:00", ms_played=60_000),
            spotify_row(ts="2023-03-19T18:31:37", ms_played=60_000),
        ],
    )
    records, _ = read(path)
    assert [r.played_at for r in records] == [at(2023, 3, 19, 18, 30, 37)] * 2


def test_podcasts_audiobooks_null_metadata_and_short_plays_are_skipped_and_counted(
    tmp_path: Path,
) -> None:
    rows = [
        spotify_row(),
        podcast_row(),
        podcast_row(ms_played=5),  # a short podcast is a podcast first
        audiobook_row(),
        null_row(),  # a local file or an unavailable track
        spotify_row(ms_played=29_999),
        spotify_row(ms_played=30_000),  # exactly the threshold counts
        spotify_row(ms_played=0, reason_end="fwdbtn"),
        spotify_row(incognito_mode=True, ts="2023-03-20T10:00:00Z", ms_played=100_000),
        spotify_row(master_metadata_album_artist_name=None),
    ]
    records, report = read(write_json(tmp_path / "h.json", rows))
    assert [r.ms_played for r in records] == [215_500, 30_000, 100_000]
    assert records[2].played_at == at(2023, 3, 20, 9, 58, 20)  # incognito plays are plays
    assert report.skipped == {
        "podcast": 2,
        "audiobook": 1,
        "no_metadata": 2,
        "short_play": 2,
    }
    assert report.skipped_total == 7
    assert report.read == 3
    assert report.problems == []


def test_min_play_ms_parameter(tmp_path: Path) -> None:
    path = write_json(tmp_path / "h.json", [spotify_row(ms_played=0), spotify_row(ms_played=9_999)])
    records, report = read(path, min_play_ms=0)
    assert [r.ms_played for r in records] == [0, 9_999]
    records, report = read(path, min_play_ms=10_000)
    assert (records, report.skipped) == ([], {"short_play": 2})


def test_min_play_defaults_to_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_json(tmp_path / "h.json", [spotify_row(ms_played=12_000)])
    report = ReadReport()
    assert list(read_listens([path], report)) == []  # 30 s by default
    assert report.skipped == {"short_play": 1}
    monkeypatch.setenv("SIDETRACK_IMPORT_MIN_PLAY_SECONDS", "10")
    get_settings.cache_clear()
    report = ReadReport()
    assert [r.ms_played for r in read_listens([path], report)] == [12_000]


def test_import_min_play_seconds_setting_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().import_min_play_seconds == 30
    monkeypatch.setenv("SIDETRACK_IMPORT_MIN_PLAY_SECONDS", "-1")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="SIDETRACK_IMPORT_MIN_PLAY_SECONDS"):
        get_settings()


def test_unicode_names_are_stripped_and_composed(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Sigur Rós")
    rows = [
        spotify_row(
            master_metadata_track_name="  戦場のメリークリスマス ",
            master_metadata_album_artist_name="坂本龍一",
            master_metadata_album_album_name="",
        ),
        spotify_row(
            master_metadata_track_name="🎵 Dancing Queen 💃",
            master_metadata_album_artist_name=decomposed,
            master_metadata_album_album_name="Ágætis byrjun",
        ),
    ]
    records, _ = read(write_json(tmp_path / "h.json", rows))
    assert [(r.artist_name, r.track_title, r.album_title) for r in records] == [
        ("坂本龍一", "戦場のメリークリスマス", None),
        ("Sigur Rós", "🎵 Dancing Queen 💃", "Ágætis byrjun"),
    ]
    assert records[1].artist_name == unicodedata.normalize("NFC", "Sigur Rós")
    assert len(records[1].artist_name) == 9


def test_older_endsong_files_are_read(tmp_path: Path) -> None:
    path = write_json(tmp_path / "endsong_0.json", [endsong_row(ts="2014-07-05T11:09:36Z")])
    records, report = read(path)
    assert [(r.track_title, r.played_at) for r in records] == [
        ("Jóga", datetime(2014, 7, 5, 11, 6, 0, 500_000, tzinfo=UTC))
    ]
    assert report.formats == {str(path): SPOTIFY_EXTENDED}


def test_bad_track_uri_gives_no_id(tmp_path: Path) -> None:
    rows = [
        spotify_row(spotify_track_uri="spotify:local:Artist:Album:Song:200"),
        spotify_row(spotify_track_uri=None),
    ]
    records, _ = read(write_json(tmp_path / "h.json", rows))
    assert [r.spotify_track_id for r in records] == [None, None]


def test_malformed_rows_are_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    rows: list[Any] = [
        spotify_row(),
        spotify_row(ts="yesterday"),
        "not a row",
        spotify_row(ms_played="lots"),
        spotify_row(ms_played=-5),
        spotify_row(ts=None),
        spotify_row(master_metadata_track_name=42),
        spotify_row(ts="1970-01-01T00:10:00Z", ms_played=60_000),
        spotify_row(ts="2023-03-19T18:40:00Z", ms_played=60_000),
    ]
    path = write_json(tmp_path / "h.json", rows)
    records, report = read(path)
    assert [r.played_at for r in records] == [
        datetime(2023, 3, 19, 18, 28, 1, 500_000, tzinfo=UTC),
        at(2023, 3, 19, 18, 39),
    ]
    assert report.problems == [
        RecordProblem(str(path), "item 2", "ts is not a date and time: 'yesterday'"),
        RecordProblem(str(path), "item 3", "not a JSON object"),
        RecordProblem(str(path), "item 4", "ms_played is not a whole number: 'lots'"),
        RecordProblem(str(path), "item 5", "ms_played is negative: -5"),
        RecordProblem(str(path), "item 6", "ts is missing"),
        RecordProblem(str(path), "item 7", "master_metadata_track_name is not text"),
        RecordProblem(
            str(path), "item 8", "play time 1970-01-01 00:09 UTC cannot be right; not read"
        ),
    ]
    assert report.problem_count == 7
    assert report.read == 2


def test_truncated_array_keeps_every_complete_item_before_the_cut(tmp_path: Path) -> None:
    whole = json.dumps(
        [
            spotify_row(ts="2023-03-19T18:31:37Z"),
            spotify_row(ts="2023-03-19T18:41:37Z"),
            spotify_row(ts="2023-03-19T18:51:37Z"),
        ],
        indent=2,
    )
    cut = whole[: whole.index('"2023-03-19T18:51:37Z"') + 10]  # in the middle of item 3
    path = write(tmp_path / "Streaming_History_Audio_2023_1.json", cut)
    records, report = read(path)
    assert [r.played_at.minute for r in records] == [28, 38]
    assert report.read == 2
    assert report.files == 1
    assert report.problems == [
        RecordProblem(
            str(path),
            "item 3",
            "the file is cut off in this item; the 2 items before it were read",
        )
    ]


def test_array_cut_between_items_is_reported(tmp_path: Path) -> None:
    whole = json.dumps([spotify_row(), spotify_row(ts="2023-03-19T18:41:37Z")])
    path = write(tmp_path / "h.json", whole[:-1] + ",\n")  # the closing "]" is lost
    records, report = read(path)
    assert len(records) == 2
    assert report.problems == [
        RecordProblem(
            str(path),
            "file",
            "the file is cut off after item 2; the 2 items before it were read",
        )
    ]


@pytest.mark.parametrize(
    ("text", "kept", "position", "reason"),
    [
        ('[{row}, {{"ts": oops}}, {row}]', 1, "item 2", "not valid JSON here"),
        ("[{row} {row}]", 1, "item 2", "a comma is missing before this item"),
        ("[{row}, {row},]", 2, None, None),  # a trailing comma is tolerated
        ("[{row}] trailing", 1, "file", None),
        ("[{row}, {row}", 2, "file", "the file is cut off after item 2"),
        ('[{row}, {{"ts": "2023', 1, "item 2", "the file is cut off in this item"),
    ],
)
def test_broken_arrays_keep_what_comes_before_the_break(
    tmp_path: Path, text: str, kept: int, position: str | None, reason: str | None
) -> None:
    path = write(tmp_path / "h.json", text.format(row=json.dumps(spotify_row())))
    records, report = read(path)
    assert len(records) == kept
    start = datetime(2023, 3, 19, 18, 28, 1, 500_000, tzinfo=UTC)
    assert [r.played_at for r in records] == [start] * kept
    if position is None:
        assert report.problems == []
    elif reason is None:
        assert report.problems == [
            RecordProblem(str(path), position, "unexpected text after the list; ignored")
        ]
    else:
        items = "1 item" if kept == 1 else f"{kept} items"
        assert report.problems == [
            RecordProblem(str(path), position, f"{reason}; the {items} before it were read")
        ]


def test_large_arrays_are_decoded_item_by_item_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [spotify_row(ts=f"2023-03-19T18:{m:02d}:37Z") for m in range(10, 20)]
    rows.insert(3, podcast_row())
    path = write_json(tmp_path / "h.json", rows)
    whole, whole_report = read(path)
    monkeypatch.setattr(files, "LARGE_JSON_CHARS", 0)
    piecewise, piecewise_report = read(path)
    assert len(whole) == 10
    assert piecewise == whole
    assert piecewise_report.skipped == whole_report.skipped == {"podcast": 1}
    assert piecewise_report.problems == []


def test_a_character_cut_where_the_format_is_judged_is_read_whole(tmp_path: Path) -> None:
    # The format is judged from the first 64 KB; make byte 65,536 fall inside a "ö".
    rows = [spotify_row(master_metadata_album_artist_name="Björk" * 40) for _ in range(100)]
    padding = 0
    while True:
        data = json.dumps([{"pad": " " * padding}, *rows], ensure_ascii=False).encode()
        if data[files._HEAD_BYTES] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            break
        padding += 1
    path = tmp_path / "h.json"
    path.write_bytes(data)
    records, report = read(path)
    assert report.formats == {str(path): SPOTIFY_EXTENDED}
    assert len(records) == 100
    assert records[-1].artist_name == "Björk" * 40
    assert report.skipped == {"no_metadata": 1}  # the padding row
    assert report.problems == []


def test_a_history_with_a_broken_character_past_its_start_is_named(tmp_path: Path) -> None:
    rows = [spotify_row() for _ in range(200)]
    data = json.dumps(rows, ensure_ascii=False).encode()
    cut = data.rindex("Björk".encode())
    path = tmp_path / "h.json"
    path.write_bytes(data[:cut] + b"Bj\xf6rk" + data[cut + len("Björk".encode()) :])
    records, report = read(path)
    assert records == []
    assert report.formats == {str(path): SPOTIFY_EXTENDED}
    assert report.problems == [RecordProblem(str(path), "file", "not UTF-8 text; not read")]


def test_duplicate_rows_are_all_read_identically(tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.json", [spotify_row(), spotify_row()])
    second = write_json(tmp_path / "b.json", [spotify_row()])
    records, report = read(first, second)
    assert len(records) == 3
    assert records[0] == records[1] == records[2]
    assert report.read == 3


# --- Spotify account data -------------------------------------------------------------------


def test_account_data_history(tmp_path: Path) -> None:
    rows = [
        {
            "endTime": "2022-12-05 16:52",
            "artistName": "Hikaru Utada",
            "trackName": "First Love",
            "msPlayed": 185_000,
        },
        {"endTime": "2022-12-05 16:53", "artistName": "A", "trackName": "B", "msPlayed": 1200},
        {
            "endTime": "2022-12-05 17:00",
            "artistName": "Unknown Artist",
            "trackName": "Unknown Track",
            "msPlayed": 200_000,
        },
        {"endTime": "2022-12-05 17:10", "artistName": "A", "trackName": "", "msPlayed": 60_000},
        {"endTime": "12/05/2022", "artistName": "A", "trackName": "B", "msPlayed": 60_000},
    ]
    path = write_json(tmp_path / "StreamingHistory_music_0.json", rows)
    records, report = read(path)
    # Ended 16:52 after 3 min 5 s: started 16:48:55 UTC.
    assert records == [
        ListenRecord(
            artist_name="Hikaru Utada",
            track_title="First Love",
            played_at=at(2022, 12, 5, 16, 48, 55),
            source=ListenSource.SPOTIFY,
            ms_played=185_000,
        )
    ]
    assert report.skipped == {"short_play": 1, "no_metadata": 2}
    assert report.problems == [
        RecordProblem(str(path), "item 5", "endTime is not a date and time: '12/05/2022'")
    ]
    assert report.formats == {str(path): SPOTIFY_ACCOUNT}


def test_account_data_podcasts_are_skipped(tmp_path: Path) -> None:
    rows = [
        {
            "endTime": "2022-12-05 08:10",
            "podcastName": "The Daily",
            "episodeName": "A Tuesday",
            "msPlayed": 1_500_000,
        }
    ] * 3
    records, report = read(write_json(tmp_path / "StreamingHistory_podcast_0.json", rows))
    assert records == []
    assert report.skipped == {"podcast": 3}
    assert report.problems == []


# --- Last.fm CSV ----------------------------------------------------------------------------

LASTFM_TO_CSV = (
    "Radiohead,OK Computer,Airbag,31 Jan 2021 18:22\n"
    "Radiohead,,Creep,31 Jan 2021 18:18\n"  # empty album
    "Beyoncé,Lemonade,Formation,\n"  # now playing
    "Daft Punk,Discovery,One More Time,1 Feb 2021 09:05\n"
)


def test_lastfm_csv_without_a_header(tmp_path: Path) -> None:
    path = write(tmp_path / "scrobbles.csv", LASTFM_TO_CSV)
    records, report = read(path)
    assert records == [
        ListenRecord(
            artist_name="Radiohead",
            track_title="Airbag",
            played_at=at(2021, 1, 31, 18, 22),
            source=ListenSource.LASTFM,
            album_title="OK Computer",
        ),
        ListenRecord(
            artist_name="Radiohead",
            track_title="Creep",
            played_at=at(2021, 1, 31, 18, 18),
            source=ListenSource.LASTFM,
        ),
        ListenRecord(
            artist_name="Daft Punk",
            track_title="One More Time",
            played_at=at(2021, 2, 1, 9, 5),
            source=ListenSource.LASTFM,
            album_title="Discovery",
        ),
    ]
    assert report.skipped == {"now_playing": 1}
    assert report.formats == {str(path): LASTFM_CSV}


def test_lastfm_csv_short_plays_are_not_skipped(tmp_path: Path) -> None:
    # Last.fm says nothing of how long a play lasted: the threshold does not apply.
    path = write(tmp_path / "scrobbles.csv", "A,B,C,31 Jan 2021 18:22\n")
    records, _ = read(path, min_play_ms=3_600_000)
    assert [r.ms_played for r in records] == [None]


def test_lastfm_csv_with_a_header_bom_and_crlf(tmp_path: Path) -> None:
    content = "\ufeffartist,album,name,date\r\nMitski,Be the Cowboy,Nobody,02 Mar 2019 23:59\r\n"
    records, report = read(write(tmp_path / "x.csv", content))
    assert [(r.artist_name, r.album_title, r.track_title, r.played_at) for r in records] == [
        ("Mitski", "Be the Cowboy", "Nobody", at(2019, 3, 2, 23, 59))
    ]
    assert report.problems == []


def test_lastfm_csv_bad_rows_are_problems(tmp_path: Path) -> None:
    content = (
        "Radiohead,OK Computer,Airbag,31 Jan 2021 18:22\n"
        "Crosby, Stills & Nash,CSN,Helplessly Hoping,31 Jan 2021 18:30\n"  # unquoted comma
        "Radiohead,OK Computer,Lucky,31 Foo 2021 18:22\n"
        ",OK Computer,Lucky,31 Jan 2021 18:40\n"
        "\n"
        "Old,Client,Song,01 Jan 1970 00:00\n"
        "Radiohead,OK Computer,Let Down,31 Jan 2021 18:50\n"
    )
    path = write(tmp_path / "s.csv", content)
    records, report = read(path)
    assert [r.track_title for r in records] == ["Airbag", "Let Down"]
    assert report.skipped == {"no_metadata": 1}
    assert report.problems == [
        RecordProblem(
            str(path),
            "row 2",
            "has 5 columns; expected 4 (artist, album, track, date) — a comma in a name that "
            "was not quoted?",
        ),
        RecordProblem(
            str(path),
            "row 3",
            "date '31 Foo 2021 18:22' is not a date we know (like 31 Jan 2021 18:22)",
        ),
        RecordProblem(
            str(path), "row 6", "play time 1970-01-01 00:00 UTC cannot be right; not read"
        ),
    ]


GHAN_CSV = (
    "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
    f'"1611685200","26 Jan 2021, 18:20","Crosby, Stills, Nash & Young","{ARTIST}",'
    f'"Déjà Vu","{RELEASE}","Carry On","{RECORDING}"\n'
    '"1672531200","01 Jan 2023, 00:00","The ""Band""","","","","Song, with a comma","nope"\n'
    '"","20 Jul 2021, 15:07","Utada","","","","Time",""\n'
    '"","","Now","","","","Playing",""\n'
)


def test_ghan_csv_with_quoted_values_and_mbids(tmp_path: Path) -> None:
    path = write(tmp_path / "lastfm.csv", GHAN_CSV)
    records, report = read(path)
    assert records == [
        ListenRecord(
            artist_name="Crosby, Stills, Nash & Young",
            track_title="Carry On",
            played_at=at(2021, 1, 26, 18, 20),
            source=ListenSource.LASTFM,
            album_title="Déjà Vu",
            recording_mbid=RECORDING,
            release_mbid=RELEASE,
            artist_mbid=ARTIST,
        ),
        ListenRecord(
            artist_name='The "Band"',
            track_title="Song, with a comma",
            played_at=at(2023, 1, 1),
            source=ListenSource.LASTFM,
        ),
        ListenRecord(  # no uts: utc_time is used
            artist_name="Utada",
            track_title="Time",
            played_at=at(2021, 7, 20, 15, 7),
            source=ListenSource.LASTFM,
        ),
    ]
    assert report.skipped == {"now_playing": 1}
    assert report.problems == []


# --- ListenBrainz ---------------------------------------------------------------------------


def test_listenbrainz_jsonl(tmp_path: Path) -> None:
    content = (
        jsonl(listen(1672531200))
        + jsonl(
            listen(
                1700000000.5,
                artist_name="Sigur Rós",
                track_name="Hoppípolla",
                release_name="",
                additional_info={
                    "duration": 268,
                    "recording_mbid": "not-a-uuid",
                    "artist_mbids": ["", ARTIST.upper()],
                    "spotify_id": "https://open.spotify.com/intl-de/track/"
                    "6eTGxxQxiTFExKfovLrqpa?si=1",
                    "isrc": "gb-aap-07-00001",
                },
                mbid_mapping=None,
                recording_msid=None,
            )
        )
        + '{"listened_at": 1700000100, "track_metadata": {"artist_na\n'  # a broken line
        + "\n"
        + jsonl(listen(None))  # no time: a playing-now listen
        + jsonl(listen(1700000200, track_name="  "))
    )
    path = write(tmp_path / "12.jsonl", content)
    records, report = read(path)
    assert records == [
        ListenRecord(
            artist_name="Ryuichi Sakamoto",
            track_title="Merry Christmas Mr. Lawrence",
            played_at=at(2023, 1, 1),
            source=ListenSource.LISTENBRAINZ,
            album_title="Coda",
            duration_ms=272000,
            recording_mbid=RECORDING,
            release_mbid=RELEASE,
            artist_mbid=ARTIST,
            spotify_track_id="4iV5W9uYEdYUVa79Axb7Rh",
            isrc="JPB600760301",
            source_id=MSID,
        ),
        ListenRecord(
            artist_name="Sigur Rós",
            track_title="Hoppípolla",
            played_at=datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC),
            source=ListenSource.LISTENBRAINZ,
            duration_ms=268_000,
            artist_mbid=ARTIST,
            spotify_track_id="6eTGxxQxiTFExKfovLrqpa",
            isrc="GBAAP0700001",
        ),
    ]
    assert report.problems == [RecordProblem(str(path), "line 3", "not valid JSON (cut off?)")]
    assert report.skipped == {"now_playing": 1, "no_metadata": 1}
    assert report.formats == {str(path): LISTENBRAINZ_JSONL}


def test_listenbrainz_jsonl_lines_python_reads_are_read(tmp_path: Path) -> None:
    """NaN and a lone surrogate escape are not strict JSON, but Python's json reads them
    and so must we: such a line is a play, not a problem."""
    odd = json.dumps(listen(1672531200, additional_info={"duration_ms": float("nan")}))
    surrogate = json.dumps(listen(1672531300, track_name="Merry \ud800 Lawrence"))
    assert "NaN" in odd and "\\ud800" in surrogate
    records, report = read(write(tmp_path / "odd.jsonl", odd + "\n" + surrogate + "\n"))
    assert report.problems == []
    assert [r.played_at.timestamp() for r in records] == [1672531200, 1672531300]
    assert records[0].duration_ms is None  # NaN is no length


def test_listenbrainz_mbid_mapping_fills_in_missing_ids(tmp_path: Path) -> None:
    item = listen(additional_info={})
    records, _ = read(write(tmp_path / "1.jsonl", jsonl(item)))
    assert (records[0].recording_mbid, records[0].release_mbid, records[0].artist_mbid) == (
        RECORDING,
        RELEASE,
        ARTIST,
    )
    assert records[0].duration_ms is None
    assert records[0].source_id == MSID  # from track_metadata


def test_listenbrainz_legacy_json_array(tmp_path: Path) -> None:
    legacy = listen(1672531200)
    legacy["recording_msid"] = "top-level-msid"
    legacy["user_name"] = "rob"
    path = write_json(tmp_path / "listens.json", [legacy, listen(1672531260)])
    records, report = read(path)
    assert [(r.played_at, r.source_id) for r in records] == [
        (at(2023, 1, 1), "top-level-msid"),
        (at(2023, 1, 1, 0, 1), MSID),
    ]
    assert report.formats == {str(path): LISTENBRAINZ_JSON}


def test_listenbrainz_user_export_zip(tmp_path: Path) -> None:
    path = tmp_path / "listenbrainz_rob_1700000000.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"user_id": 1, "username": "rob"}))
        archive.writestr("listens/2023/1.jsonl", jsonl(listen(1672531200)))
        archive.writestr(
            "listens/2023/11.jsonl", jsonl(listen(1700000000), listen(1700000300)) + "{oops\n"
        )
        archive.writestr(
            "feedback.jsonl",
            jsonl({"recording_msid": MSID, "recording_mbid": None, "score": 1, "created": 1}),
        )
        archive.writestr(
            "pinned_recording.jsonl",
            jsonl({"recording_msid": MSID, "blurb_content": "!", "created": 1}),
        )
    records, report = read(path)
    assert [r.played_at for r in records] == [
        at(2023, 1, 1),
        at(2023, 11, 14, 22, 13, 20),
        at(2023, 11, 14, 22, 18, 20),
    ]
    assert report.files == 2
    assert report.formats == {
        f"{path}/listens/2023/1.jsonl": LISTENBRAINZ_JSONL,
        f"{path}/listens/2023/11.jsonl": LISTENBRAINZ_JSONL,
    }
    assert sorted(report.ignored) == [
        f"{path}/feedback.jsonl",
        f"{path}/pinned_recording.jsonl",
        f"{path}/user.json",
    ]
    assert report.problems == [
        RecordProblem(str(path), "listens/2023/11.jsonl line 3", "not valid JSON (cut off?)")
    ]


# --- Zips, detection, files we don't know ---------------------------------------------------


def spotify_zip(path: Path) -> Path:
    folder = "Spotify Extended Streaming History/"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            folder + "Streaming_History_Audio_2019-2021_0.json",
            json.dumps([spotify_row(ts="2020-05-01T10:00:00Z", ms_played=100_000), podcast_row()]),
        )
        archive.writestr(
            folder + "Streaming_History_Audio_2021-2023_1.json",
            json.dumps(
                [spotify_row(ts="2022-05-01T10:00:00Z", ms_played=100_000), spotify_row(ts=5)]
            ),
        )
        archive.writestr(
            folder + "Streaming_History_Video_2019-2023.json",
            json.dumps([podcast_row(), spotify_row(), spotify_row()]),
        )
        archive.writestr(folder + "ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4\x00\xff")
        archive.writestr("__MACOSX/._Streaming_History_Audio_2019-2021_0.json", b"\x00\x05\x16\x07")
        archive.writestr(folder + "notes.txt", "hello, world\n")
        archive.writestr(folder, b"")  # a directory entry
    return path


def test_zip_with_several_exports_a_video_file_and_junk(tmp_path: Path) -> None:
    path = spotify_zip(tmp_path / "my_spotify_data.zip")
    records, report = read(path)
    assert [r.played_at for r in records] == [
        at(2020, 5, 1, 9, 58, 20),
        at(2022, 5, 1, 9, 58, 20),
    ]
    folder = f"{path}/Spotify Extended Streaming History/"
    assert report.formats == {
        folder + "Streaming_History_Audio_2019-2021_0.json": SPOTIFY_EXTENDED,
        folder + "Streaming_History_Audio_2021-2023_1.json": SPOTIFY_EXTENDED,
        folder + "Streaming_History_Video_2019-2023.json": SPOTIFY_VIDEO,
    }
    assert report.files == 3
    assert report.skipped == {"podcast": 1, "video": 3}
    assert report.ignored == {
        f"{path}/__MACOSX/._Streaming_History_Audio_2019-2021_0.json": (
            "not Spotify, Last.fm or ListenBrainz data"
        ),
        folder + "ReadMeFirst_ExtendedStreamingHistory.pdf": "not UTF-8 text",
        folder + "notes.txt": "not Spotify, Last.fm or ListenBrainz data",
    }
    assert report.problems == [
        RecordProblem(
            str(path),
            "Spotify Extended Streaming History/Streaming_History_Audio_2021-2023_1.json item 2",
            "ts is not text",
        )
    ]


def test_a_damaged_zip_member_is_named_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "my_spotify_data.zip"
    rows = json.dumps([spotify_row(ts="2020-05-01T10:00:00Z", ms_played=100_000)] * 50)
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("garbled.json", "wrong_crc.json", "deflated.json"):
            archive.writestr(name, rows, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("stored.json", rows, compress_type=zipfile.ZIP_STORED)
        garbled = archive.getinfo("garbled.json")
    data = bytearray(path.read_bytes())
    # Inside the first member's deflate stream: 30 header bytes and its name come first.
    start = garbled.header_offset + 30 + len("garbled.json")
    data[start : start + 8] = b"\xff" * 8
    # The second member's CRC as the central directory records it, 30 bytes before its name.
    name_at = data.rindex(b"wrong_crc.json")
    data[name_at - 30 : name_at - 26] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))

    records, report = read(path)
    assert len(records) == 100  # deflated.json and stored.json
    assert [(p.position, p.reason.split(":")[0]) for p in report.problems] == [
        ("garbled.json", "cannot be unpacked"),
        ("wrong_crc.json", "cannot be unpacked"),
    ]
    assert report.files == 2


def test_uploaded_bytes_are_read_like_files(tmp_path: Path) -> None:
    data = spotify_zip(tmp_path / "upload.zip").read_bytes()
    report = ReadReport()
    records = list(read_listens_from_bytes("upload.zip", data, report, min_play_ms=30_000))
    on_disk, disk_report = read(tmp_path / "upload.zip")
    assert records == on_disk
    assert len(records) == 2
    assert report.skipped == disk_report.skipped
    assert report.problems[0].file == "upload.zip"
    report = ReadReport()
    plain = list(read_listens_from_bytes("x", LASTFM_TO_CSV.encode(), report))
    assert len(plain) == 3


def test_detection_does_not_depend_on_names(tmp_path: Path) -> None:
    contents: dict[str, str | bytes] = {
        "a.txt": json.dumps([spotify_row()]),
        "b": json.dumps(
            [
                {
                    "endTime": "2022-12-05 16:52",
                    "artistName": "A",
                    "trackName": "B",
                    "msPlayed": 60_000,
                }
            ]
        ),
        "c.json": LASTFM_TO_CSV,
        "d.csv": jsonl(listen()),
        "e.jsonl": json.dumps([listen()]),
        "f.dat": GHAN_CSV,
        "g.png": spotify_zip(tmp_path / "z.zip").read_bytes(),
    }
    expected = {
        "a.txt": SPOTIFY_EXTENDED,
        "b": SPOTIFY_ACCOUNT,
        "c.json": LASTFM_CSV,
        "d.csv": LISTENBRAINZ_JSONL,
        "e.jsonl": LISTENBRAINZ_JSON,
        "f.dat": LASTFM_CSV,
        "g.png": ZIP,
    }
    for name, content in contents.items():
        data = content.encode() if isinstance(content, str) else content
        assert detect_format(name, data) == expected[name], name
    paths = [write(tmp_path / name, content) for name, content in contents.items()]
    records, report = read(*paths)
    assert report.formats == {
        **{str(tmp_path / name): fmt for name, fmt in expected.items() if fmt != ZIP},
        **{
            f"{tmp_path / 'g.png'}/Spotify Extended Streaming History/{member}": fmt
            for member, fmt in [
                ("Streaming_History_Audio_2019-2021_0.json", SPOTIFY_EXTENDED),
                ("Streaming_History_Audio_2021-2023_1.json", SPOTIFY_EXTENDED),
                ("Streaming_History_Video_2019-2023.json", SPOTIFY_VIDEO),
            ]
        },
    }
    assert len(records) == 1 + 1 + 3 + 1 + 1 + 3 + 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", None),
        (b"[]", None),
        (b'{"user_id": 1}', None),
        (b"[1, 2, 3]", None),
        (b'[{"ts": "2023-01-01T00:00:00Z"', None),  # cut off inside its first item
        (b"\xff\xd8\xff\xe0 jpeg", None),
        (b"just some words, nothing more\n", None),
        (b"\xef\xbb\xbfArtist,Album,Track,01 Feb 2021 09:05\n", LASTFM_CSV),
        (json.dumps([spotify_row()]).encode("utf-16"), SPOTIFY_EXTENDED),
    ],
)
def test_detect_format(data: bytes, expected: str | None) -> None:
    assert detect_format("whatever.json", data) == expected


def test_video_history_is_named_by_its_file_name_only() -> None:
    data = json.dumps([spotify_row()]).encode()
    assert detect_format("Streaming_History_Video_2023.json", data) == SPOTIFY_VIDEO
    assert detect_format("Streaming_History_Audio_2023.json", data) == SPOTIFY_EXTENDED


def test_unknown_missing_and_empty_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    unknown = write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF")
    empty = write(tmp_path / "empty.json", "")
    words = write(tmp_path / "notes.txt", "remember the milk\n")
    broken_zip = write(tmp_path / "broken.zip", b"PK\x03\x04 and then nothing")
    missing = tmp_path / "missing.json"
    no_exports = tmp_path / "other.zip"
    with zipfile.ZipFile(no_exports, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    good = write_json(tmp_path / "good.json", [spotify_row()])
    records, report = read(unknown, empty, words, broken_zip, missing, no_exports, tmp_path, good)
    assert len(records) == 1
    assert [(p.file, p.position) for p in report.problems] == [
        (str(unknown), "file"),
        (str(empty), "file"),
        (str(words), "file"),
        (str(broken_zip), "file"),
        (str(missing), "file"),
        (str(no_exports), "file"),
        (str(tmp_path), "file"),
    ]
    reasons = [p.reason for p in report.problems]
    assert reasons[0] == "not a listening export we know (not UTF-8 text)"
    assert reasons[1] == "not a listening export we know (the file is empty)"
    assert reasons[2] == (
        "not a listening export we know (not Spotify, Last.fm or ListenBrainz data)"
    )
    assert reasons[3] == "not a readable zip (damaged or cut off?)"
    assert reasons[4].startswith("cannot be read: ")
    assert reasons[5] == "no listening export found in this zip"
    assert reasons[6] == "is a folder: give the export files (or the zip) in it"
    assert report.ignored == {
        f"{no_exports}/readme.txt": "not Spotify, Last.fm or ListenBrainz data"
    }


def test_reading_is_lazy_file_by_file(tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.json", [spotify_row(), spotify_row()])
    second = tmp_path / "b.json"  # does not exist yet
    report = ReadReport()
    records = read_listens([first, second], report, min_play_ms=0)
    next(records)
    assert (report.files, report.read, report.problems) == (1, 1, [])
    write_json(second, [spotify_row(ts="2023-03-20T00:00:00Z")])  # written while reading
    rest = list(records)
    assert len(rest) == 2
    assert report.files == 2
    assert report.read == 3


def test_problems_are_capped_but_all_counted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "h.json", [spotify_row(ts="x")] * 5 + [spotify_row()])
    report = ReadReport(max_problems=2)
    records = list(read_listens([path], report, min_play_ms=0))
    assert len(records) == 1
    assert [p.position for p in report.problems] == ["item 1", "item 2"]
    assert report.problem_count == 5
    summary = report.as_dict()
    assert summary["problem_count"] == 5
    assert summary["read"] == 1
    assert summary["problems"][0] == {
        "file": str(path),
        "position": "item 1",
        "reason": "ts is not a date and time: 'x'",
    }
    assert json.loads(json.dumps(summary)) == summary
