"""The bot's small memory, in one JSON file that survives restarts.

- `posted`: the reminders and recaps already posted (the threads are on the week itself);
- `weeks`: the weeks the bot is running, so a week closed while it was away still gets its recap;
- `pending`: what members posted that the API has not saved yet (it was down): kept here until
  it is, so nothing a member posted is lost, even across a restart;
- `unrouted`: messages that came while the bot could not yet tell which week they were for;
- `sources`: which Discord message made which nomination or rating, so an edit updates it and
  a deleted message withdraws the nomination it made (and only that one).
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

PendingKind = Literal["nomination", "withdraw", "rating", "vote"]


@dataclass
class Pending:
    """A member's post waiting to be saved. One per member, week and kind: the latest wins."""

    kind: PendingKind
    week_id: str
    discord_id: int
    display_name: str
    # Where it came from, to react ✅/⭐ once saved: (channel id, message id), if a message.
    channel_id: int | None = None
    message_id: int | None = None
    form: dict[str, Any] = field(default_factory=dict)
    nomination_id: str | None = None  # for a withdrawal

    @property
    def slot(self) -> tuple[str, str, int]:
        """What a newer post replaces: a member's nomination (or its withdrawal), rating, or
        one rank of their vote."""
        group = {"withdraw": "nomination", "vote": f"vote{self.form.get('rank')}"}.get(
            self.kind, self.kind
        )
        return group, self.week_id, self.discord_id


@dataclass
class Source:
    """The message behind a member's nomination or rating."""

    kind: Literal["nomination", "rating"]
    week_id: str
    discord_id: int
    record_id: str  # the nomination's or rating's id


@dataclass
class BotState:
    path: Path | None = None
    posted: set[str] = field(default_factory=set)
    weeks: set[str] = field(default_factory=set)
    pending: list[Pending] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)  # message id → source
    # Messages that came before the bot could read its weeks (the API was down at start-up):
    # each is [message id, channel id, author id, author name, content], read once it can.
    unrouted: list[list[Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None) -> "BotState":
        if path is None or not path.exists():
            return cls(path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            path=path,
            posted=set(data.get("posted", [])),
            weeks=set(data.get("weeks", [])),
            pending=[Pending(**item) for item in data.get("pending", [])],
            sources={key: Source(**value) for key, value in data.get("sources", {}).items()},
            unrouted=list(data.get("unrouted", [])),
        )

    def save(self) -> None:
        """Write the file atomically (a crash leaves the old file or the new one, never half)."""
        if self.path is None:
            return
        data = {
            "posted": sorted(self.posted),
            "weeks": sorted(self.weeks),
            "pending": [asdict(item) for item in self.pending],
            "sources": {key: asdict(value) for key, value in self.sources.items()},
            "unrouted": self.unrouted,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".bot-state-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=1, ensure_ascii=False)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # --- helpers -------------------------------------------------------------------------

    def mark(self, key: str) -> None:
        self.posted.add(key)
        self.save()

    def queue(self, item: Pending) -> None:
        """Keep `item` until it is saved; it replaces the member's earlier unsaved one."""
        self.pending = [p for p in self.pending if p.slot != item.slot] + [item]
        self.save()

    def done(self, item: Pending) -> None:
        self.pending = [p for p in self.pending if p is not item]
        self.save()

    def unqueue(self, slot: tuple[str, str, int]) -> None:
        """Forget a member's unsaved post in this slot (a newer one was just saved)."""
        kept = [p for p in self.pending if p.slot != slot]
        if len(kept) != len(self.pending):
            self.pending = kept
            self.save()

    def remember(self, message_id: int, source: Source) -> None:
        self.sources[str(message_id)] = source
        self.save()

    def source(self, message_id: int) -> Source | None:
        return self.sources.get(str(message_id))

    def current_source(self, source: Source) -> bool:
        """Whether no later message of the same member made a newer post of the same kind."""
        latest = None
        for key, other in self.sources.items():
            if (other.kind, other.week_id, other.discord_id) == (
                source.kind,
                source.week_id,
                source.discord_id,
            ):
                latest = key if latest is None or int(key) > int(latest) else latest
        return latest is not None and self.sources[latest] is source

    def forget(self, message_id: int) -> None:
        if self.sources.pop(str(message_id), None) is not None:
            self.save()
