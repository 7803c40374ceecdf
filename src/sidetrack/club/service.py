"""The club's rules: a week's phases, nominations, the ranked poll, ratings and moderation.

Every write of the club goes through here. Functions flush, never commit: the request or job
that calls them owns the transaction.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from sidetrack.catalog.models import Album
from sidetrack.catalog.service import find_or_create_album, find_or_create_genre_tag
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.club.scoring import Candidate, Tally, tally_poll
from sidetrack.core.config import get_settings
from sidetrack.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sidetrack.core.types import utcnow
from sidetrack.users.models import User

PHASES = list(WeekPhase)
NOMINATION_PHASES = {WeekPhase.NOMINATIONS}
VOTING_PHASES = {WeekPhase.POLL}
# Early raters are not turned away during the discussion.
RATING_PHASES = {WeekPhase.DISCUSSION, WeekPhase.RATINGS}

_DECADE = re.compile(r"^(?:(?P<century>1[0-9]|20)?(?P<decade>\d)0)'?s?$")


class PhaseConflict(Conflict):
    code = "wrong_phase"


# --- weeks -----------------------------------------------------------------------------------


def get_week(session: Session, week_id: uuid.UUID) -> Week:
    week = session.get(Week, week_id)
    if week is None:
        raise NotFound(f"No week with id {week_id}", details={"week_id": str(week_id)})
    return week


def create_week(session: Session, *, organiser: bool = False, **fields: Any) -> Week:
    """A new week; only organisers may enter one past its first phase (the club's history)."""
    phase = fields.get("phase", WeekPhase.NOMINATIONS)
    if phase != WeekPhase.NOMINATIONS and not organiser:
        raise Forbidden(
            "Only organisers may create a week in a later phase", details={"phase": phase}
        )
    number = fields.get("week_number")
    if number is not None and session.scalar(select(Week.id).where(Week.week_number == number)):
        raise Conflict(f"Week {number} already exists", details={"week_number": "taken"})
    week = Week(**fields)
    session.add(week)
    session.flush()
    return week


def update_week(session: Session, week_id: uuid.UUID, **changes: Any) -> Week:
    week = get_week(session, week_id)
    number = changes.get("week_number")
    if number is not None and number != week.week_number:
        taken = session.scalar(select(Week.id).where(Week.week_number == number))
        if taken is not None:
            raise Conflict(f"Week {number} already exists", details={"week_number": "taken"})
    for name, value in changes.items():
        setattr(week, name, value)
    session.flush()
    return week


def _advance(session: Session, week_id: uuid.UUID, expected: WeekPhase) -> Week:
    """Move a week one step forward, from `expected` only."""
    week = get_week(session, week_id)
    if week.phase != expected:
        target = PHASES[PHASES.index(expected) + 1]
        raise PhaseConflict(
            f"Cannot move to '{target}': the week is in '{week.phase}', not '{expected}'",
            details={"phase": week.phase.value, "expected_phase": expected.value},
        )
    week.phase = PHASES[PHASES.index(expected) + 1]
    session.flush()
    return week


def close_nominations(session: Session, week_id: uuid.UUID) -> Week:
    week = get_week(session, week_id)
    if week.phase == WeekPhase.NOMINATIONS and not _nomination_ids(session, week_id):
        raise Conflict("A poll needs at least one nomination", details={"nominations": "none yet"})
    return _advance(session, week_id, WeekPhase.NOMINATIONS)


def close_poll(session: Session, week_id: uuid.UUID) -> tuple[Week, Tally]:
    """Close the poll and crown the tally's winner (a remaining tie: the earliest nomination)."""
    week = _advance(session, week_id, WeekPhase.POLL)
    tally = tally_week(session, week_id)
    if tally.winner_nomination_id is not None:
        winner = session.get_one(Nomination, tally.winner_nomination_id)
        week.winner_nomination_id = winner.id
        week.winner_album_id = winner.album_id
        session.flush()
    return week, tally


def open_ratings(session: Session, week_id: uuid.UUID) -> Week:
    return _advance(session, week_id, WeekPhase.DISCUSSION)


def close_week(session: Session, week_id: uuid.UUID) -> Week:
    return _advance(session, week_id, WeekPhase.RATINGS)


def _require_phase(week: Week, allowed: set[WeekPhase], action: str, organiser: bool) -> None:
    if organiser or week.phase in allowed:
        return
    names = " or ".join(f"'{phase}'" for phase in sorted(allowed, key=PHASES.index))
    raise PhaseConflict(
        f"{action} are taken in {names}; this week is in '{week.phase}'",
        details={"phase": week.phase.value},
    )


# --- nominations -----------------------------------------------------------------------------


def normalize_decade(text: str) -> str:
    """'90s', "90's", '1990s', '1990' → '1990s'; two digits 00–20 mean this century."""
    compact = text.strip().lower().replace("’", "'").lstrip("'")
    match = _DECADE.match(compact)
    if match is None:
        raise InvalidInput(
            f"'{text}' is not a decade; write it like 1990s or 90s",
            details={"fields": {"decade": "expected a decade like 1990s or 90s"}},
        )
    century = match["century"] or ("20" if match["decade"] in "012" else "19")
    return f"{century}{match['decade']}0s"


@dataclass(frozen=True)
class AlbumRef:
    title: str
    artist_name: str
    release_year: int | None = None
    musicbrainz_id: str | None = None
    spotify_id: str | None = None


def _nomination_ids(session: Session, week_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(Nomination.id).where(Nomination.week_id == week_id)))


def submit_nomination(
    session: Session,
    week_id: uuid.UUID,
    member: User,
    album_ref: AlbumRef,
    *,
    pitch: str | None = None,
    pitch_track_url: str | None = None,
    genre: str | None = None,
    decade: str | None = None,
    country: str | None = None,
    organiser: bool = False,
) -> tuple[Nomination, bool]:
    """Nominate an album; re-sending updates the member's nomination. Returns (row, created)."""
    week = get_week(session, week_id)
    _require_phase(week, NOMINATION_PHASES, "Nominations", organiser)
    # Validate before any write, so a refused nomination leaves nothing pending in the session.
    decade = normalize_decade(decade) if decade else None
    album = find_or_create_album(
        session,
        title=album_ref.title,
        artist_name=album_ref.artist_name,
        release_year=album_ref.release_year,
        musicbrainz_id=album_ref.musicbrainz_id,
        spotify_id=album_ref.spotify_id,
    )
    own = list(
        session.scalars(
            select(Nomination)
            .where(Nomination.week_id == week_id, Nomination.user_id == member.id)
            .order_by(Nomination.created_at)
        )
    )
    nomination = next((n for n in own if n.album_id == album.id), None)
    created = False
    if nomination is None:
        limit = get_settings().club_nominations_per_member
        if len(own) >= limit:
            if limit > 1:
                raise Conflict(
                    f"A member may nominate {limit} albums a week; withdraw one first",
                    details={"nominations_per_member": limit},
                )
            nomination = own[0]  # one a week: a new album replaces the member's nomination
            nomination.album_id = album.id
        else:
            nomination = Nomination(week_id=week_id, user_id=member.id, album_id=album.id)
            session.add(nomination)
            created = True
    nomination.pitch = pitch
    nomination.pitch_track_url = pitch_track_url
    nomination.genre = _tidy_tag(genre)
    nomination.decade = decade
    nomination.country = _tidy_tag(country)
    if genre:
        _tag_album(session, album.id, genre)
    session.flush()
    return nomination, created


def _tidy_tag(text: str | None) -> str | None:
    """A nominator's tag with its spaces collapsed; nothing but spaces is no tag."""
    return (" ".join(text.split()) or None) if text else None


def _tag_album(session: Session, album_id: uuid.UUID, genre: str) -> None:
    tag = find_or_create_genre_tag(session, genre)
    if tag is None:
        return
    album = session.scalars(
        select(Album).where(Album.id == album_id).options(selectinload(Album.genre_tags))
    ).one()
    if tag not in album.genre_tags:
        album.genre_tags.append(tag)


def withdraw_nomination(
    session: Session,
    week_id: uuid.UUID,
    nomination_id: uuid.UUID,
    member: User | None,
    *,
    organiser: bool = False,
) -> None:
    """Withdraw a nomination: its nominator during nominations, or an organiser at any time."""
    nomination = _week_nomination(session, week_id, nomination_id)
    if not organiser:
        if member is None:
            raise InvalidInput(
                "Name the member withdrawing the nomination",
                details={"fields": {"user": "discord_id or user_id"}},
            )
        if nomination.user_id != member.id:
            raise InvalidInput(
                "Only the nominator can withdraw a nomination",
                details={"fields": {"user": "not the nominator"}},
            )
        _require_phase(get_week(session, week_id), NOMINATION_PHASES, "Withdrawals", False)
    if get_week(session, week_id).winner_nomination_id == nomination.id:
        raise Conflict(
            "The week's winner cannot be withdrawn; override the winner first",
            details={"nomination_id": "the week's winner"},
        )
    # Its votes go with it (left to the ORM, it would try to null their keys instead).
    session.execute(delete(Vote).where(Vote.nomination_id == nomination.id))
    session.delete(nomination)
    session.flush()


def _week_nomination(session: Session, week_id: uuid.UUID, nomination_id: uuid.UUID) -> Nomination:
    nomination = session.get(Nomination, nomination_id)
    if nomination is None or nomination.week_id != week_id:
        raise InvalidInput(
            f"Nomination {nomination_id} is not one of this week's",
            details={"fields": {"nomination_id": "not a nomination of this week"}},
        )
    return nomination


def correct_nomination(
    session: Session,
    nomination_id: uuid.UUID,
    album_ref: AlbumRef | None = None,
    **tags: str | None,
) -> Nomination:
    """Organisers fix a nomination's album or tags (genre, decade, country) in any phase."""
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound(
            f"No nomination with id {nomination_id}",
            details={"nomination_id": str(nomination_id)},
        )
    # Validate before any write, so a refused correction changes nothing.
    decade = tags.get("decade")
    if decade:
        tags["decade"] = normalize_decade(decade)
    if album_ref is not None:
        album = find_or_create_album(
            session,
            title=album_ref.title,
            artist_name=album_ref.artist_name,
            release_year=album_ref.release_year,
            musicbrainz_id=album_ref.musicbrainz_id,
            spotify_id=album_ref.spotify_id,
        )
        nomination.album_id = album.id
        week = get_week(session, nomination.week_id)
        if week.winner_nomination_id == nomination.id:
            week.winner_album_id = album.id
            # As in override_winner: the week's ratings rate its winner's album.
            for rating in session.scalars(select(Rating).where(Rating.week_id == week.id)):
                rating.album_id = album.id
    # Tidied as a nomination's own tags are.
    if "genre" in tags:
        nomination.genre = _tidy_tag(tags["genre"])
        if nomination.genre:
            _tag_album(session, nomination.album_id, nomination.genre)
    if "decade" in tags:
        nomination.decade = tags["decade"] or None
    if "country" in tags:
        nomination.country = _tidy_tag(tags["country"])
    session.flush()
    return nomination


# --- the poll --------------------------------------------------------------------------------


def cast_vote(
    session: Session,
    week_id: uuid.UUID,
    member: User,
    nomination_id: uuid.UUID,
    rank: int,
    *,
    organiser: bool = False,
) -> Vote:
    """A member's 1st (rank 1) or 2nd (rank 2) choice; casting a rank again replaces it."""
    if rank not in (1, 2):
        raise InvalidInput(
            "rank is 1 (first choice) or 2 (second choice)", details={"fields": {"rank": "1 or 2"}}
        )
    week = get_week(session, week_id)
    _require_phase(week, VOTING_PHASES, "Votes", organiser)
    nomination = _week_nomination(session, week_id, nomination_id)
    if nomination.user_id == member.id:
        raise InvalidInput(
            "You cannot vote for your own nomination",
            details={"fields": {"nomination_id": "your own nomination"}},
        )
    mine = {
        vote.rank: vote
        for vote in session.scalars(
            select(Vote).where(Vote.week_id == week_id, Vote.user_id == member.id)
        )
    }
    other = mine.get(3 - rank)
    if other is not None and other.nomination_id == nomination_id:
        raise InvalidInput(
            "Your first and second choices must be different albums",
            details={"fields": {"nomination_id": f"already your choice of rank {other.rank}"}},
        )
    vote = mine.get(rank)
    if vote is None:
        vote = Vote(week_id=week_id, user_id=member.id, nomination_id=nomination_id, rank=rank)
        session.add(vote)
    else:
        vote.nomination_id = nomination_id
    session.flush()
    return vote


def tally_week(session: Session, week_id: uuid.UUID) -> Tally:
    candidates = [
        Candidate(nomination_id=row.id, nominated_at=row.created_at)
        for row in session.execute(
            select(Nomination.id, Nomination.created_at)
            .where(Nomination.week_id == week_id)
            .order_by(Nomination.created_at, Nomination.id)
        )
    ]
    votes = session.execute(
        select(Vote.user_id, Vote.nomination_id, Vote.rank).where(Vote.week_id == week_id)
    )
    return tally_poll(candidates, [(row[0], row[1], row[2]) for row in votes])


def override_winner(
    session: Session, week_id: uuid.UUID, nomination_id: uuid.UUID, actor: str, reason: str
) -> Week:
    """Organisers replace the tallied winner; who, when and why are kept on the week."""
    week = get_week(session, week_id)
    if PHASES.index(week.phase) < PHASES.index(WeekPhase.DISCUSSION):
        raise PhaseConflict(
            "The winner can be overridden once the poll is closed",
            details={"phase": week.phase.value},
        )
    nomination = _week_nomination(session, week_id, nomination_id)
    week.winner_nomination_id = nomination.id
    week.winner_album_id = nomination.album_id
    week.winner_override_by = actor
    week.winner_override_at = utcnow()
    week.winner_override_reason = reason
    # Ratings already given were of the old winner; they now rate the new one.
    for rating in session.scalars(select(Rating).where(Rating.week_id == week_id)):
        rating.album_id = nomination.album_id
    session.flush()
    return week


# --- ratings ---------------------------------------------------------------------------------


def submit_rating(
    session: Session,
    week_id: uuid.UUID,
    member: User,
    value: float,
    *,
    favorite_track: str | None = None,
    review: str | None = None,
    organiser: bool = False,
) -> tuple[Rating, bool]:
    """Rate the week's winner (1.0–5.0 in half steps); re-sending updates. (row, created)."""
    if not (1.0 <= value <= 5.0 and (value * 2).is_integer()):
        raise InvalidInput(
            "A rating is 1.0 to 5.0 in half steps",
            details={"fields": {"value": "1.0–5.0 in 0.5 steps"}},
        )
    week = get_week(session, week_id)
    _require_phase(week, RATING_PHASES, "Ratings", organiser)
    if week.winner_album_id is None:
        raise Conflict("This week has no winner to rate yet", details={"winner": "none yet"})
    rating = session.scalar(
        select(Rating).where(Rating.week_id == week_id, Rating.user_id == member.id)
    )
    created = rating is None
    if rating is None:
        rating = Rating(week_id=week_id, user_id=member.id, album_id=week.winner_album_id)
        session.add(rating)
    rating.value = value
    rating.favorite_track = favorite_track
    rating.review = review
    session.flush()
    return rating, created


def set_review_hidden(session: Session, rating_id: uuid.UUID, hidden: bool, actor: str) -> Rating:
    """Hide a review from the archive (it is kept, with who hid it and when), or show it again."""
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise NotFound(f"No rating with id {rating_id}", details={"rating_id": str(rating_id)})
    rating.review_hidden_at = utcnow() if hidden else None
    rating.review_hidden_by = actor if hidden else None
    session.flush()
    return rating
