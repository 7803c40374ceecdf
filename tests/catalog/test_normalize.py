"""Name normalisation: the spellings that must meet, and the ASCII shortcut."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidetrack.catalog.normalize import _normalize_unicode, match_key, normalize_name


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("  Björk ", "bjork"),
        ("BJORK", "bjork"),
        ("Sigur  Rós", "sigur ros"),
        ("Ｍｏｇｗａｉ", "mogwai"),  # full-width letters
        ("Straße", "strasse"),  # casefold, not lower
        ("The\tNational\n", "the national"),
        ("AC/DC", "ac/dc"),
    ],
)
def test_spellings_of_one_name_meet(spelling: str, normal: str) -> None:
    assert normalize_name(spelling) == normal


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_shortcut_agrees_with_the_general_rules(name: str) -> None:
    assert normalize_name(name) == _normalize_unicode(name)


def test_a_match_key_joins_artist_and_title_apart() -> None:
    assert match_key("A|B", "C") != match_key("A", "B|C")
    assert match_key(" Björk", "JÓGA") == match_key("bjork", "joga")
