"""Discord's size limits, and helpers that keep every message, embed and menu inside them."""

from collections.abc import Sequence
from typing import TypeVar

MESSAGE_MAX = 2000
THREAD_NAME_MAX = 100
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100  # label, value and description of one option
SELECTS_PER_MESSAGE = 5  # five action rows
MODAL_TITLE_MAX = 45
MODAL_INPUT_MAX = 4000
PLACEHOLDER_MAX = 100
CUSTOM_ID_MAX = 100

ELLIPSIS = "…"

T = TypeVar("T")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def message(text: str) -> str:
    """One message's content, at most 2,000 characters."""
    return truncate(text, MESSAGE_MAX)


def thread_name(text: str) -> str:
    """A forum thread name: 1–100 characters, on one line."""
    name = " ".join(text.split()) or "thread"
    return truncate(name, THREAD_NAME_MAX)


def chunk(items: Sequence[T], size: int = SELECT_OPTIONS_MAX) -> list[list[T]]:
    """`items` in consecutive groups of at most `size` (25: one select menu's options)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def split_message(text: str, limit: int = MESSAGE_MAX) -> list[str]:
    """`text` as messages of at most `limit` characters, split at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # a single line longer than a message: hard split
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
