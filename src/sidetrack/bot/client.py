"""A typed async client of the club API (docs/club-api.md), the bot's only way into Sidetrack.

Every method is one endpoint and returns the API's own response schema. A refused request (4xx)
raises `ApiError` carrying the API's `{"error": {code, message, details}}`; the API being down
or failing (connection errors, timeouts, 429 and 5xx) is retried with exponential backoff, and
raises `ApiUnavailable` only once every attempt has failed. Every write the bot makes is an
upsert or a phase step, so sending one again after a lost answer is safe.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from sidetrack.bot.forms import NominationForm, RatingForm
from sidetrack.club.schemas import (
    NominationDetail,
    NominationSubmit,
    PollSummary,
    RatingDetail,
    RatingsSummary,
    RatingSubmit,
    VoteRead,
    VoteSubmit,
    WeekCreate,
    WeekDetail,
    WeekList,
    WeekUpdate,
)

__all__ = ["ApiError", "ApiUnavailable", "ClubClient", "Member", "Retry"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Phase = Literal["close-nominations", "close-poll", "open-ratings", "close"]

_NOMINATIONS: TypeAdapter[list[NominationDetail]] = TypeAdapter(list[NominationDetail])
_RATINGS: TypeAdapter[list[RatingDetail]] = TypeAdapter(list[RatingDetail])


class ApiError(Exception):
    """The API refused the request (4xx); `message` is the API's, fit to show a member."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class ApiUnavailable(Exception):
    """The API could not be reached, or kept failing, through every retry."""


@dataclass(frozen=True)
class Member:
    """A Discord member as the API knows them: by Discord id, with the name shown in Discord."""

    discord_id: int
    display_name: str

    def ref(self) -> dict[str, str]:
        name = " ".join(self.display_name.split())[:120] or str(self.discord_id)
        return {"discord_id": str(self.discord_id), "display_name": name}


@dataclass(frozen=True)
class Retry:
    """How hard to try: `attempts` in all, waiting base·2ⁿ seconds (at most `cap`) between."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.base * 2**attempt))


RETRY_STATUSES = {429, 500, 502, 503, 504}


class ClubClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: Retry | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "sidetrack-bot"},
            transport=transport,
            timeout=timeout,
        )
        self.retry = retry or Retry()
        self._sleep = sleep

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing --------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        content = body.model_dump_json(exclude_unset=True).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        problem = "no attempt made"
        for attempt in range(self.retry.attempts):
            if attempt:
                delay = self.retry.delay(attempt - 1)
                log.warning("club API %s %s: %s; retrying in %.1fs", method, path, problem, delay)
                await self._sleep(delay)
            try:
                response = await self._http.request(
                    method, path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if response.status_code in RETRY_STATUSES:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise _api_error(response)
            return response
        raise ApiUnavailable(f"{method} {path} failed {self.retry.attempts} times: {problem}")

    async def _get(self, path: str, model: type[M], params: dict[str, str] | None = None) -> M:
        response = await self._request("GET", path, params=params)
        return model.model_validate_json(response.content)

    async def _send(
        self, method: str, path: str, model: type[M], body: BaseModel | None = None
    ) -> tuple[M, bool]:
        """The answer, and whether it created something (201) rather than updated it."""
        response = await self._request(method, path, body=body)
        return model.model_validate_json(response.content), response.status_code == 201

    # --- weeks -----------------------------------------------------------------------------

    async def create_week(
        self,
        label: str,
        *,
        week_number: int | None = None,
        nominations_close_at: datetime | None = None,
        poll_close_at: datetime | None = None,
        discussion_at: datetime | None = None,
        ratings_close_at: datetime | None = None,
    ) -> WeekDetail:
        body = WeekCreate(
            label=label,
            week_number=week_number,
            nominations_close_at=nominations_close_at,
            poll_close_at=poll_close_at,
            discussion_at=discussion_at,
            ratings_close_at=ratings_close_at,
        )
        week, _created = await self._send("POST", "/api/club/weeks", WeekDetail, body)
        return week

    async def update_week(self, week_id: uuid.UUID, **changes: Any) -> WeekDetail:
        """Dates, label, number, thread ids (`nominations_thread_id=…`)."""
        body = WeekUpdate.model_validate(changes)
        week, _ = await self._send("PATCH", f"/api/club/weeks/{week_id}", WeekDetail, body)
        return week

    async def get_week(self, week_id: uuid.UUID) -> WeekDetail:
        return await self._get(f"/api/club/weeks/{week_id}", WeekDetail)

    async def current_week(self) -> WeekDetail | None:
        """The newest week not closed, or None when none runs."""
        try:
            return await self._get("/api/club/weeks/current", WeekDetail)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def list_weeks(self, *, limit: int = 20, offset: int = 0) -> WeekList:
        params = {"limit": str(limit), "offset": str(offset)}
        return await self._get("/api/club/weeks", WeekList, params)

    async def advance(self, week_id: uuid.UUID, step: Phase) -> WeekDetail:
        week, _ = await self._send("POST", f"/api/club/weeks/{week_id}/{step}", WeekDetail)
        return week

    async def close_nominations(self, week_id: uuid.UUID) -> WeekDetail:
        return await self.advance(week_id, "close-nominations")

    async def close_poll(self, week_id: uuid.UUID) -> WeekDetail:
        return await self.advance(week_id, "close-poll")

    async def open_ratings(self, week_id: uuid.UUID) -> WeekDetail:
        return await self.advance(week_id, "open-ratings")

    async def close_week(self, week_id: uuid.UUID) -> WeekDetail:
        return await self.advance(week_id, "close")

    # --- nominations -------------------------------------------------------------------------

    async def submit_nomination(
        self, week_id: uuid.UUID, member: Member, form: NominationForm
    ) -> tuple[NominationDetail, bool]:
        """(the nomination, created): sending again updates the member's nomination."""
        body = NominationSubmit.model_validate(
            {
                "user": member.ref(),
                "album": {
                    "title": form.album_title,
                    "artist_name": form.artist_name,
                    "release_year": form.year,
                },
                "pitch": form.pitch,
                "pitch_track_url": form.pitch_track_url,
                "genre": form.genre,
                "decade": form.decade,
                "country": form.country,
            }
        )
        path = f"/api/club/weeks/{week_id}/nominations"
        return await self._send("POST", path, NominationDetail, body)

    async def list_nominations(self, week_id: uuid.UUID) -> list[NominationDetail]:
        response = await self._request("GET", f"/api/club/weeks/{week_id}/nominations")
        return _NOMINATIONS.validate_json(response.content)

    async def withdraw_nomination(
        self, week_id: uuid.UUID, nomination_id: uuid.UUID, discord_id: int
    ) -> None:
        await self._request(
            "DELETE",
            f"/api/club/weeks/{week_id}/nominations/{nomination_id}",
            params={"discord_id": str(discord_id)},
        )

    # --- the poll --------------------------------------------------------------------------

    async def cast_vote(
        self, week_id: uuid.UUID, member: Member, nomination_id: uuid.UUID, rank: Literal[1, 2]
    ) -> VoteRead:
        body = VoteSubmit.model_validate(
            {"user": member.ref(), "nomination_id": nomination_id, "rank": rank}
        )
        vote, _ = await self._send("POST", f"/api/club/weeks/{week_id}/votes", VoteRead, body)
        return vote

    async def poll_summary(self, week_id: uuid.UUID) -> PollSummary:
        return await self._get(f"/api/club/weeks/{week_id}/votes/summary", PollSummary)

    # --- ratings ---------------------------------------------------------------------------

    async def submit_rating(
        self, week_id: uuid.UUID, member: Member, form: RatingForm
    ) -> tuple[RatingDetail, bool]:
        body = RatingSubmit.model_validate(
            {
                "user": member.ref(),
                "value": form.value,
                "favorite_track": form.favorite_track,
                "review": form.review,
            }
        )
        return await self._send("POST", f"/api/club/weeks/{week_id}/ratings", RatingDetail, body)

    async def list_ratings(self, week_id: uuid.UUID) -> list[RatingDetail]:
        response = await self._request("GET", f"/api/club/weeks/{week_id}/ratings")
        return _RATINGS.validate_json(response.content)

    async def ratings_summary(self, week_id: uuid.UUID) -> RatingsSummary:
        return await self._get(f"/api/club/weeks/{week_id}/ratings/summary", RatingsSummary)


def _api_error(response: httpx.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(
            response.status_code,
            str(error["code"]),
            str(error["message"]),
            dict(error.get("details") or {}),
        )
    except (ValueError, KeyError, TypeError):
        text = response.text[:200] or response.reason_phrase
        return ApiError(response.status_code, "http_error", text, {})
