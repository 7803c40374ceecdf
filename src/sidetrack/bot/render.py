"""What the bot posts, shaped from the API's answers and kept inside Discord's limits.

Plain data (`Embed`, `PollMenu`) that the discord.py layer turns into Discord objects, so the
words and numbers can be tested without Discord.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sidetrack.bot import limits
from sidetrack.bot.forms import NOMINATION_TEMPLATE, RATING_TEMPLATE
from sidetrack.club.schemas import (
    AlbumSummary,
    NominationDetail,
    PollSummary,
    RatingDetail,
    RatingsSummary,
    WeekFields,
)

HALF_STEPS = [f"{step / 2:.1f}" for step in range(2, 11)]


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Embed:
    title: str
    description: str = ""
    url: str | None = None
    image_url: str | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: str | None = None

    def __post_init__(self) -> None:
        # Cut to Discord's limits here, so whatever builds an embed cannot break them: each
        # part to its own limit, then fields and description to what is left of the 6,000.
        title = limits.truncate(self.title, limits.EMBED_TITLE_MAX)
        footer = limits.truncate(self.footer, limits.EMBED_FOOTER_MAX) if self.footer else None
        budget = limits.EMBED_TOTAL_MAX - len(title) - len(footer or "")
        fields: list[EmbedField] = []
        for f in self.fields[: limits.EMBED_FIELDS_MAX]:
            name = limits.truncate(f.name or "—", limits.EMBED_FIELD_NAME_MAX)
            value = limits.truncate(f.value or "—", limits.EMBED_FIELD_VALUE_MAX)
            room = budget - len(name)
            if room < 1:
                break
            value = limits.truncate(value, room)
            fields.append(EmbedField(name, value, f.inline))
            budget -= len(name) + len(value)
        description = limits.truncate(self.description, limits.EMBED_DESCRIPTION_MAX)
        description = limits.truncate(description, budget) if budget >= 1 else ""
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "footer", footer)
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "description", description)

    def size_without_description(self) -> int:
        return (
            len(self.title)
            + sum(len(f.name) + len(f.value) for f in self.fields)
            + len(self.footer or "")
        )

    def size(self) -> int:
        return self.size_without_description() + len(self.description)


@dataclass(frozen=True)
class MenuOption:
    label: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class PollMenu:
    """One message of the poll: a first-choice and a second-choice select over ≤ 25 nominees."""

    week_id: str
    page: int
    pages: int
    options: tuple[MenuOption, ...] = field(default_factory=tuple)

    def custom_id(self, rank: int) -> str:
        return f"sidetrack:vote:{self.week_id}:{rank}:{self.page}"

    def placeholder(self, rank: int) -> str:
        which = "First choice (2 points)" if rank == 1 else "Second choice (1 point)"
        if self.pages > 1:
            which += f" — {self.page + 1}/{self.pages}"
        return limits.truncate(which, limits.PLACEHOLDER_MAX)


def ts(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each member sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def album_name(album: AlbumSummary) -> str:
    year = f" ({album.release_year})" if album.release_year else ""
    return f"{album.title} — {album.artist_name}{year}"


def album_link(album: AlbumSummary) -> str | None:
    if album.spotify_id:
        return f"https://open.spotify.com/album/{album.spotify_id}"
    if album.musicbrainz_id:
        return f"https://musicbrainz.org/release-group/{album.musicbrainz_id}"
    return None


def nomination_link(nomination: NominationDetail) -> str | None:
    return album_link(nomination.album) or nomination.pitch_track_url


def thread_title(week: WeekFields, what: str, album: AlbumSummary | None = None) -> str:
    """`WEEK 003 [2025-11-24] - WINNER - Album — Artist (Year)`, at most 100 characters."""
    name = f"{week.label} - {what}"
    if album is not None:
        name += f" - {album_name(album)}"
    return limits.thread_name(name)


# --- threads' opening posts ---------------------------------------------------------------------


def nominations_post(week: WeekFields) -> str:
    close = (
        f"Nominations close {ts(week.nominations_close_at)}.\n" if week.nominations_close_at else ""
    )
    return limits.message(
        f"**{week.label}: nominations are open!**\n{close}"
        "Post your pick as a message in this thread with the form below (copy it and fill it "
        "in), or use `/nominate`. Edit your message to change it; delete it to withdraw.\n\n"
        f"{NOMINATION_TEMPLATE}"
    )


def poll_posts(week: WeekFields, nominations: list[NominationDetail]) -> list[str]:
    """The nominees with their links, as messages of at most 2,000 characters."""
    lines = [f"**{week.label}: the poll is open!**"]
    if week.poll_close_at:
        lines.append(f"It closes {ts(week.poll_close_at)}.")
    lines.append(
        "Pick a **first choice** (2 points) and a **second choice** (1 point) in the menus "
        "below; you can change them until the poll closes. You can't vote for your own "
        "nomination, nor give both choices to one album.\n"
    )
    for number, nomination in enumerate(nominations, start=1):
        link = nomination_link(nomination)
        name = album_name(nomination.album)
        shown = f"[{name}](<{link}>)" if link else name
        lines.append(f"{number}. {shown} — nominated by {nomination.nominator.display_name}")
    return limits.split_message("\n".join(lines))


def poll_menus(week: WeekFields, nominations: list[NominationDetail]) -> list[PollMenu]:
    pages = limits.chunk(nominations, limits.SELECT_OPTIONS_MAX)
    start = 0
    menus = []
    for page, group in enumerate(pages):
        options = tuple(
            MenuOption(
                label=limits.truncate(
                    f"{start + i + 1}. {album_name(n.album)}", limits.SELECT_OPTION_TEXT_MAX
                ),
                value=str(n.id),
                description=limits.truncate(
                    f"nominated by {n.nominator.display_name}", limits.SELECT_OPTION_TEXT_MAX
                ),
            )
            for i, n in enumerate(group)
        )
        start += len(group)
        menus.append(PollMenu(str(week.id), page, len(pages), options))
    return menus


def _points(points: int) -> str:
    return f"{points} point" + ("" if points == 1 else "s")


def winner_embed(week: WeekFields, winner: NominationDetail, poll: PollSummary) -> Embed:
    """The winner, the top three with points, the tie-break when there was one, when we talk."""
    top = [
        f"**{row.position}.** {album_name(row.album)} — {_points(row.points)} "
        f"({row.first_place_votes} first, {row.second_place_votes} second)"
        for row in poll.results[:3]
    ]
    fields = [EmbedField("Top three", "\n".join(top) or "No votes were cast.")]
    if poll.tie_break == "earliest_nomination":
        names = [
            album_name(row.album)
            for row in poll.results
            if row.nomination_id in poll.tied_nomination_ids
        ]
        fields.append(
            EmbedField(
                "Tie-break",
                f"{' and '.join(names)} were level on points and first choices; "
                "the one nominated first wins.",
            )
        )
    elif poll.tie_break == "first_place_votes":
        fields.append(
            EmbedField("Tie-break", "Level on points at the top: decided by first choices.")
        )
    if poll.overridden:
        fields.append(EmbedField("Note", "An organiser chose this winner."))
    if week.discussion_at is not None:
        fields.append(
            EmbedField("Discussion", f"{ts(week.discussion_at)} ({ts(week.discussion_at, 'R')})")
        )
    description = f"Nominated by **{winner.nominator.display_name}**"
    if winner.pitch:
        description += f"\n> {limits.truncate(' '.join(winner.pitch.split()), 400)}"
    if winner.pitch_track_url:
        description += f"\nStart with: <{winner.pitch_track_url}>"
    voters = f"{poll.voter_count} member" + ("" if poll.voter_count == 1 else "s")
    return Embed(
        title=album_name(winner.album),
        description=description,
        url=album_link(winner.album),
        image_url=winner.album.cover_url,
        fields=tuple(fields),
        footer=f"{week.label} · {voters} voted",
    )


def ratings_post(week: WeekFields, winner: NominationDetail | None) -> str:
    what = f" **{album_name(winner.album)}**" if winner else ""
    close = f"Ratings close {ts(week.ratings_close_at)}.\n" if week.ratings_close_at else ""
    return limits.message(
        f"**{week.label}: rate{what}!**\n{close}"
        "Post a message here (1 to 5 in half steps; a favourite track and a review if you "
        "like), or use `/rate`. Edit it to change your rating.\n\n"
        f"{RATING_TEMPLATE}"
    )


def histogram(summary: RatingsSummary) -> str:
    width = max(summary.histogram.values(), default=0)
    lines = []
    for step in HALF_STEPS:
        count = summary.histogram.get(step, 0)
        bar = "█" * round(10 * count / width) if width else ""
        lines.append(f"{step} {bar:<10} {count}")
    return "```\n" + "\n".join(lines) + "\n```"


def recap_posts(
    week: WeekFields,
    winner: NominationDetail | None,
    summary: RatingsSummary,
    ratings: list[RatingDetail],
    excerpts: int = 3,
) -> list[str]:
    what = album_name(winner.album) if winner else "the winner"
    if summary.count == 0:
        return [limits.message(f"**{week.label} is closed.** Nobody rated {what}.")]
    average = f"{summary.average:.2f}" if summary.average is not None else "—"
    count = f"{summary.count} rating" + ("" if summary.count == 1 else "s")
    lines = [
        f"**{week.label} is closed.** {what}: **{average}** average from {count}.",
        histogram(summary),
    ]
    reviews = [r for r in ratings if r.review][:excerpts]
    for rating in reviews:
        text = limits.truncate(" ".join((rating.review or "").split()), 280)
        lines.append(f"> {text}\n— {rating.member.display_name} ({rating.value:g})")
    return limits.split_message("\n".join(lines))


REMINDERS = {
    "nominations": "⏰ Nominations close {R}. Post your pick in this thread or use `/nominate`.",
    "poll": "⏰ The poll closes {R}: pick your first and second choices above.",
    "discussion": "⏰ The discussion starts {R} — time for a last listen!",
    "ratings": "⭐ Ratings close {R}. Post yours here or use `/rate`.",
}


def reminder(kind: str, deadline: datetime) -> str:
    return limits.message(REMINDERS[kind].format(R=ts(deadline, "R")))


def week_summary(week: WeekFields, nominations: int, poll: PollSummary | None) -> str:
    lines = [f"**{week.label}** — phase **{week.phase.value}**, {nominations} nominations."]
    for label, moment in (
        ("Nominations close", week.nominations_close_at),
        ("Poll closes", week.poll_close_at),
        ("Discussion", week.discussion_at),
        ("Ratings close", week.ratings_close_at),
    ):
        if moment is not None:
            lines.append(f"{label}: {ts(moment)}")
    if poll is not None and poll.results:
        lines.append(f"Poll ({poll.voter_count} voters):")
        for row in poll.results[:5]:
            lines.append(f"{row.position}. {album_name(row.album)} — {_points(row.points)}")
    return limits.message("\n".join(lines))
