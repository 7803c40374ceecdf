"""The bot's handlers, free of discord.py: parse what members send, call the API, shape replies.

The club's rules live in the API: a refusal comes back as `ApiError` and its message is passed
on kindly. Discord itself is reached through the `Discord` protocol (threads, messages,
reactions); `sidetrack.bot.discord_app` implements it with discord.py, and the tests with
stand-ins.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from sidetrack.bot import limits, render
from sidetrack.bot.client import ApiError, ApiUnavailable, ClubClient, Member
from sidetrack.bot.forms import (
    FormError,
    NominationForm,
    NotAForm,
    RatingForm,
    parse_nomination,
    parse_rating,
    read_pitch,
)
from sidetrack.bot.render import Embed, PollMenu
from sidetrack.bot.runner import (
    Advance,
    OpenThread,
    PostRecap,
    Remind,
    ThreadKind,
    plan,
    recap_key,
    reminder_key,
    thread_id,
)
from sidetrack.bot.settings import ReminderOffsets
from sidetrack.bot.state import BotState, Pending, Source
from sidetrack.club.schemas import NominationDetail, WeekDetail

log = logging.getLogger(__name__)

SAVED = "✅"
RATED = "⭐"
WAITING = "⏳"
DOWN_NOTE = (
    "The club archive isn't answering right now, so I'm holding on to this and will save it "
    "as soon as it's back — no need to post it again."
)


@dataclass(frozen=True)
class Post:
    """A message in a thread, as the handlers need it."""

    id: int
    channel_id: int
    author_id: int
    author_name: str
    content: str
    author_is_bot: bool = False


class Discord(Protocol):
    """What the handlers do in Discord."""

    async def create_thread(self, name: str, content: str, *, embed: Embed | None = None) -> int:
        """Open a forum thread whose first message (pinned) is `content`; its id."""

    async def send(
        self, channel_id: int, content: str = "", *, embed: Embed | None = None
    ) -> int: ...

    async def send_menu(self, channel_id: int, menu: PollMenu) -> int: ...

    async def react(self, channel_id: int, message_id: int, emoji: str) -> None: ...

    async def unreact(self, channel_id: int, message_id: int, emoji: str) -> None: ...

    async def reply(self, channel_id: int, message_id: int, content: str) -> None: ...

    async def history(self, channel_id: int) -> Sequence[Post]:
        """Every message of the thread, oldest first."""


def kindly(error: ApiError) -> str:
    """An API refusal as a member should read it."""
    return limits.message(f"Sorry, that didn't work: {error.message}")


# The phase each organiser step moves a week out of.
STEP_FROM = {
    "close-nominations": "nominations",
    "close-poll": "poll",
    "open-ratings": "discussion",
    "close": "ratings",
}

PITCH_FIELD = "Why?"  # /nominate's free-text field

RULES = (
    "The poll's rules: you can't vote for your own nomination, and your first and second "
    "choices must be two different albums."
)


class ClubBot:
    def __init__(
        self,
        client: ClubClient,
        discord: Discord,
        state: BotState,
        offsets: ReminderOffsets | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.discord = discord
        self.state = state
        self.offsets = offsets or ReminderOffsets()
        self.clock = clock
        self.weeks: dict[uuid.UUID, WeekDetail] = {}

    # --- the weeks the bot runs ------------------------------------------------------------

    async def load(self) -> None:
        """Read the weeks to run from the API: the ones not closed, and those still tracked."""
        listing = await self.client.list_weeks(limit=20)
        ids = {item.id for item in listing.items if item.phase.value != "closed"}
        ids |= {uuid.UUID(week_id) for week_id in self.state.weeks}
        for week_id in ids:
            try:
                self._keep(await self.client.get_week(week_id))
            except ApiError as error:
                if error.status != 404:
                    raise
                self.state.weeks.discard(str(week_id))
        self.state.save()

    def _keep(self, week: WeekDetail) -> WeekDetail:
        self.weeks[week.id] = week
        if str(week.id) not in self.state.weeks:
            self.state.weeks.add(str(week.id))
            self.state.save()
        return week

    def _drop(self, week_id: uuid.UUID) -> None:
        self.weeks.pop(week_id, None)
        self.state.weeks.discard(str(week_id))
        self.state.save()

    def week_of_thread(self, channel_id: int) -> tuple[WeekDetail, ThreadKind] | None:
        for week in self.weeks.values():
            for kind in ThreadKind:
                if thread_id(week, kind) == channel_id:
                    return week, kind
        return None

    def current(self, *phases: str) -> WeekDetail | None:
        """The newest week the bot runs that is not closed; with `phases`, the newest in one of
        them if there is one (when weeks overlap, /rate is for the week taking ratings even if
        the next one is already taking nominations)."""
        running = [w for w in self.weeks.values() if w.phase.value != "closed"]
        in_phase = [w for w in running if w.phase.value in phases]
        return max(in_phase or running, key=lambda w: (w.week_number or 0, w.label), default=None)

    async def _current(self, *phases: str) -> WeekDetail | None:
        """`current`, reading the weeks first if the bot has not yet (just started)."""
        if not self.weeks:
            try:
                await self.load()
            except (ApiError, ApiUnavailable) as error:
                log.warning("could not read the weeks: %s", error)
        return self.current(*phases)

    # --- the schedule ----------------------------------------------------------------------

    async def tick(self) -> None:
        """Save what is pending, then do what is due for every week the bot runs."""
        try:
            await self.flush()
            if not self.weeks:
                await self.load()
            await self._route_unrouted()
            for week_id in list(self.weeks):
                try:
                    await self.run_week(await self.client.get_week(week_id))
                except ApiError as error:
                    if error.status == 404:  # deleted from the archive: stop running it
                        self._drop(week_id)
                    else:
                        log.warning("week %s: %s", week_id, error)
        except ApiUnavailable as error:
            log.warning("club API unavailable; trying again next tick: %s", error)

    async def _route_unrouted(self) -> None:
        """Read the messages that came before the weeks could be read, now that they can."""
        waiting, self.state.unrouted = self.state.unrouted, []
        for index, (message_id, channel_id, author_id, author_name, content) in enumerate(waiting):
            try:  # a message that still cannot be routed is put back by on_message
                await self.on_message(Post(message_id, channel_id, author_id, author_name, content))
            except BaseException:
                self.state.unrouted.extend(waiting[index:])
                raise
            finally:
                self.state.save()

    async def run_week(self, week: WeekDetail) -> WeekDetail:
        """Do everything due for `week` now, step by step, re-planning after each phase change."""
        self._keep(week)
        for _round in range(8):  # at most one pass per phase, and then some
            actions = plan(week, self.clock(), self.offsets, self.state.posted)
            if not actions:
                break
            advanced = False
            for action in actions:
                if isinstance(action, OpenThread):
                    week = await self.open_thread(week, action.kind)
                elif isinstance(action, Remind):
                    await self.remind(week, action)
                elif isinstance(action, PostRecap):
                    await self.post_recap(week)
                elif isinstance(action, Advance):
                    moved = await self._advance(week, action)
                    if moved is None:
                        return week
                    week, advanced = moved, True
                    break
            if not advanced:
                break
        # A closed week is done once its recap is out (or when it has nowhere to post one).
        if week.phase.value == "closed" and (
            recap_key(week.id) in self.state.posted or week.ratings_thread_id is None
        ):
            self._drop(week.id)
        return week

    async def _advance(self, week: WeekDetail, action: Advance) -> WeekDetail | None:
        try:
            return self._keep(await self.client.advance(week.id, action.step))
        except ApiError as error:
            if error.code == "wrong_phase":  # someone else moved it: carry on from there
                return self._keep(await self.client.get_week(week.id))
            key = f"{week.id}:refused:{action.step}"
            if key not in self.state.posted and week.nominations_thread_id:
                await self.discord.send(
                    thread_id(week, ThreadKind.NOMINATIONS) or 0,
                    limits.message(
                        f"I couldn't move the week on at its deadline: {error.message}. "
                        "An organiser can do it with `/week`."
                    ),
                )
                self.state.mark(key)
            log.warning("week %s: %s refused: %s", week.id, action.step, error)
            return None

    async def open_thread(self, week: WeekDetail, kind: ThreadKind) -> WeekDetail:
        if kind is ThreadKind.NOMINATIONS:
            channel = await self.discord.create_thread(
                render.thread_title(week, "NOMINATIONS"), render.nominations_post(week)
            )
        elif kind is ThreadKind.POLL:
            nominations = await self.client.list_nominations(week.id)
            posts = render.poll_posts(week, nominations)
            channel = await self.discord.create_thread(render.thread_title(week, "POLL"), posts[0])
            # Each message once: if the bot stopped before the thread's id was saved, the
            # thread is found again and what it already holds is not posted twice.
            for number, more in enumerate(posts[1:], start=1):
                key = f"{week.id}:poll:post:{number}"
                if key not in self.state.posted:
                    await self.discord.send(channel, more)
                    self.state.mark(key)
            for menu in render.poll_menus(week, nominations):
                key = f"{week.id}:poll:menu:{menu.page}"
                if key not in self.state.posted:
                    await self.discord.send_menu(channel, menu)
                    self.state.mark(key)
        elif kind is ThreadKind.WINNER:
            poll = await self.client.poll_summary(week.id)
            if week.winner is None:
                channel = await self.discord.create_thread(
                    render.thread_title(week, "NO WINNER"), "The poll closed without a winner."
                )
            else:
                embed = render.winner_embed(week, week.winner, poll)
                channel = await self.discord.create_thread(
                    render.thread_title(week, "WINNER", week.winner.album),
                    limits.message(
                        f"**{week.label}: the winner is {render.album_name(week.winner.album)}!**"
                    ),
                    embed=embed,
                )
        else:
            channel = await self.discord.create_thread(
                render.thread_title(week, "RATINGS", week.winner.album if week.winner else None),
                render.ratings_post(week, week.winner),
            )
        return self._keep(
            await self.client.update_week(week.id, **{f"{kind.value}_thread_id": channel})
        )

    async def remind(self, week: WeekDetail, action: Remind) -> None:
        channel = thread_id(week, action.thread)
        if channel is None:
            return
        await self.discord.send(channel, render.reminder(action.kind, action.deadline))
        self.state.mark(reminder_key(week.id, action.kind))

    async def post_recap(self, week: WeekDetail) -> None:
        channel = week.ratings_thread_id
        if channel is None:
            return
        summary = await self.client.ratings_summary(week.id)
        ratings = await self.client.list_ratings(week.id)
        for number, text in enumerate(render.recap_posts(week, week.winner, summary, ratings)):
            key = f"{recap_key(week.id)}:{number}"
            if key not in self.state.posted:  # each part once, even if stopped half-way
                await self.discord.send(channel, text)
                self.state.mark(key)
        self.state.mark(recap_key(week.id))

    # --- organisers' commands --------------------------------------------------------------

    async def start_week(
        self,
        label: str,
        week_number: int | None,
        nominations_close_at: datetime,
        poll_close_at: datetime,
        discussion_at: datetime,
        ratings_close_at: datetime,
    ) -> str:
        try:
            week = await self.client.create_week(
                label,
                week_number=week_number,
                nominations_close_at=nominations_close_at,
                poll_close_at=poll_close_at,
                discussion_at=discussion_at,
                ratings_close_at=ratings_close_at,
            )
            week = await self.run_week(week)
        except ApiError as error:
            return kindly(error)
        except ApiUnavailable:
            return "The club archive isn't answering; nothing was created. Try again shortly."
        where = f" in <#{week.nominations_thread_id}>" if week.nominations_thread_id else ""
        return f"**{week.label}** is open for nominations{where}."

    async def step(
        self, step: Literal["close-nominations", "close-poll", "open-ratings", "close"]
    ) -> str:
        week = await self._current(STEP_FROM[step])
        if week is None:
            return "No week is running. Start one with `/week start`."
        try:
            moved = self._keep(await self.client.advance(week.id, step))
            moved = await self.run_week(moved)
        except ApiError as error:
            return kindly(error)
        except ApiUnavailable:
            return "The club archive isn't answering; nothing changed. Try again shortly."
        return f"**{moved.label}** is now in **{moved.phase.value}**."

    async def summary(self) -> str:
        week = await self._current()
        if week is None:
            return "No week is running."
        try:
            week = self._keep(await self.client.get_week(week.id))
        except (ApiError, ApiUnavailable) as error:
            return f"I couldn't read the week: {error}"
        return render.week_summary(week, len(week.nominations), week.poll)

    async def resync(self) -> str:
        """Re-read the threads of every running week and save every form in them; nothing
        changes if all is in."""
        if await self._current() is None:
            return "No week is running."
        running = [w for w in self.weeks.values() if w.phase.value != "closed"]
        lines = []
        try:
            for week in sorted(running, key=lambda w: (w.week_number or 0, w.label)):
                counts = {"saved": 0, "unchanged": 0, "refused": 0}
                week = self._keep(await self.client.get_week(week.id))
                if week.nominations_thread_id and week.phase.value == "nominations":
                    await self._resync_thread(
                        week, week.nominations_thread_id, "nomination", counts
                    )
                if week.ratings_thread_id and week.phase.value in ("discussion", "ratings"):
                    await self._resync_thread(week, week.ratings_thread_id, "rating", counts)
                lines.append(
                    f"Resync of **{week.label}**: {counts['saved']} saved, "
                    f"{counts['unchanged']} already in, {counts['refused']} refused."
                )
            await self.flush()
        except ApiUnavailable:
            return "The club archive isn't answering; try the resync again shortly."
        except ApiError as error:
            return kindly(error)
        return limits.message("\n".join(lines))

    async def _resync_thread(
        self,
        week: WeekDetail,
        channel: int,
        kind: Literal["nomination", "rating"],
        counts: dict[str, int],
    ) -> None:
        latest: dict[int, tuple[Post, NominationForm | RatingForm]] = {}
        for post in await self.discord.history(channel):
            if post.author_is_bot:
                continue
            try:
                form = (
                    parse_nomination(post.content)
                    if kind == "nomination"
                    else parse_rating(post.content)
                )
            except FormError:
                continue
            latest[post.author_id] = (post, form)
        existing_nominations = {n.id: n for n in week.nominations}
        existing_ratings = {r.id: r for r in week.ratings}
        for post, form in latest.values():
            source = self.state.source(post.id)
            if source is not None and source.week_id == str(week.id):
                record = uuid.UUID(source.record_id)
                if (
                    isinstance(form, NominationForm)
                    and record in existing_nominations
                    and _same_nomination(existing_nominations[record], form)
                ):
                    counts["unchanged"] += 1
                    continue
                if isinstance(form, RatingForm) and record in existing_ratings:
                    rating = existing_ratings[record]
                    if (rating.value, rating.favorite_track, rating.review) == (
                        form.value,
                        form.favorite_track,
                        form.review,
                    ):
                        counts["unchanged"] += 1
                        continue
            ok = await self._save_post(week, post, form)
            counts["saved" if ok else "refused"] += 1

    # --- members' posts --------------------------------------------------------------------

    async def on_message(self, post: Post) -> None:
        """A new or edited message: a form in the week's nominations or ratings thread."""
        if post.author_is_bot:
            return
        if not self.weeks:  # just started: read the weeks before the first tick does
            try:
                await self.load()
            except ApiUnavailable:
                # Which week is this for? Keep the message until the API can tell.
                self.state.unrouted = [m for m in self.state.unrouted if m[0] != post.id]
                self.state.unrouted.append(
                    [post.id, post.channel_id, post.author_id, post.author_name, post.content]
                )
                self.state.save()
                return
        found = self.week_of_thread(post.channel_id)
        if found is None:
            return
        week, kind = found
        try:
            form: NominationForm | RatingForm
            if kind is ThreadKind.NOMINATIONS:
                form = parse_nomination(post.content)
            elif kind is ThreadKind.RATINGS:
                form = parse_rating(post.content)
            else:
                return
        except NotAForm:
            return
        except FormError as error:
            await self.discord.reply(post.channel_id, post.id, limits.message(str(error)))
            return
        await self._save_post(week, post, form)

    async def on_message_delete(self, channel_id: int, message_id: int) -> None:
        """A deleted nomination message withdraws the nomination it made (if still its latest).

        What a deleted message said that the API has not saved yet (it was down) is dropped:
        it is never sent."""
        self._drop_unsaved(message_id)
        source = self.state.source(message_id)
        if source is None or source.kind != "nomination":
            return
        current = self.state.current_source(source)
        self.state.forget(message_id)
        if not current:
            return
        member = Member(source.discord_id, str(source.discord_id))
        item = Pending(
            "withdraw",
            source.week_id,
            member.discord_id,
            member.display_name,
            channel_id=channel_id,
            nomination_id=source.record_id,
        )
        await self._try(item)

    def _drop_unsaved(self, message_id: int) -> None:
        unsaved = [p for p in self.state.pending if p.message_id == message_id]
        unrouted = [m for m in self.state.unrouted if m[0] == message_id]
        if unsaved or unrouted:
            self.state.pending = [p for p in self.state.pending if p.message_id != message_id]
            self.state.unrouted = [m for m in self.state.unrouted if m[0] != message_id]
            self.state.save()

    async def _save_post(
        self, week: WeekDetail, post: Post, form: NominationForm | RatingForm
    ) -> bool:
        kind: Literal["nomination", "rating"] = (
            "nomination" if isinstance(form, NominationForm) else "rating"
        )
        item = Pending(
            kind,
            str(week.id),
            post.author_id,
            post.author_name,
            channel_id=post.channel_id,
            message_id=post.id,
            form=asdict(form),
        )
        return await self._try(item)

    async def _try(self, item: Pending) -> bool:
        """Save `item` now; if the API is down keep it for later. True when saved."""
        try:
            await self._save(item)
        except ApiUnavailable:
            first = all(p.slot != item.slot for p in self.state.pending)
            self.state.queue(item)
            if item.channel_id is not None and item.message_id is not None:
                await self.discord.react(item.channel_id, item.message_id, WAITING)
                if first:
                    await self.discord.reply(item.channel_id, item.message_id, DOWN_NOTE)
            return False
        except ApiError as error:
            self.state.unqueue(item.slot)
            if item.channel_id is not None and item.message_id is not None:
                await self.discord.reply(item.channel_id, item.message_id, kindly(error))
            return False
        return True

    async def _save(self, item: Pending) -> str:
        """Send one member post to the API; react on its message. The reply text for them."""
        week_id = uuid.UUID(item.week_id)
        member = Member(item.discord_id, item.display_name)
        text: str
        if item.kind == "withdraw":
            assert item.nomination_id is not None
            try:
                await self.client.withdraw_nomination(
                    week_id, uuid.UUID(item.nomination_id), member.discord_id
                )
            except ApiError as error:
                if error.code != "invalid" or "not one of this week" not in error.message:
                    raise
            text = "Your nomination is withdrawn."
        elif item.kind == "nomination":
            form = NominationForm(**item.form)
            nomination, _created = await self.client.submit_nomination(week_id, member, form)
            if item.message_id is not None:
                self.state.remember(
                    item.message_id,
                    Source("nomination", item.week_id, member.discord_id, str(nomination.id)),
                )
            text = f"{SAVED} Nominated **{render.album_name(nomination.album)}**."
        elif item.kind == "rating":
            rating_form = RatingForm(**item.form)
            rating, _created = await self.client.submit_rating(week_id, member, rating_form)
            if item.message_id is not None:
                self.state.remember(
                    item.message_id,
                    Source("rating", item.week_id, member.discord_id, str(rating.id)),
                )
            text = f"{RATED} Rated **{rating.value:g}**."
        else:
            rank: Literal[1, 2] = 1 if item.form["rank"] == 1 else 2
            await self.client.cast_vote(
                week_id, member, uuid.UUID(item.form["nomination_id"]), rank
            )
            text = "Vote saved."
        self.state.unqueue(item.slot)
        if item.channel_id is not None and item.message_id is not None:
            await self.discord.unreact(item.channel_id, item.message_id, WAITING)
            if item.kind in ("nomination", "rating"):
                await self.discord.react(
                    item.channel_id, item.message_id, SAVED if item.kind == "nomination" else RATED
                )
        return text

    async def flush(self) -> int:
        """Save what members posted while the API was down, oldest first. How many were saved."""
        saved = 0
        for item in list(self.state.pending):
            try:
                await self._save(item)
            except ApiUnavailable:
                break
            except ApiError as error:
                if item.channel_id is not None and item.message_id is not None:
                    await self.discord.unreact(item.channel_id, item.message_id, WAITING)
                    await self.discord.reply(item.channel_id, item.message_id, kindly(error))
            self.state.done(item)
            saved += 1
        return saved

    # --- slash commands and components ------------------------------------------------------

    async def nominate(self, member: Member, text_fields: dict[str, str]) -> str:
        """/nominate's modal: the same fields as the mini-form, read by the same parser; the
        pitch (`PITCH_FIELD`) is the member's own text, taken as it is, so a line of it such as
        "Track 3: …" is not read as another field."""
        week = await self._current("nominations")
        if week is None:
            return "No week is running."
        text = "\n".join(
            f"{label}: {value}"
            for label, value in text_fields.items()
            if value.strip() and label != PITCH_FIELD
        )
        try:
            form = parse_nomination(text)
            pitch = read_pitch(text_fields.get(PITCH_FIELD, ""))
        except FormError as error:
            return (
                str(error)
                if not isinstance(error, NotAForm)
                else "Please fill in the album and the artist."
            )
        form = replace(form, pitch=pitch)
        return await self._interactive(
            Pending(
                "nomination",
                str(week.id),
                member.discord_id,
                member.display_name,
                form=asdict(form),
            )
        )

    async def rate(
        self, member: Member, text: str, favorite_track: str = "", review: str = ""
    ) -> str:
        week = await self._current("discussion", "ratings")
        if week is None:
            return "No week is running."
        body = f"Rating: {text}"
        if favorite_track.strip():
            body += f"\nFavourite track: {favorite_track}"
        if review.strip():
            body += f"\nReview: {review}"
        try:
            form = parse_rating(body)
        except FormError as error:
            return str(error)
        return await self._interactive(
            Pending(
                "rating", str(week.id), member.discord_id, member.display_name, form=asdict(form)
            )
        )

    async def vote(self, member: Member, week_id: str, rank: int, nomination_id: str) -> str:
        """A choice in the poll's select menus; the answer is shown only to the member."""
        item = Pending(
            "vote",
            week_id,
            member.discord_id,
            member.display_name,
            form={"rank": rank, "nomination_id": nomination_id},
        )
        try:
            await self._save(item)
        except ApiUnavailable:
            self.state.queue(item)
            return "The club archive isn't answering; I'll save your vote as soon as it's back."
        except ApiError as error:
            hint = RULES
            if _field(error, "nomination_id").startswith("already your choice"):
                other = "second" if rank == 1 else "first"
                hint = (
                    f"That album is already your {other} choice. To swap your two choices, "
                    f"first pick another album as your {other} choice, then come back."
                )
            return limits.message(f"{kindly(error)}\n{hint}")
        week = self.weeks.get(uuid.UUID(week_id))
        name = next(
            (
                render.album_name(n.album)
                for n in (week.nominations if week else [])
                if str(n.id) == nomination_id
            ),
            "that album",
        )
        which = "first" if rank == 1 else "second"
        return limits.message(
            f"Your {which} choice is **{name}**. You can change it until the poll closes."
        )

    async def _interactive(self, item: Pending) -> str:
        try:
            return await self._save(item)
        except ApiUnavailable:
            self.state.queue(item)
            return DOWN_NOTE
        except ApiError as error:
            return kindly(error)


def _field(error: ApiError, name: str) -> str:
    """What the API said about one field, under `details.fields` (or directly in `details`)."""
    fields = error.details.get("fields")
    where = fields if isinstance(fields, dict) else error.details
    return str(where.get(name, ""))


def _same_nomination(existing: NominationDetail, form: NominationForm) -> bool:
    from sidetrack.bot.forms import normalize_decade

    def fold(value: str | None) -> str:
        return " ".join((value or "").split()).casefold()

    return (
        fold(existing.album.title) == fold(form.album_title)
        and fold(existing.album.artist_name) == fold(form.artist_name)
        and existing.pitch == form.pitch
        and existing.pitch_track_url == form.pitch_track_url
        and fold(existing.genre) == fold(form.genre)
        and (existing.decade or None) == (normalize_decade(form.decade) if form.decade else None)
        and fold(existing.country) == fold(form.country)
    )
