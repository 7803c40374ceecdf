"""Reads of the club archive: weeks with filters, a week in full, poll and rating summaries.

Each function issues a fixed number of queries whatever the size of the week, so pages and
API responses stay bounded (eager loads are spelled out here, never left to lazy loading).
"""

import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from sidetrack.catalog.models import Album, GenreTag
from sidetrack.catalog.normalize import normalize_name, tag_slug
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.club.schemas import (
    AlbumSummary,
    MemberSummary,
    NominationDetail,
    PollResult,
    PollSummary,
    RatingDetail,
    RatingsSummary,
    WeekDetail,
    WeekList,
    WeekListItem,
)
from sidetrack.club.scoring import Candidate, summarize_ratings, tally_poll
from sidetrack.club.service import get_week, normalize_decade
from sidetrack.core.errors import InvalidInput
from sidetrack.users.models import User

# The archive's filters apply to each week's winner: the gallery is a gallery of winners.
WinningNomination = aliased(Nomination)
WinnerAlbum = aliased(Album)


def _filtered_weeks(
    *,
    genre: str | None,
    decade: str | None,
    country: str | None,
    nominator: str | None,
    q: str | None,
    year: int | None,
) -> Select[tuple[Week]]:
    query = select(Week)
    if any(value is not None for value in (genre, decade, country, nominator, q)):
        query = query.join(
            WinningNomination, WinningNomination.id == Week.winner_nomination_id
        ).join(WinnerAlbum, WinnerAlbum.id == WinningNomination.album_id)
    if genre:
        slug = tag_slug(genre)
        tagged = (
            select(GenreTag.id)
            .join(GenreTag.albums)
            .where(GenreTag.slug == slug, Album.id == WinnerAlbum.id)
        )
        query = query.where(
            or_(func.lower(WinningNomination.genre) == genre.strip().lower(), tagged.exists())
        )
    if decade:
        query = query.where(WinningNomination.decade == normalize_decade(decade))
    if country:
        query = query.where(func.lower(WinningNomination.country) == country.strip().lower())
    if nominator:
        member = select(User.id).where(
            or_(User.handle == nominator, User.id == _uuid_or_none(nominator))
        )
        query = query.where(WinningNomination.user_id.in_(member.scalar_subquery()))
    if q:
        # match_key holds the normalised artist and title, so this ignores case and accents.
        words = normalize_name(q).split()
        for word in words:
            query = query.where(WinnerAlbum.match_key.contains(word, autoescape=True))
    if year is not None:
        start = func.coalesce(Week.discussion_at, Week.nominations_close_at, Week.created_at)
        query = query.where(func.extract("year", start) == year)
    return query


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def list_weeks(
    session: Session,
    *,
    genre: str | None = None,
    decade: str | None = None,
    country: str | None = None,
    nominator: str | None = None,
    q: str | None = None,
    year: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> WeekList:
    """Weeks newest first, each with its winner and rating average."""
    filtered = _filtered_weeks(
        genre=genre, decade=decade, country=country, nominator=nominator, q=q, year=year
    )
    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    newest_first = (
        Week.week_number.desc().nulls_last(),
        Week.discussion_at.desc().nulls_last(),
        Week.created_at.desc(),
    )
    weeks = list(session.scalars(filtered.order_by(*newest_first).limit(limit).offset(offset)))
    winners = _winners(session, [w.winner_nomination_id for w in weeks if w.winner_nomination_id])
    averages = _rating_averages(session, [week.id for week in weeks])
    items = []
    for week in weeks:
        winner = winners.get(week.winner_nomination_id) if week.winner_nomination_id else None
        count, average = averages.get(week.id, (0, None))
        items.append(
            WeekListItem(
                **_week_fields(week),
                winner=_nomination_detail(winner) if winner else None,
                rating_count=count,
                rating_average=average,
            )
        )
    return WeekList(items=items, total=total, limit=limit, offset=offset)


def _week_fields(week: Week) -> dict[str, Any]:
    return {
        "id": week.id,
        "label": week.label,
        "week_number": week.week_number,
        "phase": week.phase,
        "nominations_close_at": week.nominations_close_at,
        "poll_close_at": week.poll_close_at,
        "discussion_at": week.discussion_at,
        "ratings_close_at": week.ratings_close_at,
        "nominations_thread_id": week.nominations_thread_id,
        "poll_thread_id": week.poll_thread_id,
        "winner_thread_id": week.winner_thread_id,
        "ratings_thread_id": week.ratings_thread_id,
    }


def _with_people_and_albums(query: Select[tuple[Nomination]]) -> Select[tuple[Nomination]]:
    return query.options(
        selectinload(Nomination.user),
        selectinload(Nomination.album).selectinload(Album.genre_tags),
    )


def _winners(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Nomination]:
    if not ids:
        return {}
    query = _with_people_and_albums(select(Nomination).where(Nomination.id.in_(ids)))
    return {nomination.id: nomination for nomination in session.scalars(query)}


def _rating_averages(
    session: Session, week_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, float | None]]:
    if not week_ids:
        return {}
    rows = session.execute(
        select(Rating.week_id, func.count(), func.avg(Rating.value))
        .where(Rating.week_id.in_(week_ids))
        .group_by(Rating.week_id)
    )
    return {
        week_id: (count, round(float(average), 2) if average is not None else None)
        for week_id, count, average in rows
    }


def member_summary(user: User) -> MemberSummary:
    return MemberSummary(id=user.id, display_name=user.display_name, handle=user.handle)


def album_summary(album: Album) -> AlbumSummary:
    return AlbumSummary(
        id=album.id,
        title=album.title,
        artist_name=album.artist_name,
        release_year=album.release_year,
        spotify_id=album.spotify_id,
        musicbrainz_id=album.musicbrainz_id,
        cover_url=album.cover_url,
        genres=sorted(tag.name for tag in album.genre_tags),
    )


def _nomination_detail(nomination: Nomination) -> NominationDetail:
    return NominationDetail(
        id=nomination.id,
        week_id=nomination.week_id,
        nominator=member_summary(nomination.user),
        album=album_summary(nomination.album),
        pitch=nomination.pitch,
        pitch_track_url=nomination.pitch_track_url,
        genre=nomination.genre,
        decade=nomination.decade,
        country=nomination.country,
        created_at=nomination.created_at,
    )


def nomination_detail(session: Session, nomination_id: uuid.UUID) -> NominationDetail:
    query = _with_people_and_albums(select(Nomination).where(Nomination.id == nomination_id))
    return _nomination_detail(session.scalars(query).one())


def rating_detail(session: Session, rating_id: uuid.UUID) -> RatingDetail:
    query = select(Rating).where(Rating.id == rating_id).options(selectinload(Rating.user))
    return _rating_detail(session.scalars(query).one(), include_hidden=False)


def week_nominations(session: Session, week_id: uuid.UUID) -> list[NominationDetail]:
    get_week(session, week_id)
    return [_nomination_detail(n) for n in _load_nominations(session, week_id)]


def _load_nominations(session: Session, week_id: uuid.UUID) -> list[Nomination]:
    query = _with_people_and_albums(
        select(Nomination)
        .where(Nomination.week_id == week_id)
        .order_by(Nomination.created_at, Nomination.id)
    )
    return list(session.scalars(query))


def poll_summary(session: Session, week_id: uuid.UUID) -> PollSummary:
    week = get_week(session, week_id)
    return _poll_summary(session, week, _load_nominations(session, week_id))


def _poll_summary(session: Session, week: Week, nominations: list[Nomination]) -> PollSummary:
    votes = session.execute(
        select(Vote.user_id, Vote.nomination_id, Vote.rank).where(Vote.week_id == week.id)
    )
    tally = tally_poll(
        [Candidate(n.id, n.created_at) for n in nominations],
        [(voter, nomination, rank) for voter, nomination, rank in votes],
    )
    by_id = {nomination.id: nomination for nomination in nominations}
    decided = week.winner_nomination_id is not None
    return PollSummary(
        results=[
            PollResult(
                nomination_id=standing.nomination_id,
                album=album_summary(by_id[standing.nomination_id].album),
                nominator=member_summary(by_id[standing.nomination_id].user),
                points=standing.points,
                first_place_votes=standing.first_place_votes,
                second_place_votes=standing.second_place_votes,
                position=standing.position,
            )
            for standing in tally.standings
        ],
        # Once decided, the week's winner stands, including an organiser's override.
        winner_nomination_id=(week.winner_nomination_id if decided else tally.winner_nomination_id),
        tie=tally.tie,
        tied_nomination_ids=tally.tied_nomination_ids,
        tie_break=tally.tie_break,
        voter_count=tally.voter_count,
        final=decided,
        overridden=week.winner_override_at is not None,
    )


def _load_ratings(session: Session, week_id: uuid.UUID) -> list[Rating]:
    return list(
        session.scalars(
            select(Rating)
            .where(Rating.week_id == week_id)
            .options(selectinload(Rating.user))
            .order_by(Rating.created_at, Rating.id)
        )
    )


def _rating_detail(rating: Rating, include_hidden: bool) -> RatingDetail:
    hidden = rating.review_hidden_at is not None
    return RatingDetail(
        id=rating.id,
        member=member_summary(rating.user),
        value=rating.value,
        favorite_track=rating.favorite_track,
        review=rating.review if include_hidden or not hidden else None,
        review_hidden=hidden,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )


def week_ratings(
    session: Session, week_id: uuid.UUID, include_hidden: bool = False
) -> list[RatingDetail]:
    get_week(session, week_id)
    return [_rating_detail(r, include_hidden) for r in _load_ratings(session, week_id)]


def ratings_summary(session: Session, week_id: uuid.UUID) -> RatingsSummary:
    get_week(session, week_id)
    values = session.scalars(select(Rating.value).where(Rating.week_id == week_id))
    return _ratings_summary(list(values))


def _ratings_summary(values: list[float]) -> RatingsSummary:
    summary = summarize_ratings(values)
    return RatingsSummary(
        average=summary.average,
        median=summary.median,
        count=summary.count,
        histogram=summary.histogram,
    )


def week_detail(session: Session, week_id: uuid.UUID) -> WeekDetail:
    """A week in full, in a fixed number of queries."""
    week = get_week(session, week_id)
    nominations = _load_nominations(session, week_id)
    ratings = _load_ratings(session, week_id)
    winner = next((n for n in nominations if n.id == week.winner_nomination_id), None)
    return WeekDetail(
        **_week_fields(week),
        winner=_nomination_detail(winner) if winner else None,
        winner_override_by=week.winner_override_by,
        winner_override_at=week.winner_override_at,
        winner_override_reason=week.winner_override_reason,
        nominations=[_nomination_detail(n) for n in nominations],
        poll=_poll_summary(session, week, nominations)
        if week.phase != WeekPhase.NOMINATIONS
        else None,
        ratings_summary=_ratings_summary([r.value for r in ratings]),
        ratings=[_rating_detail(r, include_hidden=False) for r in ratings],
    )


def current_week(session: Session) -> Week | None:
    """The newest week that is not closed."""
    return session.scalar(
        select(Week)
        .where(Week.phase != WeekPhase.CLOSED)
        .order_by(Week.week_number.desc().nulls_last(), Week.created_at.desc())
        .limit(1)
    )


def require_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 100:
        raise InvalidInput("limit is 1 to 100", details={"limit": limit})
    if offset < 0:
        raise InvalidInput("offset is 0 or more", details={"offset": offset})
