"""The templates' display helpers."""

from datetime import UTC, date, datetime, timedelta, timezone

from sidetrack.web import format as fmt


def test_times_are_shown_in_utc_and_say_so() -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 1, 11, 19, 0, tzinfo=paris)
    assert fmt.when_utc(moment) == "Sun 11 Jan 2026, 18:00 UTC"
    assert fmt.day(moment) == "11 Jan 2026"
    assert fmt.day(date(2026, 3, 2)) == "2 Mar 2026"
    assert fmt.iso(moment) == "2026-01-11T18:00:00Z"
    assert fmt.when_utc(None) == fmt.day(None) == ""


def test_local_times_are_in_the_members_zone() -> None:
    moment = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    assert fmt.local_time(moment, "Europe/Berlin") == "Thu 2 Jul, 00:30"
    assert fmt.local_time(moment, "UTC") == "Wed 1 Jul, 22:30"


def test_scores_and_averages() -> None:
    assert fmt.score(3.5) == "3.5"
    assert fmt.score(4.0) == "4.0"
    assert fmt.score(3.75) == "3.75"
    assert fmt.score(None) == "–"
    assert fmt.average(3.5) == "3.50"
    assert fmt.average(3.13) == "3.13"
    assert fmt.average(None) == "–"


def test_stars_are_drawn_by_css_and_read_as_a_number() -> None:
    markup = str(fmt.stars(3.5))
    assert 'aria-label="3.5 out of 5 stars"' in markup
    assert 'style="--rating: 3.50"' in markup
    assert 'role="img"' in markup
    assert fmt.stars(None) == ""


def test_words_and_names() -> None:
    assert fmt.plural(1, "vote") == "1 vote"
    assert fmt.plural(1200, "vote") == "1,200 votes"
    assert fmt.plural(2, "member has", "members have") == "2 members have"
    assert fmt.initials("OK Computer") == "OC"
    assert fmt.initials("…") == "♪"
    assert fmt.hours(59 * 60_000) == "59 min"
    assert fmt.hours(150 * 60 * 60_000) == "150 h"
    assert fmt.phase_name("poll") == "Poll open"
    assert 0 <= fmt.hue("some album") < 360
    assert fmt.hue("some album") == fmt.hue("some album")
    assert fmt.spotify_album_url("6dVIqQ8qmQ5GBnJ9shOYGE") == (
        "https://open.spotify.com/album/6dVIqQ8qmQ5GBnJ9shOYGE"
    )
    assert fmt.spotify_album_url(None) is None
