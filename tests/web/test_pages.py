"""The public pages over plain HTTP: content, filters, empty states, privacy and 404s.

The club is the one tests/club/test_stats.py builds (its comments work out every number):
winners Kid A (week 1001), Blue (1002), Vespertine (1003), Blonde (1004, in discussion)
and Pink Moon (1005); week 1006 is still taking nominations.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from sidetrack.core.types import utcnow
from sidetrack.listening.records import ListenRecord, ListenSource
from sidetrack.listening.service import ingest_listens
from sidetrack.users.models import User
from tests.club.test_stats import Club, build_club
from tests.factories import create_user, create_week

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def club(session: Session) -> Club:
    return build_club(session)


def page(client: TestClient, path: str, status: int = 200, **params: str) -> str:
    response = client.get(path, params=params, headers=HTML)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def count(html: str, testid: str) -> int:
    return html.count(f'data-testid="{testid}"')


class Landmarks(HTMLParser):
    """The tags and ids a page has, to check its structure without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids.extend(value or "" for name, value in attrs if name == "id")
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1 and data.strip():
            self.h1.append(data.strip())


def landmarks(html: str) -> Landmarks:
    parser = Landmarks()
    parser.feed(html)
    return parser


def listen(artist: str, track: str, album: str, days_ago: float) -> ListenRecord:
    return ListenRecord(
        artist_name=artist,
        track_title=track,
        played_at=utcnow() - timedelta(days=days_ago),
        source=ListenSource.SPOTIFY,
        album_title=album,
        ms_played=180_000,
    )


def give_history(session: Session, user: User) -> None:
    """3 plays of Björk in the last two days; 5 of Aphex Twin 200 days ago."""
    records = [listen("Björk", "Jóga", "Homogenic", 0.2 + i / 10) for i in range(3)]
    records += [listen("Aphex Twin", "Flim", "Come to Daddy", 200 + i / 10) for i in range(5)]
    assert ingest_listens(session, user.id, records).inserted == 8


# --- every page, with a club and without ------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/club", "/club/stats", "/u/ann"])
def test_every_page_has_the_landmarks_and_one_h1(client: TestClient, club: Club, path: str) -> None:
    html = page(client, path)
    found = landmarks(html)
    for tag in ("header", "nav", "main", "footer"):
        assert tag in found.tags, tag
    assert "main" in found.ids  # the skip link's target
    assert 'href="#main"' in html
    assert found.tags.count("h1") == 1
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert '<link rel="stylesheet" href="/static/style.css' in html


def test_an_empty_club_shows_empty_states(client: TestClient, session: Session) -> None:
    home = page(client, "/")
    assert "No week is running right now" in home
    assert "No winners yet" in home
    gallery = page(client, "/club")
    assert count(gallery, "gallery-card") == 0
    assert "The archive is empty for now" in gallery
    stats = page(client, "/club/stats")
    assert "No club activity yet" in stats
    assert "chart-bars" not in stats  # no empty charts
    create_user(session, handle="newbie", display_name="Newbie")
    member = page(client, "/u/newbie")
    assert "Newbie has not nominated or rated in the club yet" in member
    assert count(member, "listening-empty") == 1
    assert count(member, "range-switch") == 1
    assert "<svg class" not in member.split('<section id="listening"')[1]


def test_the_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text
    assert "prefers-reduced-motion" in css.text
    assert client.get("/static/site.js").status_code == 200


# --- home -----------------------------------------------------------------------------------


def test_home_shows_the_current_week_and_the_latest_winners(
    client: TestClient, session: Session, club: Club
) -> None:
    html = page(client, "/")
    current = html.split('data-testid="current-week"')[1].split("</section>")[0]
    # The newest week not closed is 1006, taking nominations (Kind of Blue so far).
    assert "Week 1006" in current
    assert "Nominations open" in current
    assert "Kind of Blue" in current
    # Winners newest first; 1006 has none, so it is not among them.
    latest = html.split('id="latest-title"')[1]
    titles = re.findall(r'<h3 class="card-title">([^<]+)</h3>', latest)
    assert titles == ["Pink Moon", "Blonde", "Vespertine", "Blue", "Kid A"]


def test_weeks_that_closed_without_a_winner(
    client: TestClient, session: Session, club: Club
) -> None:
    from sidetrack.club.models import WeekPhase

    empty = [create_week(session, week_number=n, phase=WeekPhase.CLOSED) for n in (1007, 1008)]
    latest = page(client, "/").split('id="latest-title"')[1]
    titles = re.findall(r'<h3 class="card-title">([^<]+)</h3>', latest)
    assert titles == ["Pink Moon", "Blonde", "Vespertine", "Blue", "Kid A"]
    # The gallery lists them, and does not promise a winner still to come.
    gallery = page(client, "/club")
    assert re.findall(r'<h2 class="card-title">([^<]+)</h2>', gallery)[:3] == [
        "Week 1008: no winner",
        "Week 1007: no winner",
        "Week 1006: no winner yet",
    ]
    week = page(client, f"/club/weeks/{empty[0].id}")
    assert "This week closed without a winner." in week
    assert "No winner yet" not in week


def test_home_during_the_poll_shows_the_albums_in_it(client: TestClient, session: Session) -> None:
    from sidetrack.club.models import WeekPhase
    from tests.factories import create_nomination

    week = create_week(session, week_number=8, phase=WeekPhase.POLL)
    member = create_user(session, handle="pia", display_name="Pia")
    for _ in range(2):
        create_nomination(session, week, member)
    current = page(client, "/").split('data-testid="current-week"')[1].split("</section>")[0]
    assert "Poll open" in current
    assert "2 albums in the poll — vote in Discord:" in current
    assert "so far" not in current


def test_home_shows_the_next_deadline_in_utc(client: TestClient, session: Session) -> None:
    soon = (utcnow() + timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    create_week(
        session,
        week_number=7,
        nominations_close_at=soon,
        poll_close_at=soon + timedelta(days=1),
        discussion_at=soon + timedelta(days=4),
        ratings_close_at=soon + timedelta(days=6),
    )
    html = page(client, "/")
    deadline = html.split('data-testid="next-deadline"')[1].split("</p>")[0]
    assert "Nominations close" in deadline
    assert f"{soon.day} {soon:%b %Y}, 20:00 UTC" in deadline
    assert f'datetime="{soon:%Y-%m-%dT%H:%M:%S}Z"' in deadline


# --- the gallery ----------------------------------------------------------------------------


def test_the_gallery_shows_every_week_newest_first(client: TestClient, club: Club) -> None:
    html = page(client, "/club")
    assert count(html, "gallery-card") == 6
    titles = re.findall(r'<h2 class="card-title">([^<]+)</h2>', html)
    assert titles == [
        "Week 1006: no winner yet",
        "Pink Moon",
        "Blonde",
        "Vespertine",
        "Blue",
        "Kid A",
    ]
    assert "6 weeks in the archive." in html
    # Week 1001's average: (4.0 + 3.0 + 4.0 + 3.5) / 4 = 3.625 → 3.63, with stars.
    kid_a = html.split("Kid A</h2>")[1]
    assert '<span class="rating-number">3.63</span>' in kid_a
    assert 'aria-label="3.63 out of 5 stars"' in kid_a
    # Inside a card that names the album, the cover is decorative.
    card = html.split('data-testid="gallery-card"')[-1]
    assert 'class="cover cover-placeholder " style="--hue: ' in card
    assert 'aria-hidden="true"' in card.split("cover-placeholder")[1][:60]
    assert "No cover art" not in html


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"genre": "Folk"}, ["Pink Moon", "Blue"]),
        ({"genre": "electronic"}, ["Vespertine", "Kid A"]),
        ({"decade": "1970s"}, ["Pink Moon", "Blue"]),
        ({"country": "UK"}, ["Pink Moon", "Kid A"]),
        ({"nominator": "ann"}, ["Blonde", "Kid A"]),
        ({"q": "moon"}, ["Pink Moon"]),
        ({"genre": "Folk", "country": "Canada"}, ["Blue"]),
        ({"genre": "Jazz"}, []),  # only a losing nomination was Jazz
    ],
)
def test_gallery_filters_live_in_the_address(
    client: TestClient, club: Club, params: dict[str, str], titles: list[str]
) -> None:
    html = page(client, "/club", **params)
    assert count(html, "gallery-card") == len(titles)
    assert re.findall(r'<h2 class="card-title">([^<]+)</h2>', html) == titles
    if titles:
        assert f"{len(titles)} week" in html.split('data-testid="result-count"')[1][:80]
    else:
        assert "No winner matches" in html
    assert 'href="/club" class="button button-quiet">Clear</a>' in html


def test_gallery_filter_controls_are_labelled_and_keep_the_choice(
    client: TestClient, club: Club
) -> None:
    html = page(client, "/club", genre="Folk", q="moon")
    for name in ("q", "genre", "decade", "country", "nominator"):
        assert f'<label for="filter-{name}">' in html
        assert f'id="filter-{name}"' in html
    assert 'name="q" value="moon"' in html
    assert '<option value="Folk" selected>Folk (2)</option>' in html
    # Options come from the winners only: Jazz (a losing nomination) is not offered.
    assert '<option value="Electronic" >Electronic (2)</option>' in html
    assert 'value="Jazz"' not in html
    assert '<option value="ann" >Ann</option>' in html
    assert 'value="dan"' not in html  # Dan never won


def test_empty_filter_fields_are_ignored(client: TestClient, club: Club) -> None:
    # What a plain form submission sends when nothing is chosen.
    html = page(client, "/club", q="", genre="", decade="", country="", nominator="")
    assert count(html, "gallery-card") == 6


def test_the_gallery_pages_through_the_weeks(client: TestClient, session: Session) -> None:
    for number in range(1, 27):
        create_week(session, week_number=number, label=f"WEEK {number:03d}")
    first = page(client, "/club")
    assert count(first, "gallery-card") == 24
    assert 'href="/club?page=2" rel="next"' in first
    second = page(client, "/club", page="2")
    assert count(second, "gallery-card") == 2
    assert "Page 2 of 2" in second
    assert 'href="/club" rel="prev"' in second
    # A nonsense page number is the first page, not an error.
    assert count(page(client, "/club", page="many"), "gallery-card") == 24


def test_a_malformed_decade_is_explained(client: TestClient, club: Club) -> None:
    html = page(client, "/club", status=422, decade="nineties")
    assert "is not a decade" in html


# --- a week ---------------------------------------------------------------------------------


def test_a_closed_week_in_full(client: TestClient, club: Club) -> None:
    week = club.weeks[1]
    html = page(client, f"/club/weeks/{week.id}")
    title = html.split('data-testid="winner-title"')[1].split("</h1>")[0]
    assert ">Kid A" in title
    assert landmarks(html).h1 == ["Kid A"]
    # The winner's cover stands alone, so it says what it is (there is no art: a placeholder).
    hero = html.split('class="hero-cover"')[1].split("</div>")[0]
    assert 'role="img" aria-label="No cover art for Kid A by Kid A band"' in hero
    assert 'Nominated by <a href="/u/ann">Ann</a>' in html
    # The poll: Cat 1st and Eve 2nd for Kid A (3 points), Dan 1st for Homogenic (2).
    poll = html.split('data-testid="poll"')[1].split("</section>")[0]
    assert "3 members voted" in poll
    assert "1. Kid A — Kid A band" in poll
    assert "3 pts · 1 first" in poll
    assert "2. Homogenic — Homogenic band" in poll
    assert 'role="img"' in poll
    assert "tie-break" not in poll
    # Every nomination.
    assert count(html, "nomination") == 2
    # Ratings: 4, average 3.63; Dan's review was hidden by a moderator.
    ratings = html.split('data-testid="ratings"')[1].split("</section>")[0]
    assert '<span class="big-number" data-testid="rating-average">3.63</span>' in ratings
    assert "4 ratings" in ratings
    assert count(ratings, "review") == 4
    assert "Ann on week 1" in ratings
    assert "spam" not in ratings
    assert "Review hidden by a moderator." in ratings
    assert 'class="chart chart-columns"' in ratings  # the histogram


def test_a_week_taking_nominations_shows_only_what_exists(client: TestClient, club: Club) -> None:
    html = page(client, f"/club/weeks/{club.weeks[6].id}")
    assert landmarks(html).h1 == ["Week 1006"]
    assert count(html, "week-title") == 1
    assert count(html, "winner-title") == 0
    assert count(html, "nomination") == 1
    assert "Kind of Blue" in html
    assert count(html, "poll") == 0
    assert count(html, "ratings") == 0
    assert "<svg class" not in html.split("</header>")[1]  # no charts at all


def test_a_running_poll_hides_its_tally(client: TestClient, session: Session, club: Club) -> None:
    from sidetrack.club.models import WeekPhase
    from tests.factories import create_nomination, create_vote

    week = create_week(session, week_number=2000, phase=WeekPhase.POLL)
    first = create_nomination(session, week, club.members["Ann"])
    create_nomination(session, week, club.members["Ben"])
    create_vote(session, first, club.members["Cat"], 1)
    html = page(client, f"/club/weeks/{week.id}")
    assert "Voting is open — 1 member has voted so far" in html
    assert count(html, "poll") == 0
    assert "pts ·" not in html


def test_a_tie_break_and_the_next_discussion_are_shown(
    client: TestClient, session: Session, club: Club
) -> None:
    from sidetrack.club.models import WeekPhase
    from tests.factories import create_nomination, create_vote

    later = utcnow() + timedelta(days=3)
    week = create_week(
        session,
        week_number=2001,
        phase=WeekPhase.DISCUSSION,
        discussion_at=later,
        ratings_close_at=later + timedelta(days=2),
        winner_thread_id=123456789012345678,
    )
    first = create_nomination(session, week, club.members["Ann"])
    second = create_nomination(session, week, club.members["Ben"])
    # 2 points each: `first` from one first-place vote, `second` from two second-place
    # votes, so the first-place votes decide.
    create_vote(session, first, club.members["Cat"], 1)
    create_vote(session, second, club.members["Dan"], 2)
    create_vote(session, second, club.members["Eve"], 2)
    week.winner_nomination_id = first.id
    week.winner_album_id = first.album_id
    session.flush()
    html = page(client, f"/club/weeks/{week.id}")
    assert count(html, "tie-break") == 1
    assert "the most first-place votes decided it" in html
    facts = html.split('data-testid="next-deadline"')[1].split("</dd>")[0]
    assert f"{later.day} {later:%b %Y, %H:%M} UTC" in facts
    assert "Winner thread" in html


def test_an_organisers_override_is_explained_and_charted(
    client: TestClient, session: Session, club: Club
) -> None:
    from sidetrack.club.service import override_winner

    week = club.weeks[1]  # Kid A won the poll on points; Homogenic (N2) came second
    override_winner(session, week.id, club.nominations["N2"].id, "organiser", "Kid A was a repeat")
    html = page(client, f"/club/weeks/{week.id}")
    assert landmarks(html).h1 == ["Homogenic"]
    poll = html.split('data-testid="poll"')[1].split("</section>")[0]
    assert 'data-testid="override">An organiser picked the winner: Kid A was a repeat</p>' in poll
    # The poll's own order stays; the bar in the winner's colour is the one now crowned.
    highlighted = poll.split('class="bar bar-highlight"')[1].split("</g>")[0]
    assert "2. Homogenic — Homogenic band" in highlighted
    assert poll.count("bar-highlight") == 1


def test_a_poll_nobody_voted_in_says_how_the_winner_was_chosen(
    client: TestClient, session: Session, club: Club
) -> None:
    from sidetrack.club.models import WeekPhase
    from sidetrack.club.service import close_poll
    from tests.factories import create_nomination

    week = create_week(session, week_number=2002, phase=WeekPhase.POLL)
    first = create_nomination(session, week, club.members["Ann"])
    create_nomination(session, week, club.members["Ben"])
    close_poll(session, week.id)
    assert week.winner_nomination_id == first.id
    html = page(client, f"/club/weeks/{week.id}")
    assert count(html, "poll") == 0  # no chart of zeros
    unvoted = html.split('data-testid="poll-unvoted"')[1].split("</section>")[0]
    assert "Nobody voted. Level on points and first-place votes: the earliest" in unvoted
    assert "<svg" not in unvoted


def test_discord_threads_link_when_the_server_is_known(
    client: TestClient, session: Session, club: Club
) -> None:
    week = club.weeks[1]
    week.poll_thread_id = 987654321098765432
    session.flush()
    client.app.state.settings.discord_guild_id = None  # type: ignore[attr-defined]
    assert "discord.com" not in page(client, f"/club/weeks/{week.id}")
    client.app.state.settings.discord_guild_id = "112233"  # type: ignore[attr-defined]
    html = page(client, f"/club/weeks/{week.id}")
    assert 'href="https://discord.com/channels/112233/987654321098765432"' in html


# --- stats ----------------------------------------------------------------------------------


def test_stats_charts_leaderboards_and_hall_of_fame(client: TestClient, club: Club) -> None:
    html = page(client, "/club/stats")
    totals = html.split('data-testid="totals"')[1].split("</ul>")[0]
    assert re.findall(r'big-number">(\d+)<', totals) == ["4", "11", "5", "17", "5"]
    genre = html.split('data-testid="chart-genre"')[1].split("</figure>")[0]
    assert genre.count('class="bar-fill"') == 2  # Electronic and Folk
    assert "Electronic: 2 wins; Folk: 2 wins" in genre
    country = html.split('data-testid="chart-country"')[1].split("</figure>")[0]
    assert country.count('class="bar-fill"') == 4
    # Decades oldest first.
    decade = html.split('data-testid="chart-decade"')[1].split("</figure>")[0]
    assert decade.index("1970s") < decade.index("2000s")
    fame = html.split('data-testid="hall-of-fame"')[1].split("</ol>")[0]
    assert re.findall(r'cell-title">([^<]+)<', fame) == ["Blue", "Kid A", "Pink Moon", "Blonde"]
    wins = html.split('data-testid="leaderboard-wins"')[1].split("</ol>")[0]
    assert re.findall(r">(\w+)</a>", wins) == ["Ann", "Cat", "Ben"]  # Dan never won
    average = html.split('data-testid="leaderboard-average"')[1].split("</ol>")[0]
    assert re.findall(r'leader-value">([\d.]+)<', average) == ["3.90", "3.75", "3.13", "2.88"]


# --- a member -------------------------------------------------------------------------------


def test_a_members_club_life_and_listening(
    client: TestClient, session: Session, club: Club
) -> None:
    ann = club.members["Ann"]
    give_history(session, ann)
    html = page(client, "/u/ann")
    assert landmarks(html).h1 == ["Ann"]
    totals = html.split('data-testid="club-totals"')[1].split("</ul>")[0]
    # 3 nominations, 2 wins, 4 ratings averaging 3.75.
    assert re.findall(r'big-number">([\d.]+)<', totals)[:4] == ["3", "2", "4", "3.75"]
    nominations = html.split('data-testid="member-nominations"')[1].split("</ul>")[0]
    assert re.findall(r'cell-title">([^<]+?)[ <]', nominations) == ["Blonde", "Maggot", "Kid"]
    ratings = html.split('data-testid="member-ratings"')[1].split("</ul>")[0]
    assert "Ann on week 2" in ratings
    assert 'Favourite track: <span class="favorite">Carey</span>' in ratings
    # Listening, by default the last month: the three Björk plays.
    listening = html.split('<section id="listening"')[1]
    top = listening.split('data-testid="top-artist"')[1].split("</li>")[0]
    assert "Björk" in top and "3 plays" in top
    assert re.search(r'data-testid="total-plays">3<', listening)
    assert count(listening, "calendar") == 1 and count(listening, "hours") == 1
    assert count(listening, "recent-listens") == 1
    assert 'aria-current="true">Month</a>' in listening


def test_the_range_switch_changes_the_numbers(
    client: TestClient, session: Session, club: Club
) -> None:
    give_history(session, club.members["Ann"])

    def top_and_total(range_name: str) -> tuple[str, str]:
        html = page(client, "/u/ann", range=range_name)
        top = html.split('data-testid="top-artist"')[1].split("</li>")[0]
        name = re.search(r'top-name">([^<]+)<', top)
        total = re.search(r'data-testid="total-plays">([\d,]+)<', html)
        assert name and total
        return name.group(1), total.group(1)

    assert top_and_total("week") == ("Björk", "3")
    assert top_and_total("month") == ("Björk", "3")
    assert top_and_total("year") == ("Aphex Twin", "8")
    assert top_and_total("all_time") == ("Aphex Twin", "8")
    assert top_and_total("fortnight") == ("Björk", "3")  # unknown: the default, a month
    html = page(client, "/u/ann", range="year")
    switch = html.split('data-testid="range-switch"')[1].split("</nav>")[0]
    assert re.findall(r'href="([^"]+)"', switch) == [
        "/u/ann?range=week#listening",
        "/u/ann#listening",
        "/u/ann?range=year#listening",
        "/u/ann?range=all_time#listening",
    ]
    assert 'aria-current="true">Year</a>' in switch


def test_the_listening_section_alone_for_the_range_switch_script(
    client: TestClient, session: Session, club: Club
) -> None:
    give_history(session, club.members["Ann"])
    response = client.get(
        "/u/ann", params={"range": "year"}, headers={"X-Sidetrack-Partial": "listening"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="listening"')
    assert "<html" not in response.text and "member-nominations" not in response.text
    assert 'data-testid="total-plays">8<' in response.text
    assert "X-Sidetrack-Partial" in response.headers["vary"]


def test_a_calendar_longer_than_53_weeks_says_where_it_starts(
    client: TestClient, session: Session, club: Club
) -> None:
    ann = club.members["Ann"]
    records = [listen("Björk", "Jóga", "Homogenic", 1), listen("Can", "Halleluhwah", "Tago", 500)]
    assert ingest_listens(session, ann.id, records).inserted == 2
    year = page(client, "/u/ann", range="year")
    assert count(year, "calendar") == 1 and count(year, "calendar-note") == 0
    html = page(client, "/u/ann", range="all_time")
    assert 'data-testid="total-plays">2<' in html
    note = html.split('data-testid="calendar-note"')[1].split("</p>")[0]
    first = (utcnow() - timedelta(weeks=53)).date() + timedelta(days=1)
    assert f'The last 53 weeks, from <time datetime="{first:%Y-%m-%d}">' in note


def test_private_listening_is_not_shown(client: TestClient, session: Session, club: Club) -> None:
    ben = club.members["Ben"]
    give_history(session, ben)
    ben.listening_private = True
    session.flush()
    html = page(client, "/u/ben", range="all_time")
    assert "Ben keeps their listening private." in html
    for hidden in ("Björk", "Aphex Twin", "top-artist", "total-plays", "range-switch"):
        assert hidden not in html
    # Their club life is public all the same.
    assert "member-nominations" in html


def test_member_pages_page_through_nominations_and_ratings(
    client: TestClient, session: Session
) -> None:
    from tests.factories import create_nomination

    member = create_user(session, handle="busy", display_name="Busy")
    for number in range(12):
        create_nomination(session, create_week(session, week_number=3000 + number), member)
    first = page(client, "/u/busy")
    assert first.split('data-testid="member-nominations"')[1].count('class="media"') == 10
    assert 'href="/u/busy?page=2" rel="next"' in first
    second = page(client, "/u/busy", page="2")
    assert second.split('data-testid="member-nominations"')[1].count('class="media"') == 2


# --- errors ---------------------------------------------------------------------------------


def assert_friendly_404(response: Response) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-page"' in response.text
    assert "<h1>Page not found</h1>" in response.text
    assert 'href="/"' in response.text


def test_unknown_pages_and_ids_are_friendly_404s(client: TestClient, club: Club) -> None:
    for path in (
        "/club/weeks/9b2f7a52-61a4-4c1f-8d8e-4f2a1e3b5c6d",
        "/club/weeks/not-a-week",
        "/u/nobody",
        "/no/such/page",
    ):
        assert_friendly_404(client.get(path, headers=HTML))
    # A page route answers in HTML even to a client that did not say it wants it.
    assert_friendly_404(client.get("/u/nobody"))
    assert "No member with handle &#39;nobody&#39;" in client.get("/u/nobody").text


def test_the_api_keeps_its_json_errors(client: TestClient) -> None:
    for path in ("/api/club/weeks/9b2f7a52-61a4-4c1f-8d8e-4f2a1e3b5c6d", "/api/nothing-here"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"
    # An unknown path from a client that does not ask for HTML: the JSON body, as before.
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"path": "/no/such/page"}
    invalid = client.get("/api/club/weeks/not-a-uuid", headers=HTML)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid"


def test_an_unexpected_error_is_a_friendly_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sidetrack.web import pages

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pages.club, "club_stats", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    response = quiet.get("/club/stats", headers=HTML)
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text
    assert "boom" not in response.text
    api = quiet.get("/api/club/stats")
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal"


def test_cover_art_and_spotify_when_known(client: TestClient, session: Session, club: Club) -> None:
    from sidetrack.catalog.models import Album

    week = club.weeks[1]
    album = session.get_one(Album, week.winner_album_id)
    album.cover_url = "https://covers.example/kid-a.jpg"
    album.spotify_id = "6dVIqQ8qmQ5GBnJ9shOYGE"
    session.flush()
    html = page(client, f"/club/weeks/{week.id}")
    hero = html.split('class="hero-cover"')[1].split("</div>")[0]
    assert 'src="https://covers.example/kid-a.jpg"' in hero
    assert 'alt="Cover of Kid A by Kid A band"' in hero
    assert 'href="https://open.spotify.com/album/6dVIqQ8qmQ5GBnJ9shOYGE"' in html
    gallery = page(client, "/club")
    card = next(c for c in gallery.split('data-testid="gallery-card"') if "kid-a.jpg" in c)
    assert 'alt=""' in card  # the card's title already names it
