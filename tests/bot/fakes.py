"""A stand-in for Discord: forum threads, messages, reactions and replies kept in memory."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from sidetrack.bot import limits
from sidetrack.bot.client import Member
from sidetrack.bot.core import Post
from sidetrack.bot.render import Embed, PollMenu

BOT_ID = 999


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    author_name: str
    content: str = ""
    embed: Embed | None = None
    menu: PollMenu | None = None
    pinned: bool = False
    reactions: set[str] = field(default_factory=set)
    replies: list[str] = field(default_factory=list)

    def as_post(self) -> Post:
        return Post(
            self.id,
            self.channel_id,
            self.author_id,
            self.author_name,
            self.content,
            self.author_id == BOT_ID,
        )


class FakeDiscord:
    def __init__(self) -> None:
        self.ids = itertools.count(1_300_000_000_000_000_000)
        self.threads: dict[int, str] = {}
        self.messages: dict[int, list[Message]] = {}
        self.down = False

    def _check(self, content: str = "", embed: Embed | None = None) -> None:
        assert len(content) <= limits.MESSAGE_MAX, len(content)
        if embed is not None:
            assert embed.size() <= limits.EMBED_TOTAL_MAX

    def _add(self, channel_id: int, **fields: object) -> Message:
        message = Message(next(self.ids), channel_id, **fields)  # type: ignore[arg-type]
        self._check(message.content, message.embed)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    # --- the Discord protocol ---------------------------------------------------------------

    async def create_thread(self, name: str, content: str, *, embed: Embed | None = None) -> int:
        assert 1 <= len(name) <= limits.THREAD_NAME_MAX, name
        # Like the gateway: a thread the bot opened already is found again, not duplicated.
        for thread, existing in self.threads.items():
            if existing == name:
                return thread
        thread = next(self.ids)
        self.threads[thread] = name
        self._add(thread, author_id=BOT_ID, author_name="bot", content=content, embed=embed)
        self.messages[thread][0].pinned = True
        return thread

    async def send(self, channel_id: int, content: str = "", *, embed: Embed | None = None) -> int:
        assert channel_id in self.threads
        return self._add(
            channel_id, author_id=BOT_ID, author_name="bot", content=content, embed=embed
        ).id

    async def send_menu(self, channel_id: int, menu: PollMenu) -> int:
        assert len(menu.options) <= limits.SELECT_OPTIONS_MAX
        assert all(len(o.label) <= 100 and len(o.description) <= 100 for o in menu.options)
        assert len(menu.custom_id(1)) <= limits.CUSTOM_ID_MAX
        return self._add(channel_id, author_id=BOT_ID, author_name="bot", menu=menu).id

    def _find(self, channel_id: int, message_id: int) -> Message:
        return next(m for m in self.messages[channel_id] if m.id == message_id)

    async def react(self, channel_id: int, message_id: int, emoji: str) -> None:
        self._find(channel_id, message_id).reactions.add(emoji)

    async def unreact(self, channel_id: int, message_id: int, emoji: str) -> None:
        self._find(channel_id, message_id).reactions.discard(emoji)

    async def reply(self, channel_id: int, message_id: int, content: str) -> None:
        self._check(content)
        self._find(channel_id, message_id).replies.append(content)

    async def history(self, channel_id: int) -> Sequence[Post]:
        return [m.as_post() for m in self.messages.get(channel_id, [])]

    # --- what members do, and what tests look at ----------------------------------------

    def post(self, channel_id: int, member: Member, content: str) -> Post:
        message = self._add(
            channel_id,
            author_id=member.discord_id,
            author_name=member.display_name,
            content=content,
        )
        return message.as_post()

    def edit(self, post: Post, content: str) -> Post:
        message = self._find(post.channel_id, post.id)
        message.content = content
        return message.as_post()

    def delete(self, post: Post) -> None:
        self.messages[post.channel_id] = [
            m for m in self.messages[post.channel_id] if m.id != post.id
        ]

    def message(self, post: Post) -> Message:
        return self._find(post.channel_id, post.id)

    def thread_named(self, part: str) -> int:
        (found,) = [t for t, name in self.threads.items() if part in name]
        return found

    def bot_posts(self, channel_id: int) -> list[Message]:
        return [m for m in self.messages.get(channel_id, []) if m.author_id == BOT_ID]

    def count(self) -> int:
        return sum(len(messages) for messages in self.messages.values())
