"""Display helpers for the templates (registered as Jinja filters): dates, scores, names.

Formatting only: what to show is decided by the queries and the routes.
"""

import zlib
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

PHASE_NAMES = {
    "nominations": "Nominations open",
    "poll": "Poll open",
    "discussion": "Discussion",
    "ratings": "Ratings open",
    "closed": "Closed",
}

TIE_BREAK_NOTES = {
    "first_place_votes": "Level on points: the most first-place votes decided it.",
    "earliest_nomination": (
        "Level on points and first-place votes: the earliest nomination won, as the rules say."
    ),
}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def day(moment: datetime | date | None) -> str:
    """'24 Nov 2025' (the UTC date of a moment)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = _utc(moment).date()
    return f"{moment.day} {moment:%b %Y}"


def when_utc(moment: datetime | None) -> str:
    """'Sun 30 Nov 2025, 19:00 UTC': deadlines are shown in UTC and say so."""
    if moment is None:
        return ""
    moment = _utc(moment)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} UTC"


def iso(moment: datetime | date | None) -> str:
    """For <time datetime="…">."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return _utc(moment).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def local_time(moment: datetime, zone: str) -> str:
    """'Mon 12 Jan, 21:14' in the member's own zone."""
    local = _utc(moment).astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b, %H:%M}"


def score(value: float | None) -> str:
    """A rating or an average: 3.5 stays 3.5, 4.0 shows as 4.0, 3.125 as 3.13."""
    if value is None:
        return "–"
    if (value * 2).is_integer():
        return f"{value:.1f}"
    return f"{value:.2f}"


def average(value: float | None) -> str:
    """An average, always to two places: 3.50, 3.13."""
    return "–" if value is None else f"{value:.2f}"


def stars(value: float | None) -> Markup:
    """Five stars filled to the value, for sight; the number itself for screen readers."""
    if value is None:
        return Markup("")
    shown = score(value)
    return Markup(
        '<span class="stars" role="img" aria-label="{label}" style="--rating: {value}"></span>'
    ).format(label=f"{shown} out of 5 stars", value=f"{max(0.0, min(value, 5.0)):.2f}")


def hue(key: Any) -> int:
    """A stable hue (0–359) for a placeholder cover, from an album's id or name."""
    text = str(key).encode()
    return zlib.crc32(text) % 360


def initials(text: str) -> str:
    """Up to two letters for a placeholder cover: 'OK Computer' → 'OC'."""
    letters = [word[0] for word in text.split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "♪"


def week_name(week: Any) -> str:
    """'Week 12', or the week's label when it has no number."""
    number = getattr(week, "week_number", None)
    return f"Week {number}" if number is not None else str(week.label)


def week_date(week: Any) -> datetime | None:
    """The day that names a week on cards: its discussion, else its earliest deadline."""
    for field in ("discussion_at", "poll_close_at", "nominations_close_at"):
        moment = getattr(week, field, None)
        if moment is not None:
            return moment  # type: ignore[no-any-return]
    return None


def phase_name(phase: Any) -> str:
    return PHASE_NAMES.get(str(getattr(phase, "value", phase)), str(phase))


def plural(number: int, word: str, words: str | None = None) -> str:
    """'1 vote', '3 votes'."""
    return f"{number:,} {word if number == 1 else (words or word + 's')}"


def hours(ms: int) -> str:
    """Listening time: '42 min', '17 h'."""
    minutes = ms // 60_000
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60:,} h"


def spotify_album_url(spotify_id: str | None) -> str | None:
    return f"https://open.spotify.com/album/{spotify_id}" if spotify_id else None


FILTERS = {
    "day": day,
    "when_utc": when_utc,
    "iso": iso,
    "local_time": local_time,
    "score": score,
    "average": average,
    "stars": stars,
    "hue": hue,
    "initials": initials,
    "week_name": week_name,
    "week_date": week_date,
    "phase_name": phase_name,
    "plural": plural,
    "hours": hours,
    "spotify_album_url": spotify_album_url,
}
