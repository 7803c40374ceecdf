"""Charts as inline SVG, drawn on the server: pure functions from numbers to markup.

Each chart is an `<svg role="img">` with a `<title>` (its name) and a `<desc>` (every value in
words), so a screen reader hears the data, and each bar or cell has its own `<title>` as a
tooltip. Colours come from the style sheet through class names, never from here.

Bar charts lay their bars out in percentages of the width and their text in pixels, so they
fill any width and the labels stay readable on a phone; the calendar keeps its square cells
and scales as a whole.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import Final

from markupsafe import Markup, escape

_ids = count(1)

BAR_ROW: Final = 46  # px per bar of a horizontal bar chart: label line, then the bar
BAR_HEIGHT: Final = 18
LABEL_LINE: Final = 16  # px per further line of a wrapped bar label
LABEL_CHARS: Final = 32  # characters a label line holds at 13 px in a 320 px wide screen's panel
LABEL_LINES: Final = 2  # a longer label is cut with an ellipsis (its <title> keeps it whole)
INSIDE_FROM: Final = 55  # a bar at least this % long carries its value inside
COLUMN_HEIGHT: Final = 120  # px of a column chart's plot area
NARROW_FROM: Final = 12  # columns, past which a phone leaves a column narrower than its label
CELL: Final = 11  # px per calendar day, gap included
GAP: Final = 2
MAX_CALENDAR_WEEKS: Final = 53


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_label: str = ""  # shown at the end of the label line; the value when empty
    highlight: bool = False


def _chart_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _number(value: float) -> str:
    return f"{value:g}"


def _open(
    kind: str, title: str, description: str, height: int, width: str = "100%", extra: str = ""
) -> str:
    ident = _chart_id(kind)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'width="{width}" height="{height}" {extra}aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>'
    )


def bar_chart(bars: Sequence[Bar], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, longest for the largest value, each under its label.

    The value is written inside the end of a long bar, or just past the end of a short one,
    so it never collides with the label however narrow the chart.
    """
    if not bars:
        return Markup("")
    peak = max(bar.value for bar in bars) or 1
    words = "; ".join(
        f"{bar.label}: {bar.value_label or _describe(bar.value, unit)}" for bar in bars
    )
    labels = [wrap(bar.label) for bar in bars]
    height = sum(BAR_ROW + (len(lines) - 1) * LABEL_LINE for lines in labels)
    parts = [_open("bars", title, words, height)]
    top = 0
    for bar, lines in zip(bars, labels, strict=True):
        width = max(bar.value / peak * 100, 0.5 if bar.value else 0)
        shown = bar.value_label or _number(bar.value)
        css = "bar bar-highlight" if bar.highlight else "bar"
        inside = width >= INSIDE_FROM
        value_x, value_dx = (f"{width:.2f}%", -6) if inside else (f"{width:.2f}%", 6)
        bar_y = top + 20 + (len(lines) - 1) * LABEL_LINE
        parts.append(
            f'<g class="{css}"><title>{escape(bar.label)}: '
            f"{escape(bar.value_label or _describe(bar.value, unit))}</title>"
            f'<text class="bar-label" x="0" y="{top + 14}">{_label_lines(lines)}</text>'
            f'<rect class="bar-track" x="0" y="{bar_y}" width="100%" height="{BAR_HEIGHT}" '
            f'rx="4"/>'
            f'<rect class="bar-fill" x="0" y="{bar_y}" width="{width:.2f}%" '
            f'height="{BAR_HEIGHT}" rx="4"/>'
            f'<text class="bar-value{" bar-value-inside" if inside else ""}" x="{value_x}" '
            f'dx="{value_dx}" y="{bar_y + BAR_HEIGHT / 2 + 4:g}" '
            f'text-anchor="{"end" if inside else "start"}">{escape(shown)}</text></g>'
        )
        top += BAR_ROW + (len(lines) - 1) * LABEL_LINE
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it went through escape()


def wrap(label: str, chars: int = LABEL_CHARS, most: int = LABEL_LINES) -> list[str]:
    """A label in lines of at most `chars` characters, broken between words (inside a word
    only when it is longer than a line), and at most `most` lines, the last cut with '…'.

    A label in two parts ("Title — Artist") breaks at the dash when the first part fits.
    SVG text does not wrap by itself, and a label past the chart's edge would be clipped.
    """
    head, dash, tail = label.partition(" — ")
    if dash and len(label) > chars and len(head) <= chars and most > 1:
        return [head, *wrap("— " + tail, chars, most - 1)]
    lines: list[str] = []
    line = ""
    for word in label.split():
        while len(word) > chars:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[: chars - 1] + "-")
            word = word[chars - 1 :]
        if line and len(line) + 1 + len(word) > chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    if len(lines) > most:
        last = lines[most - 1]
        lines = [*lines[: most - 1], last[: chars - 1].rstrip() + "…"]
    return lines


def _label_lines(lines: list[str]) -> str:
    """One line as plain text, several as <tspan>s under each other."""
    if len(lines) == 1:
        return str(escape(lines[0]))
    return "".join(
        f'<tspan x="0" dy="{0 if index == 0 else LABEL_LINE}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )


def _describe(value: float, unit: str) -> str:
    return f"{_number(value)} {unit}".strip()


def column_chart(
    columns: Sequence[Bar], *, title: str, unit: str = "", every: int = 1, values: bool = False
) -> Markup:
    """Vertical columns side by side, a label under every `every`-th one, and with `values`
    each non-zero column's value above it."""
    if not columns:
        return Markup("")
    peak = max(column.value for column in columns) or 1
    words = "; ".join(f"{c.label}: {_describe(c.value, unit)}" for c in columns)
    top = 16 if values else 0
    base = top + COLUMN_HEIGHT
    height = base + 22
    parts = [_open("columns", title, words, height)]
    share = 100 / len(columns)
    for index, column in enumerate(columns):
        tall = column.value / peak * COLUMN_HEIGHT
        if column.value and tall < 2:
            tall = 2
        left = index * share
        css = "column column-highlight" if column.highlight else "column"
        parts.append(
            f'<g class="{css}"><title>{escape(column.label)}: '
            f"{escape(_describe(column.value, unit))}</title>"
            f'<rect class="column-fill" x="{left + share * 0.12:.3f}%" '
            f'y="{base - tall:.1f}" width="{share * 0.76:.3f}%" '
            f'height="{tall:.1f}" rx="2"/>'
        )
        if values and column.value:
            parts.append(
                f'<text class="column-value" x="{left + share / 2:.3f}%" y="{base - tall - 4:.1f}" '
                f'text-anchor="middle">{escape(_number(column.value))}</text>'
            )
        if index % every == 0:
            # Under a narrow first column a centred label would stick out past the left edge.
            x, anchor = (
                ("0", "start")
                if index == 0 and len(columns) > NARROW_FROM
                else (f"{left + share / 2:.3f}%", "middle")
            )
            parts.append(
                f'<text class="column-label" x="{x}" y="{height - 4}" '
                f'text-anchor="{anchor}">{escape(column.label)}</text>'
            )
        parts.append("</g>")
    parts.append(f'<line class="axis" x1="0" x2="100%" y1="{base + 0.5}" y2="{base + 0.5}"/></svg>')
    return Markup("".join(parts))  # noqa: S704 - every value in it went through escape()


def rating_histogram(histogram: dict[str, int], *, title: str = "Ratings") -> Markup:
    """A column per half step from 1.0 to 5.0 (the keys of RatingsSummary.histogram)."""
    steps = sorted(histogram, key=float)
    columns = [Bar(label=f"{float(step):g}", value=histogram[step]) for step in steps]
    return column_chart(columns, title=title, unit="ratings", values=True)


def hours_chart(plays_per_hour: Sequence[int], *, title: str = "Plays by hour of day") -> Markup:
    """24 columns, midnight to 23:00, labelled every three hours."""
    if len(plays_per_hour) != 24:
        raise ValueError("24 hours expected")
    columns = [Bar(label=f"{hour:02d}", value=plays) for hour, plays in enumerate(plays_per_hour)]
    return column_chart(columns, title=title, unit="plays", every=3)


def _level(plays: int, peak: int) -> int:
    """0 for no plays, else 1–4 by the share of the busiest day."""
    if plays <= 0 or peak <= 0:
        return 0
    return min(4, 1 + (4 * plays - 1) // peak)


def calendar_start(first: date, last: date) -> date:
    """The first day a calendar from `first` to `last` draws: at most 53 weeks back."""
    return max(first, last - timedelta(weeks=MAX_CALENDAR_WEEKS) + timedelta(days=1))


def calendar_heatmap(
    plays_per_day: dict[date, int], *, first: date, last: date, title: str = "Plays per day"
) -> Markup:
    """A GitHub-style calendar: a column per week (Monday on top), a square per day.

    At most the last 53 weeks before `last` are drawn; the description says so when the
    range was longer.
    """
    if last < first:
        return Markup("")
    shown_first = calendar_start(first, last)
    start = shown_first - timedelta(days=shown_first.weekday())
    weeks = (last - start).days // 7 + 1
    days = (last - shown_first).days + 1
    active = [day for day in plays_per_day if shown_first <= day <= last]
    peak = max((plays_per_day[day] for day in active), default=0)
    total = sum(plays_per_day[day] for day in active)
    busiest = max(active, key=lambda day: (plays_per_day[day], day), default=None)
    words = f"{total} plays over {days} days from {shown_first:%d %b %Y} to {last:%d %b %Y}"
    words += f", on {len(active)} {'day' if len(active) == 1 else 'days'} with any play"
    if busiest is not None:
        words += f"; the busiest, {busiest:%d %b %Y}, had {plays_per_day[busiest]}"
    if shown_first > first:
        words += " (the last 53 weeks are shown)"
    label_band = 14
    width, height = weeks * CELL + 24, 7 * CELL + label_band
    extra = f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
    # Drawn at 1.5 times its natural size, and shrunk to fit a narrow screen by the style sheet.
    parts = [_open("calendar", title, words, round(height * 1.5), str(round(width * 1.5)), extra)]
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(
            f'<text class="calendar-day" x="0" y="{label_band + row * CELL + 8}">{name}</text>'
        )
    month_seen = None
    for week in range(weeks):
        monday = start + timedelta(weeks=week)
        # A month is named above the column of its first Monday, and the first column by
        # the month of its first drawn day when the next name leaves room (three columns),
        # so even a calendar of one week says which month it shows.
        named = monday
        opens = monday.day <= 7
        if week == 0 and not opens:
            named = shown_first
            opens = not any(
                (monday + timedelta(weeks=later)).day <= 7 for later in range(1, min(3, weeks))
            )
        if named.month != month_seen and opens:
            month_seen = named.month
            parts.append(
                f'<text class="calendar-month" x="{24 + week * CELL}" y="10">{named:%b}</text>'
            )
        for row in range(7):
            day = monday + timedelta(days=row)
            if day < shown_first or day > last:
                continue
            plays = plays_per_day.get(day, 0)
            noun = "play" if plays == 1 else "plays"
            parts.append(
                f'<rect class="day l{_level(plays, peak)}" x="{24 + week * CELL}" '
                f'y="{label_band + row * CELL}" width="{CELL - GAP}" height="{CELL - GAP}" '
                f'rx="2"><title>{day:%a %d %b %Y}: {plays} {noun}</title></rect>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it went through escape()
