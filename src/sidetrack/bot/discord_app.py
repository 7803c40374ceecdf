"""The discord.py layer: slash commands, the /nominate modal, the poll's select menus and the
thread listeners, each a thin handler over `ClubBot`; and `DiscordGateway`, the `Discord`
protocol done with discord.py. `run(settings)` is what `sidetrack bot` calls.
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import tasks

from sidetrack.bot import limits
from sidetrack.bot.client import ClubClient, Member
from sidetrack.bot.core import PITCH_FIELD, ClubBot, Post
from sidetrack.bot.render import Embed, PollMenu
from sidetrack.bot.settings import BotSettings
from sidetrack.bot.state import BotState

log = logging.getLogger(__name__)

HELP = """\
**Sidetrack Club** — every week: nominate, vote, listen, rate.
• **Nominate**: post the form in the week's NOMINATIONS thread, or use `/nominate`.
  Edit your message to change it; delete it to withdraw.
• **Vote**: pick a first choice (2 points) and a second choice (1 point) in the POLL thread.
• **Rate**: post `4.5` (1 to 5 in half steps), a favourite track and a review in the RATINGS
  thread, or use `/rate`.
Organisers: `/week start`, `/week close-nominations`, `/week close-poll`,
`/week open-ratings`, `/week close`, `/week summary`, `/week resync`."""

WHEN_FORMAT = "YYYY-MM-DD HH:MM"
Step = Literal["close-nominations", "close-poll", "open-ratings", "close"]


def parse_when(text: str, zone: str) -> datetime:
    """'2025-11-26 20:00' (or ISO 8601 with an offset) as an aware time in `zone`."""
    text = text.strip().replace("T", " ")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' isn't a date and time: write it as {WHEN_FORMAT}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def to_embed(spec: Embed) -> discord.Embed:
    embed = discord.Embed(title=spec.title, description=spec.description or None, url=spec.url)
    if spec.image_url:
        embed.set_image(url=spec.image_url)
    for field in spec.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed


def member_of(user: discord.User | discord.Member) -> Member:
    return Member(user.id, user.display_name)


class DiscordGateway:
    """The `Discord` protocol of `sidetrack.bot.core`, done with discord.py."""

    def __init__(self, client: discord.Client, forum_channel_id: int) -> None:
        self.client = client
        self.forum_channel_id = forum_channel_id

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel

    async def create_thread(self, name: str, content: str, *, embed: Embed | None = None) -> int:
        forum = await self._channel(self.forum_channel_id)
        if not hasattr(forum, "create_thread") or not hasattr(forum, "threads"):
            raise RuntimeError(f"channel {self.forum_channel_id} is not a forum channel")
        name = limits.thread_name(name)
        # Opened already (the bot stopped before saving the id to the week): use that one.
        for thread in forum.threads:
            if thread.name == name and self.client.user and thread.owner_id == self.client.user.id:
                return int(thread.id)
        created = await forum.create_thread(
            name=name,
            content=limits.message(content),
            embed=to_embed(embed) if embed else discord.utils.MISSING,
        )
        try:
            await created.message.pin()
        except discord.HTTPException:
            log.warning("could not pin the first message of %s", name)
        return int(created.thread.id)

    async def send(self, channel_id: int, content: str = "", *, embed: Embed | None = None) -> int:
        channel = await self._channel(channel_id)
        message = await channel.send(
            content=limits.message(content) or None,
            embed=to_embed(embed) if embed else None,
        )
        return int(message.id)

    async def send_menu(self, channel_id: int, menu: PollMenu) -> int:
        channel = await self._channel(channel_id)
        view = discord.ui.View(timeout=None)
        for rank in (1, 2):
            view.add_item(VoteSelect(menu.week_id, rank, menu.page, menu))
        message = await channel.send(view=view)
        return int(message.id)

    async def _partial(self, channel_id: int, message_id: int) -> discord.PartialMessage:
        channel = await self._channel(channel_id)
        partial: discord.PartialMessage = channel.get_partial_message(message_id)
        return partial

    async def react(self, channel_id: int, message_id: int, emoji: str) -> None:
        with contextlib.suppress(discord.NotFound):  # the message is gone: nothing to do
            await (await self._partial(channel_id, message_id)).add_reaction(emoji)

    async def unreact(self, channel_id: int, message_id: int, emoji: str) -> None:
        if self.client.user is None:
            return
        with contextlib.suppress(discord.NotFound):
            await (await self._partial(channel_id, message_id)).remove_reaction(
                emoji, self.client.user
            )

    async def reply(self, channel_id: int, message_id: int, content: str) -> None:
        partial = await self._partial(channel_id, message_id)
        try:
            await partial.reply(limits.message(content), mention_author=False)
        except discord.HTTPException:  # the message was deleted meanwhile: say it plainly
            await self.send(channel_id, content)

    async def history(self, channel_id: int) -> Sequence[Post]:
        channel = await self._channel(channel_id)
        return [
            post_of(message) async for message in channel.history(limit=None, oldest_first=True)
        ]


def post_of(message: discord.Message) -> Post:
    return Post(
        id=message.id,
        channel_id=message.channel.id,
        author_id=message.author.id,
        author_name=message.author.display_name,
        content=message.content,
        author_is_bot=message.author.bot,
    )


class VoteSelect(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"sidetrack:vote:(?P<week>[0-9a-f-]{36}):(?P<rank>[12]):(?P<page>\d{1,3})",
):
    """A poll menu: its week, rank and page live in its custom id, so it works after a restart."""

    bot: ClubBot | None = None  # set at start-up

    def __init__(self, week_id: str, rank: int, page: int, menu: PollMenu | None = None) -> None:
        options = [
            discord.SelectOption(label=o.label, value=o.value, description=o.description or None)
            for o in (menu.options if menu else ())
        ] or [discord.SelectOption(label="…", value="none")]
        placeholder = menu.placeholder(rank) if menu else None
        super().__init__(
            discord.ui.Select(
                custom_id=f"sidetrack:vote:{week_id}:{rank}:{page}",
                placeholder=placeholder,
                options=options,
                min_values=1,
                max_values=1,
            )
        )
        self.week_id = week_id
        self.rank = rank
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> "VoteSelect":
        return cls(match["week"], int(match["rank"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        assert self.bot is not None
        data = cast(dict[str, Any], interaction.data or {})
        values = self.item.values or data.get("values") or []
        if not values:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reply = await self.bot.vote(
                member_of(interaction.user), self.week_id, self.rank, str(values[0])
            )
        except Exception:
            log.exception("a vote failed")
            await answer_failure(interaction)
            return
        await interaction.followup.send(reply, ephemeral=True)


class NominateModal(discord.ui.Modal, title="Nominate an album"):
    album: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Album — Artist (Year)", placeholder="Homogenic — Björk (1997)", max_length=600
    )
    pitch: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Why?", style=discord.TextStyle.paragraph, required=False, max_length=4000
    )
    track: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Pitch track (choose one)", placeholder="https://…", required=False, max_length=500
    )
    tags: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Tags (Genre / Decade / Country)",
        placeholder="Art Pop / 90s / Iceland",
        required=False,
        max_length=200,
    )

    def __init__(self, bot: ClubBot) -> None:
        super().__init__()
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.bot.nominate(
            member_of(interaction.user),
            {
                "Album — Artist (Year)": self.album.value,
                PITCH_FIELD: self.pitch.value,
                "Pitch track (choose one)": self.track.value,
                "Tags (Genre / Decade / Country)": self.tags.value,
            },
        )
        await interaction.followup.send(reply, ephemeral=True)

    async def on_error(  # type: ignore[override]  # a Modal's takes no item (discord.py)
        self, interaction: discord.Interaction[discord.Client], error: Exception, /
    ) -> None:
        log.error("/nominate's form failed", exc_info=error)
        await answer_failure(interaction)


class SidetrackBot(discord.Client):
    def __init__(self, settings: BotSettings, club_client: ClubClient | None = None) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True  # privileged: read the forms members post
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.club_client = club_client or ClubClient(
            settings.api_url, settings.api_token.get_secret_value()
        )
        self.core = ClubBot(
            self.club_client,
            DiscordGateway(self, settings.forum_channel_id),
            BotState.load(settings.state_file),
            offsets=settings.offsets(),
        )
        self.ticker = tasks.loop(seconds=settings.tick_seconds)(self._tick)
        add_commands(self.tree, self.core, settings)

    async def setup_hook(self) -> None:
        VoteSelect.bot = self.core
        self.add_dynamic_items(VoteSelect)
        guild = discord.Object(id=self.settings.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        log.info("connected as %s", self.user)
        if not self.ticker.is_running():
            self.ticker.start()

    async def _tick(self) -> None:
        # An exception would stop the loop for good: log it, and try again next tick.
        try:
            await self.core.tick()
        except Exception:
            log.exception("the schedule's tick failed; trying again next tick")

    async def close(self) -> None:
        self.ticker.cancel()
        await self.club_client.aclose()
        await super().close()

    def _ours(self, guild_id: int | None) -> bool:
        return guild_id == self.settings.guild_id

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not self._ours(message.guild.id) or message.author.bot:
            return
        if isinstance(message.channel, discord.Thread):
            await self.core.on_message(post_of(message))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if not self._ours(payload.guild_id) or not is_content_edit(payload):
            return
        message = payload.message
        if message.author.bot:
            return
        await self.core.on_message(post_of(message))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self._ours(payload.guild_id):
            await self.core.on_message_delete(payload.channel_id, payload.message_id)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self._ours(payload.guild_id):
            for message_id in sorted(payload.message_ids):
                await self.core.on_message_delete(payload.channel_id, message_id)


def is_content_edit(payload: discord.RawMessageUpdateEvent) -> bool:
    """Whether the member changed the text: Discord also sends message updates when it adds a
    link's preview or the message is pinned, and those must not read the form again (a bad
    form would get its reply twice)."""
    if "content" not in payload.data:
        return False
    before = payload.cached_message
    if before is not None:
        return before.content != payload.message.content
    # Not in the cache (sent before a restart): only an edit by its author sets edited_at.
    return payload.message.edited_at is not None


class WeekGroup(app_commands.Group):
    """/week …: only members with the organiser role may use it."""

    def __init__(self, organiser_role_id: int) -> None:
        super().__init__(name="week", description="Run the week (organisers).")
        self.organiser_role_id = organiser_role_id

    def is_organiser(self, user: discord.User | discord.Member) -> bool:
        # A discord.User (in a DM) has no roles; a discord.Member has them.
        roles = getattr(user, "roles", [])
        return any(role.id == self.organiser_role_id for role in roles)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if self.is_organiser(interaction.user):
            return True
        await interaction.response.send_message("Only organisers can run the week.", ephemeral=True)
        return False


def add_commands(tree: app_commands.CommandTree[Any], core: ClubBot, settings: BotSettings) -> None:
    """/ping, /help, /nominate, /rate, and the organisers' /week group."""

    @tree.command(description="Is the bot awake?")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("Pong!", ephemeral=True)

    @tree.command(name="help", description="How the club works here.")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(HELP, ephemeral=True)

    @tree.command(description="Nominate an album for this week.")
    async def nominate(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(NominateModal(core))

    @tree.command(description="Rate this week's album (1 to 5 in half steps).")
    @app_commands.describe(
        rating="1 to 5 in half steps: 4, 4.5, ★★★★½",
        favourite_track="Your favourite track",
        review="A few words",
    )
    async def rate(
        interaction: discord.Interaction[Any],
        rating: str,
        favourite_track: str = "",
        review: str = "",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await core.rate(member_of(interaction.user), rating, favourite_track, review)
        await interaction.followup.send(reply, ephemeral=True)

    week = WeekGroup(settings.organiser_role_id)

    @week.command(name="start", description="Open a new week for nominations.")
    @app_commands.describe(
        week_number="The week's number, e.g. 3",
        nominations_close=f"When nominations close ({WHEN_FORMAT})",
        poll_close=f"When the poll closes ({WHEN_FORMAT})",
        discussion=f"When the discussion starts ({WHEN_FORMAT})",
        ratings_close=f"When ratings close ({WHEN_FORMAT})",
        label="The week's name (default: WEEK 003 [start date])",
    )
    async def start(
        interaction: discord.Interaction[Any],
        week_number: app_commands.Range[int, 1, 100_000],
        nominations_close: str,
        poll_close: str,
        discussion: str,
        ratings_close: str,
        label: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            times = [
                parse_when(text, settings.timezone)
                for text in (nominations_close, poll_close, discussion, ratings_close)
            ]
        except ValueError as error:
            await interaction.followup.send(str(error), ephemeral=True)
            return
        today = discord.utils.utcnow().astimezone(ZoneInfo(settings.timezone)).date()
        name = label or f"WEEK {week_number:03} [{today.isoformat()}]"
        reply = await core.start_week(name, week_number, *times)
        await interaction.followup.send(reply, ephemeral=True)

    def stepper(step: Step, text: str) -> app_commands.Command[Any, Any, Any]:
        async def run_step(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send(await core.step(step), ephemeral=True)

        return app_commands.Command(name=step, description=text, callback=run_step)

    steps: list[tuple[Step, str]] = [
        ("close-nominations", "Close nominations and open the poll."),
        ("close-poll", "Close the poll and announce the winner."),
        ("open-ratings", "Open the ratings thread."),
        ("close", "Close the week and post the ratings recap."),
    ]
    for step, text in steps:
        week.add_command(stepper(step, text))

    @week.command(name="summary", description="Where the week stands.")
    async def summary(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(await core.summary(), ephemeral=True)

    @week.command(name="resync", description="Re-read the week's threads and save what's missing.")
    async def resync(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(await core.resync(), ephemeral=True)

    tree.add_command(week)

    @tree.error
    async def on_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):  # not an organiser: already told
            return
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=error)
        await answer_failure(interaction)


def run(settings: BotSettings) -> None:
    """Connect to Discord and run the club until stopped."""
    discord.utils.setup_logging(level=logging.INFO)
    bot = SidetrackBot(settings)
    asyncio.run(_run(bot, settings.token.get_secret_value()))


FAILED = "Sorry, something went wrong on my side; an organiser can find it in the bot's log."


async def answer_failure(interaction: discord.Interaction[Any]) -> None:
    """Tell the member their command failed, instead of leaving "thinking…" for ever."""
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(FAILED, ephemeral=True)
        else:
            await interaction.response.send_message(FAILED, ephemeral=True)


async def _run(bot: SidetrackBot, token: str) -> None:
    async with bot:
        await bot.start(token)
