"""The demo club: realistic, within the club's rules, deterministic, and loaded only once.

The load takes a few seconds, so one load (the `demo` fixture) serves the whole module on each
backend, inside a transaction rolled back when the module ends. While it is open, no test here
may use the per-test `session` fixture: SQLite would see the open write and lock.

The demo writes through the domain services, which give rows random ids and stamp some of them
with the present, so two loads are compared by natural keys, without those audit columns.
"""

import hashlib
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import sidetrack.models  # noqa: F401  (every table in Base.metadata, for the fingerprint)
from sidetrack.catalog.models import Album, GenreTag, Track, album_genre_tags
from sidetrack.catalog.normalize import match_key
from sidetrack.cli import app
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.core.db import Base, make_engine
from sidetrack.core.errors import Conflict
from sidetrack.core.migrations import upgrade
from sidetrack.demo import DemoReport, load_demo
from sidetrack.listening.models import ListenEvent, ListenHourCount, ListenYearTrackCount
from sidetrack.listening.records import ListenSource
from sidetrack.users.models import LinkedAccount, ProviderType, User

TODAY = date(2026, 11, 25)  # a Wednesday: the open week's deadlines must run from today
MIDNIGHT = datetime(2026, 11, 25, tzinfo=UTC)
MONDAY = date(2026, 11, 23)
LABEL = re.compile(r"^WEEK (\d{3}) \[(\d{4}-\d{2}-\d{2})\]$")


@pytest.fixture(scope="module")
def demo(engine: Engine) -> Iterator[tuple[Session, DemoReport]]:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            with Session(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as session:
                report = load_demo(session, today=TODAY)
                yield session, report
        finally:
            transaction.rollback()


# Audit columns the services stamp with the present, which the demo leaves as they are.
STAMPED_NOW = {
    "albums": {"created_at", "updated_at"},
    "tracks": {"created_at", "updated_at"},
    "listen_events": {"created_at"},
}


def fingerprint(session: Session) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of all its rows, ids replaced by natural keys.

    Raw driver rows: the ORM's type conversions would only slow 50,000 listens down. An id
    with no natural key below stays as it is, and so would tell two loads apart.
    """
    keys = natural_keys(session)

    def plain(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            value = value.hex  # PostgreSQL's driver reads uuids; SQLite stores their hex
        return keys.get(value, value) if isinstance(value, str) else value

    prints = {}
    for table in Base.metadata.sorted_tables:
        skipped = STAMPED_NOW.get(table.name, set())
        columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name not in skipped)
        rows = session.connection().exec_driver_sql(f'SELECT {columns} FROM "{table.name}"')
        lines = sorted(repr(tuple(plain(value) for value in row)) for row in rows)
        digest = hashlib.sha256("\n".join(lines).encode())
        prints[table.name] = (len(lines), digest.hexdigest())
    return prints


def natural_keys(session: Session) -> dict[str, str]:
    """What names each row of the demo, by the hex of its id: handles, week numbers, keys."""
    members = dict(session.execute(select(User.id, User.handle)).tuples().all())
    albums = dict(session.execute(select(Album.id, Album.match_key)).tuples().all())
    weeks = dict(session.execute(select(Week.id, Week.week_number)).tuples().all())
    keys: dict[uuid.UUID, str] = {}
    keys.update((row_id, f"member {handle}") for row_id, handle in members.items())
    keys.update((row_id, f"album {key}") for row_id, key in albums.items())
    keys.update((row_id, f"week {number}") for row_id, number in weeks.items())
    tracks = select(Track.id, Track.album_id, Track.match_key)
    for row_id, album_id, key in session.execute(tracks):
        keys[row_id] = f"track {albums[album_id]} / {key}"
    for row_id, slug in session.execute(select(GenreTag.id, GenreTag.slug)):
        keys[row_id] = f"tag {slug}"
    accounts = select(LinkedAccount.id, LinkedAccount.provider, LinkedAccount.provider_user_id)
    for row_id, provider, provider_user_id in session.execute(accounts):
        keys[row_id] = f"account {provider} {provider_user_id}"
    nominations = select(Nomination.id, Nomination.week_id, Nomination.user_id, Nomination.album_id)
    for row_id, week_id, user_id, album_id in session.execute(nominations):
        keys[row_id] = f"nomination {weeks[week_id]} {members[user_id]} {albums[album_id]}"
    votes = select(Vote.id, Vote.week_id, Vote.user_id, Vote.rank)
    for row_id, week_id, user_id, rank in session.execute(votes):
        keys[row_id] = f"vote {weeks[week_id]} {members[user_id]} {rank}"
    ratings = select(Rating.id, Rating.week_id, Rating.user_id, Rating.album_id)
    for row_id, week_id, user_id, album_id in session.execute(ratings):
        week = "personal" if week_id is None else weeks[week_id]
        keys[row_id] = f"rating {week} {members[user_id]} {albums[album_id]}"
    return {row_id.hex: key for row_id, key in keys.items()}


def row_counts(session: Session) -> dict[str, int]:
    return {table.name: count(session, table) for table in Base.metadata.sorted_tables}


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def weeks_by_number(session: Session) -> dict[int, Week]:
    weeks = session.scalars(select(Week).order_by(Week.week_number)).all()
    return {week.week_number: week for week in weeks if week.week_number is not None}


def tally(nominations: Sequence[Nomination], votes: Sequence[Vote]) -> tuple[Nomination, str]:
    """The rules, worked independently of the demo's helper: winner and what decided it."""
    points: Counter[uuid.UUID] = Counter()
    firsts: Counter[uuid.UUID] = Counter()
    for vote in votes:
        points[vote.nomination_id] += 2 if vote.rank == 1 else 1
        firsts[vote.nomination_id] += vote.rank == 1
    ordered = sorted(nominations, key=lambda n: n.created_at)
    best = max(points[n.id] for n in ordered)
    level = [n for n in ordered if points[n.id] == best]
    most_firsts = max(firsts[n.id] for n in level)
    leaders = [n for n in level if firsts[n.id] == most_firsts]
    if len(level) == 1:
        return level[0], "points"
    return leaders[0], "first choices" if len(leaders) == 1 else "earliest nomination"


def test_report_matches_the_rows(demo: tuple[Session, DemoReport]) -> None:
    session, report = demo
    assert report.loaded
    assert (report.members, report.albums, report.tracks) == (
        count(session, User),
        count(session, Album),
        count(session, Track),
    )
    assert (report.weeks, report.nominations, report.votes, report.ratings, report.listens) == (
        count(session, Week),
        count(session, Nomination),
        count(session, Vote),
        count(session, Rating),
        count(session, ListenEvent),
    )
    summary = str(report)
    assert "\n" not in summary
    assert "50,000 listens" in summary
    assert "WEEK 011 [2026-11-23]" in summary


def test_members_have_discord_accounts_and_own_time_zones(
    demo: tuple[Session, DemoReport],
) -> None:
    session, _ = demo
    users = session.scalars(select(User)).all()
    assert len(users) >= 8
    assert len({user.timezone for user in users}) >= 6
    for user in users:
        ZoneInfo(user.timezone)  # a real IANA zone
        assert user.handle and user.display_name
    accounts = session.scalars(select(LinkedAccount)).all()
    discord = {a.user_id: a for a in accounts if a.provider is ProviderType.DISCORD}
    assert set(discord) == {user.id for user in users}
    for account in discord.values():
        assert re.fullmatch(r"[1-9]\d{17}", account.provider_user_id)
        assert account.provider_username
        assert account.access_token is None


def test_catalog_is_real_albums_with_tracks_and_tags(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    albums = session.scalars(select(Album)).all()
    assert 60 <= len(albums) <= 80
    by_title = {album.title: album for album in albums}
    assert by_title["OK Computer"].artist_name == "Radiohead"
    assert by_title["Homogenic"].artist_name == "Björk"
    assert "Kind of Blue" in by_title
    assert (
        sum(album.title != album.title.encode("ascii", "ignore").decode() for album in albums) >= 3
    )
    for album in albums:
        assert album.match_key == match_key(album.artist_name, album.title)
        assert album.release_year is not None and 1950 <= album.release_year <= 2026

    tracks = session.scalars(select(Track)).all()
    per_album = Counter(track.album_id for track in tracks)
    assert set(per_album) == {album.id for album in albums}
    assert 8 <= len(tracks) / len(albums) <= 12
    for track in tracks:
        assert track.match_key == match_key(track.artist_name, track.title)
        assert track.duration_ms is not None and 30_000 <= track.duration_ms <= 20 * 60_000

    tagged = session.scalars(select(album_genre_tags.c.album_id).distinct()).all()
    assert set(tagged) == {album.id for album in albums}
    assert count(session, GenreTag) >= 20


def test_past_weeks_are_closed_and_won_by_the_tally_of_their_votes(
    demo: tuple[Session, DemoReport],
) -> None:
    session, _ = demo
    weeks = weeks_by_number(session)
    assert sorted(weeks) == list(range(1, 12))
    deciders = []
    for number in range(1, 11):
        week = weeks[number]
        assert week.phase is WeekPhase.CLOSED
        match = LABEL.fullmatch(week.label)
        assert match and int(match[1]) == number
        monday = MONDAY - timedelta(weeks=11 - number)
        assert match[2] == monday.isoformat()
        deadlines = [
            week.nominations_close_at,
            week.poll_close_at,
            week.discussion_at,
            week.ratings_close_at,
        ]
        assert all(d is not None and d.utcoffset() == timedelta(0) for d in deadlines)
        assert deadlines == sorted(deadlines)
        assert datetime(monday.year, monday.month, monday.day, tzinfo=UTC) < deadlines[0]

        nominations = session.scalars(select(Nomination).where(Nomination.week_id == week.id)).all()
        assert 4 <= len(nominations) <= 6
        assert len({n.user_id for n in nominations}) == len(nominations)
        for nomination in nominations:
            assert nomination.pitch
            assert re.fullmatch(
                r"https://open\.spotify\.com/track/[0-9A-Za-z]{22}",
                nomination.pitch_track_url or "",
            )
            assert nomination.genre and nomination.country
            assert re.fullmatch(r"\d{3}0s", nomination.decade or "")
            assert nomination.created_at < week.nominations_close_at

        votes = session.scalars(select(Vote).where(Vote.week_id == week.id)).all()
        winner, decider = tally(nominations, votes)
        assert week.winner_nomination_id == winner.id  # crowned by the club's close_poll
        assert week.winner_album_id == winner.album_id
        deciders.append(decider)
    assert deciders[2] == "first choices"  # week 3: equal points, settled by first choices
    assert deciders[7] == "earliest nomination"  # week 8: level on both, the earlier wins
    assert deciders.count("points") == 8


def test_every_member_votes_by_the_rules(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    members = set(session.scalars(select(User.id)).all())
    nominator = dict(session.execute(select(Nomination.id, Nomination.user_id)).tuples().all())
    ballots: dict[tuple[uuid.UUID, uuid.UUID], list[Vote]] = defaultdict(list)
    for vote in session.scalars(select(Vote)):
        ballots[(vote.week_id, vote.user_id)].append(vote)
        assert nominator[vote.nomination_id] != vote.user_id  # never for one's own nomination

    past = [week for number, week in weeks_by_number(session).items() if number <= 10]
    for week in past:
        assert {user for (week_id, user) in ballots if week_id == week.id} == members
    for ballot in ballots.values():
        assert sorted(vote.rank for vote in ballot) == [1, 2]
        assert ballot[0].nomination_id != ballot[1].nomination_id  # never both ranks on one
        for vote in ballot:
            week = next(w for w in past if w.id == vote.week_id)
            assert week.nominations_close_at <= vote.created_at <= week.poll_close_at


def test_winners_are_rated_by_most_members(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    members = count(session, User)
    titles: dict[uuid.UUID, set[str]] = defaultdict(set)
    for album_id, title in session.execute(select(Track.album_id, Track.title)):
        titles[album_id].add(title)
    ratings = session.scalars(select(Rating)).all()
    for number, week in weeks_by_number(session).items():
        rated = [rating for rating in ratings if rating.week_id == week.id]
        if number == 11:
            assert rated == []
            continue
        assert len(rated) > members / 2
        for rating in rated:
            assert rating.album_id == week.winner_album_id
            assert 1.0 <= rating.value <= 5.0 and (rating.value * 2).is_integer()
            assert rating.favorite_track is None or rating.favorite_track in titles[rating.album_id]
            assert week.discussion_at <= rating.created_at <= week.ratings_close_at
    assert sum(rating.review is not None for rating in ratings) >= len(ratings) / 3
    assert sum(rating.favorite_track is not None for rating in ratings) >= len(ratings) / 3
    assert len({rating.value for rating in ratings}) >= 4


def test_current_week_is_taking_nominations_with_deadlines_ahead(
    demo: tuple[Session, DemoReport],
) -> None:
    session, _ = demo
    week = weeks_by_number(session)[11]
    assert week.phase is WeekPhase.NOMINATIONS
    assert week.label == "WEEK 011 [2026-11-23]"
    assert week.winner_album_id is None
    deadlines = [
        week.nominations_close_at,
        week.poll_close_at,
        week.discussion_at,
        week.ratings_close_at,
    ]
    assert MIDNIGHT + timedelta(days=1) < deadlines[0]
    assert deadlines == sorted(deadlines)
    nominations = session.scalars(select(Nomination).where(Nomination.week_id == week.id)).all()
    assert len(nominations) >= 2
    assert all(n.created_at < week.nominations_close_at for n in nominations)
    assert count(session, select(Vote).where(Vote.week_id == week.id).subquery()) == 0


def test_two_years_of_listens_that_look_real(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    zones = dict(session.execute(select(User.id, User.timezone)).tuples().all())
    plays = session.execute(
        select(ListenEvent.user_id, ListenEvent.played_at, ListenEvent.track_id)
    ).all()
    assert len(plays) == 50_000
    assert min(p.played_at for p in plays) >= MIDNIGHT - timedelta(days=730)
    assert max(p.played_at for p in plays) < MIDNIGHT

    per_member = Counter(p.user_id for p in plays)
    assert set(per_member) == set(zones)
    assert max(per_member.values()) >= 3 * min(per_member.values())

    # Evenings in each member's own time zone are busier than mornings.
    hours = Counter(p.played_at.astimezone(ZoneInfo(zones[p.user_id])).hour for p in plays)
    evening = sum(hours[h] for h in range(18, 24))
    morning = sum(hours[h] for h in range(6, 12))
    assert evening > 2 * morning

    # A long tail: the most played tenth of the tracks takes a large share of the plays.
    per_track = sorted(Counter(p.track_id for p in plays).values(), reverse=True)
    assert sum(per_track[: len(per_track) // 10]) > 0.3 * len(plays)

    sources = session.execute(
        select(ListenEvent.source, func.count(), func.min(ListenEvent.ms_played)).group_by(
            ListenEvent.source
        )
    ).all()
    assert {source for source, _, _ in sources} == set(ListenSource)
    assert all(shortest is not None and shortest > 0 for _, _, shortest in sources)

    # The statistics read rollups, so the demo's plays are counted there too.
    assert session.scalar(select(func.sum(ListenHourCount.plays))) == 50_000
    assert session.scalar(select(func.sum(ListenYearTrackCount.plays))) == 50_000


def test_loading_again_changes_nothing(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    before = row_counts(session)
    for today in (TODAY, TODAY + timedelta(days=9)):
        report = load_demo(session, today=today)
        assert not report.loaded
        assert "already loaded" in str(report)
    assert row_counts(session) == before


def test_the_same_today_gives_the_same_rows(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    first = fingerprint(session)
    savepoint = session.begin_nested()
    try:
        empty_database(session)
        load_demo(session, today=TODAY)
        second = fingerprint(session)
    finally:
        savepoint.rollback()
    assert second == first
    assert first["listen_events"][0] == 50_000
    assert first["weeks"][0] == 11


def test_refuses_a_database_that_already_has_a_club(demo: tuple[Session, DemoReport]) -> None:
    session, _ = demo
    savepoint = session.begin_nested()
    try:
        empty_database(session)
        session.add(User(display_name="Someone Real", handle="someone"))
        session.flush()
        with pytest.raises(Conflict, match="empty database"):
            load_demo(session, today=TODAY)
    finally:
        savepoint.rollback()


def empty_database(session: Session) -> None:
    # Weeks and their winning nominations refer to each other: untie them first.
    session.execute(update(Week).values(winner_nomination_id=None))
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())
    session.expunge_all()


def test_cli_demo_loads_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", url)
    runner = CliRunner()

    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "demo club loaded" in first.output
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            before = row_counts(session)
        second = runner.invoke(app, ["demo"])
        assert second.exit_code == 0, second.output
        assert "already loaded" in second.output
        with Session(engine) as session:
            assert row_counts(session) == before
    finally:
        engine.dispose()
    assert before["listen_events"] == 50_000
    assert before["weeks"] == 11


def test_cli_demo_refuses_a_club_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'club.db'}"
    monkeypatch.setenv("SIDETRACK_DATABASE_URL", url)
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            session.add(User(display_name="Someone Real", handle="someone"))
            session.commit()
        result = CliRunner().invoke(app, ["demo"])
        with Session(engine) as session:
            assert count(session, User) == 1
    finally:
        engine.dispose()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: the demo club loads into an empty database")
    assert result.stderr.count("\n") == 1
