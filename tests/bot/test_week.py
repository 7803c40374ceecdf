"""The bot's handlers driven with stand-ins for Discord, against the real API on the test
database: a whole week from /week start to the recap, a restart in the middle of the poll, an
outage during nominations, and /week resync."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidetrack.bot.client import ClubClient, Member, Retry
from sidetrack.bot.core import DOWN_NOTE, RATED, SAVED, WAITING, ClubBot
from sidetrack.bot.state import BotState
from sidetrack.club.models import Nomination, Rating, Vote
from sidetrack.club.schemas import WeekDetail
from tests.bot.conftest import Switchable
from tests.bot.fakes import FakeDiscord

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 11, 24, 18, tzinfo=UTC)
NOMINATIONS_CLOSE = T0 + timedelta(days=2)
POLL_CLOSE = T0 + timedelta(days=3)
DISCUSSION = T0 + timedelta(days=6)
RATINGS_CLOSE = T0 + timedelta(days=9)
LABEL = "WEEK 003 [2025-11-24]"

ANN, BEN, CAT, DAN, EVE, FAY = (
    Member(200000000000000000 + n, name)
    for n, name in enumerate(["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"], start=1)
)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def discord() -> FakeDiscord:
    return FakeDiscord()


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "bot-state.json"


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def make_bot(
    transport: Switchable, bot_token: str, discord: FakeDiscord, clock: Clock, state_path: Path
) -> Callable[[], ClubBot]:
    """A fresh bot each call (as after a restart): its memory is only the state file."""

    def make() -> ClubBot:
        client = ClubClient(
            "http://sidetrack.test",
            bot_token,
            transport=transport,
            retry=Retry(attempts=3),
            sleep=_no_sleep,
        )
        return ClubBot(client, discord, BotState.load(state_path), clock=clock)

    return make


@pytest.fixture
async def bot(make_bot: Callable[[], ClubBot]) -> AsyncIterator[ClubBot]:
    bot = make_bot()
    yield bot
    await bot.client.aclose()


async def start(bot: ClubBot) -> WeekDetail:
    reply = await bot.start_week(LABEL, 3, NOMINATIONS_CLOSE, POLL_CLOSE, DISCUSSION, RATINGS_CLOSE)
    assert "is open for nominations" in reply
    week = bot.current()
    assert week is not None
    return week


def form(title: str, artist: str, year: int, extra: str = "") -> str:
    return f"**Album — Artist (Year):** {title} — {artist} ({year})\n{extra}"


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_whole_week_from_start_to_recap_with_a_tie(
    bot: ClubBot,
    make_bot: Callable[[], ClubBot],
    discord: FakeDiscord,
    clock: Clock,
    session: Session,
) -> None:
    week = await start(bot)
    nominations = discord.thread_named("NOMINATIONS")
    assert discord.threads[nominations] == f"{LABEL} - NOMINATIONS"
    opening = discord.messages[nominations][0]
    assert opening.pinned and "Album — Artist (Year)" in opening.content
    assert (await bot.client.get_week(week.id)).nominations_thread_id == nominations

    # Nominations: the mini-form as a message, in the ways members write it.
    kid_a = discord.post(
        nominations,
        ANN,
        form(
            "Kid A",
            "Radiohead",
            2000,
            "**Why?** Cold and beautiful\n"
            "**Pitch track:** <https://open.spotify.com/track/6LgJvl0Xdtc73RJ1mmpotq>\n"
            "**Tags:** Electronic / 2000s / UK",
        ),
    )
    homogenic = discord.post(
        nominations, BEN, "> Homogenic by Björk [1997]\n> Tags: Art Pop | 90s | Iceland"
    )
    blue = discord.post(nominations, CAT, "album: Blue - Joni Mitchell (1971)\nwhy? her best")
    maggot = discord.post(nominations, DAN, "🎸 Maggot Brain — Funkadelic")
    chat = discord.post(nominations, EVE, "great picks everyone!")
    bad = discord.post(nominations, EVE, "Why? Because.\nTags: Rock / 80s / US")
    for post in (kid_a, homogenic, blue, maggot, chat, bad):
        await bot.on_message(post)
    for post in (kid_a, homogenic, blue, maggot):
        assert discord.message(post).reactions == {SAVED}
    assert discord.message(chat).reactions == set() and discord.message(chat).replies == []
    assert discord.message(bad).reactions == set()
    assert "couldn't find the album" in discord.message(bad).replies[0]

    # An edit re-parses and updates; a deleted message withdraws.
    await bot.on_message(
        discord.edit(
            homogenic,
            "Homogenic — Björk (1997)\nWhy? Strings and beats\nTags: Art Pop / 90s / Iceland",
        )
    )
    eve = discord.post(nominations, EVE, "Thriller — Michael Jackson (1982)")
    await bot.on_message(eve)
    assert count(session, Nomination) == 5
    discord.delete(eve)
    await bot.on_message_delete(nominations, eve.id)
    listed = await bot.client.list_nominations(week.id)
    assert [n.album.title for n in listed] == ["Kid A", "Homogenic", "Blue", "Maggot Brain"]
    assert listed[1].pitch == "Strings and beats" and listed[1].decade == "1990s"
    n1, n2, n3, n4 = (n.id for n in listed)

    # The reminder comes once, in its window.
    clock.now = NOMINATIONS_CLOSE - timedelta(hours=2)
    await bot.tick()
    await bot.tick()
    reminders = [
        m
        for m in discord.bot_posts(nominations)
        if "Nominations close" in m.content and "⏰" in m.content
    ]
    assert len(reminders) == 1

    # At the deadline the poll opens by itself: the nominees with links, two select menus.
    clock.now = NOMINATIONS_CLOSE
    await bot.tick()
    poll_thread = discord.thread_named("POLL")
    listing = discord.messages[poll_thread][0].content
    assert (
        "1. [Kid A — Radiohead (2000)](<https://open.spotify.com/track/6LgJvl0Xdtc73RJ1mmpotq>)"
        in listing
    )
    assert "4. Maggot Brain — Funkadelic — nominated by Dan" in listing
    (menu,) = [m.menu for m in discord.messages[poll_thread] if m.menu]
    assert [o.value for o in menu.options] == [str(n) for n in (n1, n2, n3, n4)]

    ballots = {ANN: (n2, n3), BEN: (n1, n3), CAT: (n2, n1)}
    for voter, (first, second) in ballots.items():
        assert "first choice is" in await bot.vote(voter, str(week.id), 1, str(first))
        assert "second choice is" in await bot.vote(voter, str(week.id), 2, str(second))
    refused = await bot.vote(ANN, str(week.id), 1, str(n1))
    assert "You cannot vote for your own nomination" in refused and "rules" in refused
    both = await bot.vote(DAN, str(week.id), 1, str(n2))
    both = await bot.vote(DAN, str(week.id), 2, str(n2))
    assert "must be different albums" in both
    assert "already your first choice. To swap" in both

    # A restart in the middle of the poll: the new bot carries on, posting nothing twice.
    posted_before = discord.count()
    await bot.client.aclose()
    bot = make_bot()
    clock.now = POLL_CLOSE - timedelta(hours=8)  # before the poll reminder's window
    await bot.tick()
    assert discord.count() == posted_before
    await bot.vote(DAN, str(week.id), 1, str(n1))  # Dan changes his first choice
    await bot.vote(DAN, str(week.id), 2, str(n2))
    for voter, (first, second) in {EVE: (n3, n4), FAY: (n3, n2)}.items():
        await bot.vote(voter, str(week.id), 1, str(first))
        await bot.vote(voter, str(week.id), 2, str(second))
    clock.now = POLL_CLOSE - timedelta(hours=1)
    await bot.tick()
    await bot.tick()
    assert sum("The poll closes" in m.content for m in discord.bot_posts(poll_thread)) == 1
    # Another restart inside the reminder's window: it is not posted again.
    posted_before = discord.count()
    await bot.client.aclose()
    bot = make_bot()
    await bot.tick()
    assert discord.count() == posted_before

    # The poll closes at its deadline: the WINNER thread, its embed as the API's tally.
    clock.now = POLL_CLOSE
    await bot.tick()
    summary = await bot.client.poll_summary(week.id)
    winner_thread = discord.thread_named("WINNER")
    assert discord.threads[winner_thread] == f"{LABEL} - WINNER - Homogenic — Björk (1997)"
    embed = discord.messages[winner_thread][0].embed
    assert embed is not None and embed.title == "Homogenic — Björk (1997)"
    top = embed.fields[0].value.splitlines()
    assert top == [
        f"**{row.position}.** {row.album.title} — {row.album.artist_name}"
        + (f" ({row.album.release_year})" if row.album.release_year else "")
        + f" — {row.points} points ({row.first_place_votes} first, {row.second_place_votes} second)"
        for row in summary.results[:3]
    ]
    # Homogenic 6 (2 firsts, 2 seconds), Blue 6 (2, 2), Kid A 5 (2, 1): the tie went to the
    # earlier nomination.
    assert [(r.points, r.first_place_votes) for r in summary.results[:3]] == [
        (6, 2),
        (6, 2),
        (5, 2),
    ]
    assert summary.tie and summary.tie_break == "earliest_nomination"
    tie_field = next(f for f in embed.fields if f.name == "Tie-break")
    assert "Homogenic — Björk (1997) and Blue — Joni Mitchell (1971)" in tie_field.value
    assert any(
        f.name == "Discussion" and str(int(DISCUSSION.timestamp())) in f.value for f in embed.fields
    )
    stored = await bot.client.get_week(week.id)
    assert stored.winner is not None and stored.winner.id == n2
    assert (stored.nominations_thread_id, stored.poll_thread_id, stored.winner_thread_id) == (
        nominations,
        poll_thread,
        winner_thread,
    )

    # Early raters use /rate during the discussion; at discussion time the ratings thread opens.
    assert (await bot.rate(ANN, "4.5", review="Ann says hi")).startswith(RATED)
    clock.now = DISCUSSION
    await bot.tick()
    ratings_thread = discord.thread_named("RATINGS")
    for member, text in [
        (ANN, "Rating: 4\nFavourite track: Jóga"),
        (BEN, "3"),
        (CAT, "★★★★★\nReview: perfect"),
        (DAN, "3,5 — good"),
        (EVE, "2/5"),
    ]:
        await bot.on_message(discord.post(ratings_thread, member, text))
    off_step = discord.post(ratings_thread, FAY, "4.3")
    await bot.on_message(off_step)
    assert "half steps" in discord.message(off_step).replies[0]
    assert all(RATED in m.reactions for m in discord.messages[ratings_thread][1:6])

    clock.now = RATINGS_CLOSE - timedelta(hours=3)
    await bot.tick()
    clock.now = RATINGS_CLOSE
    await bot.tick()
    await bot.tick()
    recap = "\n".join(m.content for m in discord.bot_posts(ratings_thread)[1:])
    ratings = await bot.client.ratings_summary(week.id)
    # 4.0, 3.0, 5.0, 3.5, 2.0: 17.5 / 5 = 3.5
    assert ratings.average == 3.5 and ratings.count == 5
    assert "**3.50** average from 5 ratings" in recap
    assert "5.0 ██████████ 1" in recap and "1.0" in recap
    assert "> perfect\n— Cat (5)" in recap
    assert recap.count("is closed") == 1
    assert (
        sum(
            "Ratings close" in m.content and "⭐" in m.content
            for m in discord.bot_posts(ratings_thread)
        )
        == 1
    )
    final = await bot.client.get_week(week.id)
    assert final.phase.value == "closed"
    assert (count(session, Nomination), count(session, Vote), count(session, Rating)) == (4, 12, 5)
    assert not bot.weeks  # done with the week
    await bot.client.aclose()


async def test_an_outage_during_nominations_loses_nothing(
    bot: ClubBot,
    make_bot: Callable[[], ClubBot],
    discord: FakeDiscord,
    transport: Switchable,
    session: Session,
) -> None:
    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    transport.down = "503"
    first = discord.post(thread, ANN, "Kid A — Radiohead (2000)")
    await bot.on_message(first)
    assert discord.message(first).reactions == {WAITING}
    assert discord.message(first).replies == [DOWN_NOTE]
    transport.down = "connect"
    second = discord.post(thread, BEN, "Blue — Joni Mitchell (1971)")
    await bot.on_message(second)
    # Ann changes her mind while the API is still down: only her latest is kept.
    await bot.on_message(discord.edit(first, "OK Computer — Radiohead (1997)"))
    assert discord.message(first).replies == [DOWN_NOTE]  # told once
    assert "The club archive isn't answering" in await bot.nominate(
        CAT, {"Album — Artist (Year)": "Vespertine — Björk (2001)", "Why?": "Snow"}
    )
    assert count(session, Nomination) == 0
    assert len(bot.state.pending) == 3

    # The bot restarts while the API is down; what members posted is in its state file.
    await bot.client.aclose()
    bot = make_bot()
    await bot.tick()
    assert len(bot.state.pending) == 3
    transport.down = None
    await bot.tick()
    assert bot.state.pending == []
    titles = sorted(n.album.title for n in await bot.client.list_nominations(week.id))
    assert titles == ["Blue", "OK Computer", "Vespertine"]
    assert discord.message(first).reactions == {SAVED}
    assert discord.message(second).reactions == {SAVED}
    await bot.client.aclose()


async def test_resync_saves_what_was_missed_and_changes_nothing_when_all_is_in(
    bot: ClubBot, discord: FakeDiscord, session: Session
) -> None:
    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    for member, text in [
        (ANN, "Kid A — Radiohead (2000)\nTags: Electronic / 00s / UK"),
        (BEN, "Blue by Joni Mitchell"),
    ]:
        await bot.on_message(discord.post(thread, member, text))
    before = (await bot.client.get_week(week.id)).model_dump()
    reply = await bot.resync()
    assert "0 saved, 2 already in, 0 refused" in reply
    assert (await bot.client.get_week(week.id)).model_dump() == before

    # Posted while the bot was away: never seen by on_message.
    missed = discord.post(thread, CAT, "Homogenic — Björk (1997)")
    discord.post(thread, DAN, "not a form at all")
    reply = await bot.resync()
    assert "1 saved, 2 already in, 0 refused" in reply
    assert discord.message(missed).reactions == {SAVED}
    assert count(session, Nomination) == 3
    assert "0 saved, 3 already in" in await bot.resync()


async def test_organiser_steps_and_refusals(bot: ClubBot, discord: FakeDiscord) -> None:
    assert "No week is running" in await bot.step("close-nominations")
    week = await start(bot)
    refused = await bot.step("close-nominations")
    assert refused == "Sorry, that didn't work: A poll needs at least one nomination"
    assert week.nominations_thread_id is not None
    await bot.on_message(discord.post(week.nominations_thread_id, ANN, "Blue — Joni Mitchell"))
    assert "is now in **poll**" in await bot.step("close-nominations")
    assert discord.thread_named("POLL")
    assert "wrong_phase" not in (reply := await bot.step("open-ratings"))
    assert "not 'discussion'" in reply
    assert "phase **poll**, 1 nominations" in await bot.summary()


async def test_more_than_25_nominees_get_two_pages_of_menus(
    bot: ClubBot, discord: FakeDiscord
) -> None:
    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    for n in range(30):
        member = Member(300000000000000000 + n, f"Member {n}")
        title = f"A Very Long Album Title Number {n} " + "x" * 60
        await bot.on_message(discord.post(thread, member, f"{title} — Artist {n} (1990)"))
    await bot.step("close-nominations")
    poll = discord.thread_named("POLL")
    menus = [m.menu for m in discord.messages[poll] if m.menu]
    assert [len(m.options) for m in menus] == [25, 5]
    assert menus[1].options[0].label.startswith("26. A Very Long Album")
    text_posts = [m.content for m in discord.messages[poll] if not m.menu]
    assert len(text_posts) >= 2 and all(len(t) <= 2000 for t in text_posts)
    last = menus[1].options[-1].value
    voter = Member(400000000000000000, "Voter")
    assert "first choice is" in await bot.vote(voter, str(week.id), 1, last)
    assert uuid.UUID(last)


async def test_a_message_before_the_weeks_could_be_read_is_kept(
    bot: ClubBot,
    make_bot: Callable[[], ClubBot],
    discord: FakeDiscord,
    transport: Switchable,
    session: Session,
) -> None:
    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    await bot.client.aclose()
    transport.down = "connect"
    bot = make_bot()  # restarted while the API is down: it cannot tell which week is which
    post = discord.post(thread, ANN, "Kid A — Radiohead (2000)")
    await bot.on_message(post)
    assert count(session, Nomination) == 0
    await bot.client.aclose()
    bot = make_bot()  # and again: the message is in the state file
    transport.down = None
    await bot.tick()
    assert count(session, Nomination) == 1
    assert discord.message(post).reactions == {SAVED}
    assert bot.state.unrouted == []
    await bot.client.aclose()


async def test_a_message_deleted_before_the_api_saved_it_is_never_sent(
    bot: ClubBot,
    make_bot: Callable[[], ClubBot],
    discord: FakeDiscord,
    transport: Switchable,
    session: Session,
) -> None:
    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    transport.down = "503"
    kept = discord.post(thread, ANN, "Kid A — Radiohead (2000)")
    gone = discord.post(thread, BEN, "Blue — Joni Mitchell (1971)")
    for post in (kept, gone):
        await bot.on_message(post)
    assert len(bot.state.pending) == 2
    discord.delete(gone)
    await bot.on_message_delete(thread, gone.id)
    assert [p.message_id for p in bot.state.pending] == [kept.id]

    # The same for a message kept before the bot could read its weeks.
    await bot.client.aclose()
    transport.down = "connect"
    bot = make_bot()
    unrouted = discord.post(thread, CAT, "Homogenic — Björk (1997)")
    await bot.on_message(unrouted)
    assert [m[0] for m in bot.state.unrouted] == [unrouted.id]
    discord.delete(unrouted)
    await bot.on_message_delete(thread, unrouted.id)
    assert bot.state.unrouted == []

    transport.down = None
    await bot.tick()
    assert [n.album.title for n in await bot.client.list_nominations(week.id)] == ["Kid A"]
    assert bot.state.pending == []
    await bot.client.aclose()


async def test_overlapping_weeks_each_command_finds_its_week(
    bot: ClubBot, make_bot: Callable[[], ClubBot], discord: FakeDiscord
) -> None:
    week3 = await start(bot)
    assert week3.nominations_thread_id is not None
    await bot.on_message(discord.post(week3.nominations_thread_id, ANN, "Blue — Joni Mitchell"))
    assert "is now in **poll**" in await bot.step("close-nominations")
    (nomination,) = await bot.client.list_nominations(week3.id)
    await bot.vote(BEN, str(week3.id), 1, str(nomination.id))
    assert "is now in **discussion**" in await bot.step("close-poll")

    # Week 4 opens for nominations while week 3 is being discussed and rated.
    later = timedelta(days=7)
    reply = await bot.start_week(
        "WEEK 004 [2025-12-01]",
        4,
        NOMINATIONS_CLOSE + later,
        POLL_CLOSE + later,
        DISCUSSION + later,
        RATINGS_CLOSE + later,
    )
    assert "WEEK 004" in reply
    assert (await bot.rate(BEN, "4.5")).startswith(RATED)
    assert [r.value for r in await bot.client.list_ratings(week3.id)] == [4.5]
    saved = await bot.nominate(CAT, {"Album — Artist (Year)": "Homogenic — Björk (1997)"})
    assert saved.startswith(SAVED)
    week4 = bot.current("nominations")
    assert week4 is not None and week4.label == "WEEK 004 [2025-12-01]"
    assert [n.album.title for n in await bot.client.list_nominations(week4.id)] == ["Homogenic"]

    # Organisers' steps go to the week in the phase the step closes, even after a restart.
    await bot.client.aclose()
    bot = make_bot()
    assert "WEEK 003 [2025-11-24]** is now in **ratings**" in await bot.step("open-ratings")
    assert "WEEK 004 [2025-12-01]** is now in **poll**" in await bot.step("close-nominations")
    resync = await bot.resync()
    assert "Resync of **WEEK 003" in resync and "Resync of **WEEK 004" in resync
    await bot.client.aclose()


async def test_stopped_while_opening_the_poll_it_posts_nothing_twice(
    bot: ClubBot,
    make_bot: Callable[[], ClubBot],
    discord: FakeDiscord,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sidetrack.bot.client import ApiUnavailable

    week = await start(bot)
    thread = week.nominations_thread_id
    assert thread is not None
    for n in range(30):
        member = Member(300000000000000000 + n, f"Member {n}")
        title = f"A Long Album Title Number {n} " + "x" * 60
        await bot.on_message(discord.post(thread, member, f"{title} — Artist {n} (1990)"))

    # The poll thread and its menus go out, but saving the thread's id to the week fails.
    async def down(*_args: object, **_kwargs: object) -> None:
        raise ApiUnavailable("down")

    monkeypatch.setattr(bot.client, "update_week", down)
    clock.now = NOMINATIONS_CLOSE
    await bot.tick()
    poll = discord.thread_named("POLL")
    posted = len(discord.messages[poll])
    assert [len(m.menu.options) for m in discord.messages[poll] if m.menu] == [25, 5]
    assert posted >= 4
    assert (await bot.client.get_week(week.id)).poll_thread_id is None

    # After a restart the thread is found again; nothing in it is posted a second time.
    await bot.client.aclose()
    bot = make_bot()
    await bot.tick()
    assert discord.thread_named("POLL") == poll
    assert len(discord.messages[poll]) == posted
    assert (await bot.client.get_week(week.id)).poll_thread_id == poll
    await bot.client.aclose()


async def test_the_nominate_forms_pitch_is_taken_as_written(bot: ClubBot) -> None:
    week = await start(bot)
    pitch = (
        "Strings and beats.\nTrack: Jóga is the one\nGenre: whatever, it's pop\n\n\n\n"
        "By the end you cry."
    )
    reply = await bot.nominate(
        ANN,
        {
            "Album — Artist (Year)": "Homogenic — Björk (1997)",
            "Why?": pitch,
            "Pitch track (choose one)": "",
            "Tags (Genre / Decade / Country)": "Art Pop / 90s / Iceland",
        },
    )
    assert reply == f"{SAVED} Nominated **Homogenic — Björk (1997)**."
    (nomination,) = await bot.client.list_nominations(week.id)
    assert nomination.pitch == (
        "Strings and beats.\nTrack: Jóga is the one\nGenre: whatever, it's pop\n\n"
        "By the end you cry."
    )
    assert (nomination.genre, nomination.decade, nomination.pitch_track_url) == (
        "Art Pop",
        "1990s",
        None,
    )
    too_long = await bot.nominate(
        BEN, {"Album — Artist (Year)": "Blue — Joni Mitchell", "Why?": "x" * 10_001}
    )
    assert "pitch is too long" in too_long


@pytest.mark.parametrize(
    "details",
    [
        {"nomination_id": "already your choice of rank 1"},
        {"fields": {"nomination_id": "already your choice of rank 1"}},
    ],
)
def test_the_swap_hint_reads_either_shape_of_details(details: dict[str, object]) -> None:
    from sidetrack.bot.client import ApiError
    from sidetrack.bot.core import _field

    error = ApiError(422, "invalid", "Your first and second choices must be different", details)
    assert _field(error, "nomination_id") == "already your choice of rank 1"
    assert _field(error, "rank") == ""
