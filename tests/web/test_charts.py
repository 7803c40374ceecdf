"""The inline SVG charts: well-formed, one mark per value, and readable without sight."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from itertools import pairwise

import pytest

from sidetrack.web import charts
from sidetrack.web.charts import Bar

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def with_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css in (e.get("class") or "").split()]


def assert_labelled(root: ET.Element) -> tuple[str, str]:
    """role=img, and aria-labelledby names the chart's own <title> and <desc>."""
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    found = {e.get("id"): (e.text or "") for e in root.iter() if e.get("id")}
    assert len(ids) == 2 and all(ident in found for ident in ids), (ids, found)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert [title.get("id"), desc.get("id")] == ids
    return title.text or "", desc.text or ""


def test_bar_chart_draws_one_bar_per_value_scaled_to_the_largest() -> None:
    bars = [Bar("Folk", 4), Bar("Jazz", 2), Bar("Punk", 1, highlight=True)]
    root = parse(charts.bar_chart(bars, title="Winners by genre", unit="wins"))
    title, desc = assert_labelled(root)
    assert title == "Winners by genre"
    assert desc == "Folk: 4 wins; Jazz: 2 wins; Punk: 1 wins"
    fills = with_class(root, "rect", "bar-fill")
    assert [f.get("width") for f in fills] == ["100.00%", "50.00%", "25.00%"]
    labels = [e.text for e in with_class(root, "text", "bar-label")]
    assert labels == ["Folk", "Jazz", "Punk"]
    # Each bar has its own tooltip, and the highlighted one is marked for the style sheet.
    groups = with_class(root, "g", "bar")
    assert [g.findtext(f"{SVG}title") for g in groups] == [
        "Folk: 4 wins",
        "Jazz: 2 wins",
        "Punk: 1 wins",
    ]
    assert ["bar-highlight" in (g.get("class") or "") for g in groups] == [False, False, True]
    # A long bar carries its value inside, a short one just past its end.
    values = with_class(root, "text", "bar-value")
    assert ["bar-value-inside" in (v.get("class") or "") for v in values] == [True, False, False]


def test_bar_chart_escapes_labels_and_shows_custom_values() -> None:
    bars = [Bar("<Kid A> & co", 3, value_label="3 pts · 1 first")]
    markup = charts.bar_chart(bars, title="Poll <results>")
    root = parse(markup)  # would raise on unescaped markup
    assert with_class(root, "text", "bar-label")[0].text == "<Kid A> & co"
    assert with_class(root, "text", "bar-value")[0].text == "3 pts · 1 first"
    assert root.findtext(f"{SVG}title") == "Poll <results>"
    assert "<Kid A>" not in str(markup)


def test_long_bar_labels_wrap_instead_of_running_off_a_phone() -> None:
    long = "4. My Beautiful Dark Twisted Fantasy — Kanye West"
    bars = [Bar("1. Blue — Joni Mitchell", 9, highlight=True), Bar(long, 6), Bar("Folk", 3)]
    root = parse(charts.bar_chart(bars, title="Poll"))
    labels = with_class(root, "text", "bar-label")
    assert labels[0].text == "1. Blue — Joni Mitchell"  # short: one line, as before
    lines = [t.text or "" for t in labels[1].iter(f"{SVG}tspan")]
    assert lines == ["4. My Beautiful Dark Twisted", "Fantasy — Kanye West"]
    assert all(len(line) <= charts.LABEL_CHARS for line in lines)
    # The wrapped bar and everything under it move down a line; the chart grows by one.
    tracks = [float(r.get("y") or 0) for r in with_class(root, "rect", "bar-track")]
    assert tracks == [20, 20 + charts.BAR_ROW + charts.LABEL_LINE, 20 + 2 * charts.BAR_ROW + 16]
    assert root.get("height") == str(3 * charts.BAR_ROW + charts.LABEL_LINE)
    # The tooltip and the description keep the whole label.
    assert with_class(root, "g", "bar")[1].findtext(f"{SVG}title") == f"{long}: 6"
    assert long in (root.findtext(f"{SVG}desc") or "")


@pytest.mark.parametrize(
    ("label", "lines"),
    [
        ("Kid A", ["Kid A"]),
        ("", [""]),
        ("a " * 40, ["a " * 15 + "a", "a " * 15 + "a…"]),
        ("x" * 40, ["x" * 31 + "-", "x" * 9]),
        ("Go " + "y" * 70, ["Go", "y" * 31 + "…"]),
        ("5. For Emma, Forever Ago — Bon Iver", ["5. For Emma, Forever Ago", "— Bon Iver"]),
        ("1. Blue — Joni Mitchell", ["1. Blue — Joni Mitchell"]),
    ],
)
def test_wrap_breaks_between_words_and_cuts_after_two_lines(label: str, lines: list[str]) -> None:
    assert charts.wrap(label) == lines
    assert all(len(line) <= charts.LABEL_CHARS for line in lines)


def test_empty_charts_draw_nothing() -> None:
    assert charts.bar_chart([], title="Nothing") == ""
    assert charts.column_chart([], title="Nothing") == ""
    assert charts.calendar_heatmap({}, first=date(2026, 1, 2), last=date(2026, 1, 1)) == ""


def test_zero_values_draw_empty_bars_not_a_division_by_zero() -> None:
    root = parse(charts.bar_chart([Bar("a", 0), Bar("b", 0)], title="Zeros"))
    assert [f.get("width") for f in with_class(root, "rect", "bar-fill")] == ["0.00%", "0.00%"]


def test_rating_histogram_has_a_column_per_half_step() -> None:
    histogram = {f"{step / 2:.1f}": 0 for step in range(2, 11)}
    histogram.update({"3.5": 2, "4.0": 4})
    root = parse(charts.rating_histogram(histogram))
    title, desc = assert_labelled(root)
    assert title == "Ratings"
    columns = with_class(root, "rect", "column-fill")
    assert len(columns) == 9
    heights = [float(c.get("height") or 0) for c in columns]
    # 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0 …: 4.0 (the most common) is the seventh column.
    assert heights[6] == charts.COLUMN_HEIGHT
    assert heights[5] == charts.COLUMN_HEIGHT / 2
    assert sum(1 for h in heights if h) == 2
    assert [e.text for e in with_class(root, "text", "column-label")][:3] == ["1", "1.5", "2"]
    # Counts above the columns that have any.
    assert [e.text for e in with_class(root, "text", "column-value")] == ["2", "4"]
    assert "3.5: 2 ratings" in desc and "4: 4 ratings" in desc


def test_hours_chart_has_24_columns_labelled_every_three_hours() -> None:
    plays = [0] * 24
    plays[21] = 10
    plays[8] = 5
    root = parse(charts.hours_chart(plays))
    _title, desc = assert_labelled(root)
    assert len(with_class(root, "rect", "column-fill")) == 24
    assert with_class(root, "text", "column-value") == []  # too many for numbers on top
    assert [e.text for e in with_class(root, "text", "column-label")] == [
        "00",
        "03",
        "06",
        "09",
        "12",
        "15",
        "18",
        "21",
    ]
    assert "21: 10 plays" in desc and "08: 5 plays" in desc
    # A column is narrower than "00" on a phone: the first label starts at the left edge.
    anchors = [e.get("text-anchor") for e in with_class(root, "text", "column-label")]
    assert anchors == ["start"] + ["middle"] * 7
    with pytest.raises(ValueError, match="24 hours"):
        charts.hours_chart([1, 2, 3])


def test_calendar_has_a_square_per_day_shaded_by_plays() -> None:
    first, last = date(2026, 3, 2), date(2026, 3, 29)  # four whole weeks, Monday to Sunday
    plays = {date(2026, 3, 3): 1, date(2026, 3, 10): 8, date(2026, 3, 29): 4}
    root = parse(charts.calendar_heatmap(plays, first=first, last=last))
    _title, desc = assert_labelled(root)
    days = with_class(root, "rect", "day")
    assert len(days) == 28
    by_title = {d.findtext(f"{SVG}title"): d.get("class") for d in days}
    assert by_title["Tue 10 Mar 2026: 8 plays"] == "day l4"  # the busiest
    assert by_title["Sun 29 Mar 2026: 4 plays"] == "day l2"
    assert by_title["Tue 03 Mar 2026: 1 play"] == "day l1"
    assert by_title["Wed 04 Mar 2026: 0 plays"] == "day l0"
    assert desc == (
        "13 plays over 28 days from 02 Mar 2026 to 29 Mar 2026, on 3 days with any play; "
        "the busiest, 10 Mar 2026, had 8"
    )
    # Mondays on the top row: 2 March is the first column's top square.
    top_left = next(d for d in days if d.findtext(f"{SVG}title", "").startswith("Mon 02 Mar"))
    assert (top_left.get("x"), top_left.get("y")) == ("24", "14")


def test_a_long_calendar_shows_its_last_53_weeks_and_says_so() -> None:
    last = date(2026, 11, 25)
    first = last - timedelta(days=900)
    plays = {first: 3, last: 2}
    root = parse(charts.calendar_heatmap(plays, first=first, last=last))
    _title, desc = assert_labelled(root)
    days = with_class(root, "rect", "day")
    assert len(days) == 53 * 7
    assert desc.endswith("(the last 53 weeks are shown)")
    assert "2 plays over 371 days" in desc  # the early play is outside the drawn weeks


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        # A week inside November: its one column still names the month.
        (date(2026, 11, 24), date(2026, 11, 30), ["Nov"]),
        # 2 Nov is a Monday: Nov over the first column, Dec over the column of 7 Dec.
        (date(2026, 11, 2), date(2026, 12, 8), ["Nov", "Dec"]),
        # Starting the 26th, December's first Monday is two columns on: no room to name Nov.
        (date(2026, 11, 26), date(2026, 12, 20), ["Dec"]),
        # Starting the 12th, the next name is three columns on: both fit.
        (date(2026, 11, 12), date(2026, 12, 20), ["Nov", "Dec"]),
    ],
)
def test_calendar_months_are_named_with_room_to_read_them(
    first: date, last: date, months: list[str]
) -> None:
    root = parse(charts.calendar_heatmap({last: 1}, first=first, last=last))
    names = with_class(root, "text", "calendar-month")
    assert [name.text for name in names] == months
    columns = [int(name.get("x") or 0) for name in names]
    assert all(b - a >= 3 * charts.CELL for a, b in pairwise(columns))
