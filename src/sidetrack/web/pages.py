"""The public web pages: the club archive and member pages, rendered on the server.

Each route parses its input, calls the same query functions as the JSON API (never the API
itself), shapes the charts and renders one template. Input is read leniently, as people type
addresses: an unknown range falls back to the default, a malformed id is a 404.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from sidetrack.club import queries as club
from sidetrack.club.schemas import ClubStats, MemberStanding, PollSummary, TagCount, WeekDetail
from sidetrack.core.errors import Forbidden, NotFound
from sidetrack.core.http import DbSession
from sidetrack.core.types import utcnow
from sidetrack.listening import queries as listening
from sidetrack.listening.schemas import ListeningStats, ListenPage
from sidetrack.users.service import get_user_by_handle
from sidetrack.web import charts
from sidetrack.web import format as fmt
from sidetrack.web.templating import render

PAGE_TAG: Final = "pages"
router = APIRouter(include_in_schema=False, tags=[PAGE_TAG])

GALLERY_PAGE: Final = 24
MEMBER_PAGE: Final = 10
RECENT_LISTENS: Final = 15
TOP_LIST: Final = 10
LATEST_WINNERS: Final = 6
LEADERBOARD: Final = 10
PARTIAL_HEADER: Final = "X-Sidetrack-Partial"

RangeName = Literal["week", "month", "year", "all_time"]
RANGES: Final[tuple[RangeName, ...]] = get_args(RangeName)
RANGE_NAMES: Final = {"week": "Week", "month": "Month", "year": "Year", "all_time": "All time"}
DEFAULT_RANGE: Final[RangeName] = "month"

# Free text from the address bar: bounded, and empty means "not given".
Text = Annotated[str | None, Query(max_length=200)]


def _given(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"No {what} with id {raw}", details={"id": raw}) from None


# --- the club ------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession) -> HTMLResponse:
    running = club.current_week(session)
    current = club.week_detail(session, running.id) if running else None
    # The newest weeks hold the running one and now and then a week that closed without a
    # winner (every nomination withdrawn): read twice as many, in the same queries.
    latest = club.list_weeks(session, limit=2 * LATEST_WINNERS).items
    winners = [week for week in latest if week.winner is not None][:LATEST_WINNERS]
    return render(
        request,
        "home.html",
        {
            "current": current,
            "deadline": club.next_deadline(current, utcnow()) if current else None,
            "winners": winners,
        },
    )


@router.get("/club", response_class=HTMLResponse)
def gallery(
    request: Request,
    session: DbSession,
    genre: Text = None,
    decade: Text = None,
    country: Text = None,
    nominator: Text = None,
    q: Text = None,
    page: Text = None,
) -> HTMLResponse:
    chosen = {
        "genre": _given(genre),
        "decade": _given(decade),
        "country": _given(country),
        "nominator": _given(nominator),
        "q": _given(q),
    }
    number = _page_number(page)
    weeks = club.list_weeks(
        session,
        genre=chosen["genre"],
        decade=chosen["decade"],
        country=chosen["country"],
        nominator=chosen["nominator"],
        q=chosen["q"],
        limit=GALLERY_PAGE,
        offset=(number - 1) * GALLERY_PAGE,
    )
    filtered = {name: value for name, value in chosen.items() if value is not None}
    pages = max(1, math.ceil(weeks.total / GALLERY_PAGE))
    return render(
        request,
        "club.html",
        {
            "weeks": weeks,
            "filters": club.gallery_filters(session),
            "chosen": chosen,
            "filtered": bool(filtered),
            "page": number,
            "pages": pages,
            "newer_url": _page_url("/club", filtered, number - 1) if number > 1 else None,
            "older_url": _page_url("/club", filtered, number + 1) if number < pages else None,
        },
    )


def _page_url(path: str, params: dict[str, Any], page: int) -> str:
    query = {**params, **({"page": page} if page > 1 else {})}
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/club/weeks/{week_id}", response_class=HTMLResponse)
def week_page(request: Request, session: DbSession, week_id: str) -> HTMLResponse:
    guild = request.app.state.settings.discord_guild_id
    week = club.week_detail(session, _uuid(week_id, "week"), guild)
    # A running poll's tally is not shown: it would sway the votes still to come. A poll
    # nobody voted in has nothing to chart.
    poll = week.poll if week.poll and week.poll.final and week.poll.voter_count else None
    unvoted = week.poll if week.poll and week.poll.final and not week.poll.voter_count else None
    summary = week.ratings_summary
    return render(
        request,
        "week.html",
        {
            "week": week,
            "deadline": club.next_deadline(week, utcnow()),
            "poll": poll,
            "unvoted_poll": unvoted,
            "poll_chart": _poll_chart(poll) if poll else Markup(""),
            "histogram": charts.rating_histogram(summary.histogram, title="Ratings, by value")
            if summary.count
            else Markup(""),
            "threads": _threads(week),
        },
    )


def _poll_chart(poll: PollSummary) -> Markup:
    bars = [
        charts.Bar(
            label=f"{result.position}. {result.album.title} — {result.album.artist_name}",
            value=result.points,
            value_label=f"{fmt.plural(result.points, 'pt')} · {result.first_place_votes} first",
            highlight=result.nomination_id == poll.winner_nomination_id,
        )
        for result in poll.results
    ]
    return charts.bar_chart(bars, title="Poll results, in points", unit="points")


@dataclass(frozen=True)
class Thread:
    name: str
    url: str | None


def _threads(week: WeekDetail) -> list[Thread]:
    links = week.discord_links
    threads = [
        ("Nominations", week.nominations_thread_id, links.nominations),
        ("Poll", week.poll_thread_id, links.poll),
        ("Winner", week.winner_thread_id, links.winner),
        ("Ratings", week.ratings_thread_id, links.ratings),
    ]
    return [Thread(name, url) for name, thread_id, url in threads if thread_id is not None]


@router.get("/club/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: DbSession) -> HTMLResponse:
    stats = club.club_stats(session)
    decades = sorted(stats.winners_by_decade, key=lambda tag: tag.name)
    return render(
        request,
        "stats.html",
        {
            "stats": stats,
            "genre_chart": _tag_chart(stats.winners_by_genre[:12], "Winners by genre"),
            "decade_chart": _tag_chart(decades, "Winners by decade"),
            "country_chart": _tag_chart(stats.winners_by_country[:12], "Winners by country"),
            "boards": _leaderboards(stats),
        },
    )


def _tag_chart(tags: list[TagCount], title: str) -> Markup:
    bars = [
        charts.Bar(label=tag.name, value=tag.count, value_label=fmt.plural(tag.count, "win"))
        for tag in tags
    ]
    return charts.bar_chart(bars, title=title, unit="wins")


@dataclass(frozen=True)
class Leaderboard:
    slug: str
    title: str
    rows: list[tuple[MemberStanding, str]]


def _leaderboards(stats: ClubStats) -> list[Leaderboard]:
    members = stats.members

    def board(slug: str, title: str, key: Any, shown: Any, keep: Any = bool) -> Leaderboard:
        ranked = sorted(
            (m for m in members if keep(key(m))),
            key=lambda m: (-key(m), m.member.display_name.casefold()),
        )
        return Leaderboard(slug, title, [(m, shown(m)) for m in ranked[:LEADERBOARD]])

    return [
        board("nominations", "Most nominations", lambda m: m.nominations, lambda m: m.nominations),
        board("wins", "Most wins", lambda m: m.wins, lambda m: m.wins),
        board(
            "ratings", "Most ratings given", lambda m: m.ratings_given, lambda m: m.ratings_given
        ),
        board(
            "average",
            "Most generous raters",
            lambda m: m.average_given or 0.0,
            lambda m: fmt.average(m.average_given),
            keep=lambda value: value > 0,
        ),
    ]


# --- members ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listening:
    range: RangeName
    stats: ListeningStats
    recent: ListenPage
    time_zone: str
    calendar: Markup
    calendar_from: date | None  # the first day drawn when the range is longer than 53 weeks
    hours: Markup


@router.get("/u/{handle}", response_class=HTMLResponse)
def member_page(
    request: Request,
    session: DbSession,
    handle: str,
    range_name: Annotated[str | None, Query(alias="range", max_length=20)] = None,
    page: Text = None,
) -> HTMLResponse:
    user = get_user_by_handle(session, handle)
    chosen: RangeName = DEFAULT_RANGE
    for name in RANGES:
        if range_name == name:
            chosen = name
    number = _page_number(page)
    listening_view = _listening(session, user.id, chosen)
    context = {
        "member": user,
        "listening": listening_view,
        "range": chosen,
        "ranges": [(name, RANGE_NAMES[name], _range_url(handle, name, number)) for name in RANGES],
    }
    headers = {"Vary": PARTIAL_HEADER}
    if request.headers.get(PARTIAL_HEADER) == "listening":
        return render(request, "_listening.html", context, headers=headers)
    life = club.member_club(session, user.id, limit=MEMBER_PAGE, offset=(number - 1) * MEMBER_PAGE)
    pages = max(1, math.ceil(max(life.nominations_total, life.ratings_given) / MEMBER_PAGE))
    params = {"range": chosen} if chosen != DEFAULT_RANGE else {}
    return render(
        request,
        "member.html",
        {
            **context,
            "club": life,
            "page": number,
            "pages": pages,
            "newer_url": _page_url(f"/u/{handle}", params, number - 1) if number > 1 else None,
            "older_url": _page_url(f"/u/{handle}", params, number + 1) if number < pages else None,
        },
        headers=headers,
    )


def _range_url(handle: str, name: RangeName, page: int) -> str:
    params: dict[str, Any] = {"range": name} if name != DEFAULT_RANGE else {}
    return _page_url(f"/u/{handle}", params, page) + "#listening"


def _listening(session: Session, user_id: uuid.UUID, range_name: RangeName) -> Listening | None:
    """The member's listening as anyone may see it, or None when they keep it private."""
    try:
        # The web has no sign-in yet: every visitor is anonymous (viewer None).
        stats = listening.listening_stats(
            session, user_id, None, range_name, limit=TOP_LIST, now=utcnow()
        )
        recent = listening.list_listens(session, user_id, None, limit=RECENT_LISTENS)
    except Forbidden:
        return None
    first = stats.start or min(stats.plays_per_day, default=stats.end)
    drawn_from = charts.calendar_start(first, stats.end)
    return Listening(
        range=range_name,
        stats=stats,
        recent=recent,
        time_zone=stats.time_zone,
        calendar=charts.calendar_heatmap(stats.plays_per_day, first=first, last=stats.end)
        if stats.total_plays
        else Markup(""),
        calendar_from=drawn_from if drawn_from > first else None,
        hours=charts.hours_chart(stats.plays_per_hour, title="Plays by hour of day")
        if stats.total_plays
        else Markup(""),
    )
