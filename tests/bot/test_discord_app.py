"""The discord.py layer, driven with stand-ins for interactions: commands, the organiser gate,
the /nominate modal and the poll's select menus, against the real API."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from sidetrack.bot.client import ClubClient
from sidetrack.bot.discord_app import (
    NominateModal,
    SidetrackBot,
    VoteSelect,
    WeekGroup,
    parse_when,
    to_embed,
)
from sidetrack.bot.render import Embed, EmbedField, MenuOption, PollMenu
from sidetrack.bot.settings import BotSettings
from tests.bot.fakes import FakeDiscord

pytestmark = pytest.mark.anyio

ORGANISERS = 555


class Role:
    def __init__(self, role_id: int) -> None:
        self.id = role_id


class User:
    def __init__(self, user_id: int, name: str, *roles: int) -> None:
        self.id = user_id
        self.display_name = name
        self.bot = False
        self.roles = [Role(r) for r in roles]


class Response:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bool]] = []
        self.modal: discord.ui.Modal | None = None
        self.deferred = False

    async def send_message(self, content: str, *, ephemeral: bool = False) -> None:
        self.messages.append((content, ephemeral))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self.deferred = True

    def is_done(self) -> bool:
        return self.deferred or bool(self.messages) or self.modal is not None

    async def send_modal(self, modal: discord.ui.Modal) -> None:
        self.modal = modal


class Followup:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bool]] = []

    async def send(self, content: str, *, ephemeral: bool = False) -> None:
        self.messages.append((content, ephemeral))


class Interaction:
    def __init__(self, user: User, data: dict[str, Any] | None = None) -> None:
        self.user = user
        self.data = data or {}
        self.response = Response()
        self.followup = Followup()

    def said(self) -> str:
        (content, ephemeral), *_ = self.response.messages or self.followup.messages
        assert ephemeral
        return content


ORGANISER = User(1, "Olga", ORGANISERS)
ANN = User(200000000000000001, "Ann")
BEN = User(200000000000000002, "Ben")


@pytest.fixture
async def app(club: ClubClient, tmp_path: Path) -> SidetrackBot:
    settings = BotSettings(
        token="t",
        guild_id=1,
        forum_channel_id=2,
        organiser_role_id=ORGANISERS,
        api_token="a",
        state_file=tmp_path / "state.json",
        timezone="Europe/Paris",
    )
    bot = SidetrackBot(settings, club_client=club)
    bot.core.discord = FakeDiscord()
    bot.core.clock = lambda: datetime(2026, 1, 5, 12, tzinfo=UTC)
    return bot


def command(app: SidetrackBot, *path: str) -> Any:
    found: Any = app.tree.get_command(path[0])
    for name in path[1:]:
        found = found.get_command(name)
    assert found is not None, path
    return found


async def test_the_command_tree(app: SidetrackBot) -> None:
    assert {c.name for c in app.tree.get_commands()} == {"ping", "help", "nominate", "rate", "week"}
    week = command(app, "week")
    assert {c.name for c in week.commands} == {
        "start",
        "close-nominations",
        "close-poll",
        "open-ratings",
        "close",
        "summary",
        "resync",
    }
    interaction = Interaction(ANN)
    await command(app, "ping").callback(interaction)
    assert interaction.said() == "Pong!"
    interaction = Interaction(ANN)
    await command(app, "help").callback(interaction)
    assert "/nominate" in interaction.said() and len(interaction.said()) <= 2000


async def test_only_organisers_run_the_week(app: SidetrackBot) -> None:
    week = command(app, "week")
    assert isinstance(week, WeekGroup)
    member = Interaction(ANN)
    assert await week.interaction_check(member) is False
    assert member.said() == "Only organisers can run the week."
    assert await week.interaction_check(Interaction(ORGANISER)) is True


async def test_a_week_through_the_commands(app: SidetrackBot) -> None:
    discord_fake = app.core.discord
    assert isinstance(discord_fake, FakeDiscord)
    start = command(app, "week", "start")
    bad = Interaction(ORGANISER)
    await start.callback(
        bad, 3, "tomorrow", "2026-01-08 20:00", "2026-01-11 19:00", "2026-01-14 20:00"
    )
    assert "isn't a date and time" in bad.said()

    started = Interaction(ORGANISER)
    await start.callback(
        started, 3, "2026-01-07 20:00", "2026-01-08 20:00", "2026-01-11 19:00", "2026-01-14 20:00"
    )
    assert "is open for nominations" in started.said()
    week = app.core.current()
    assert week is not None and week.label.startswith("WEEK 003 [")
    # Read in the configured zone: 20:00 in Paris in January is 19:00 UTC.
    assert week.nominations_close_at == datetime(2026, 1, 7, 19, tzinfo=UTC)
    assert week.nominations_thread_id in discord_fake.threads

    # /nominate opens a modal with the mini-form's fields; submitting it nominates.
    opened = Interaction(ANN)
    await command(app, "nominate").callback(opened)
    modal = opened.response.modal
    assert isinstance(modal, NominateModal)
    modal.album._value = "Homogenic — Björk (1997)"
    modal.pitch._value = "Strings and beats"
    modal.track._value = "<https://open.spotify.com/track/3WqGQ4Ol6uVC4cXKbfJZ7B>"
    modal.tags._value = "Art Pop / 90s / Iceland"
    submitted = Interaction(ANN)
    await modal.on_submit(submitted)  # type: ignore[arg-type]
    assert submitted.said() == "✅ Nominated **Homogenic — Björk (1997)**."
    (nomination,) = await app.core.client.list_nominations(week.id)
    assert (nomination.genre, nomination.decade, nomination.country) == (
        "Art Pop",
        "1990s",
        "Iceland",
    )

    rate = Interaction(BEN)
    await command(app, "rate").callback(rate, "4.5")
    assert "Ratings are taken in" in rate.said()

    closing = Interaction(ORGANISER)
    await command(app, "week", "close-nominations").callback(closing)
    assert "is now in **poll**" in closing.said()

    # The poll's select menu, rebuilt from its custom id as after a restart.
    (menu,) = [m.menu for m in discord_fake.messages[discord_fake.thread_named("POLL")] if m.menu]
    custom_id = menu.custom_id(1)
    match = VoteSelect.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    select = await VoteSelect.from_custom_id(Interaction(BEN), None, match)  # type: ignore[arg-type]
    VoteSelect.bot = app.core
    own = Interaction(ANN, {"values": [menu.options[0].value]})
    await select.callback(own)  # type: ignore[arg-type]
    assert "You cannot vote for your own nomination" in own.said()
    voted = Interaction(BEN, {"values": [menu.options[0].value]})
    await select.callback(voted)  # type: ignore[arg-type]
    assert voted.said().startswith("Your first choice is **Homogenic — Björk (1997)**")
    summary = await app.core.client.poll_summary(week.id)
    assert summary.results[0].points == 2 and summary.voter_count == 1

    status = Interaction(ORGANISER)
    await command(app, "week", "summary").callback(status)
    assert "phase **poll**" in status.said()
    resync = Interaction(ORGANISER)
    await command(app, "week", "resync").callback(resync)
    assert "Resync" in resync.said()


async def test_vote_select_menu_has_options_and_fits() -> None:
    menu = PollMenu(
        str(uuid.uuid4()),
        1,
        2,
        tuple(MenuOption(f"{n}. Album", str(uuid.uuid4()), "by X") for n in range(25)),
    )
    select = VoteSelect(menu.week_id, 2, menu.page, menu)
    assert select.item.custom_id == menu.custom_id(2)
    assert len(select.item.options) == 25
    assert select.item.placeholder == "Second choice (1 point) — 2/2"


def test_to_embed() -> None:
    spec = Embed(
        title="T" * 300,
        description="D",
        image_url="https://example.com/cover.jpg",
        fields=tuple(EmbedField(f"f{n}", "v" * 2000) for n in range(30)),
        footer="foot",
    )
    embed = to_embed(spec)
    assert len(embed.title or "") == 256 and len(embed) == 6000
    assert [len(f.value or "") for f in embed.fields] == [1024] * 5 + [
        6000 - 256 - 4 - 5 * 1026 - 2
    ]
    assert embed.image.url == "https://example.com/cover.jpg"
    many = to_embed(Embed(title="T", fields=tuple(EmbedField(f"f{n}", "v") for n in range(30))))
    assert len(many.fields) == 25


def test_parse_when() -> None:
    assert parse_when("2026-01-07 20:00", "UTC") == datetime(2026, 1, 7, 20, tzinfo=UTC)
    assert parse_when("2026-01-07T20:00+01:00", "UTC") == datetime(2026, 1, 7, 19, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM-DD HH:MM"):
        parse_when("next friday", "UTC")


# --- the gateway: the Discord protocol over discord.py objects (stand-ins here) -------------


class FakeMessage:
    def __init__(self, message_id: int, channel: "FakeChannel", content: str, author: User) -> None:
        self.id = message_id
        self.channel = channel
        self.content = content
        self.author = author
        self.pinned = False

    async def pin(self) -> None:
        self.pinned = True


class FakePartial:
    def __init__(self, channel: "FakeChannel", message_id: int) -> None:
        self.channel = channel
        self.id = message_id

    async def add_reaction(self, emoji: str) -> None:
        self.channel.reactions.append((self.id, emoji, "add"))

    async def remove_reaction(self, emoji: str, member: object) -> None:
        self.channel.reactions.append((self.id, emoji, "remove"))

    async def reply(self, content: str, *, mention_author: bool = True) -> None:
        assert mention_author is False
        self.channel.replies.append((self.id, content))


class FakeChannel:
    def __init__(self, channel_id: int) -> None:
        self.id = channel_id
        self.sent: list[dict[str, Any]] = []
        self.reactions: list[tuple[int, str, str]] = []
        self.replies: list[tuple[int, str]] = []
        self.messages: list[FakeMessage] = []

    async def send(self, **kwargs: Any) -> FakeMessage:
        self.sent.append(kwargs)
        message = FakeMessage(1000 + len(self.sent), self, kwargs.get("content") or "", BOT)
        self.messages.append(message)
        return message

    def get_partial_message(self, message_id: int) -> FakePartial:
        return FakePartial(self, message_id)

    async def history(self, *, limit: int | None, oldest_first: bool) -> Any:
        assert limit is None and oldest_first
        for message in self.messages:
            yield message


class FakeThread:
    def __init__(self, thread_id: int, name: str, owner_id: int) -> None:
        self.id = thread_id
        self.name = name
        self.owner_id = owner_id


class Created:
    def __init__(self, thread: FakeThread, message: FakeMessage) -> None:
        self.thread = thread
        self.message = message


class FakeForum(FakeChannel):
    def __init__(self, channel_id: int) -> None:
        super().__init__(channel_id)
        self.threads: list[FakeThread] = []
        self.created: list[dict[str, Any]] = []

    async def create_thread(self, **kwargs: Any) -> Created:
        self.created.append(kwargs)
        thread = FakeThread(5000 + len(self.threads), kwargs["name"], BOT.id)
        self.threads.append(thread)
        return Created(thread, FakeMessage(thread.id, self, kwargs["content"], BOT))


BOT = User(42, "Sidetrack")
BOT.bot = True


class FakeClient:
    def __init__(self, *channels: FakeChannel) -> None:
        self.channels = {c.id: c for c in channels}
        self.user = BOT

    def get_channel(self, channel_id: int) -> FakeChannel | None:
        return self.channels.get(channel_id)


async def test_the_gateway_over_discord_objects() -> None:
    from sidetrack.bot.discord_app import DiscordGateway

    forum, thread = FakeForum(2), FakeChannel(7)
    gateway = DiscordGateway(FakeClient(forum, thread), forum_channel_id=2)  # type: ignore[arg-type]
    name = "WEEK 003 [2025-11-24] - WINNER - " + "x" * 200
    thread_id = await gateway.create_thread(name, "y" * 3000, embed=Embed(title="Winner"))
    created = forum.created[0]
    assert len(created["name"]) == 100 and len(created["content"]) == 2000
    assert isinstance(created["embed"], discord.Embed) and created["embed"].title == "Winner"
    # Opening it again (the id was never saved) finds the thread instead of making another.
    assert await gateway.create_thread(name, "again") == thread_id
    assert len(forum.created) == 1

    message_id = await gateway.send(7, "hello")
    assert thread.sent[0]["content"] == "hello"
    await gateway.react(7, message_id, "✅")
    await gateway.unreact(7, message_id, "⏳")
    await gateway.reply(7, message_id, "fix this")
    assert thread.reactions == [(message_id, "✅", "add"), (message_id, "⏳", "remove")]
    assert thread.replies == [(message_id, "fix this")]
    menu = PollMenu(str(uuid.uuid4()), 0, 1, (MenuOption("1. A", str(uuid.uuid4()), "by Ann"),))
    await gateway.send_menu(7, menu)
    view = thread.sent[-1]["view"]
    assert [item.custom_id for item in view.children] == [menu.custom_id(1), menu.custom_id(2)]
    posts = await gateway.history(7)
    assert [p.content for p in posts] == ["hello", ""] and all(p.author_is_bot for p in posts)


# --- events and failures ------------------------------------------------------------------------


class Author:
    bot = False
    id = 200000000000000001
    display_name = "Ann"


class Edited:
    def __init__(self, content: str, edited_at: datetime | None) -> None:
        self.id = 77
        self.channel = FakeChannel(7)
        self.author = Author()
        self.content = content
        self.edited_at = edited_at


class EditPayload:
    def __init__(self, data: dict[str, Any], message: Edited, cached: Edited | None = None) -> None:
        self.guild_id = 1
        self.data = data
        self.message = message
        self.cached_message = cached


EDITED_AT = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload, reread",
    [
        # Discord added the link's preview to a message sent since the bot started.
        (EditPayload({"content": "x"}, Edited("x", None), cached=Edited("x", None)), False),
        # … or to one sent before a restart (not cached): never edited by its author.
        (EditPayload({"content": "x"}, Edited("x", None)), False),
        # A pin, or the preview of an edited message: the text is what the bot already read.
        (
            EditPayload({"content": "y"}, Edited("y", EDITED_AT), cached=Edited("y", EDITED_AT)),
            False,
        ),
        (EditPayload({"embeds": []}, Edited("x", EDITED_AT)), False),
        # The member changed the text.
        (EditPayload({"content": "y"}, Edited("y", EDITED_AT), cached=Edited("x", None)), True),
        (EditPayload({"content": "y"}, Edited("y", EDITED_AT)), True),
    ],
)
async def test_only_a_change_of_text_reads_the_form_again(
    app: SidetrackBot, payload: EditPayload, reread: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def on_message(post: Any) -> None:
        seen.append(post.content)

    monkeypatch.setattr(app.core, "on_message", on_message)
    await app.on_raw_message_edit(payload)  # type: ignore[arg-type]
    assert seen == ([payload.message.content] if reread else [])


async def test_a_bulk_delete_withdraws_each_message(
    app: SidetrackBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted: list[tuple[int, int]] = []

    async def on_message_delete(channel_id: int, message_id: int) -> None:
        deleted.append((channel_id, message_id))

    monkeypatch.setattr(app.core, "on_message_delete", on_message_delete)

    class Bulk:
        guild_id = 1
        channel_id = 7
        message_ids = {12, 11}

    await app.on_raw_bulk_message_delete(Bulk())  # type: ignore[arg-type]
    assert deleted == [(7, 11), (7, 12)]


async def test_a_failing_command_still_answers(app: SidetrackBot) -> None:
    from discord import app_commands

    from sidetrack.bot.discord_app import FAILED

    refused = Interaction(ANN)
    refused.command = None  # type: ignore[attr-defined]
    await app.tree.on_error(refused, app_commands.CheckFailure("not an organiser"))  # type: ignore[arg-type]
    assert refused.response.messages == [] and refused.followup.messages == []

    broken = Interaction(ORGANISER)
    broken.command = None  # type: ignore[attr-defined]
    await broken.response.defer(ephemeral=True, thinking=True)
    await app.tree.on_error(broken, app_commands.AppCommandError("boom"))  # type: ignore[arg-type]
    assert broken.followup.messages == [(FAILED, True)]


async def test_a_failing_vote_or_form_still_answers(
    app: SidetrackBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sidetrack.bot.discord_app import FAILED

    async def boom(*_args: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.core, "vote", boom)
    VoteSelect.bot = app.core
    select = VoteSelect(str(uuid.uuid4()), 1, 0)
    voted = Interaction(BEN, {"values": [str(uuid.uuid4())]})
    await select.callback(voted)  # type: ignore[arg-type]
    assert voted.followup.messages == [(FAILED, True)]

    modal = NominateModal(app.core)
    submitted = Interaction(BEN)
    await modal.on_error(submitted, RuntimeError("boom"))  # type: ignore[arg-type]
    assert submitted.response.messages == [(FAILED, True)]
