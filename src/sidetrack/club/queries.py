"""Reads of the club archive: weeks with filters, a week in full, poll and rating summaries.

Each function issues a fixed number of queries whatever the size of the week, so pages and
API responses stay bounded (eager loads are spelled out here, never left to lazy loading).
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    ScalarSelect,
    Select,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, contains_eager, selectinload

from sidetrack.catalog.models import Album, GenreTag
from sidetrack.catalog.normalize import normalize_name, tag_slug
from sidetrack.club.models import Nomination, Rating, Vote, Week, WeekPhase
from sidetrack.club.schemas import (
    AlbumSummary,
    ClubStats,
    ClubTotals,
    Deadline,
    DiscordLinks,
    GalleryFilters,
    HallOfFameEntry,
    MemberClub,
    MemberNomination,
    MemberRating,
    MemberStanding,
    MemberSummary,
    NominationDetail,
    PollResult,
    PollSummary,
    RatingDetail,
    RatingsSummary,
    TagCount,
    WeekDetail,
    WeekFields,
    WeekList,
    WeekListItem,
    WeekRef,
)
from sidetrack.club.scoring import Candidate, mean_half_up, summarize_ratings, tally_poll
from sidetrack.club.service import get_week, normalize_decade
from sidetrack.core.errors import InvalidInput
from sidetrack.users.models import User
from sidetrack.users.service import get_user

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
        select(Rating.week_id, func.count(), func.sum(Rating.value))
        .where(Rating.week_id.in_(week_ids))
        .group_by(Rating.week_id)
    )
    return {week_id: (count, mean_half_up(total, count)) for week_id, count, total in rows}


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


def discord_thread_url(guild_id: str | None, thread_id: int | None) -> str | None:
    if not guild_id or thread_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def _discord_links(week: Week, guild_id: str | None) -> DiscordLinks:
    return DiscordLinks(
        nominations=discord_thread_url(guild_id, week.nominations_thread_id),
        poll=discord_thread_url(guild_id, week.poll_thread_id),
        winner=discord_thread_url(guild_id, week.winner_thread_id),
        ratings=discord_thread_url(guild_id, week.ratings_thread_id),
    )


def week_detail(session: Session, week_id: uuid.UUID, guild_id: str | None = None) -> WeekDetail:
    """A week in full, in a fixed number of queries; `guild_id` (the club's Discord server)
    turns its thread ids into links."""
    week = get_week(session, week_id)
    nominations = _load_nominations(session, week_id)
    ratings = _load_ratings(session, week_id)
    winner = next((n for n in nominations if n.id == week.winner_nomination_id), None)
    return WeekDetail(
        **_week_fields(week),
        winner=_nomination_detail(winner) if winner else None,
        discord_links=_discord_links(week, guild_id),
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


# What each phase waits for, in the order the week goes through them.
DEADLINES = (
    (WeekPhase.NOMINATIONS, "nominations_close_at", "Nominations close"),
    (WeekPhase.POLL, "poll_close_at", "The poll closes"),
    (WeekPhase.DISCUSSION, "discussion_at", "Discussion"),
    (WeekPhase.RATINGS, "ratings_close_at", "Ratings close"),
)


def next_deadline(week: Week | WeekFields, now: datetime) -> Deadline | None:
    """The week's next scheduled moment after `now`, from its current phase on (a closed
    week, or one whose remaining times are unset or past, has none)."""
    if week.phase == WeekPhase.CLOSED:
        return None
    phases = [phase for phase, _field, _what in DEADLINES]
    for _phase, field, what in DEADLINES[phases.index(week.phase) :]:
        at = getattr(week, field)
        if at is not None and at > now:
            return Deadline(what=what, at=at)
    return None


def gallery_filters(session: Session) -> GalleryFilters:
    """The winners' genres, decades, countries and nominators, in two queries."""
    tags = _winner_tag_counts(session)
    nominators = session.scalars(
        select(User).where(
            User.id.in_(
                select(Nomination.user_id).join(Week, Week.winner_nomination_id == Nomination.id)
            )
        )
    )
    by_name = sorted(
        (member_summary(user) for user in nominators),
        key=lambda m: (m.display_name.casefold(), str(m.id)),
    )
    return GalleryFilters(
        genres=sorted(tags["genre"], key=lambda tag: (tag.name.casefold(), tag.name)),
        decades=sorted(tags["decade"], key=lambda tag: tag.name),
        countries=sorted(tags["country"], key=lambda tag: (tag.name.casefold(), tag.name)),
        nominators=by_name,
    )


def require_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 100:
        raise InvalidInput("limit is 1 to 100", details={"fields": {"limit": "1 to 100"}})
    if offset < 0:
        raise InvalidInput("offset is 0 or more", details={"fields": {"offset": "0 or more"}})


# --- statistics ------------------------------------------------------------------------------
# Every count, sum and average is aggregated in SQL; Python only ranks the few grouped rows and
# rounds, so both reads issue the same handful of queries for a club of any size.

HALL_OF_FAME_SIZE = 10
HALL_OF_FAME_MIN_RATINGS = 3
IS_CLUB_RATING = Rating.week_id.is_not(None)


def _week_ref(week: Week) -> WeekRef:
    return WeekRef(id=week.id, label=week.label, week_number=week.week_number)


def _newest_week_first() -> tuple[Any, ...]:
    return (
        Week.week_number.desc().nulls_last(),
        Week.discussion_at.desc().nulls_last(),
        Week.created_at.desc(),
        Week.id,
    )


def _club_members() -> CompoundSelect[tuple[uuid.UUID]]:
    """Ids of everyone who took part: nominated, voted or gave a club rating."""
    return union(
        select(Nomination.user_id),
        select(Vote.user_id),
        select(Rating.user_id).where(IS_CLUB_RATING),
    )


def club_stats(session: Session) -> ClubStats:
    """The club as a whole: winners' tags, the members' standings, the hall of fame, totals."""
    tags = _winner_tag_counts(session)
    return ClubStats(
        totals=_club_totals(session),
        winners_by_genre=tags["genre"],
        winners_by_decade=tags["decade"],
        winners_by_country=tags["country"],
        members=_member_standings(session),
        hall_of_fame=_hall_of_fame(session),
    )


def _winner_tag_counts(session: Session) -> dict[str, list[TagCount]]:
    def weeks_won_by(kind: str, column: InstrumentedAttribute[str | None]) -> Select[Any]:
        return (
            select(literal(kind).label("kind"), column.label("name"), func.count().label("weeks"))
            .select_from(Week)
            .join(Nomination, Nomination.id == Week.winner_nomination_id)
            .where(column.is_not(None))
            .group_by(column)
        )

    rows = session.execute(
        union_all(
            weeks_won_by("genre", Nomination.genre),
            weeks_won_by("decade", Nomination.decade),
            weeks_won_by("country", Nomination.country),
        )
    )
    # Tags are free text: "UK" and "uk" are one country. SQL lower() is ASCII-only on SQLite,
    # so spellings are merged here, where case folding is the same on every backend.
    spellings: dict[str, dict[str, Counter[str]]] = {"genre": {}, "decade": {}, "country": {}}
    for kind, name, weeks in rows:
        spelled = " ".join(name.split())
        if spelled:
            spellings[kind].setdefault(spelled.casefold(), Counter())[spelled] += weeks
    return {kind: _ranked_tags(groups.values()) for kind, groups in spellings.items()}


def _ranked_tags(groups: Iterable[Counter[str]]) -> list[TagCount]:
    tags = []
    for spelled in groups:
        # The most used spelling names the tag; a tie goes to the first in code-point order.
        name = min(spelled, key=lambda text: (-spelled[text], text))
        tags.append(TagCount(name=name, count=sum(spelled.values())))
    return sorted(tags, key=lambda tag: (-tag.count, tag.name.casefold(), tag.name))


def _member_standings(session: Session) -> list[MemberStanding]:
    nominated = (
        select(Nomination.user_id, func.count().label("count"))
        .group_by(Nomination.user_id)
        .subquery()
    )
    won = (
        select(Nomination.user_id, func.count().label("count"))
        .join(Week, Week.winner_nomination_id == Nomination.id)
        .group_by(Nomination.user_id)
        .subquery()
    )
    rated = (
        select(Rating.user_id, func.count().label("count"), func.sum(Rating.value).label("total"))
        .where(IS_CLUB_RATING)
        .group_by(Rating.user_id)
        .subquery()
    )
    members = _club_members().subquery()
    rows = session.execute(
        select(
            User,
            func.coalesce(nominated.c.count, 0),
            func.coalesce(won.c.count, 0),
            func.coalesce(rated.c.count, 0),
            rated.c.total,
        )
        .outerjoin(nominated, nominated.c.user_id == User.id)
        .outerjoin(won, won.c.user_id == User.id)
        .outerjoin(rated, rated.c.user_id == User.id)
        .where(User.id.in_(select(members.c.user_id)))
    )
    standings = [
        MemberStanding(
            member=member_summary(user),
            nominations=nominations,
            wins=wins,
            ratings_given=ratings,
            average_given=mean_half_up(total, ratings),
        )
        for user, nominations, wins, ratings, total in rows
    ]
    # Sorted here rather than in SQL: names sort by code point alike on SQLite and PostgreSQL.
    return sorted(
        standings,
        key=lambda s: (
            -s.nominations,
            -s.wins,
            -s.ratings_given,
            s.member.display_name.casefold(),
            str(s.member.id),
        ),
    )


def _hall_of_fame(session: Session) -> list[HallOfFameEntry]:
    count = func.count(Rating.id)
    rows = session.execute(
        select(Week, count, func.sum(Rating.value))
        .join(Rating, Rating.week_id == Week.id)
        .where(Week.winner_nomination_id.is_not(None))
        .group_by(Week.id)
        .having(count >= HALL_OF_FAME_MIN_RATINGS)
        .order_by(
            func.avg(Rating.value).desc(),
            count.desc(),
            Week.week_number.asc().nulls_last(),
            Week.created_at,
            Week.id,
        )
        .limit(HALL_OF_FAME_SIZE)
    ).all()
    winners = _winners(session, [week.winner_nomination_id for week, _, _ in rows])
    entries = []
    for week, ratings, total in rows:
        winner = winners[week.winner_nomination_id]
        entries.append(
            HallOfFameEntry(
                week=_week_ref(week),
                nomination_id=winner.id,
                album=album_summary(winner.album),
                nominator=member_summary(winner.user),
                rating_average=mean_half_up(total, ratings),
                rating_count=ratings,
            )
        )
    return entries


def _club_totals(session: Session) -> ClubTotals:
    def counted(query: Select[Any] | CompoundSelect[Any]) -> ScalarSelect[int]:
        return select(func.count()).select_from(query.subquery()).scalar_subquery()

    weeks_closed, nominations, votes, ratings, members = session.execute(
        select(
            counted(select(Week.id).where(Week.phase == WeekPhase.CLOSED)),
            counted(select(Nomination.id)),
            counted(select(Vote.id)),
            counted(select(Rating.id).where(IS_CLUB_RATING)),
            counted(_club_members()),
        )
    ).one()
    return ClubTotals(
        weeks_closed=weeks_closed,
        nominations=nominations,
        votes=votes,
        ratings=ratings,
        members=members,
    )


def member_club(
    session: Session, user_id: uuid.UUID, *, limit: int = 50, offset: int = 0
) -> MemberClub:
    """One member's club life: counts and averages in full, nominations and ratings a page."""
    require_page(limit, offset)
    user = get_user(session, user_id)
    theirs = Nomination.user_id == user.id
    given = (IS_CLUB_RATING, Rating.user_id == user.id)
    # Every club rating of the weeks they won, the nominator's own included, as in the
    # rating average each of those weeks shows.
    received = (
        select(func.count(Rating.id), func.sum(Rating.value))
        .join(Week, Week.id == Rating.week_id)
        .join(Nomination, Nomination.id == Week.winner_nomination_id)
        .where(theirs)
    )
    nominations_total, wins, ratings_given, given_total, received_count, received_total = (
        session.execute(
            select(
                select(func.count(Nomination.id)).where(theirs).scalar_subquery(),
                select(func.count(Week.id))
                .join(Nomination, Nomination.id == Week.winner_nomination_id)
                .where(theirs)
                .scalar_subquery(),
                select(func.count(Rating.id)).where(*given).scalar_subquery(),
                select(func.sum(Rating.value)).where(*given).scalar_subquery(),
                received.with_only_columns(func.count(Rating.id)).scalar_subquery(),
                received.with_only_columns(func.sum(Rating.value)).scalar_subquery(),
            )
        ).one()
    )
    nominations = session.scalars(
        select(Nomination)
        .join(Nomination.week)
        .where(theirs)
        .options(
            contains_eager(Nomination.week),
            selectinload(Nomination.album).selectinload(Album.genre_tags),
        )
        .order_by(*_newest_week_first(), Nomination.created_at.desc(), Nomination.id)
        .limit(limit)
        .offset(offset)
    )
    ratings = session.execute(
        select(Rating, Week)
        .join(Week, Week.id == Rating.week_id)
        .where(*given)
        .options(selectinload(Rating.album).selectinload(Album.genre_tags))
        .order_by(*_newest_week_first(), Rating.id)
        .limit(limit)
        .offset(offset)
    )
    return MemberClub(
        member=member_summary(user),
        nominations_total=nominations_total,
        wins=wins,
        ratings_given=ratings_given,
        average_given=mean_half_up(given_total, ratings_given),
        winning_picks_average=mean_half_up(received_total, received_count),
        winning_picks_ratings=received_count,
        nominations=[_member_nomination(n) for n in nominations],
        ratings=[_member_rating(rating, week) for rating, week in ratings],
        limit=limit,
        offset=offset,
    )


def _member_nomination(nomination: Nomination) -> MemberNomination:
    return MemberNomination(
        id=nomination.id,
        week=_week_ref(nomination.week),
        album=album_summary(nomination.album),
        genre=nomination.genre,
        decade=nomination.decade,
        country=nomination.country,
        won=nomination.week.winner_nomination_id == nomination.id,
        created_at=nomination.created_at,
    )


def _member_rating(rating: Rating, week: Week) -> MemberRating:
    hidden = rating.review_hidden_at is not None
    return MemberRating(
        id=rating.id,
        week=_week_ref(week),
        album=album_summary(rating.album),
        value=rating.value,
        favorite_track=rating.favorite_track,
        review=None if hidden else rating.review,
        review_hidden=hidden,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )
