"""Reading the nomination and rating mini-forms from what members really type in Discord.

Members copy the pinned form, or write it from memory, with Discord markdown (bold, italics,
quotes, spoilers), emoji, links wrapped in <>, labels in any case with or without a colon,
and the album as `Album — Artist (Year)` with an em dash, en dash, hyphen or "by". The parsers
take all of that and return plain values, or raise `FormError` with a message the member can
act on. A message that is not trying to be a form at all (chat in the thread) raises
`NotAForm`, a `FormError` the bot answers with silence.
"""

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "NOMINATION_TEMPLATE",
    "RATING_TEMPLATE",
    "FormError",
    "NominationForm",
    "NotAForm",
    "RatingForm",
    "normalize_decade",
    "parse_nomination",
    "parse_rating",
]

NAME_MAX = 255  # album titles, artist names, favourite tracks
TAG_MAX = 64  # genre and country
TEXT_MAX = 10_000  # pitches and reviews

NOMINATION_TEMPLATE = """\
**Album — Artist (Year):** Homogenic — Björk (1997)
**Why?** Strings, beats and a volcano of a voice.
**Pitch track (choose one):** <https://open.spotify.com/track/…>
**Tags (Genre / Decade / Country):** Art Pop / 90s / Iceland"""

RATING_TEMPLATE = """\
**Rating:** 4.5
**Favourite track:** Jóga
**Review:** A few words on what you heard."""


class FormError(ValueError):
    """The message cannot be read as the form; `str(error)` tells the member what to fix."""


class NotAForm(FormError):
    """The message does not look like an attempt at the form (chat): the bot ignores it."""


@dataclass(frozen=True)
class NominationForm:
    album_title: str
    artist_name: str
    year: int | None = None
    pitch: str | None = None
    pitch_track_url: str | None = None
    genre: str | None = None
    decade: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class RatingForm:
    value: float
    favorite_track: str | None = None
    review: str | None = None


# --- cleaning Discord markdown -----------------------------------------------------------------

_CUSTOM_EMOJI = re.compile(r"<a?:\w{1,32}:\d{5,20}>")
_WRAPPED_LINK = re.compile(r"<(https?://[^\s>]+)>", re.IGNORECASE)
_MASKED_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?(https?://[^\s)>]+)>?\s*\)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'`|]+", re.IGNORECASE)
_LINE_PREFIX = re.compile(r"^\s*(?:>>>\s?|>\s?|#{1,3}\s+|-#\s+|[-•·▪◦]\s+)*")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f"))


def _clean_inline(text: str) -> str:
    text = text.translate(_ZERO_WIDTH)
    text = _CUSTOM_EMOJI.sub("", text)
    text = _MASKED_LINK.sub(lambda m: f"{m[1]} {m[2]}" if m[1].strip() else m[2], text)
    text = _WRAPPED_LINK.sub(r"\1", text)
    text = text.replace("```", "").replace("`", "")
    text = text.replace("||", "").replace("~~", "").replace("**", "").replace("*", "")
    urls: list[str] = []

    def keep(match: re.Match[str]) -> str:  # underscores inside links are not emphasis
        urls.append(match[0])
        return f"\x00{len(urls) - 1}\x00"

    text = _URL.sub(keep, text)
    text = _UNDERSCORE_EMPHASIS.sub("", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m[1])], text)


def _is_decoration(char: str) -> bool:
    """Emoji and other pictographs members put before labels (not letters, digits, stars)."""
    if char in "★☆⭐½":
        return False
    return unicodedata.category(char) in {"So", "Sk", "Cs", "Co", "Mn"} or char in "\u20e3"


def _strip_decoration(text: str) -> str:
    start, end = 0, len(text)
    while start < end and (_is_decoration(text[start]) or text[start].isspace()):
        start += 1
    while end > start and (_is_decoration(text[end - 1]) or text[end - 1].isspace()):
        end -= 1
    return text[start:end]


def _clean_lines(text: str) -> list[str]:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _LINE_PREFIX.sub("", raw)
        line = _clean_inline(line)
        line = _LINE_PREFIX.sub("", line)  # a quote inside bold: **> …**
        lines.append(" ".join(_strip_decoration(line).split()))
    return lines


# --- labels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Label:
    field: str
    pattern: re.Pattern[str]
    # Without a colon or question mark, a label counts only when alone on its line, or when
    # this accepts the rest of the line (a link after "Pitch track", say).
    bare_value_ok: Callable[[str], bool]


def _label(field: str, words: str, bare_value_ok: Callable[[str], bool] | None = None) -> _Label:
    # No dash after a label: "Why — Björk" is an album line, not a pitch.
    pattern = re.compile(
        rf"^(?:{words})(?![\w'’])\s*(?P<paren>\([^)]*\))?\s*(?P<sep>[:?=]*)\s*(?P<value>.*)$",
        re.IGNORECASE,
    )
    return _Label(field, pattern, bare_value_ok or (lambda _value: False))


def _starts_with_url(value: str) -> bool:
    return _URL.match(value) is not None


def _has_tag_separator(value: str) -> bool:
    return any(sep in value for sep in "/|,")


_AND = r"\s*(?:[-–—/&+,]|and|by)\s*"
_NOMINATION_LABELS = [
    _label(
        "album",
        rf"(?:my\s+)?(?:album|record|lp){_AND}artist(?:{_AND}year)?|artist{_AND}album",
    ),
    _label(
        "album",
        r"(?:my\s+)?(?:nomination|nominating|nominee|pick)|album(?:\s+(?:title|name))?|record|lp",
    ),
    _label("artist", r"artist(?:\s+name)?|band|by"),
    _label("year", r"(?:release\s+)?year|released"),
    _label(
        "track",
        r"(?:pitch|key|sample|start(?:ing)?|recommended|fav(?:ou?rite|e)?)[\s-]*(?:track|song)"
        r"|track|song|listen(?:\s+to)?|start\s+with|link",
        _starts_with_url,
    ),
    _label(
        "pitch",
        r"why(?:\s+(?:this|it|listen)(?:\s+(?:album|one|record))?)?|(?:the\s+|my\s+)?pitch"
        r"|reason|because",
    ),
    _label("tags", r"tags?|genre\s*/\s*decade\s*/\s*country", _has_tag_separator),
    _label("genre", r"genres?|style"),
    _label("decade", r"decade|era"),
    _label("country", r"country(?:\s+of\s+origin)?|origin|from"),
]
_SINGLE_LINE = {"album", "artist", "year", "track", "tags", "genre", "decade", "country"}


def _match_label(line: str, labels: list[_Label]) -> tuple[str, str] | None:
    for label in labels:
        match = label.pattern.match(line)
        if match is None:
            continue
        value = match["value"].strip()
        if match["sep"] or match["paren"] or not value or label.bare_value_ok(value):
            return label.field, value
    return None


def _sections(
    lines: list[str], labels: list[_Label], single_line: set[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Each labelled field's lines, and the lines outside any field (in order)."""
    fields: dict[str, list[str]] = {}
    extra: list[str] = []
    current: str | None = None
    for line in lines:
        labelled = _match_label(line, labels)
        if labelled is not None:
            name, value = labelled
            current = name
            if name in fields:  # a second "Why?" continues the first
                fields[name].append(value)
            else:
                fields[name] = [value] if value else []
            continue
        if current is None or (current in single_line and any(fields[current])):
            extra.append(line)
        else:
            fields[current].append(line)
    return fields, extra


def _first(lines: list[str] | None) -> str | None:
    return next((line for line in lines or [] if line), None)


def _paragraphs(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text or None


def _checked_pitch(pitch: str | None) -> str | None:
    if pitch is not None and len(pitch) > TEXT_MAX:
        raise FormError(f"The pitch is too long (at most {TEXT_MAX:,} characters).")
    return pitch


def read_pitch(text: str) -> str | None:
    """A pitch typed on its own (the /nominate modal's field), taken as written: white space
    tidied, paragraphs kept, and no line of it read as another field of the form."""
    return _checked_pitch(_paragraphs([" ".join(line.split()) for line in text.splitlines()]))


# --- the album line ----------------------------------------------------------------------------

_YEAR_PARENS = re.compile(r"[(\[]\s*(?P<year>[12]\d{3})\s*[)\]]")
_YEAR_TRAILING = re.compile(r"(?:,|\s[-–—])\s*(?P<year>[12]\d{3})\s*$")
_PLACEHOLDER = re.compile(r"[(\[]\s*(?:year|yyyy)\s*[)\]]", re.IGNORECASE)
_QUOTES = "\"'“”‘’«»„"


def _unquote(text: str) -> str:
    text = text.strip().strip(",;:").strip()
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _split_album(text: str) -> tuple[str, str, int | None] | None:
    """`Album — Artist (Year)` (em/en dash, hyphen or "by"; year optional) → parts, else None."""
    text = _URL.sub("", text)
    text = _PLACEHOLDER.sub("", text)
    year: int | None = None
    match = _YEAR_PARENS.search(text) or _YEAR_TRAILING.search(text)
    if match is not None:
        year = int(match["year"])
        text = text[: match.start()] + " " + text[match.end() :]
    text = " ".join(text.split())
    for separator in (r"\s*—\s*", r"\s*–\s*", r"\s+-{1,2}\s+", r"\s*-{2}\s*"):
        parts = re.split(separator, text, maxsplit=1)
        if len(parts) == 2:
            title, artist = parts
            break
    else:
        # "by": the last one, so "Stand by Me by Ben E. King" keeps its title.
        matches = list(re.finditer(r"\s+by\s+", text, re.IGNORECASE))
        if not matches:
            return None
        title, artist = text[: matches[-1].start()], text[matches[-1].end() :]
    title, artist = _unquote(title), _unquote(artist)
    if not title or not artist:
        return None
    return title, artist, year


# --- tags --------------------------------------------------------------------------------------

_DECADE = re.compile(r"^['’]?(?P<digits>\d{2}|\d{4})['’]?s?$", re.IGNORECASE)


def normalize_decade(text: str) -> str | None:
    """'90s', "'90s", '1990', '1990s' → '1990s'; a year (1997) → its decade; else None."""
    match = _DECADE.match(text.strip())
    if match is None:
        return None
    digits = match["digits"]
    if len(digits) == 2:
        if digits[1] != "0":
            return None
        century = "20" if digits[0] in "012" else "19"
        return f"{century}{digits}s"
    year = int(digits)
    if not 1000 <= year <= 2999:
        return None
    return f"{year // 10 * 10}s"


def _split_tags(text: str) -> list[str]:
    separators = r"[/|]" if re.search(r"[/|]", text) else r","
    return [item.strip() for item in re.split(separators, text) if item.strip()]


def _check_tag(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > TAG_MAX:
        raise FormError(f"The {name} is too long (at most {TAG_MAX} characters): shorten it.")
    return value or None


# --- nominations -------------------------------------------------------------------------------


def parse_nomination(text: str) -> NominationForm:
    """Read a nomination mini-form; FormError (NotAForm for plain chat) says what is wrong."""
    lines = _clean_lines(text)
    fields, extra = _sections(lines, _NOMINATION_LABELS, _SINGLE_LINE)

    album: tuple[str, str, int | None] | None = None
    album_line = _first(fields.get("album"))
    artist_line = _first(fields.get("artist"))
    if album_line is not None:
        album = _split_album(album_line)
        if album is None:
            if artist_line is None:
                raise FormError(
                    "I found the album but not the artist. Write it as "
                    "`Album — Artist (Year)`, e.g. `Homogenic — Björk (1997)`."
                )
            plain = _URL.sub("", _PLACEHOLDER.sub("", album_line))
            year_match = _YEAR_PARENS.search(plain)
            year = int(year_match["year"]) if year_match else None
            if year_match:
                plain = plain[: year_match.start()] + plain[year_match.end() :]
            album = (_unquote(" ".join(plain.split())), _unquote(artist_line), year)
    else:
        for index, line in enumerate(extra):
            if line and (album := _split_album(line)) is not None:
                del extra[index]
                break
        if album is None and artist_line is not None:
            raise FormError("I found the artist but not the album: add `Album: <title>`.")
    if album is None:
        if fields:
            raise FormError(
                "I couldn't find the album. Start with `Album — Artist (Year)`, "
                "e.g. `Homogenic — Björk (1997)`."
            )
        raise NotAForm("not a nomination")
    title, artist, year = album
    if not title or not artist:
        raise FormError("The album needs both a title and an artist: `Album — Artist (Year)`.")
    if len(title) > NAME_MAX or len(artist) > NAME_MAX:
        raise FormError(f"The album title and artist are at most {NAME_MAX} characters each.")

    year_line = _first(fields.get("year"))
    if year_line is not None:
        match = re.search(r"[12]\d{3}", year_line)
        if match is None:
            raise FormError(f"`{year_line[:40]}` isn't a year: write it like 1997.")
        year = int(match[0])
    if year is not None and not 1000 <= year <= 2999:
        raise FormError("The year should look like 1997.")

    pitch_track_url: str | None = None
    track_line = _first(fields.get("track"))
    if track_line is not None:
        urls = _URL.findall(track_line)
        if not urls:
            raise FormError(
                "The pitch track should be a link (Spotify, YouTube, Bandcamp…), "
                "e.g. `Pitch track: https://open.spotify.com/track/…`."
            )
        pitch_track_url = _tidy_url(urls[0])
    else:
        for index, line in enumerate(extra):
            urls = _URL.findall(line)
            if urls:
                pitch_track_url = _tidy_url(urls[0])
                if _URL.sub("", line).strip() == "":
                    del extra[index]
                break
    if pitch_track_url is not None and len(pitch_track_url) > 2000:
        raise FormError("That link is too long; share a shorter one.")

    pitch_lines = fields.get("pitch")
    pitch = _paragraphs(pitch_lines) if pitch_lines is not None else None
    leftover = _paragraphs(extra)
    if leftover:
        pitch = f"{pitch}\n\n{leftover}" if pitch else leftover
    pitch = _checked_pitch(pitch)

    genre, decade, country = _tags(fields)
    return NominationForm(
        album_title=title,
        artist_name=artist,
        year=year,
        pitch=pitch,
        pitch_track_url=pitch_track_url,
        genre=_check_tag("genre", genre),
        decade=decade,
        country=_check_tag("country", country),
    )


def _tidy_url(url: str) -> str:
    return url.rstrip(".,;:!?)]>")


def _tags(fields: dict[str, list[str]]) -> tuple[str | None, str | None, str | None]:
    genre: str | None = None
    decade: str | None = None
    country: str | None = None
    tags_line = _first(fields.get("tags"))
    if tags_line is not None:
        others: list[str] = []
        for item in _split_tags(tags_line):
            as_decade = normalize_decade(item)
            if as_decade is not None and decade is None:
                decade = as_decade
            else:
                others.append(item)
        if others:
            genre = ", ".join(others[:-1]) if len(others) > 2 else others[0]
            country = others[-1] if len(others) >= 2 else None
    if (line := _first(fields.get("genre"))) is not None:
        genre = line
    if (line := _first(fields.get("country"))) is not None:
        country = line
    if (line := _first(fields.get("decade"))) is not None:
        decade = normalize_decade(line)
        if decade is None:
            raise FormError(f"`{line[:40]}` isn't a decade: write it like 1990s or 90s.")
    return genre, decade, country


# --- ratings -----------------------------------------------------------------------------------

_RATING_START = re.compile(r"^(?:\d|½|[★⭐🌟✯✭])")
_DASHED = re.compile(r"^[-–—]\s+")  # "Rating - 4" (but "-1" stays negative)
_RATING_LABELS = [
    _label(
        "value",
        r"(?:my\s+)?(?:rating|score|rate|grade)",
        lambda value: _RATING_START.match(_DASHED.sub("", value)) is not None,
    ),
    _label(
        "favorite_track",
        r"(?:my\s+)?(?:fav(?:ou?rite|e|s)?|best|top|standout|stand-out)[\s-]*(?:track|song)s?"
        r"|highlights?|standouts?",
    ),
    _label("review", r"(?:my\s+)?(?:review|thoughts|comments?|notes?|verdict|words)"),
]
_STARS = re.compile(r"^(?P<stars>[★⭐🌟✯✭]+)\s*(?P<half>½|⯪|✬)?\s*[☆✩]*")
_NUMBER = re.compile(
    r"^(?P<number>\d{1,3}(?:[.,]\d{1,3})?)\s*(?P<half>½)?"
    r"\s*(?:(?:/|out\s+of)\s*(?P<scale>\d{1,3}))?"
    r"\s*(?P<unit>stars?\b|[★⭐🌟]+)?",
    re.IGNORECASE,
)
# What may follow a bare number for it to be a rating ("4 - loved it", "4.5.", "4!"), so that
# chat such as "3 tracks were great" or "100% agree" is not read as one.
_AFTER_NUMBER = "—–-:;,.!|~("
_HALF_ONLY = re.compile(r"^½")


def _is_rating_number(match: re.Match[str], text: str, labelled: bool) -> bool:
    tail = text[match.end() :]
    if labelled or match["scale"] or match["unit"] or match["half"] or not tail.strip():
        return True
    if tail.lstrip()[0] in _AFTER_NUMBER:
        return True
    # "4.5 loved it": a decimal is a rating even when words follow; "3 tracks" is chat.
    return bool(re.search(r"[.,]", match["number"]))


def _read_value(text: str, labelled: bool = False) -> tuple[float, str] | None:
    """The rating at the start of `text` and the rest of the line, or None if none is there."""
    text = _DASHED.sub("", text.strip()) if labelled else text.strip()
    if (match := _STARS.match(text)) is not None:
        rest = text[match.end() :]
        # "⭐ 4.5": one star before a rating number decorates it, and the number is the
        # rating; "★★ 5 songs were filler" or "★★★★½ 2 tracks stood out" are star ratings.
        decorated = None
        if len(match["stars"]) == 1 and not match["half"]:
            after = _NUMBER.match(rest.strip())
            if after is not None and _is_rating_number(after, rest.strip(), labelled):
                decorated = rest.strip()
        if decorated is None:
            value = len(match["stars"]) + (0.5 if match["half"] else 0.0)
            return value, rest
        text = decorated
    if (match := _NUMBER.match(text)) is not None and _is_rating_number(match, text, labelled):
        number = match["number"].replace(",", ".")
        value = float(number) + (0.5 if match["half"] else 0.0)
        scale = match["scale"]
        if scale is not None and scale != "5":
            raise FormError(
                f"Ratings are out of 5, in half steps: send a number from 1 to 5 "
                f"instead of {match[0].strip()}."
            )
        return value, text[match.end() :]
    if _HALF_ONLY.match(text):
        return 0.5, text[1:]
    return None


def _check_value(value: float) -> float:
    if not math.isfinite(value) or not 1.0 <= value <= 5.0:
        raise FormError(f"Ratings go from 1 to 5; {value:g} is outside that.")
    if not (value * 2).is_integer():
        lower = math.floor(value * 2) / 2
        raise FormError(
            f"Ratings go in half steps (like 3.5 or 4): {value:g} isn't one; "
            f"try {lower:g} or {lower + 0.5:g}."
        )
    return value


def _rest(text: str) -> str:
    return text.strip().lstrip("—–-:;,.!|~ ").strip()


def parse_rating(text: str) -> RatingForm:
    """Read a rating: "4.5", "4,5", "4.5/5", "Rating: 4", "★★★★½"; 1–5 in half steps."""
    lines = _clean_lines(text)
    fields, extra = _sections(lines, _RATING_LABELS, {"value", "favorite_track"})
    review_lines: list[str] = []
    value_line = _first(fields.get("value"))
    if value_line is not None:
        read = _read_value(value_line, labelled=True)
        if read is None:
            raise FormError(
                "I couldn't read the rating: write a number from 1 to 5 in half steps, "
                "like `Rating: 4.5`."
            )
        value, rest = read
        if _rest(rest):
            review_lines.append(_rest(rest))
        review_lines.extend(extra)
    else:
        start = next((i for i, line in enumerate(extra) if line), None)
        read = _read_value(extra[start]) if start is not None else None
        if read is None or start is None:
            if fields:
                raise FormError(
                    "I couldn't find the rating: start with a number from 1 to 5, "
                    "like `Rating: 4.5`."
                )
            raise NotAForm("not a rating")
        value, rest = read
        if _rest(rest):
            review_lines.append(_rest(rest))
        review_lines.extend(extra[start + 1 :])
    value = _check_value(value)

    favorite = _first(fields.get("favorite_track"))
    if favorite is not None:
        favorite = _unquote(favorite)
        if len(favorite) > NAME_MAX:
            raise FormError(f"The favourite track is at most {NAME_MAX} characters.")
    review_parts = [part for part in (_paragraphs(fields.get("review", [])),) if part]
    if (leftover := _paragraphs(review_lines)) is not None:
        review_parts.append(leftover)
    review = "\n\n".join(review_parts) or None
    if review is not None and len(review) > TEXT_MAX:
        raise FormError(f"The review is too long (at most {TEXT_MAX:,} characters).")
    return RatingForm(value=value, favorite_track=favorite or None, review=review)
