"""HTTP delivery for the club under /api/club: parse, call one service function, shape the reply."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from sidetrack.club import queries, service
from sidetrack.club.schemas import (
    DECADE_PATTERN,
    ClubStats,
    MemberClub,
    NominationCorrection,
    NominationDetail,
    NominationSubmit,
    PollSummary,
    RatingDetail,
    RatingRead,
    RatingsSummary,
    RatingSubmit,
    VoteRead,
    VoteSubmit,
    WeekCreate,
    WeekDetail,
    WeekList,
    WeekUpdate,
    WinnerOverride,
)
from sidetrack.club.service import AlbumRef
from sidetrack.core.errors import NotFound
from sidetrack.core.http import DbSession, error_responses
from sidetrack.users.api import ClubAdmin, ClubWriter
from sidetrack.users.models import ApiToken
from sidetrack.users.service import resolve_member

router = APIRouter(prefix="/club", tags=["club"])
# A member's club life sits under /users, but users is below club and must not import it.
member_router = APIRouter(prefix="/users", tags=["club"])


READ_ERRORS = error_responses(404)
WRITE_ERRORS = error_responses(401, 403, 404, 409)


def _guild_id(request: Request) -> str | None:
    """The club's Discord server, so a week's thread ids become links."""
    guild_id: str | None = request.app.state.settings.discord_guild_id
    return guild_id


GuildId = Annotated[str | None, Depends(_guild_id)]


def _organiser(token: ApiToken) -> bool:
    return "club:admin" in token.scopes


def _album_ref(album: Any) -> AlbumRef:
    return AlbumRef(
        title=album.title,
        artist_name=album.artist_name,
        release_year=album.release_year,
        musicbrainz_id=album.musicbrainz_id,
        spotify_id=album.spotify_id,
    )


# --- weeks -----------------------------------------------------------------------------------


@router.post("/weeks", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def create_week(
    body: WeekCreate, session: DbSession, token: ClubWriter, guild: GuildId
) -> WeekDetail:
    week = service.create_week(session, organiser=_organiser(token), **body.model_dump())
    return queries.week_detail(session, week.id, guild)


@router.get("/weeks", responses=error_responses())
def list_weeks(
    session: DbSession,
    genre: Annotated[str | None, Query(max_length=64)] = None,
    decade: Annotated[
        str | None, Query(max_length=16, pattern=DECADE_PATTERN, description="1990s or 90s.")
    ] = None,
    country: Annotated[str | None, Query(max_length=64)] = None,
    nominator: Annotated[str | None, Query(max_length=64, description="Handle or id.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Album or artist.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2999, description="Year held.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> WeekList:
    """Weeks newest first; the filters apply to each week's winner."""
    return queries.list_weeks(
        session,
        genre=genre,
        decade=decade,
        country=country,
        nominator=nominator,
        q=q,
        year=year,
        limit=limit,
        offset=offset,
    )


@router.get("/weeks/current", responses=READ_ERRORS)
def current_week(session: DbSession, guild: GuildId) -> WeekDetail:
    """The newest week that is not closed."""
    week = queries.current_week(session)
    if week is None:
        raise NotFound("No week is running", details={"week": "none running"})
    return queries.week_detail(session, week.id, guild)


@router.get("/weeks/{week_id}", responses=READ_ERRORS)
def get_week(week_id: uuid.UUID, session: DbSession, guild: GuildId) -> WeekDetail:
    return queries.week_detail(session, week_id, guild)


@router.patch("/weeks/{week_id}", responses=WRITE_ERRORS)
def update_week(
    week_id: uuid.UUID, body: WeekUpdate, session: DbSession, _token: ClubWriter, guild: GuildId
) -> WeekDetail:
    service.update_week(session, week_id, **body.model_dump(exclude_unset=True))
    return queries.week_detail(session, week_id, guild)


@router.post("/weeks/{week_id}/close-nominations", responses=WRITE_ERRORS)
def close_nominations(
    week_id: uuid.UUID, session: DbSession, _token: ClubWriter, guild: GuildId
) -> WeekDetail:
    """nominations → poll."""
    service.close_nominations(session, week_id)
    return queries.week_detail(session, week_id, guild)


@router.post("/weeks/{week_id}/close-poll", responses=WRITE_ERRORS)
def close_poll(
    week_id: uuid.UUID, session: DbSession, _token: ClubWriter, guild: GuildId
) -> WeekDetail:
    """poll → discussion; the tally's winner is recorded (a tie: the earliest nomination)."""
    service.close_poll(session, week_id)
    return queries.week_detail(session, week_id, guild)


@router.post("/weeks/{week_id}/open-ratings", responses=WRITE_ERRORS)
def open_ratings(
    week_id: uuid.UUID, session: DbSession, _token: ClubWriter, guild: GuildId
) -> WeekDetail:
    """discussion → ratings."""
    service.open_ratings(session, week_id)
    return queries.week_detail(session, week_id, guild)


@router.post("/weeks/{week_id}/close", responses=WRITE_ERRORS)
def close_week(
    week_id: uuid.UUID, session: DbSession, _token: ClubWriter, guild: GuildId
) -> WeekDetail:
    """ratings → closed."""
    service.close_week(session, week_id)
    return queries.week_detail(session, week_id, guild)


# --- nominations -----------------------------------------------------------------------------


@router.post(
    "/weeks/{week_id}/nominations",
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE_ERRORS, 200: {"model": NominationDetail, "description": "Updated"}},
)
def submit_nomination(
    week_id: uuid.UUID,
    body: NominationSubmit,
    session: DbSession,
    token: ClubWriter,
    response: Response,
) -> NominationDetail:
    """Nominate an album (201); re-sending updates the member's nomination (200)."""
    member = resolve_member(session, **body.user.model_dump())
    nomination, created = service.submit_nomination(
        session,
        week_id,
        member,
        _album_ref(body.album),
        pitch=body.pitch,
        pitch_track_url=body.pitch_track_url,
        genre=body.genre,
        decade=body.decade,
        country=body.country,
        organiser=_organiser(token),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return queries.nomination_detail(session, nomination.id)


@router.get("/weeks/{week_id}/nominations", responses=READ_ERRORS)
def list_nominations(week_id: uuid.UUID, session: DbSession) -> list[NominationDetail]:
    return queries.week_nominations(session, week_id)


@router.delete(
    "/weeks/{week_id}/nominations/{nomination_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_ERRORS,
)
def withdraw_nomination(
    week_id: uuid.UUID,
    nomination_id: uuid.UUID,
    session: DbSession,
    token: ClubWriter,
    discord_id: Annotated[str | None, Query(pattern=r"^[0-9]{1,20}$")] = None,
    user_id: uuid.UUID | None = None,
) -> None:
    """The nominator withdraws (name them); an organiser may withdraw any nomination."""
    member = None
    if discord_id is not None or user_id is not None:
        member = resolve_member(session, discord_id=discord_id, user_id=user_id)
    service.withdraw_nomination(
        session, week_id, nomination_id, member, organiser=_organiser(token)
    )


@router.patch("/nominations/{nomination_id}", responses=WRITE_ERRORS)
def correct_nomination(
    nomination_id: uuid.UUID, body: NominationCorrection, session: DbSession, _token: ClubAdmin
) -> NominationDetail:
    """Organisers fix a nomination's album or tags."""
    tags = body.model_dump(exclude_unset=True, exclude={"album"})
    album = _album_ref(body.album) if body.album else None
    service.correct_nomination(session, nomination_id, album, **tags)
    return queries.nomination_detail(session, nomination_id)


# --- the poll --------------------------------------------------------------------------------


@router.post("/weeks/{week_id}/votes", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def cast_vote(
    week_id: uuid.UUID, body: VoteSubmit, session: DbSession, token: ClubWriter
) -> VoteRead:
    """A 1st (rank 1, 2 points) or 2nd (rank 2, 1 point) choice; again replaces that rank."""
    member = resolve_member(session, **body.user.model_dump())
    vote = service.cast_vote(
        session, week_id, member, body.nomination_id, body.rank, organiser=_organiser(token)
    )
    return VoteRead.model_validate(vote)


@router.get("/weeks/{week_id}/votes/summary", responses=READ_ERRORS)
def poll_summary(week_id: uuid.UUID, session: DbSession) -> PollSummary:
    return queries.poll_summary(session, week_id)


@router.put("/weeks/{week_id}/winner", responses=WRITE_ERRORS)
def override_winner(
    week_id: uuid.UUID, body: WinnerOverride, session: DbSession, token: ClubAdmin, guild: GuildId
) -> WeekDetail:
    """Organisers replace the tallied winner; who, when and why are recorded."""
    service.override_winner(session, week_id, body.nomination_id, token.name, body.reason)
    return queries.week_detail(session, week_id, guild)


# --- ratings ---------------------------------------------------------------------------------


@router.post(
    "/weeks/{week_id}/ratings",
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE_ERRORS, 200: {"model": RatingDetail, "description": "Updated"}},
)
def submit_rating(
    week_id: uuid.UUID,
    body: RatingSubmit,
    session: DbSession,
    token: ClubWriter,
    response: Response,
) -> RatingDetail:
    """Rate the week's winner, 1.0–5.0 in half steps (201); re-sending updates it (200)."""
    member = resolve_member(session, **body.user.model_dump())
    rating, created = service.submit_rating(
        session,
        week_id,
        member,
        body.value,
        favorite_track=body.favorite_track,
        review=body.review,
        organiser=_organiser(token),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return queries.rating_detail(session, rating.id)


@router.get("/weeks/{week_id}/ratings", responses=READ_ERRORS)
def list_ratings(week_id: uuid.UUID, session: DbSession) -> list[RatingDetail]:
    """Every rating; hidden reviews are left out."""
    return queries.week_ratings(session, week_id)


@router.get("/weeks/{week_id}/ratings/summary", responses=READ_ERRORS)
def ratings_summary(week_id: uuid.UUID, session: DbSession) -> RatingsSummary:
    return queries.ratings_summary(session, week_id)


@router.post("/ratings/{rating_id}/hide", responses=WRITE_ERRORS)
def hide_review(rating_id: uuid.UUID, session: DbSession, token: ClubAdmin) -> RatingRead:
    """Hide a review from the archive; it is kept, with who hid it and when."""
    return RatingRead.model_validate(
        service.set_review_hidden(session, rating_id, True, token.name)
    )


@router.post("/ratings/{rating_id}/unhide", responses=WRITE_ERRORS)
def unhide_review(rating_id: uuid.UUID, session: DbSession, token: ClubAdmin) -> RatingRead:
    return RatingRead.model_validate(
        service.set_review_hidden(session, rating_id, False, token.name)
    )


# --- statistics ------------------------------------------------------------------------------


@router.get("/stats", responses=error_responses())
def club_stats(session: DbSession) -> ClubStats:
    """Winners by genre, decade and country; members' standings; the hall of fame; totals."""
    return queries.club_stats(session)


@member_router.get("/{user_id}/club", responses=READ_ERRORS)
def member_club(
    user_id: uuid.UUID,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MemberClub:
    """A member's nominations and club ratings (a page of each, newest first), with totals."""
    return queries.member_club(session, user_id, limit=limit, offset=offset)
