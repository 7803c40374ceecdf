"""The club's rules as the service enforces them, against the real database.

Every refusal is shown twice: the right error, naming the problem, and a database that holds
exactly what it held before (rows counted, or the row read back through a query, which
flushes whatever a refused call might have left pending in the session).
"""

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, GenreTag, album_genre_tags
from sidetrack.catalog.service import find_or_create_album
from sidetrack.club import service
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.club.service import AlbumRef, PhaseConflict
from sidetrack.core.config import get_settings
from sidetrack.core.errors import Conflict, InvalidInput, NotFound, SidetrackError
from sidetrack.core.types import utcnow
from sidetrack.users.models import LinkedAccount, ProviderType, User
from sidetrack.users.service import find_or_create_discord_member, resolve_member
from tests.factories import (
    create_album,
    create_nomination,
    create_rating,
    create_user,
    create_week,
)

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)
ORDER = list(WeekPhase)
NOT_NOMINATIONS = [p for p in ORDER if p != WeekPhase.NOMINATIONS]
NOT_POLL = [p for p in ORDER if p != WeekPhase.POLL]
NOT_RATING = [WeekPhase.NOMINATIONS, WeekPhase.POLL, WeekPhase.CLOSED]


# --- helpers -------------------------------------------------------------------------------------


NOT_THIS_WEEKS = "not a nomination of this week"


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def read(session: Session, column: Any, row: Any) -> Any:
    """One column of a row, as the database holds it."""
    return session.scalar(select(column).where(column.class_.id == row.id))


def ref(title: str = "OK Computer", artist: str = "Radiohead", **ids: Any) -> AlbumRef:
    return AlbumRef(title=title, artist_name=artist, **ids)


def assert_wrong_phase(error: SidetrackError, phase: WeekPhase, in_message: bool = True) -> None:
    assert isinstance(error, Conflict)
    assert error.status_code == 409
    assert error.code == "wrong_phase"
    assert error.details["phase"] == phase.value
    if in_message:
        assert f"'{phase.value}'" in error.message


def poll_week(session: Session, size: int = 3) -> tuple[Week, list[Nomination]]:
    """A week in its poll with `size` nominations by different members, one minute apart."""
    week = create_week(session, phase=WeekPhase.POLL)
    nominations = [
        create_nomination(session, week=week, created_at=T0 + timedelta(minutes=i))
        for i in range(size)
    ]
    return week, nominations


def decided_week(session: Session, phase: WeekPhase = WeekPhase.DISCUSSION) -> tuple[Week, Any]:
    """A week in `phase` whose winner is its first nomination (set directly, not tallied)."""
    week = create_week(session, phase=phase)
    nominations = [
        create_nomination(session, week=week, created_at=T0 + timedelta(minutes=i))
        for i in range(2)
    ]
    week.winner_nomination_id = nominations[0].id
    week.winner_album_id = nominations[0].album_id
    session.flush()
    return week, nominations


def vote(session: Session, week: Week, first: Nomination, second: Nomination | None = None) -> None:
    """A new voter's ballot, cast through the service."""
    voter = create_user(session)
    service.cast_vote(session, week.id, voter, first.id, 1)
    if second is not None:
        service.cast_vote(session, week.id, voter, second.id, 2)


# --- phases --------------------------------------------------------------------------------------

STEPS = {
    WeekPhase.NOMINATIONS: service.close_nominations,
    WeekPhase.POLL: lambda session, week_id: service.close_poll(session, week_id)[0],
    WeekPhase.DISCUSSION: service.open_ratings,
    WeekPhase.RATINGS: service.close_week,
}


def test_a_week_walks_forward_one_step_at_a_time(session: Session) -> None:
    week = service.create_week(session, label="WEEK 900 [2026-01-05]")
    service.submit_nomination(session, week.id, create_user(session), ref())
    assert read(session, Week.phase, week) == WeekPhase.NOMINATIONS

    for index, phase in enumerate(ORDER):
        # Every step that does not start from here is refused, and the week stays put.
        for start, step in STEPS.items():
            if start == phase:
                continue
            with pytest.raises(PhaseConflict) as caught:
                step(session, week.id)
            assert_wrong_phase(caught.value, phase)
            assert read(session, Week.phase, week) == phase
        if phase in STEPS:
            moved = STEPS[phase](session, week.id)
            assert moved.phase == ORDER[index + 1]
            assert read(session, Week.phase, week) == ORDER[index + 1]

    assert read(session, Week.phase, week) == WeekPhase.CLOSED


@pytest.mark.parametrize(
    ("phase", "start"),
    [(phase, start) for phase in ORDER for start in STEPS if start != phase],
    ids=lambda p: p.value,
)
def test_an_illegal_step_names_the_current_phase_and_changes_nothing(
    session: Session, phase: WeekPhase, start: WeekPhase
) -> None:
    week, _ = poll_week(session)
    week.phase = phase
    session.flush()

    with pytest.raises(PhaseConflict) as caught:
        STEPS[start](session, week.id)

    assert_wrong_phase(caught.value, phase)
    assert caught.value.details["expected_phase"] == start.value
    assert read(session, Week.phase, week) == phase
    assert read(session, Week.winner_nomination_id, week) is None
    assert read(session, Week.winner_album_id, week) is None


def test_closing_nominations_needs_a_nomination(session: Session) -> None:
    week = create_week(session)

    with pytest.raises(Conflict) as caught:
        service.close_nominations(session, week.id)

    assert caught.value.code == "conflict"
    assert caught.value.details == {"nominations": "none yet"}
    assert read(session, Week.phase, week) == WeekPhase.NOMINATIONS


def test_steps_on_an_unknown_week_are_not_found(session: Session) -> None:
    missing = uuid.uuid4()
    for step in STEPS.values():
        with pytest.raises(NotFound) as caught:
            step(session, missing)
        assert caught.value.details == {"week_id": str(missing)}


def test_week_numbers_are_unique(session: Session) -> None:
    taken = service.create_week(session, label="WEEK 901", week_number=901)
    other = service.create_week(session, label="WEEK 902", week_number=902)
    weeks = count(session, Week)

    with pytest.raises(Conflict) as caught:
        service.create_week(session, label="again", week_number=901)
    assert "901" in caught.value.message
    assert count(session, Week) == weeks

    with pytest.raises(Conflict):
        service.update_week(session, other.id, week_number=901, label="renamed")
    assert read(session, Week.week_number, other) == 902
    assert read(session, Week.label, other) == "WEEK 902"

    # Keeping one's own number is no conflict.
    assert service.update_week(session, taken.id, week_number=901, label="x").label == "x"


# --- nominations ---------------------------------------------------------------------------------


def test_a_nomination_is_created_then_updated_when_sent_again(session: Session) -> None:
    week = create_week(session)
    member = create_user(session)

    first, created = service.submit_nomination(
        session, week.id, member, ref(), pitch="Start here", decade="90s"
    )
    again, created_again = service.submit_nomination(
        session, week.id, member, ref("  ok   computer ", "RADIOHEAD"), pitch="No, start here"
    )

    assert created is True
    assert created_again is False
    assert again.id == first.id
    assert count(session, Nomination, Nomination.week_id == week.id) == 1
    assert read(session, Nomination.pitch, first) == "No, start here"
    assert count(session, Album) == 1


def test_one_nomination_per_member_by_default_a_new_album_replaces_it(session: Session) -> None:
    assert get_settings().club_nominations_per_member == 1
    week = create_week(session)
    member = create_user(session)
    first, _ = service.submit_nomination(session, week.id, member, ref(), pitch="OK")
    ok_computer = first.album_id

    replaced, created = service.submit_nomination(
        session, week.id, member, ref("Kid A"), pitch="Kid A instead"
    )

    assert created is False
    assert replaced.id == first.id
    assert count(session, Nomination, Nomination.user_id == member.id) == 1
    kid_a = session.scalar(select(Album.id).where(Album.title == "Kid A"))
    assert read(session, Nomination.album_id, first) == kid_a != ok_computer
    assert read(session, Nomination.pitch, first) == "Kid A instead"
    # The catalog keeps the first album.
    assert session.get(Album, ok_computer) is not None


def test_a_limit_of_two_nominations_per_member(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIDETRACK_CLUB_NOMINATIONS_PER_MEMBER", "2")
    get_settings.cache_clear()
    assert get_settings().club_nominations_per_member == 2
    week = create_week(session)
    member = create_user(session)

    first, created_first = service.submit_nomination(session, week.id, member, ref())
    second, created_second = service.submit_nomination(session, week.id, member, ref("Kid A"))
    resent, created_resent = service.submit_nomination(
        session, week.id, member, ref("OK COMPUTER"), pitch="updated"
    )

    assert (created_first, created_second, created_resent) == (True, True, False)
    assert first.id != second.id
    assert resent.id == first.id
    assert read(session, Nomination.pitch, first) == "updated"
    albums_nominated = set(session.scalars(select(Nomination.album_id)))

    with pytest.raises(Conflict) as caught:
        service.submit_nomination(session, week.id, member, ref("Amnesiac"))

    assert caught.value.code == "conflict"
    assert caught.value.details == {"nominations_per_member": 2}
    assert "2 albums" in caught.value.message
    assert count(session, Nomination, Nomination.week_id == week.id) == 2
    assert set(session.scalars(select(Nomination.album_id))) == albums_nominated


@pytest.mark.parametrize("phase", NOT_NOMINATIONS, ids=str)
def test_nominations_refused_outside_the_nominations_phase(
    session: Session, phase: WeekPhase
) -> None:
    week = create_week(session, phase=phase)
    member = create_user(session)
    nominations, albums = count(session, Nomination), count(session, Album)

    with pytest.raises(PhaseConflict) as caught:
        service.submit_nomination(session, week.id, member, ref(), genre="Art Rock")

    assert_wrong_phase(caught.value, phase)
    assert "Nominations" in caught.value.message and "'nominations'" in caught.value.message
    assert count(session, Nomination) == nominations
    assert count(session, Album) == albums
    assert count(session, GenreTag) == 0


@pytest.mark.parametrize("phase", NOT_NOMINATIONS, ids=str)
def test_organisers_may_nominate_in_any_phase(session: Session, phase: WeekPhase) -> None:
    week = create_week(session, phase=phase)

    nomination, created = service.submit_nomination(
        session, week.id, create_user(session), ref(), organiser=True
    )

    assert created is True
    assert count(session, Nomination, Nomination.id == nomination.id) == 1


def test_two_members_nominating_one_album_are_two_nominations_of_that_album(
    session: Session,
) -> None:
    week = create_week(session)

    mine, _ = service.submit_nomination(session, week.id, create_user(session), ref())
    theirs, _ = service.submit_nomination(
        session, week.id, create_user(session), ref("Ok Compüter", " Rádiohead ")
    )

    assert mine.id != theirs.id
    assert mine.album_id == theirs.album_id
    assert count(session, Album) == 1


def test_nomination_tags_are_tidied_and_the_album_tagged_once(session: Session) -> None:
    week = create_week(session)
    member = create_user(session)

    nomination, _ = service.submit_nomination(
        session,
        week.id,
        member,
        ref(),
        genre="  Art   Rock ",
        decade="90's",
        country=" United   Kingdom ",
    )
    service.submit_nomination(session, week.id, member, ref(), genre="art-rock", decade="1990s")

    assert read(session, Nomination.genre, nomination) == "art-rock"
    assert read(session, Nomination.decade, nomination) == "1990s"
    assert session.scalar(select(GenreTag.slug)) == "art rock"
    assert count(session, album_genre_tags, album_genre_tags.c.album_id == nomination.album_id) == 1
    assert count(session, GenreTag) == 1


def test_the_first_sending_keeps_its_tidied_tags(session: Session) -> None:
    week = create_week(session)
    nomination, _ = service.submit_nomination(
        session, week.id, create_user(session), ref(), genre="  Art   Rock ", country=" U  K "
    )

    assert read(session, Nomination.genre, nomination) == "Art Rock"
    assert read(session, Nomination.country, nomination) == "U K"


def test_a_nomination_with_a_bad_decade_is_refused_and_nothing_written(session: Session) -> None:
    week = create_week(session)
    member = create_user(session)
    nominations, albums = count(session, Nomination), count(session, Album)

    with pytest.raises(InvalidInput) as caught:
        service.submit_nomination(session, week.id, member, ref(), genre="Rock", decade="nineties")

    assert "nineties" in caught.value.message
    assert "decade" in caught.value.details["fields"]
    assert count(session, Nomination) == nominations
    assert count(session, Album) == albums
    assert count(session, GenreTag) == 0


def test_a_resent_nomination_with_a_bad_decade_keeps_the_old_one(session: Session) -> None:
    week = create_week(session)
    member = create_user(session)
    nomination, _ = service.submit_nomination(
        session, week.id, member, ref(), pitch="old", decade="90s"
    )

    with pytest.raises(InvalidInput):
        service.submit_nomination(session, week.id, member, ref("Kid A"), pitch="new", decade="9")

    assert read(session, Nomination.pitch, nomination) == "old"
    assert read(session, Nomination.decade, nomination) == "1990s"
    assert read(session, Album.title, session.get_one(Album, nomination.album_id)) == "OK Computer"
    assert count(session, Album) == 1


def test_nominating_for_an_unknown_week_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.submit_nomination(session, uuid.uuid4(), create_user(session), ref())
    assert count(session, Nomination) == 0
    assert count(session, Album) == 0


# --- withdrawing ---------------------------------------------------------------------------------


def test_the_nominator_withdraws_during_nominations_and_may_nominate_again(
    session: Session,
) -> None:
    week = create_week(session)
    member = create_user(session)
    nomination, _ = service.submit_nomination(session, week.id, member, ref())

    service.withdraw_nomination(session, week.id, nomination.id, member)

    assert count(session, Nomination, Nomination.week_id == week.id) == 0
    _, created = service.submit_nomination(session, week.id, member, ref("Kid A"))
    assert created is True


def test_only_the_nominator_may_withdraw(session: Session) -> None:
    week = create_week(session)
    nomination = create_nomination(session, week=week)

    with pytest.raises(InvalidInput) as caught:
        service.withdraw_nomination(session, week.id, nomination.id, create_user(session))

    assert caught.value.details == {"fields": {"user": "not the nominator"}}
    assert "nominator" in caught.value.message
    assert count(session, Nomination, Nomination.id == nomination.id) == 1


@pytest.mark.parametrize("phase", NOT_NOMINATIONS, ids=str)
def test_the_nominator_may_not_withdraw_after_nominations_close(
    session: Session, phase: WeekPhase
) -> None:
    week = create_week(session, phase=phase)
    member = create_user(session)
    nomination = create_nomination(session, week=week, user=member)

    with pytest.raises(PhaseConflict) as caught:
        service.withdraw_nomination(session, week.id, nomination.id, member)

    assert_wrong_phase(caught.value, phase)
    assert count(session, Nomination, Nomination.id == nomination.id) == 1


def test_an_organiser_withdraws_during_the_poll_and_its_votes_go_with_it(
    session: Session,
) -> None:
    week, (a, b, _) = poll_week(session)
    vote(session, week, a, b)
    vote(session, week, b, a)
    vote(session, week, b)

    service.withdraw_nomination(session, week.id, a.id, None, organiser=True)

    assert count(session, Nomination, Nomination.id == a.id) == 0
    assert count(session, Vote, Vote.nomination_id == a.id) == 0
    assert count(session, Vote, Vote.nomination_id == b.id) == 3
    assert service.tally_week(session, week.id).winner_nomination_id == b.id


def test_an_organiser_may_not_withdraw_the_winner(session: Session) -> None:
    week, (winner, _) = decided_week(session)

    with pytest.raises(Conflict) as caught:
        service.withdraw_nomination(session, week.id, winner.id, None, organiser=True)

    assert caught.value.details == {"nomination_id": "the week's winner"}
    assert count(session, Nomination, Nomination.id == winner.id) == 1
    assert read(session, Week.winner_nomination_id, week) == winner.id


def test_withdrawing_another_weeks_nomination_is_refused(session: Session) -> None:
    week = create_week(session)
    elsewhere = create_nomination(session)

    for member in (None, session.get_one(User, elsewhere.user_id)):
        with pytest.raises(InvalidInput) as caught:
            service.withdraw_nomination(session, week.id, elsewhere.id, member)
        assert caught.value.details == {"fields": {"nomination_id": NOT_THIS_WEEKS}}
    assert count(session, Nomination, Nomination.id == elsewhere.id) == 1


# --- albums --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "artist"),
    [
        ("OK Computer", "Radiohead"),
        ("  OK   Computer ", " Radiohead"),
        ("ok computer", "radiohead"),
        ("OK COMPUTER", "RADIOHEAD"),
        ("Ok Compüter", "Rádiohead"),
        ("ＯＫ Ｃｏｍｐｕｔｅｒ", "Radiohead"),
        ("OK\tComputer", "Radiohead\n"),
    ],
)
def test_album_names_match_ignoring_case_spaces_and_accents(
    session: Session, title: str, artist: str
) -> None:
    original = find_or_create_album(session, title="OK Computer", artist_name="Radiohead")

    found = find_or_create_album(session, title=title, artist_name=artist)

    assert found.id == original.id
    assert count(session, Album) == 1
    assert read(session, Album.title, original) == "OK Computer"


def test_a_new_album_keeps_its_name_with_spaces_collapsed(session: Session) -> None:
    album = find_or_create_album(session, title="  Kid   A ", artist_name=" Radiohead ")

    assert (album.title, album.artist_name) == ("Kid A", "Radiohead")


def test_same_title_by_another_artist_is_another_album(session: Session) -> None:
    first = find_or_create_album(session, title="Greatest Hits", artist_name="Queen")
    second = find_or_create_album(session, title="Greatest Hits", artist_name="ABBA")

    assert first.id != second.id
    assert count(session, Album) == 2


def test_a_different_musicbrainz_id_is_another_album(session: Session) -> None:
    original = find_or_create_album(
        session, title="OK Computer", artist_name="Radiohead", musicbrainz_id="mb-1997"
    )

    reissue = find_or_create_album(
        session, title="ok computer", artist_name="radiohead", musicbrainz_id="mb-2017"
    )
    plain = find_or_create_album(session, title="OK Computer", artist_name="Radiohead")

    assert reissue.id != original.id
    assert read(session, Album.musicbrainz_id, original) == "mb-1997"
    # Without an id, the name finds the first album of that name.
    assert plain.id == original.id
    assert count(session, Album) == 2


def test_a_different_spotify_id_is_another_album(session: Session) -> None:
    original = find_or_create_album(
        session, title="OK Computer", artist_name="Radiohead", spotify_id="sp-1"
    )
    other = find_or_create_album(
        session, title="OK Computer", artist_name="Radiohead", spotify_id="sp-2"
    )

    assert other.id != original.id
    assert count(session, Album) == 2


@pytest.mark.parametrize("id_field", ["spotify_id", "musicbrainz_id"])
def test_an_external_id_match_wins_over_the_name(session: Session, id_field: str) -> None:
    ok_computer = find_or_create_album(session, title="OK Computer", artist_name="Radiohead")
    kid_a = find_or_create_album(
        session, title="Kid A", artist_name="Radiohead", **{id_field: "id-kid-a"}
    )

    found = find_or_create_album(
        session, title="OK Computer", artist_name="Radiohead", **{id_field: "id-kid-a"}
    )

    assert found.id == kid_a.id != ok_computer.id
    assert read(session, Album.title, kid_a) == "Kid A"
    assert count(session, Album) == 2


def test_a_name_match_learns_the_ids_and_year_it_lacked(session: Session) -> None:
    album = find_or_create_album(session, title="OK Computer", artist_name="Radiohead")

    found = find_or_create_album(
        session,
        title="ok computer",
        artist_name="radiohead",
        release_year=1997,
        musicbrainz_id="mb-1997",
        spotify_id="sp-1997",
    )

    assert found.id == album.id
    assert read(session, Album.musicbrainz_id, album) == "mb-1997"
    assert read(session, Album.spotify_id, album) == "sp-1997"
    assert read(session, Album.release_year, album) == 1997


def test_nominations_find_albums_by_external_id(session: Session) -> None:
    week = create_week(session)
    album = create_album(session, title="In Rainbows", artist_name="Radiohead", spotify_id="sp-ir")

    nomination, _ = service.submit_nomination(
        session, week.id, create_user(session), ref("In Rainbows (Disk 1)", spotify_id="sp-ir")
    )

    assert nomination.album_id == album.id
    assert count(session, Album) == 1


# --- members -------------------------------------------------------------------------------------


def test_a_discord_member_is_created_once_through_their_linked_account(session: Session) -> None:
    users, accounts = count(session, User), count(session, LinkedAccount)

    member = find_or_create_discord_member(session, "123456789012345678", "Thom")
    again = find_or_create_discord_member(session, "123456789012345678", "Thom")

    assert again.id == member.id
    assert count(session, User) == users + 1
    assert count(session, LinkedAccount) == accounts + 1
    account = session.scalars(
        select(LinkedAccount).where(LinkedAccount.provider_user_id == "123456789012345678")
    ).one()
    assert (account.user_id, account.provider) == (member.id, ProviderType.DISCORD)
    assert (member.display_name, member.handle) == ("Thom", "thom")


def test_a_discord_member_keeps_their_display_name_current(session: Session) -> None:
    member = find_or_create_discord_member(session, "111", "Thom")

    renamed = find_or_create_discord_member(session, "111", "Thom Yorke")
    assert renamed.id == member.id
    assert read(session, User.display_name, member) == "Thom Yorke"

    # No name given: the one we have stays.
    find_or_create_discord_member(session, "111")
    assert read(session, User.display_name, member) == "Thom Yorke"
    assert count(session, User) == 1


def test_discord_members_of_one_name_get_distinct_handles(session: Session) -> None:
    first = find_or_create_discord_member(session, "201", "Ann")
    second = find_or_create_discord_member(session, "202", "Ann")
    nameless = find_or_create_discord_member(session, "9995678")

    assert first.id != second.id
    assert (first.handle, second.handle) == ("ann", "ann-2")
    assert nameless.display_name == "Member 5678"


def test_resolving_a_member(session: Session) -> None:
    known = create_user(session)
    assert resolve_member(session, user_id=known.id).id == known.id
    by_discord = resolve_member(session, discord_id="303", display_name="Jonny")
    assert resolve_member(session, discord_id="303").id == by_discord.id
    users = count(session, User)

    with pytest.raises(InvalidInput) as caught:
        resolve_member(session, display_name="Nobody")
    assert "discord_id" in caught.value.message
    with pytest.raises(NotFound):
        resolve_member(session, user_id=uuid.uuid4())
    assert count(session, User) == users


def test_a_discord_member_resending_a_nomination_updates_it(session: Session) -> None:
    week = create_week(session)

    first, _ = service.submit_nomination(
        session, week.id, find_or_create_discord_member(session, "404", "Ed"), ref()
    )
    again, created = service.submit_nomination(
        session, week.id, find_or_create_discord_member(session, "404", "Ed O'Brien"), ref()
    )

    assert created is False
    assert again.id == first.id
    assert count(session, Nomination) == 1


# --- decades -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "decade"),
    [
        ("90s", "1990s"),
        ("90's", "1990s"),
        ("90’s", "1990s"),
        ("'90s", "1990s"),
        ("1990s", "1990s"),
        ("1990", "1990s"),
        (" 90S ", "1990s"),
        ("60s", "1960s"),
        ("00s", "2000s"),
        ("10s", "2010s"),
        ("20s", "2020s"),
        ("2000s", "2000s"),
        ("1970's", "1970s"),
    ],
)
def test_decades_are_normalised(given: str, decade: str) -> None:
    assert service.normalize_decade(given) == decade


@pytest.mark.parametrize(
    "given", ["nineties", "1995", "95s", "9", "9s", "199", "90ss", "1990s-2000s", "", "s", "x90s"]
)
def test_what_is_not_a_decade_is_refused(given: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.normalize_decade(given)

    assert f"'{given}'" in caught.value.message
    assert "decade" in caught.value.details["fields"]


# --- votes ---------------------------------------------------------------------------------------


def test_votes_are_cast_and_casting_a_rank_again_replaces_it(session: Session) -> None:
    week, (a, b, c) = poll_week(session)
    voter = create_user(session)

    first = service.cast_vote(session, week.id, voter, a.id, 1)
    second = service.cast_vote(session, week.id, voter, b.id, 2)
    replaced = service.cast_vote(session, week.id, voter, c.id, 1)

    assert replaced.id == first.id
    assert count(session, Vote, Vote.user_id == voter.id) == 2
    assert read(session, Vote.nomination_id, first) == c.id
    assert read(session, Vote.nomination_id, second) == b.id


@pytest.mark.parametrize("rank", [0, 3, -1])
def test_a_vote_rank_is_1_or_2(session: Session, rank: int) -> None:
    week, (a, *_) = poll_week(session)

    with pytest.raises(InvalidInput) as caught:
        service.cast_vote(session, week.id, create_user(session), a.id, rank)

    assert caught.value.details == {"fields": {"rank": "1 or 2"}}
    assert count(session, Vote) == 0


@pytest.mark.parametrize("phase", NOT_POLL, ids=str)
def test_votes_refused_outside_the_poll(session: Session, phase: WeekPhase) -> None:
    week = create_week(session, phase=phase)
    nomination = create_nomination(session, week=week)

    with pytest.raises(PhaseConflict) as caught:
        service.cast_vote(session, week.id, create_user(session), nomination.id, 1)

    assert_wrong_phase(caught.value, phase)
    assert "Votes" in caught.value.message and "'poll'" in caught.value.message
    assert count(session, Vote) == 0


@pytest.mark.parametrize("phase", NOT_POLL, ids=str)
def test_organisers_may_vote_in_any_phase(session: Session, phase: WeekPhase) -> None:
    week = create_week(session, phase=phase)
    nomination = create_nomination(session, week=week)

    service.cast_vote(session, week.id, create_user(session), nomination.id, 2, organiser=True)

    assert count(session, Vote, Vote.nomination_id == nomination.id, Vote.rank == 2) == 1


def test_both_ranks_on_one_nomination_are_refused(session: Session) -> None:
    week, (a, b, _) = poll_week(session)
    voter = create_user(session)
    service.cast_vote(session, week.id, voter, a.id, 1)

    with pytest.raises(InvalidInput) as caught:
        service.cast_vote(session, week.id, voter, a.id, 2)

    assert caught.value.details == {"fields": {"nomination_id": "already your choice of rank 1"}}
    assert count(session, Vote, Vote.user_id == voter.id) == 1

    # Nor may a replacement put the second choice on the first choice's nomination.
    second = service.cast_vote(session, week.id, voter, b.id, 2)
    with pytest.raises(InvalidInput):
        service.cast_vote(session, week.id, voter, a.id, 2)
    assert read(session, Vote.nomination_id, second) == b.id
    assert count(session, Vote, Vote.user_id == voter.id) == 2


def test_voting_for_your_own_nomination_is_refused(session: Session) -> None:
    week, (a, *_) = poll_week(session)
    nominator = session.get_one(User, a.user_id)

    for organiser in (False, True):
        with pytest.raises(InvalidInput) as caught:
            service.cast_vote(session, week.id, nominator, a.id, 1, organiser=organiser)
        assert caught.value.details == {"fields": {"nomination_id": "your own nomination"}}
    assert count(session, Vote) == 0


def test_a_vote_must_be_for_a_nomination_of_the_week(session: Session) -> None:
    week, _ = poll_week(session)
    other_week, (elsewhere, *_) = poll_week(session)
    voter = create_user(session)

    for nomination_id in (elsewhere.id, uuid.uuid4()):
        with pytest.raises(InvalidInput) as caught:
            service.cast_vote(session, week.id, voter, nomination_id, 1)
        assert caught.value.details == {"fields": {"nomination_id": NOT_THIS_WEEKS}}
        assert str(nomination_id) in caught.value.message
    assert count(session, Vote) == 0
    assert other_week.id != week.id


# --- closing the poll ----------------------------------------------------------------------------


def test_closing_the_poll_crowns_the_tally_winner(session: Session) -> None:
    week, (a, b, c) = poll_week(session)
    vote(session, week, a, b)
    vote(session, week, a, c)
    vote(session, week, b, a)
    vote(session, week, c, b)
    # A: 2 firsts + 1 second = 5; B: 1 first + 2 seconds = 4; C: 1 first + 1 second = 3.

    closed, tally = service.close_poll(session, week.id)

    assert closed.phase == WeekPhase.DISCUSSION
    assert [(s.nomination_id, s.points) for s in tally.standings] == [
        (a.id, 5),
        (b.id, 4),
        (c.id, 3),
    ]
    assert tally.voter_count == 4
    assert tally.tie is False
    assert read(session, Week.winner_nomination_id, week) == a.id
    assert read(session, Week.winner_album_id, week) == a.album_id


def test_a_points_tie_goes_to_more_first_place_votes(session: Session) -> None:
    week, (a, b, _) = poll_week(session)
    vote(session, week, b)  # B: 1 first = 2
    for _ in range(2):  # A: 2 seconds = 2, and A was nominated before B
        service.cast_vote(session, week.id, create_user(session), a.id, 2)

    _, tally = service.close_poll(session, week.id)

    assert tally.tie_break == "first_place_votes"
    assert tally.tie is False
    assert read(session, Week.winner_nomination_id, week) == b.id
    assert read(session, Week.winner_album_id, week) == b.album_id


def test_an_exact_tie_goes_to_the_earliest_nomination(session: Session) -> None:
    week = create_week(session, phase=WeekPhase.POLL)
    # Written first, but nominated later: the nomination time decides, not the insert order.
    later = create_nomination(session, week=week, created_at=T0 + timedelta(hours=1))
    earlier = create_nomination(session, week=week, created_at=T0)
    vote(session, week, later, earlier)  # later: 2 + 1 = 3
    vote(session, week, earlier, later)  # earlier: 2 + 1 = 3

    closed, tally = service.close_poll(session, week.id)

    assert tally.tie is True
    assert tally.tie_break == "earliest_nomination"
    assert tally.tied_nomination_ids == [earlier.id, later.id]
    assert tally.winner_nomination_id == earlier.id
    assert read(session, Week.winner_nomination_id, week) == earlier.id
    assert read(session, Week.winner_album_id, week) == earlier.album_id
    assert closed.phase == WeekPhase.DISCUSSION


def test_a_poll_without_votes_goes_to_the_earliest_nomination(session: Session) -> None:
    week, (a, _, _) = poll_week(session)

    _, tally = service.close_poll(session, week.id)

    assert tally.voter_count == 0
    assert read(session, Week.winner_nomination_id, week) == a.id


# --- ratings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [WeekPhase.DISCUSSION, WeekPhase.RATINGS], ids=str)
def test_a_rating_is_created_then_updated_when_sent_again(
    session: Session, phase: WeekPhase
) -> None:
    week, (winner, _) = decided_week(session, phase)
    member = create_user(session)

    rating, created = service.submit_rating(
        session, week.id, member, 3.5, favorite_track="Airbag", review="Fine."
    )
    again, created_again = service.submit_rating(
        session, week.id, member, 4.5, favorite_track="Lucky", review="Grew on me."
    )

    assert (created, created_again) == (True, False)
    assert again.id == rating.id
    assert count(session, Rating, Rating.week_id == week.id) == 1
    assert read(session, Rating.value, rating) == 4.5
    assert read(session, Rating.review, rating) == "Grew on me."
    assert read(session, Rating.favorite_track, rating) == "Lucky"
    assert read(session, Rating.album_id, rating) == winner.album_id


@pytest.mark.parametrize("value", [1.0, 1.5, 2.5, 5.0])
def test_ratings_from_1_to_5_in_half_steps_are_accepted(session: Session, value: float) -> None:
    week, _ = decided_week(session)

    rating, _ = service.submit_rating(session, week.id, create_user(session), value)

    assert read(session, Rating.value, rating) == value


@pytest.mark.parametrize("value", [0.0, 0.5, 5.5, 6.0, -1.0, 3.25, 4.1, 2.75, math.nan, math.inf])
def test_ratings_off_the_half_steps_are_refused(session: Session, value: float) -> None:
    week, _ = decided_week(session)
    member = create_user(session)
    kept, _ = service.submit_rating(session, week.id, member, 3.0, review="kept")

    with pytest.raises(InvalidInput) as caught:
        service.submit_rating(session, week.id, member, value, review="replaced")
    with pytest.raises(InvalidInput):
        service.submit_rating(session, week.id, create_user(session), value)

    assert caught.value.details == {"fields": {"value": "1.0–5.0 in 0.5 steps"}}
    assert "half steps" in caught.value.message
    assert count(session, Rating) == 1
    assert read(session, Rating.value, kept) == 3.0
    assert read(session, Rating.review, kept) == "kept"


def test_ratings_refused_before_a_winner_exists(session: Session) -> None:
    undecided = create_week(session, phase=WeekPhase.DISCUSSION)
    nominating = create_week(session)
    create_nomination(session, week=nominating)
    member = create_user(session)

    for week, organiser in ((undecided, False), (nominating, True)):
        with pytest.raises(Conflict) as caught:
            service.submit_rating(session, week.id, member, 4.0, organiser=organiser)
        assert not isinstance(caught.value, PhaseConflict)
        assert caught.value.details == {"winner": "none yet"}
        assert "no winner" in caught.value.message
    assert count(session, Rating) == 0


@pytest.mark.parametrize("phase", NOT_RATING, ids=str)
def test_ratings_refused_in_the_wrong_phase(session: Session, phase: WeekPhase) -> None:
    week, _ = decided_week(session, phase)
    member = create_user(session)

    with pytest.raises(PhaseConflict) as caught:
        service.submit_rating(session, week.id, member, 4.0)

    assert_wrong_phase(caught.value, phase)
    assert "'discussion' or 'ratings'" in caught.value.message
    assert count(session, Rating) == 0


@pytest.mark.parametrize("phase", NOT_RATING, ids=str)
def test_organisers_may_rate_in_any_phase(session: Session, phase: WeekPhase) -> None:
    week, (winner, _) = decided_week(session, phase)

    rating, created = service.submit_rating(
        session, week.id, create_user(session), 2.0, organiser=True
    )

    assert created is True
    assert read(session, Rating.album_id, rating) == winner.album_id


# --- organisers: winner override, moderation, corrections ----------------------------------------


@pytest.mark.parametrize("phase", [WeekPhase.NOMINATIONS, WeekPhase.POLL], ids=str)
def test_the_winner_cannot_be_overridden_before_the_poll_closes(
    session: Session, phase: WeekPhase
) -> None:
    week = create_week(session, phase=phase)
    nomination = create_nomination(session, week=week)

    with pytest.raises(PhaseConflict) as caught:
        service.override_winner(session, week.id, nomination.id, "alice", "because")

    # Here only the details name the phase; the message says when an override is possible.
    assert_wrong_phase(caught.value, phase, in_message=False)
    assert "once the poll is closed" in caught.value.message
    assert read(session, Week.winner_nomination_id, week) is None
    assert read(session, Week.winner_override_by, week) is None
    assert read(session, Week.winner_override_reason, week) is None


@pytest.mark.parametrize(
    "phase", [WeekPhase.DISCUSSION, WeekPhase.RATINGS, WeekPhase.CLOSED], ids=str
)
def test_overriding_the_winner_moves_the_ratings_and_keeps_who_when_why(
    session: Session, phase: WeekPhase
) -> None:
    week, (old, new) = decided_week(session, WeekPhase.DISCUSSION)
    early = service.submit_rating(session, week.id, create_user(session), 4.0)[0]
    also = service.submit_rating(session, week.id, create_user(session), 2.5)[0]
    week.phase = phase
    session.flush()
    before = utcnow()

    service.override_winner(session, week.id, new.id, "organiser:alice", "Tally miscounted")

    assert read(session, Week.winner_nomination_id, week) == new.id
    assert read(session, Week.winner_album_id, week) == new.album_id
    assert read(session, Week.winner_override_by, week) == "organiser:alice"
    assert read(session, Week.winner_override_reason, week) == "Tally miscounted"
    assert before <= read(session, Week.winner_override_at, week) <= utcnow()
    assert read(session, Rating.album_id, early) == new.album_id
    assert read(session, Rating.album_id, also) == new.album_id
    assert count(session, Rating, Rating.album_id == old.album_id) == 0
    later = service.submit_rating(session, week.id, create_user(session), 5.0, organiser=True)[0]
    assert read(session, Rating.album_id, later) == new.album_id


def test_the_override_must_name_a_nomination_of_the_week(session: Session) -> None:
    week, (winner, _) = decided_week(session)
    elsewhere = create_nomination(session)

    with pytest.raises(InvalidInput) as caught:
        service.override_winner(session, week.id, elsewhere.id, "alice", "why not")

    assert caught.value.details == {"fields": {"nomination_id": NOT_THIS_WEEKS}}
    assert read(session, Week.winner_nomination_id, week) == winner.id
    assert read(session, Week.winner_album_id, week) == winner.album_id
    assert read(session, Week.winner_override_by, week) is None
    assert read(session, Week.winner_override_at, week) is None


def test_a_hidden_review_is_kept_with_who_and_when(session: Session) -> None:
    week, _ = decided_week(session)
    rating, _ = service.submit_rating(
        session, week.id, create_user(session), 1.0, review="Rude words"
    )
    before = utcnow()

    service.set_review_hidden(session, rating.id, True, "organiser:bob")

    assert read(session, Rating.review, rating) == "Rude words"
    assert read(session, Rating.review_hidden_by, rating) == "organiser:bob"
    assert before <= read(session, Rating.review_hidden_at, rating) <= utcnow()
    assert read(session, Rating.value, rating) == 1.0

    service.set_review_hidden(session, rating.id, False, "organiser:bob")

    assert read(session, Rating.review, rating) == "Rude words"
    assert read(session, Rating.review_hidden_by, rating) is None
    assert read(session, Rating.review_hidden_at, rating) is None


def test_hiding_an_unknown_review_is_not_found(session: Session) -> None:
    rating = create_rating(session, review="stays")
    missing = uuid.uuid4()

    with pytest.raises(NotFound) as caught:
        service.set_review_hidden(session, missing, True, "bob")

    assert caught.value.details == {"rating_id": str(missing)}
    assert count(session, Rating, Rating.review_hidden_at.is_not(None)) == 0
    assert read(session, Rating.review, rating) == "stays"


def test_an_organiser_corrects_a_nominations_album_and_tags(session: Session) -> None:
    week, (a, b, _) = poll_week(session)
    a.genre, a.decade, a.country = "Rock", "1990s", "UK"
    session.flush()

    service.correct_nomination(
        session, a.id, ref("Kid A"), genre="Electronic", decade="00s", country="England"
    )

    kid_a = session.scalars(select(Album).where(Album.title == "Kid A")).one()
    assert read(session, Nomination.album_id, a) == kid_a.id
    assert read(session, Nomination.genre, a) == "Electronic"
    assert read(session, Nomination.decade, a) == "2000s"
    assert read(session, Nomination.country, a) == "England"
    assert (
        session.scalar(
            select(GenreTag.slug)
            .join(album_genre_tags)
            .where(album_genre_tags.c.album_id == kid_a.id)
        )
        == "electronic"
    )
    assert read(session, Nomination.album_id, b) == b.album_id
    assert read(session, Week.winner_album_id, week) is None


def test_a_correction_touches_only_the_tags_it_names(session: Session) -> None:
    _, (a, *_) = poll_week(session)
    a.genre, a.decade, a.country = "Rock", "1990s", "UK"
    session.flush()
    album = a.album_id

    service.correct_nomination(session, a.id, genre=None, country="Wales")

    assert read(session, Nomination.genre, a) is None
    assert read(session, Nomination.decade, a) == "1990s"
    assert read(session, Nomination.country, a) == "Wales"
    assert read(session, Nomination.album_id, a) == album


def test_a_correction_tidies_its_tags_as_a_nomination_does(session: Session) -> None:
    _, (a, *_) = poll_week(session)
    a.genre, a.country = "Rock", "UK"
    session.flush()

    service.correct_nomination(session, a.id, genre="  Art   Pop ", country="   ")

    assert read(session, Nomination.genre, a) == "Art Pop"
    assert read(session, Nomination.country, a) is None


def test_correcting_the_winner_follows_its_album_and_ratings(session: Session) -> None:
    week, (winner, other) = decided_week(session)
    rating, _ = service.submit_rating(session, week.id, create_user(session), 4.0)

    service.correct_nomination(session, winner.id, ref("Kid A"))

    kid_a = session.scalar(select(Album.id).where(Album.title == "Kid A"))
    assert read(session, Nomination.album_id, winner) == kid_a
    assert read(session, Week.winner_nomination_id, week) == winner.id
    assert read(session, Week.winner_album_id, week) == kid_a
    assert read(session, Rating.album_id, rating) == kid_a

    # Correcting another nomination leaves the winner alone.
    service.correct_nomination(session, other.id, ref("Amnesiac"))
    assert read(session, Week.winner_album_id, week) == kid_a
    assert read(session, Rating.album_id, rating) == kid_a


def test_a_correction_with_a_bad_decade_changes_nothing(session: Session) -> None:
    week, (winner, _) = decided_week(session)
    winner.decade, winner.genre = "1990s", "Rock"
    session.flush()
    albums, original = count(session, Album), winner.album_id

    with pytest.raises(InvalidInput) as caught:
        service.correct_nomination(session, winner.id, ref("Kid A"), genre="Pop", decade="soon")

    assert "soon" in caught.value.message
    assert read(session, Nomination.album_id, winner) == original
    assert read(session, Week.winner_album_id, week) == original
    assert read(session, Nomination.decade, winner) == "1990s"
    assert read(session, Nomination.genre, winner) == "Rock"
    assert count(session, Album) == albums


def test_correcting_an_unknown_nomination_is_not_found(session: Session) -> None:
    missing = uuid.uuid4()

    with pytest.raises(NotFound) as caught:
        service.correct_nomination(session, missing, ref(), genre="Rock")

    assert caught.value.details == {"nomination_id": str(missing)}
    assert count(session, Album) == 0
    assert count(session, GenreTag) == 0


def test_a_genre_without_letters_tags_nothing(session: Session) -> None:
    from sidetrack.catalog.models import GenreTag

    week = create_week(session)
    nomination, _created = service.submit_nomination(
        session, week.id, create_user(session), AlbumRef("Blonde", "Frank Ocean"), genre="---"
    )
    assert nomination.genre == "---"
    assert session.scalar(select(func.count()).select_from(GenreTag)) == 0


def test_organisers_withdraw_in_any_phase_even_naming_the_member(session: Session) -> None:
    week = create_week(session)
    nominator = create_user(session)
    nomination = create_nomination(session, week=week, user=nominator)
    create_nomination(session, week=week)
    service.close_nominations(session, week.id)
    with pytest.raises(service.PhaseConflict):
        service.withdraw_nomination(session, week.id, nomination.id, nominator)
    service.withdraw_nomination(session, week.id, nomination.id, nominator, organiser=True)
    assert session.get(Nomination, nomination.id) is None


def test_withdrawing_without_naming_anyone_is_refused(session: Session) -> None:
    nomination = create_nomination(session)
    with pytest.raises(InvalidInput):
        service.withdraw_nomination(session, nomination.week_id, nomination.id, None)
    assert session.get(Nomination, nomination.id) is not None
