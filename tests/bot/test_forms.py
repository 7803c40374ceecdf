"""The mini-form parsers: a corpus of messages as members really write them, and properties."""

import string

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from sidetrack.bot.forms import (
    NOMINATION_TEMPLATE,
    RATING_TEMPLATE,
    FormError,
    NominationForm,
    NotAForm,
    RatingForm,
    normalize_decade,
    parse_nomination,
    parse_rating,
)
from sidetrack.club.schemas import NominationSubmit, RatingSubmit

HOMOGENIC = NominationForm(
    album_title="Homogenic",
    artist_name="Björk",
    year=1997,
    pitch="Strings and beats.",
    pitch_track_url="https://open.spotify.com/track/3WqGQ4Ol6uVC4cXKbfJZ7B",
    genre="Art Pop",
    decade="1990s",
    country="Iceland",
)
TRACK = "https://open.spotify.com/track/3WqGQ4Ol6uVC4cXKbfJZ7B"

NOMINATIONS = {
    "the pinned form, bold labels": (
        "**Album — Artist (Year):** Homogenic — Björk (1997)\n"
        "**Why?** Strings and beats.\n"
        f"**Pitch track (choose one):** <{TRACK}>\n"
        "**Tags (Genre / Decade / Country):** Art Pop / 90s / Iceland",
        HOMOGENIC,
    ),
    "no colons, lower case, en dash": (
        "album – artist (year) Homogenic – Björk (1997)\n"
        "why? Strings and beats.\n"
        f"pitch track {TRACK}\n"
        "tags art pop / 1990s / iceland",
        NominationForm(
            "Homogenic", "Björk", 1997, "Strings and beats.", TRACK, "art pop", "1990s", "iceland"
        ),
    ),
    "hyphen, commas, upper-case labels": (
        "ALBUM: Homogenic - Björk (1997)\nWHY: Strings and beats.\n"
        f"PITCH TRACK: {TRACK}\nTAGS: Art Pop, '90s, Iceland",
        HOMOGENIC,
    ),
    "'by', pipes, quoted, italics, spoiler": (
        "> *Homogenic* by **Björk** [1997]\n"
        "> Why? ||Strings and beats.||\n"
        f"> Pitch track: <{TRACK}>\n"
        "> Tags: Art Pop | 90's | Iceland",
        HOMOGENIC,
    ),
    "emoji before labels and custom emoji": (
        "💿 **Album — Artist (Year):** Homogenic — Björk (1997) <:bjork:123456789012345678>\n"
        "❓ **Why?** Strings and beats.\n"
        f"🎧 **Pitch track (choose one):** <{TRACK}>\n"
        "🏷️ **Tags (Genre / Decade / Country):** Art Pop / 90s / Iceland",
        HOMOGENIC,
    ),
    "label alone on its line, value below": (
        "Album — Artist (Year):\nHomogenic — Björk (1997)\n\nWhy?\nStrings and beats.\n\n"
        f"Pitch track (choose one):\n{TRACK}\n\nTags (Genre / Decade / Country):\n"
        "Art Pop / 90s / Iceland",
        HOMOGENIC,
    ),
    "no labels at all: album line, pitch, link": (
        f"Homogenic — Björk (1997)\nStrings and beats.\n{TRACK}",
        NominationForm("Homogenic", "Björk", 1997, "Strings and beats.", TRACK, None, None, None),
    ),
    "year left out, no pitch": (
        "Homogenic — Björk",
        NominationForm("Homogenic", "Björk"),
    ),
    "separate labelled fields": (
        "Album: Homogenic\nArtist: Björk\nYear: 1997\nGenre: Art Pop\nDecade: 90s\n"
        f"Country: Iceland\nWhy: Strings and beats.\nTrack: {TRACK}",
        HOMOGENIC,
    ),
    "masked link and a multi-line pitch": (
        "**Album:** Blue — Joni Mitchell (1971)\n"
        "**Why?** First line.\nSecond line.\n\nA new paragraph.\n"
        "**Pitch track:** [A Case of You](https://open.spotify.com/track/x_y)",
        NominationForm(
            "Blue",
            "Joni Mitchell",
            1971,
            "First line.\nSecond line.\n\nA new paragraph.",
            "https://open.spotify.com/track/x_y",
        ),
    ),
    "'by' inside the title": (
        "Stand by Me by Ben E. King (1961)",
        NominationForm("Stand by Me", "Ben E. King", 1961),
    ),
    "a year as the decade tag, and a two-part genre": (
        "Album: OK Computer — Radiohead\nTags: Alt Rock, Art Rock / 1997 / UK",
        NominationForm(
            "OK Computer", "Radiohead", None, None, None, "Alt Rock, Art Rock", "1990s", "UK"
        ),
    ),
    "tags in another order, genre only": (
        "Album: Kid A — Radiohead\nTags: 2000s / Electronic",
        NominationForm("Kid A", "Radiohead", None, None, None, "Electronic", "2000s", None),
    ),
    "a bulleted list and underline": (
        "- __Album__: Maggot Brain — Funkadelic (1971)\n- Why? _Eddie Hazel_.\n"
        "- Tags: Funk / 70s / USA",
        NominationForm(
            "Maggot Brain", "Funkadelic", 1971, "Eddie Hazel.", None, "Funk", "1970s", "USA"
        ),
    ),
}


@pytest.mark.parametrize("text, expected", NOMINATIONS.values(), ids=NOMINATIONS.keys())
def test_nominations_as_members_write_them(text: str, expected: NominationForm) -> None:
    assert parse_nomination(text) == expected


def test_the_pinned_template_reads_as_a_nomination() -> None:
    form = parse_nomination(NOMINATION_TEMPLATE)
    assert (form.album_title, form.artist_name, form.year) == ("Homogenic", "Björk", 1997)
    assert (form.genre, form.decade, form.country) == ("Art Pop", "1990s", "Iceland")


BAD_NOMINATIONS = {
    "labels but no album": ("Why? Because.\nTags: Rock / 90s / UK", "couldn't find the album"),
    "album without artist": ("Album: Homogenic\nWhy? Because.", "not the artist"),
    "track that is not a link": (
        "Album: Homogenic — Björk\nPitch track: Jóga",
        "should be a link",
    ),
    "unreadable decade": ("Album: Homogenic — Björk\nDecade: the nineties", "isn't a decade"),
    "genre too long": ("Album: Homogenic — Björk\nGenre: " + "x" * 65, "genre is too long"),
    "year not a year": ("Album: Homogenic — Björk\nYear: soon", "isn't a year"),
    "title too long": ("Album: " + "x" * 256 + " — Björk", "at most 255"),
}


@pytest.mark.parametrize("text, fix", BAD_NOMINATIONS.values(), ids=BAD_NOMINATIONS.keys())
def test_bad_nominations_say_what_to_fix(text: str, fix: str) -> None:
    with pytest.raises(FormError) as error:
        parse_nomination(text)
    assert not isinstance(error.value, NotAForm)
    assert fix in str(error.value)


@pytest.mark.parametrize(
    "text",
    ["great pick!", "Can't wait for this week 🎉", "lol", "", "   ", "https://example.com/x"],
)
def test_chat_is_not_a_nomination(text: str) -> None:
    with pytest.raises(NotAForm):
        parse_nomination(text)


RATINGS = {
    "4.5": RatingForm(4.5),
    "4,5": RatingForm(4.5),
    "4.5/5": RatingForm(4.5),
    "4.5 / 5": RatingForm(4.5),
    "4 out of 5": RatingForm(4.0),
    "Rating: 4": RatingForm(4.0),
    "rating 4": RatingForm(4.0),
    "**Rating:** 3.5": RatingForm(3.5),
    "★★★★½": RatingForm(4.5),
    "★★★☆☆": RatingForm(3.0),
    "⭐⭐⭐⭐⭐": RatingForm(5.0),
    "4½": RatingForm(4.5),
    "4 stars": RatingForm(4.0),
    "1": RatingForm(1.0),
    "||5||": RatingForm(5.0),
    "3.5 — loved the strings": RatingForm(3.5, None, "loved the strings"),
    "4.5 loved it": RatingForm(4.5, None, "loved it"),
    "4 - fine\nJóga is the one": RatingForm(4.0, None, "fine\nJóga is the one"),
    RATING_TEMPLATE: RatingForm(4.5, "Jóga", "A few words on what you heard."),
    "Rating: ★★★★\nFav track: *Hunter*\nThoughts: Cold.": RatingForm(4.0, "Hunter", "Cold."),
    "> Score: 2.5\n> Favourite song: “Bachelorette”": RatingForm(2.5, "Bachelorette"),
    "⭐ 4.5": RatingForm(4.5),
    "⭐ 4 - great": RatingForm(4.0, None, "great"),
    # Stars that are the rating, followed by words that start with a number.
    "Rating: ★★ 5 songs were filler": RatingForm(2.0, None, "5 songs were filler"),
    "★★★★½ 2 tracks stood out": RatingForm(4.5, None, "2 tracks stood out"),
    "★★★★ 2024 best album": RatingForm(4.0, None, "2024 best album"),
    "🌟 3.5/5 — lovely": RatingForm(3.5, None, "lovely"),
    "Rating - 4": RatingForm(4.0),
    "Rating — 3.5\nReview: warm": RatingForm(3.5, None, "warm"),
}


@pytest.mark.parametrize("text, expected", RATINGS.items(), ids=RATINGS.keys())
def test_ratings_as_members_write_them(text: str, expected: RatingForm) -> None:
    assert parse_rating(text) == expected


BAD_RATINGS = {
    "4.3": "half steps",
    "6": "from 1 to 5",
    "0.5": "from 1 to 5",
    "½": "from 1 to 5",
    "Rating: 5.5": "from 1 to 5",
    "8/10": "out of 5",
    "Rating: great": "couldn't read the rating",
    "Rating: -1": "couldn't read the rating",
    "⭐ 7": "from 1 to 5",
    "Review: lovely\nFavourite track: Jóga": "couldn't find the rating",
}


@pytest.mark.parametrize("text, fix", BAD_RATINGS.items(), ids=BAD_RATINGS.keys())
def test_bad_ratings_say_what_to_fix(text: str, fix: str) -> None:
    with pytest.raises(FormError) as error:
        parse_rating(text)
    assert not isinstance(error.value, NotAForm)
    assert fix in str(error.value)


@pytest.mark.parametrize(
    "text", ["3 tracks were great", "100% agree", "what a record", "1997 was a year", ""]
)
def test_chat_is_not_a_rating(text: str) -> None:
    with pytest.raises(NotAForm):
        parse_rating(text)


@pytest.mark.parametrize(
    "text, decade",
    [("90s", "1990s"), ("'90s", "1990s"), ("1990", "1990s"), ("1997", "1990s"), ("00s", "2000s")],
)
def test_decades(text: str, decade: str) -> None:
    assert normalize_decade(text) == decade


# --- properties ---------------------------------------------------------------------------------

WORD = st.text(alphabet=string.ascii_letters + "éöçñ'&.!", min_size=1, max_size=12).filter(
    lambda w: w.lower() not in {"by"} and not w.startswith("'") and w[0].isalpha()
)
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
SEPARATORS = [" — ", " – ", " - ", " by ", "—"]
WRAPPERS = ["{}", "**{}**", "*{}*", "||{}||", "> {}", "__{}__"]


@settings(max_examples=300)
@given(
    title=NAME,
    artist=NAME,
    year=st.none() | st.integers(1900, 2030),
    separator=st.sampled_from(SEPARATORS),
    wrapper=st.sampled_from(WRAPPERS),
    label=st.sampled_from(["", "Album: ", "album — artist (year): ", "ALBUM:", "**Album:** "]),
    genre=st.none() | NAME,
    decade=st.sampled_from(["90s", "'70s", "1980s", "2010"]),
)
def test_any_album_line_round_trips(
    title: str,
    artist: str,
    year: int | None,
    separator: str,
    wrapper: str,
    label: str,
    genre: str | None,
    decade: str,
) -> None:
    line = f"{title}{separator}{artist}" + (f" ({year})" if year else "")
    text = wrapper.format(label + line)
    if genre:
        text += f"\nTags: {genre} / {decade} / Iceland"
    note(repr(text))
    form = parse_nomination(text)
    assert (form.album_title, form.artist_name, form.year) == (title, artist, year)
    if genre:
        assert (form.genre, form.country) == (genre, "Iceland")
        assert form.decade == normalize_decade(decade)


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_nominations_either_fit_the_api_or_say_why(text: str) -> None:
    try:
        form = parse_nomination(text)
    except FormError as error:
        assert str(error)
        return
    NominationSubmit.model_validate(
        {
            "user": {"discord_id": "1"},
            "album": {
                "title": form.album_title,
                "artist_name": form.artist_name,
                "release_year": form.year,
            },
            "pitch": form.pitch,
            "pitch_track_url": form.pitch_track_url,
            "genre": form.genre,
            "decade": form.decade,
            "country": form.country,
        }
    )


HALF_STEPS = [step / 2 for step in range(2, 11)]


def _star_form(value: float) -> str:
    return "★" * int(value) + ("½" if value % 1 else "")


@given(
    value=st.sampled_from(HALF_STEPS),
    render=st.sampled_from(
        [
            lambda v: f"{v:g}",
            lambda v: f"{v:.1f}".replace(".", ","),
            lambda v: f"{v:g}/5",
            lambda v: f"Rating: {v:g}",
            lambda v: f"**rating** {v:.1f}",
            _star_form,
        ]
    ),
    review=st.none() | NAME,
)
def test_every_half_step_reads_back(value: float, render: object, review: str | None) -> None:
    assert callable(render)
    text = str(render(value))
    if review:
        text += f"\n{review}"
    form = parse_rating(text)
    assert form.value == value
    assert form.review == review


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-100, max_value=100))
def test_only_half_steps_from_one_to_five_are_accepted(value: float) -> None:
    text = f"Rating: {round(value, 2)}"
    shown = float(f"{round(value, 2)}")
    if 1 <= shown <= 5 and (shown * 2).is_integer():
        assert parse_rating(text).value == shown
    else:
        with pytest.raises(FormError):
            parse_rating(text)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_ratings_either_fit_the_api_or_say_why(text: str) -> None:
    try:
        form = parse_rating(text)
    except FormError as error:
        assert str(error)
        return
    RatingSubmit.model_validate(
        {
            "user": {"discord_id": "1"},
            "value": form.value,
            "favorite_track": form.favorite_track,
            "review": form.review,
        }
    )
