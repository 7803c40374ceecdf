"""`sidetrack users create` and `sidetrack import listens`, run as a member would."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sidetrack.cli import app

SPOTIFY = [
    {
        "ts": "2023-03-19T18:31:37Z",
        "ms_played": 215_500,
        "master_metadata_track_name": "Jóga",
        "master_metadata_album_artist_name": "Björk",
        "master_metadata_album_album_name": "Homogenic",
        "spotify_track_uri": "spotify:track:3QqOHSU6yBfFP4bD8AyLdS",
        "episode_name": None,
    },
    {
        "ts": "2023-03-19T18:40:00Z",
        "ms_played": 5_000,
        "master_metadata_track_name": "Hunter",
        "master_metadata_album_artist_name": "Björk",
        "master_metadata_album_album_name": "Homogenic",
        "spotify_track_uri": "spotify:track:1bBZt5ZPRGqzuUGcZQhZZf",
        "episode_name": None,
    },
    {
        "ts": "2023-03-19T19:40:00Z",
        "ms_played": 1_500_000,
        "master_metadata_track_name": None,
        "master_metadata_album_artist_name": None,
        "master_metadata_album_album_name": None,
        "spotify_track_uri": None,
        "episode_name": "A talk",
        "episode_show_name": "A show",
        "spotify_episode_uri": "spotify:episode:0Q86acNRm6V9GYx55SXKwf",
    },
]
# The same Jóga play as Last.fm saw it (to the minute, at its start), another play, a bad date.
LASTFM = (
    "Björk,Homogenic,Jóga,19 Mar 2023 18:28\n"
    "Björk,Homogenic,Bachelorette,19 Mar 2023 20:00\n"
    "Björk,Homogenic,Hunter,not a date\n"
)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    spotify = tmp_path / "a.json"
    spotify.write_text(json.dumps(SPOTIFY), encoding="utf-8")
    lastfm = tmp_path / "b.csv"
    lastfm.write_text(LASTFM, encoding="utf-8")
    return spotify, lastfm


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def test_import_reports_and_reimport_adds_nothing(files: tuple[Path, Path]) -> None:
    spotify, lastfm = files
    assert run("users", "create", "ann", "--display-name", "Ann")[0] == 0
    code, out = run("import", "listens", "--user", "ann", "--json", str(spotify), str(lastfm))
    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    # Spotify: Jóga kept, Hunter a short play, the episode a podcast. Last.fm: Jóga again (the
    # same play, 1.5 s apart after Spotify's end → start), Bachelorette new, one bad row.
    assert summary["files"] == 2
    assert summary["read"] == 3
    assert summary["imported"] == 2
    assert summary["duplicates"] == 1
    assert summary["skipped"] == {"podcast": 1, "short_play": 1}
    assert [(e["file"], e["position"]) for e in summary["errors"]] == [(str(lastfm), "row 3")]

    code, out = run("import", "listens", "--user", "ann", "--json", str(spotify), str(lastfm))
    again = json.loads(out.strip().splitlines()[-1])
    assert (code, again["imported"], again["duplicates"]) == (0, 0, 3)

    code, out = run("import", "listens", "--user", "ann", str(spotify))
    assert code == 0
    assert "0 imported, 1 already there" in out


def test_unknown_member_is_a_one_line_error(files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(app, ["import", "listens", "--user", "nobody", str(files[0])])
    assert result.exit_code == 2
    assert "nobody" in result.output


def test_nothing_readable_exits_non_zero(files: tuple[Path, Path], tmp_path: Path) -> None:
    run("users", "create", "ann")
    junk = tmp_path / "notes.txt"
    junk.write_text("hello", encoding="utf-8")
    code, out = run("import", "listens", "--user", "ann", "--json", str(junk))
    assert code == 1
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["imported"] == 0
    assert summary["errors"][0]["file"] == str(junk)


def test_files_in_a_zip_that_hold_no_plays_are_reported(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    import zipfile

    run("users", "create", "ann")
    archive = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(files[0], "Spotify Extended Streaming History/Streaming_History_Audio_0.json")
        zipped.writestr("Spotify Extended Streaming History/ReadMeFirst.pdf", b"%PDF-1.4")
    code, out = run("import", "listens", "--user", "ann", "--json", str(archive))
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert summary["imported"] == 1
    assert summary["error_count"] == 0
    assert list(summary["ignored"]) == [
        f"{archive}/Spotify Extended Streaming History/ReadMeFirst.pdf"
    ]
    code, out = run("import", "listens", "--user", "ann", str(archive))
    assert "ignored: " in out
