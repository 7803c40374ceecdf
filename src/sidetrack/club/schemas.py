"""Pydantic schemas for reading and writing the club: Week, Nomination, Vote, Rating."""

import uuid
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    model_validator,
)

from sidetrack.club.models import WeekPhase
from sidetrack.core.schemas import INT32_MAX, HttpUrlStr, NotNull, ReadModel, WriteModel

BIGINT_MAX = 2**63 - 1


def _digits_to_int(value: object) -> object:
    # JSON clients send snowflakes as strings to keep their precision; the bot passes ints.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


# A Discord snowflake in a BIGINT column. Strict, so a float (already rounded) or a bool is
# refused rather than quietly turned into a different id.
ThreadId = Annotated[int, Strict(), Field(ge=1, le=BIGINT_MAX), BeforeValidator(_digits_to_int)]
# JavaScript numbers are exact only up to 2**53 and snowflakes are larger, so output is a
# string in every dump, while the attribute stays an int for Python callers such as the bot.
ThreadIdOut = Annotated[int, PlainSerializer(str, return_type=str)]

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
WeekNumber = Annotated[int, Field(ge=1, le=INT32_MAX)]
Genre = Annotated[str, StringConstraints(max_length=64)]
# What club.service.normalize_decade reads ("1990s", "90s", "'90s", "90’s", "1990"), or empty.
DECADE_PATTERN = r"^(\s*['’]*(1[0-9]|20)?[0-9]0['’]?[sS]?\s*)?$"
Decade = Annotated[str, StringConstraints(max_length=16, pattern=DECADE_PATTERN)]
Country = Annotated[str, StringConstraints(max_length=64)]


def _refuse_bool(value: object) -> object:
    # JSON true is no number, though Python would read it as 1.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NotBool = BeforeValidator(_refuse_bool)
Rank = Annotated[Literal[1, 2], NotBool]
RatingValue = Annotated[float, Field(ge=1.0, le=5.0, multiple_of=0.5), NotBool]
FavoriteTrack = Annotated[str, StringConstraints(max_length=255)]


class WeekRead(ReadModel):
    id: uuid.UUID
    label: str
    week_number: int | None
    phase: WeekPhase
    nominations_close_at: AwareDatetime | None
    poll_close_at: AwareDatetime | None
    discussion_at: AwareDatetime | None
    ratings_close_at: AwareDatetime | None
    winner_album_id: uuid.UUID | None
    winner_nomination_id: uuid.UUID | None
    winner_override_by: str | None
    winner_override_at: AwareDatetime | None
    winner_override_reason: str | None
    nominations_thread_id: ThreadIdOut | None
    poll_thread_id: ThreadIdOut | None
    winner_thread_id: ThreadIdOut | None
    ratings_thread_id: ThreadIdOut | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class WeekCreate(WriteModel):
    """The winner is not input: the tally, or an audited override, sets it (club.service).

    The phase may be given, so a past week can be entered already closed.
    """

    label: Label
    week_number: WeekNumber | None = None
    phase: WeekPhase = WeekPhase.NOMINATIONS
    nominations_close_at: AwareDatetime | None = None
    poll_close_at: AwareDatetime | None = None
    discussion_at: AwareDatetime | None = None
    ratings_close_at: AwareDatetime | None = None
    nominations_thread_id: ThreadId | None = None
    poll_thread_id: ThreadId | None = None
    winner_thread_id: ThreadId | None = None
    ratings_thread_id: ThreadId | None = None


class WeekUpdate(WriteModel):
    """Not the phase nor the winner: the service moves a week forward and records winners."""

    label: Annotated[Label | None, NotNull] = None
    week_number: WeekNumber | None = None
    nominations_close_at: AwareDatetime | None = None
    poll_close_at: AwareDatetime | None = None
    discussion_at: AwareDatetime | None = None
    ratings_close_at: AwareDatetime | None = None
    nominations_thread_id: ThreadId | None = None
    poll_thread_id: ThreadId | None = None
    winner_thread_id: ThreadId | None = None
    ratings_thread_id: ThreadId | None = None


class NominationRead(ReadModel):
    id: uuid.UUID
    week_id: uuid.UUID
    user_id: uuid.UUID
    album_id: uuid.UUID
    pitch: str | None
    pitch_track_url: str | None
    genre: str | None
    decade: str | None
    country: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class NominationTags(WriteModel):
    """The nominator's tags, as every nomination input takes them."""

    genre: Genre | None = None
    decade: Decade | None = None
    country: Country | None = None


class NominationCreate(NominationTags):
    week_id: uuid.UUID
    user_id: uuid.UUID
    album_id: uuid.UUID
    pitch: str | None = None
    pitch_track_url: HttpUrlStr | None = None


class NominationUpdate(NominationTags):
    """The pitch and tags: votes point at a nomination, so its week and album stay put."""

    pitch: str | None = None
    pitch_track_url: HttpUrlStr | None = None


class VoteRead(ReadModel):
    id: uuid.UUID
    week_id: uuid.UUID
    user_id: uuid.UUID
    nomination_id: uuid.UUID
    rank: int
    created_at: AwareDatetime
    updated_at: AwareDatetime


class VoteCreate(WriteModel):
    week_id: uuid.UUID
    user_id: uuid.UUID
    nomination_id: uuid.UUID
    rank: Rank


class VoteUpdate(WriteModel):
    """A member may move a vote to another nomination or rank; whose and which week stay."""

    nomination_id: Annotated[uuid.UUID | None, NotNull] = None
    rank: Annotated[Rank | None, NotNull] = None


class RatingRead(ReadModel):
    id: uuid.UUID
    week_id: uuid.UUID | None
    user_id: uuid.UUID
    album_id: uuid.UUID
    value: float
    favorite_track: str | None
    # The review stays readable here for moderators: public output must drop it when hidden.
    review: str | None
    review_hidden_at: AwareDatetime | None
    review_hidden_by: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class RatingCreate(WriteModel):
    """week_id set rates that week's winner for the club; None is a personal rating."""

    week_id: uuid.UUID | None = None
    user_id: uuid.UUID
    album_id: uuid.UUID
    value: RatingValue
    favorite_track: FavoriteTrack | None = None
    review: str | None = None


class RatingUpdate(WriteModel):
    value: Annotated[RatingValue | None, NotNull] = None
    favorite_track: FavoriteTrack | None = None
    review: str | None = None


# --- the HTTP API's requests ---------------------------------------------------------------

DiscordId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ReleaseYear = Annotated[int, Field(ge=1000, le=2999)]
MusicBrainzId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    ),
]
SpotifyId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{22}$")]
Text = Annotated[str, StringConstraints(max_length=10_000)]


class MemberRef(WriteModel):
    """Who acts: by Sidetrack id, or by Discord id (found or created, as the bot knows them)."""

    # The rule `_named` enforces, in the OpenAPI document too: exactly one of the two ids.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"discord_id": {"type": "string"}}, "required": ["discord_id"]},
                {"properties": {"user_id": {"type": "string"}}, "required": ["user_id"]},
            ]
        }
    )

    discord_id: DiscordId | None = None
    user_id: uuid.UUID | None = None
    display_name: DisplayName | None = None

    @model_validator(mode="after")
    def _named(self) -> "MemberRef":
        if (self.discord_id is None) == (self.user_id is None):
            raise ValueError("give exactly one of discord_id and user_id")
        return self


class AlbumInput(WriteModel):
    title: Name
    artist_name: Name
    release_year: ReleaseYear | None = None
    musicbrainz_id: MusicBrainzId | None = None
    spotify_id: SpotifyId | None = None


class NominationSubmit(NominationTags):
    user: MemberRef
    album: AlbumInput
    pitch: Text | None = None
    pitch_track_url: HttpUrlStr | None = None


class NominationCorrection(NominationTags):
    """An organiser's fix of a nomination: its album and/or tags."""

    album: AlbumInput | None = None


class VoteSubmit(WriteModel):
    user: MemberRef
    nomination_id: uuid.UUID
    rank: Rank


class RatingSubmit(WriteModel):
    user: MemberRef
    value: RatingValue
    favorite_track: FavoriteTrack | None = None
    review: Text | None = None


class WinnerOverride(WriteModel):
    nomination_id: uuid.UUID
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# --- the HTTP API's responses --------------------------------------------------------------


class MemberSummary(BaseModel):
    id: uuid.UUID
    display_name: str
    handle: str | None


class AlbumSummary(BaseModel):
    id: uuid.UUID
    title: str
    artist_name: str
    release_year: int | None
    spotify_id: str | None
    musicbrainz_id: str | None
    cover_url: str | None
    genres: list[str]


class NominationDetail(BaseModel):
    id: uuid.UUID
    week_id: uuid.UUID
    nominator: MemberSummary
    album: AlbumSummary
    pitch: str | None
    pitch_track_url: str | None
    genre: str | None
    decade: str | None
    country: str | None
    created_at: AwareDatetime


class PollResult(BaseModel):
    nomination_id: uuid.UUID
    album: AlbumSummary
    nominator: MemberSummary
    points: int
    first_place_votes: int
    second_place_votes: int
    position: int


class PollSummary(BaseModel):
    results: list[PollResult]
    winner_nomination_id: uuid.UUID | None
    tie: bool = Field(description="The top is tied on points and first-place votes.")
    tied_nomination_ids: list[uuid.UUID]
    tie_break: Literal["first_place_votes", "earliest_nomination"] | None = Field(
        description="What decided the winner when points alone did not."
    )
    voter_count: int
    final: bool = Field(description="The poll is closed and the winner recorded.")
    overridden: bool = Field(description="An organiser replaced the tallied winner.")


class RatingDetail(BaseModel):
    id: uuid.UUID
    member: MemberSummary
    value: float
    favorite_track: str | None
    review: str | None = Field(description="Null when there is none or it was hidden.")
    review_hidden: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


class RatingsSummary(BaseModel):
    average: float | None = Field(description="Rounded half-up to 2 decimals.")
    median: float | None
    count: int
    histogram: dict[str, int] = Field(description='Counts for "1.0", "1.5", … "5.0".')


class WeekFields(BaseModel):
    id: uuid.UUID
    label: str
    week_number: int | None
    phase: WeekPhase
    nominations_close_at: AwareDatetime | None
    poll_close_at: AwareDatetime | None
    discussion_at: AwareDatetime | None
    ratings_close_at: AwareDatetime | None
    nominations_thread_id: ThreadIdOut | None
    poll_thread_id: ThreadIdOut | None
    winner_thread_id: ThreadIdOut | None
    ratings_thread_id: ThreadIdOut | None


class WeekListItem(WeekFields):
    winner: NominationDetail | None
    rating_count: int
    rating_average: float | None


class WeekList(BaseModel):
    items: list[WeekListItem]
    total: int
    limit: int
    offset: int


class DiscordLinks(BaseModel):
    """Links to the week's Discord threads."""

    nominations: str | None
    poll: str | None
    winner: str | None
    ratings: str | None


class WeekDetail(WeekFields):
    winner: NominationDetail | None
    discord_links: DiscordLinks = Field(
        description="https://discord.com/channels/… for each thread; null while the thread "
        "is unknown or the server has no SIDETRACK_DISCORD_GUILD_ID."
    )
    winner_override_by: str | None
    winner_override_at: AwareDatetime | None
    winner_override_reason: str | None
    nominations: list[NominationDetail]
    poll: PollSummary | None = Field(description="Absent while nominations are open.")
    ratings_summary: RatingsSummary
    ratings: list[RatingDetail]


# --- statistics: the club as a whole, and one member's club life ----------------------------


class WeekRef(BaseModel):
    id: uuid.UUID
    label: str
    week_number: int | None


class TagCount(BaseModel):
    name: str
    count: int = Field(description="Weeks whose winning nomination carries this tag.")


class ClubTotals(BaseModel):
    weeks_closed: int
    nominations: int
    votes: int
    ratings: int = Field(description="Club ratings only, not members' personal ones.")
    members: int = Field(description="Members who nominated, voted or rated in the club.")


class MemberStanding(BaseModel):
    member: MemberSummary
    nominations: int
    wins: int = Field(description="Weeks won by the member's nomination.")
    ratings_given: int
    average_given: float | None = Field(description="Rounded half-up to 2 decimals.")


class HallOfFameEntry(BaseModel):
    week: WeekRef
    nomination_id: uuid.UUID
    album: AlbumSummary
    nominator: MemberSummary
    rating_average: float = Field(description="Rounded half-up to 2 decimals.")
    rating_count: int


class ClubStats(BaseModel):
    totals: ClubTotals
    winners_by_genre: list[TagCount] = Field(
        description="Tags as the nominators gave them, ignoring case; most wins first."
    )
    winners_by_decade: list[TagCount]
    winners_by_country: list[TagCount]
    members: list[MemberStanding] = Field(description="Most nominations first.")
    hall_of_fame: list[HallOfFameEntry] = Field(
        description="The best-rated winners with at least 3 club ratings, at most 10."
    )


class MemberNomination(BaseModel):
    id: uuid.UUID
    week: WeekRef
    album: AlbumSummary
    genre: str | None
    decade: str | None
    country: str | None
    won: bool
    created_at: AwareDatetime


class MemberRating(BaseModel):
    id: uuid.UUID
    week: WeekRef
    album: AlbumSummary
    value: float
    favorite_track: str | None
    review: str | None = Field(description="Null when there is none or it was hidden.")
    review_hidden: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


class MemberClub(BaseModel):
    member: MemberSummary
    nominations_total: int
    wins: int
    ratings_given: int = Field(description="Club ratings; also the total of `ratings`.")
    average_given: float | None = Field(description="Rounded half-up to 2 decimals.")
    winning_picks_average: float | None = Field(
        description="Every club rating of the weeks the member won, pooled; half-up, 2 decimals."
    )
    winning_picks_ratings: int
    nominations: list[MemberNomination] = Field(description="Newest week first; one page.")
    ratings: list[MemberRating] = Field(description="Newest week first; one page.")
    limit: int
    offset: int


# --- the web archive's extras -----------------------------------------------------------------


class Deadline(BaseModel):
    what: str = Field(description="What happens then, e.g. 'Nominations close'.")
    at: AwareDatetime


class GalleryFilters(BaseModel):
    """The values the winners gallery can be filtered by: only those some winner carries."""

    genres: list[TagCount]
    decades: list[TagCount] = Field(description="Oldest first.")
    countries: list[TagCount]
    nominators: list[MemberSummary] = Field(description="Members with at least one win.")
