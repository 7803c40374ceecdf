"""The HTTP API against its own OpenAPI document, with Schemathesis, on every database backend.

Schemathesis reads /openapi.json and sends each club and member operation (and /health) a
bounded, reproducible set of requests, valid and malformed: the boundary cases it derives from
the document, then MAX_EXAMPLES generated ones. Each goes as the bot (club:write), an
organiser (club:admin) or, now and then, an unknown token. Every response must be no 5xx,
have a status code and content type the document declares for the operation, and a body that
matches the declared schema.

A small club is seeded first (a week in each phase, with nominations, votes and ratings), and
generated requests mostly use its ids, so reads and writes reach real rows rather than only
404s; now and then a field gets a value that fits the document but not, unless the code sees
to it, the database (NUL, text that grows when normalised, 64-bit integers).

The document is loaded once from an app without a database and each test sends its requests
to the same app on the test's database (`case.call_and_validate(app=...)`); loading the schema
from a fixture (`schemathesis.pytest.from_fixture`) fails under pytest 9.2.
"""

import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy import Connection, event, insert
from sqlalchemy.orm import Session, sessionmaker

from sidetrack.app import create_app
from sidetrack.club import service
from sidetrack.club.models import Week, WeekPhase
from sidetrack.club.service import AlbumRef
from sidetrack.core.config import Settings, get_settings
from sidetrack.users.service import create_api_token, find_or_create_discord_member

# The operations under contract: the club, members, and the health check.
CONTRACT_PATHS = r"^/api/(club|users)(/|$)|^/health$"


@schemathesis.check
def invalid_input_names_its_fields(
    _ctx: Any, response: schemathesis.Response, _case: schemathesis.Case
) -> None:
    """A 422, from validation or from a service's rule alike, maps each bad field to what is
    wrong with it in `details.fields`, as docs/club-api.md promises."""
    if response.status_code != 422:
        return
    error = response.json()["error"]
    fields = error["details"].get("fields")
    assert error["code"] == "invalid", error
    assert isinstance(fields, dict) and fields, error
    assert all(isinstance(name, str) and isinstance(why, str) for name, why in fields.items())


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    invalid_input_names_its_fields,
]
# The bot and an organiser; each request goes as one of them (chosen reproducibly).
CALLERS = {"bot": "club:write", "organiser": "club:admin"}
# Generated requests per operation, besides the boundary cases Schemathesis derives from the
# document: enough to reach each field's edges, few enough for a quick suite.
MAX_EXAMPLES = 30
SEED = 20260105


@dataclass(frozen=True)
class SeededWeek:
    id: uuid.UUID
    nominations: list[tuple[uuid.UUID, uuid.UUID]]  # (nomination, nominator)
    rating_ids: list[uuid.UUID]


@dataclass(frozen=True)
class Club:
    weeks: list[SeededWeek]
    members: list[tuple[uuid.UUID, str]]  # (user id, Discord id)
    tokens: dict[str, str]  # caller → bearer token


def _seed_club(session: Session) -> Club:
    """Five weeks, one in each phase, with nominations, votes, ratings and a hidden review."""
    names = ["Ann", "Bo", "Cy", "Di"]
    discord_ids = [str(10**17 + n) for n in range(len(names))]
    members = [
        find_or_create_discord_member(session, discord_id, name)
        for discord_id, name in zip(discord_ids, names, strict=True)
    ]
    albums = [
        AlbumRef("Kid A", "Radiohead", 2000),
        AlbumRef("Blue Lines", "Massive Attack", 1991),
        AlbumRef("Spirit of Eden", "Talk Talk", 1988),
    ]
    weeks = []
    for number, phase in enumerate(WeekPhase, start=1):
        week = service.create_week(session, label=f"WEEK {number:03}", week_number=number)
        nominations = [
            service.submit_nomination(session, week.id, member, album, genre="Rock")[0]
            for member, album in zip(members, albums, strict=False)
        ]
        ratings = []
        if phase != WeekPhase.NOMINATIONS:
            service.close_nominations(session, week.id)
            for voter in members:
                others = [n.id for n in nominations if n.user_id != voter.id]
                service.cast_vote(session, week.id, voter, others[0], 1)
                service.cast_vote(session, week.id, voter, others[1], 2)
        if phase in (WeekPhase.DISCUSSION, WeekPhase.RATINGS, WeekPhase.CLOSED):
            service.close_poll(session, week.id)
        if phase in (WeekPhase.RATINGS, WeekPhase.CLOSED):
            service.open_ratings(session, week.id)
            for value, rater in zip([4.5, 3.0], members, strict=False):
                rating, _ = service.submit_rating(
                    session, week.id, rater, value, review="Good", favorite_track="Idioteque"
                )
                ratings.append(rating)
            service.set_review_hidden(session, ratings[-1].id, True, "test")
        if phase == WeekPhase.CLOSED:
            service.close_week(session, week.id)
        assert week.phase == phase
        weeks.append(
            SeededWeek(
                id=week.id,
                nominations=[(n.id, n.user_id) for n in nominations],
                rating_ids=[r.id for r in ratings],
            )
        )
    tokens = {
        caller: create_api_token(session, f"contract {caller}", [scope])[1]
        for caller, scope in CALLERS.items()
    }
    session.commit()
    return Club(
        weeks=weeks,
        members=[(m.id, discord_id) for m, discord_id in zip(members, discord_ids, strict=True)],
        tokens=tokens,
    )


class _Seeded:
    """The club of the running test, for the generation hook below (set by `contract_app`)."""

    club: Club | None = None


_SEEDED = _Seeded()


@pytest.fixture
def contract_app(connection: Connection, session: Session) -> Iterator[FastAPI]:
    """The app on the test's database, with a club in it."""
    _SEEDED.club = _seed_club(session)
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    app = create_app(get_settings(), factory)
    try:
        yield app
    finally:
        _SEEDED.club = None
        # Schemathesis keeps each app it started for the whole process; this one is done.
        shutdown_lifespans()


# The document is read once, from an app that never touches a database; each test sends its
# requests to `contract_app`, which is the same code on the test's database.
_DOCUMENT_APP = create_app(Settings(database_url="sqlite://"), sessionmaker())
_CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # Callers are ours to choose (see `_from_the_club`), not random bearer tokens.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _DOCUMENT_APP, config=_CONFIG).include(
    path_regex=CONTRACT_PATHS
)


# Values that fit the document but not, unless the code sees to it, the database.
TEXT_EDGES = [
    "\x00",
    "Kid A\x00",
    "\ufdfa" * 16,  # NFKC folds U+FDFA to 18 characters: 288 once normalised
    "\ufdfa" * 64,
    "\ufdfa" * 255,
    "9999-12-31T23:00:00-05:00",  # a valid time that does not exist in UTC
    "0001-01-01T00:00:00+05:00",
]
INTEGER_EDGES = [2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]


def _slots(container: Any) -> list[tuple[Any, Any]]:
    """(container, key) of each text or integer value, one level of nesting deep."""
    if not isinstance(container, dict):
        return []
    found = []
    for key, value in container.items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            found.append((container, key))
        elif isinstance(value, dict):
            found += [
                (value, inner) for inner, item in value.items() if isinstance(item, str | int)
            ]
    return found


@st.composite
def _with_an_edge(draw: st.DrawFn, case: schemathesis.Case) -> schemathesis.Case:
    """One text or integer of the query or body, now and then, replaced by an edge value."""
    slots = _slots(case.query) + _slots(case.body)
    if not slots or draw(st.integers(0, 2)) != 0:
        return case
    container, key = draw(st.sampled_from(slots))
    edges: list[Any] = TEXT_EDGES if isinstance(container[key], str) else INTEGER_EDGES
    container[key] = draw(st.sampled_from(edges))
    return case


@st.composite
def _from_the_club(draw: st.DrawFn, case: schemathesis.Case) -> schemathesis.Case:
    """A caller, and mostly ids that exist and fit together (a week, one of its nominations,
    a member); the rest of the request stays as generated, valid or not."""
    club = _SEEDED.club
    if club is None:
        return case
    # Now and then nobody known, so the 401s are checked too.
    caller = draw(st.sampled_from([*sorted(CALLERS), "stranger"]))
    token = club.tokens.get(caller, "not-a-token")
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if draw(st.integers(0, 3)) == 0:  # a quarter keep their generated (unknown) ids
        return case
    week = draw(st.sampled_from(club.weeks))
    nomination_id, _nominator = draw(st.sampled_from(week.nominations))
    user_id, discord_id = draw(st.sampled_from(club.members))
    ratings = [rating for seeded in club.weeks for rating in seeded.rating_ids]
    chosen = {
        "week_id": week.id,
        "nomination_id": nomination_id,
        "rating_id": draw(st.sampled_from(ratings)),
        "user_id": user_id,
    }
    path = case.path_parameters or {}
    for name in path.keys() & chosen.keys():
        path[name] = str(chosen[name])
    if isinstance(case.body, dict):
        if "nomination_id" in case.body:
            case.body["nomination_id"] = str(nomination_id)
        if "user" in case.body:
            by_discord = draw(st.booleans())
            case.body["user"] = (
                {"discord_id": discord_id} if by_discord else {"user_id": str(user_id)}
            )
    return case


@schema.hook
def flatmap_case(
    _context: schemathesis.HookContext, case: schemathesis.Case
) -> st.SearchStrategy[schemathesis.Case]:
    return _from_the_club(case).flatmap(_with_an_edge)


def _auth_for(case: schemathesis.Case) -> dict[str, str]:
    """Cases Schemathesis lays out before any test (boundary values) get a caller here, chosen
    by their content so a run repeats exactly; generated ones got theirs in `_from_the_club`."""
    if "authorization" in {name.lower() for name in case.headers or {}}:
        return {}
    assert _SEEDED.club is not None
    content = f"{case.operation.label} {case.path_parameters} {case.query} {case.body!r}"
    caller = sorted(CALLERS)[zlib.crc32(content.encode()) % len(CALLERS)]
    return {"Authorization": f"Bearer {_SEEDED.club.tokens[caller]}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
def test_the_api_keeps_its_contract(case: schemathesis.Case, contract_app: FastAPI) -> None:
    case.call_and_validate(app=contract_app, headers=_auth_for(case), checks=CHECKS)


# --- the document itself ---------------------------------------------------------------------


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def test_every_club_operation_declares_its_errors_with_the_error_body(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    error_body = _resolve(document, "#/components/schemas/ErrorBody")
    assert set(error_body["required"]) == {"error"}
    detail = _resolve(document, error_body["properties"]["error"]["$ref"])
    assert set(detail["required"]) == {"code", "message", "details"}

    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/club") or "club" in operation.get("tags", [])
    ]
    assert operations
    for method, path, operation in operations:
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        expected = {"401", "403", "409"} if method != "get" else set()
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if "{" in path:
            expected.add("404")
        assert expected <= set(responses), f"{label} declares {sorted(responses)}"
        for status, response in responses.items():
            if not status.startswith(("4", "5")):
                continue
            schema_ref = response["content"]["application/json"]["schema"]["$ref"]
            assert schema_ref == "#/components/schemas/ErrorBody", f"{label} {status}"


# --- malformed input that only a database would notice ---------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("post", "/api/club/weeks", {"json": {"label": "Week\x00one"}}, "label"),
        # An unpaired surrogate, as JSON may spell it (and json.dumps will not).
        ("post", "/api/club/weeks", {"content": '{"label": "Week \\ud800"}'}, "label"),
        ("get", "/api/club/weeks", {"params": {"q": "Kid\x00A"}}, "q"),
        ("get", "/api/club/weeks", {"params": {"genre": "\x00"}}, "genre"),
        (
            "post",
            "/api/club/weeks",
            {"json": {"label": "Late", "discussion_at": "9999-12-31T23:00:00-05:00"}},
            "discussion_at",
        ),
    ],
)
def test_text_no_database_can_store_is_refused_naming_the_field(
    client: TestClient,
    organiser: dict[str, str],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    headers = {**organiser, "Content-Type": "application/json"}
    response = client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]["fields"]


def test_a_body_that_is_not_utf8_is_invalid_json(client: TestClient, bot: dict[str, str]) -> None:
    response = client.post(
        "/api/club/weeks",
        content=b'{"label": "\xff\xfe"}',
        headers={**bot, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["fields"] == {"body": "not valid JSON (UTF-8)"}


def test_names_that_grow_when_normalised_still_fit_their_columns(
    client: TestClient, bot: dict[str, str]
) -> None:
    # U+FDFA folds (NFKC) to 18 characters: a legal 255-character title has a 4,590-character
    # normalised form, and a 64-character genre a 1,152-character slug.
    week = client.post("/api/club/weeks", json={"label": "Long names"}, headers=bot).json()
    body = {
        "user": {"discord_id": "123456789012345678"},
        "album": {"title": "\ufdfa" * 255, "artist_name": "\ufdfa" * 255},
        "genre": "\ufdfa" * 64,
    }
    response = client.post(f"/api/club/weeks/{week['id']}/nominations", json=body, headers=bot)
    assert response.status_code == 201, response.text
    again = client.post(f"/api/club/weeks/{week['id']}/nominations", json=body, headers=bot)
    assert again.status_code == 200, again.text
    assert again.json()["album"]["id"] == response.json()["album"]["id"]


# --- a write that loses a race ------------------------------------------------------------------


def test_a_write_the_database_refuses_after_the_checks_passed_is_a_conflict(
    connection: Connection, bot: dict[str, str]
) -> None:
    """Another request takes week 7 between this one's check and its insert."""
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )

    @event.listens_for(factory, "before_flush", once=True)
    def _someone_else_was_quicker(flushing: Session, *_args: Any) -> None:
        flushing.execute(insert(Week).values(label="The other request's", week_number=7))

    with TestClient(create_app(get_settings(), factory)) as client:
        response = client.post(
            "/api/club/weeks", json={"label": "Mine", "week_number": 7}, headers=bot
        )
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert error["details"]["fields"] == ["week_number"]
        # Rolled back to before the request; the next one goes ahead.
        assert client.get("/api/club/weeks").status_code == 200
