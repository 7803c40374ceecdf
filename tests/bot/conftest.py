"""Fixtures for the bot: the real app on the test database, reached over HTTP through httpx,
and a switch that takes the API down to see what the bot does then."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from sidetrack.bot.client import ClubClient, Retry


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Switchable(httpx.AsyncBaseTransport):
    """The app's transport, with an outage switch: down, every request fails the chosen way."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down: str | None = None  # None, "connect" or an HTTP status such as "503"
        self.fail_next = 0  # fail this many requests, then come back by itself
        self.requests: list[tuple[str, str]] = []
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        mode = self.down
        if mode is None and self.fail_next > 0:
            self.fail_next -= 1
            mode = "503"
        if mode == "connect":
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        if mode is not None:
            self.refused += 1
            return httpx.Response(int(mode), json={"detail": "down"}, request=request)
        return await self.inner.handle_async_request(request)


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def transport(connection: Connection) -> Switchable:
    from sidetrack.app import create_app
    from sidetrack.core.config import get_settings

    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    app = create_app(get_settings(), factory)
    return Switchable(httpx.ASGITransport(app=app))


@pytest.fixture
def bot_token(session: Session) -> str:
    from sidetrack.users.service import create_api_token

    _row, token = create_api_token(session, "discord-bot", ["club:write"])
    session.commit()
    return token


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def club(
    transport: Switchable, bot_token: str, sleeps: list[float]
) -> AsyncIterator[ClubClient]:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with ClubClient(
        "http://sidetrack.test",
        bot_token,
        transport=transport,
        retry=Retry(attempts=4),
        sleep=record,
    ) as client:
        yield client
