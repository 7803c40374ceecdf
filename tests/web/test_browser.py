"""The pages in a real browser: Playwright drives Debian's Chromium against a live server.

One server (uvicorn in a background thread, on 127.0.0.1 and a free port) serves the demo club
from a temporary SQLite database for the whole module, and one headless Chromium visits it.
Every page must load without a console error, show its key content (checked against the JSON
API of the same server), fit a 375 px phone without sideways scrolling, and leave a screenshot
at desktop and phone width in test-output/screenshots/ at the repository root.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run): Playwright never downloads a
browser here. Without it the tests skip, except in CI (CI set), where they fail.
"""

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from sidetrack.app import create_app
from sidetrack.core.config import Settings, get_settings
from sidetrack.core.db import make_engine, make_session_factory, transaction
from sidetrack.core.migrations import upgrade
from sidetrack.demo import load_demo
from sidetrack.users.models import User

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium on a closed network: no sandbox as root, no GPU, and none of the background
# connections this machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
PUBLIC_MEMBER = "maya"  # the demo's keenest listener
PRIVATE_MEMBER = "aroha"  # the demo member who keeps their listening private


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; in CI a browser test that cannot run is a failure."""
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so the browser tests may not be skipped)")
    pytest.skip(reason)


# --- the live server ---------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    member_ids: dict[str, str]

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Sidetrack serving the demo club, loaded once with today's date, for the whole module."""
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'sidetrack.db'}"
    with pytest.MonkeyPatch.context() as env:
        # The demo writes through the services, which read the settings: keep them ours.
        env.setenv("SIDETRACK_DATA_DIR", str(folder / "data"))
        env.setenv("SIDETRACK_DATABASE_URL", url)
        get_settings.cache_clear()
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        # Today (not a date ahead of the clock: ingest refuses plays from the future), fixed
        # once, so nothing in the database moves while the tests run.
        with transaction(factory) as session:
            report = load_demo(session, today=datetime.now(UTC).date())
            assert report.loaded
        with factory() as session:
            member_ids = {
                handle: str(user_id)
                for handle, user_id in session.execute(select(User.handle, User.id))
                if handle
            }
        settings = Settings(database_url=url, data_dir=folder / "data")
        get_settings.cache_clear()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, factory), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the live server stopped while starting"
        assert time.monotonic() < deadline, "the live server did not start within 15 s"
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", member_ids)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# --- pages, with what went wrong in them ---------------------------------------------------------


@dataclass
class Visit:
    page: "Page"
    errors: list[str] = field(default_factory=list)
    status: int | None = None


@pytest.fixture
def visit(browser: "Browser", live_server: LiveServer) -> Iterator[Callable[..., Visit]]:
    """Open a path in a fresh browser context of the given viewport, recording its errors."""
    contexts = []

    def open_page(path: str, viewport: dict[str, int] = DESKTOP) -> Visit:
        context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page)

        def on_console(message: "ConsoleMessage") -> None:
            if message.type == "error":
                visit.errors.append(f"console: {message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: visit.errors.append(f"page error: {error}"))
        response = page.goto(live_server.url + path, wait_until="load")
        assert response is not None
        visit.status = response.status
        return visit

    yield open_page
    for context in contexts:
        context.close()


@dataclass(frozen=True)
class Target:
    name: str
    status: int = 200


@pytest.fixture(scope="module")
def paths(live_server: LiveServer) -> dict[str, str]:
    """Every page worth a look in the demo club, by a short name."""
    weeks = live_server.api("/api/club/weeks", limit=100)["items"]
    closed = next(w for w in weeks if w["phase"] == "closed" and w["winner"] is not None)
    running = live_server.api("/api/club/weeks/current")
    assert running["phase"] != "closed"
    return {
        "home": "/",
        "gallery": "/club",
        "week-closed": f"/club/weeks/{closed['id']}",
        "week-running": f"/club/weeks/{running['id']}",
        "stats": "/club/stats",
        "member": f"/u/{PUBLIC_MEMBER}",
        "member-private": f"/u/{PRIVATE_MEMBER}",
        "not-found": "/no/such/page",
    }


TARGETS = [
    Target("home"),
    Target("gallery"),
    Target("week-closed"),
    Target("week-running"),
    Target("stats"),
    Target("member"),
    Target("member-private"),
    Target("not-found", status=404),
]


# The words of a chart that run past its edges (a chart clips them, so the page does not
# scroll sideways, but they can no longer be read). The calendar scrolls in its own box. Two
# pixels of slack for a glyph's overhang ("J" reaches a pixel left of its start).
CLIPPED_CHART_TEXT = """() => [...document.querySelectorAll("svg.chart:not(.chart-calendar)")]
  .flatMap(svg => {
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll("text")].filter(text => {
      const edge = text.getBoundingClientRect();
      return edge.width > 0 && (edge.left < box.left - 2 || edge.right > box.right + 2);
    }).map(text => text.textContent);
  })"""


# Pixels between the sticky header and the page's first content.
GAP_UNDER_HEADER = """() => document.querySelector("main").firstElementChild.getBoundingClientRect()
  .top - document.querySelector(".site-header").getBoundingClientRect().bottom"""


def _unexpected(visit: Visit, target: Target, url: str) -> list[str]:
    """The errors of a visit, less the one a 404 page logs about its own status."""
    if target.status == 404:
        own = f"status of 404 (Not Found) ({url})"
        return [error for error in visit.errors if not error.endswith(own)]
    return visit.errors


# --- every page, at desktop and phone width ------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_every_page_loads_cleanly_fits_a_phone_and_is_captured(
    visit: Callable[..., Visit], live_server: LiveServer, paths: dict[str, str], target: Target
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = live_server.url + paths[target.name]
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        seen = visit(paths[target.name], viewport)
        page = seen.page
        assert seen.status == target.status, f"{target.name} at {label}"
        assert page.locator("h1").count() == 1
        page.locator("h1").wait_for(state="visible")
        if target.status == 404:
            assert page.get_by_test_id("error-page").is_visible()
        assert page.evaluate(GAP_UNDER_HEADER) >= 16, f"{target.name} hugs the header"
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if label == "phone":
            assert widths[0] <= widths[1], f"{target.name} scrolls sideways at 375 px: {widths}"
            assert page.evaluate(CLIPPED_CHART_TEXT) == [], f"{target.name} at 375 px"
        page.screenshot(path=SCREENSHOTS / f"{target.name}-{viewport['width']}.png", full_page=True)
        assert _unexpected(seen, target, url) == [], f"{target.name} at {label}"


# --- the key content, against the API of the same server -----------------------------------------


def test_a_week_page_shows_the_api_winner(
    visit: Callable[..., Visit], live_server: LiveServer, paths: dict[str, str]
) -> None:
    week_id = paths["week-closed"].rsplit("/", 1)[1]
    week = live_server.api(f"/api/club/weeks/{week_id}")
    seen = visit(paths["week-closed"])
    title = seen.page.get_by_test_id("winner-title")
    assert title.is_visible()
    assert title.inner_text() == week["winner"]["album"]["title"]
    nominations = seen.page.get_by_test_id("nomination")
    assert nominations.count() == len(week["nominations"])
    assert seen.errors == []


def test_the_running_week_has_no_winner_yet(
    visit: Callable[..., Visit], live_server: LiveServer, paths: dict[str, str]
) -> None:
    running = live_server.api("/api/club/weeks/current")
    seen = visit(paths["week-running"])
    assert running["winner"] is None
    assert seen.page.get_by_test_id("week-title").is_visible()
    assert seen.page.get_by_test_id("winner-title").count() == 0
    assert seen.page.get_by_test_id("next-deadline").is_visible()
    assert seen.page.get_by_test_id("nomination").count() == len(running["nominations"])


def test_choosing_a_decade_filters_the_gallery(
    visit: Callable[..., Visit], live_server: LiveServer
) -> None:
    everything = live_server.api("/api/club/weeks", limit=100)
    seen = visit("/club")
    page = seen.page
    assert page.get_by_test_id("gallery-card").count() == min(everything["total"], 24)
    # The decade with the most winners, as the select offers it ("1990s (3)").
    options = page.locator("#filter-decade option").evaluate_all(
        "options => options.filter(o => o.value).map(o => [o.value, o.textContent])"
    )
    assert options, "the demo club has winners from some decade"
    counts = {value: int(re.findall(r"\((\d+)\)", text)[-1]) for value, text in options}
    decade = max(counts, key=lambda value: counts[value])
    expected = live_server.api("/api/club/weeks", decade=decade, limit=100)["total"]
    assert 0 < expected < everything["total"], "pick a decade that filters something out"
    # site.js submits the form when a select changes, leaving the empty fields out.
    with page.expect_navigation():
        page.locator("#filter-decade").select_option(decade)
    assert page.url == f"{live_server.url}/club?decade={decade}"
    assert page.get_by_test_id("gallery-card").count() == expected == counts[decade]
    assert page.locator("#filter-decade").input_value() == decade
    assert re.search(
        rf"\b{expected} weeks? match", page.get_by_test_id("result-count").inner_text()
    )
    assert seen.errors == []


def test_a_profile_shows_the_api_top_artist(
    visit: Callable[..., Visit], live_server: LiveServer
) -> None:
    user_id = live_server.member_ids[PUBLIC_MEMBER]
    stats = live_server.api(f"/api/users/{user_id}/stats", range="month")
    assert stats["top_artists"], "the demo's keenest listener played something this month"
    seen = visit(f"/u/{PUBLIC_MEMBER}")
    top = seen.page.get_by_test_id("top-artist")
    assert top.is_visible()
    assert top.locator(".top-name").inner_text() == stats["top_artists"][0]["artist_name"]
    assert seen.page.get_by_test_id("total-plays").inner_text() == f"{stats['total_plays']:,}"
    assert seen.errors == []


def test_the_range_switch_changes_the_numbers(
    visit: Callable[..., Visit], live_server: LiveServer
) -> None:
    user_id = live_server.member_ids[PUBLIC_MEMBER]
    month = live_server.api(f"/api/users/{user_id}/stats", range="month")
    all_time = live_server.api(f"/api/users/{user_id}/stats", range="all_time")
    assert all_time["total_plays"] > month["total_plays"]
    seen = visit(f"/u/{PUBLIC_MEMBER}")
    page = seen.page
    total = page.get_by_test_id("total-plays")
    assert total.inner_text() == f"{month['total_plays']:,}"
    switch = page.get_by_test_id("range-switch")
    # site.js swaps the listening section in place (no navigation) and updates the address.
    switch.locator('a[data-range="all_time"]').click()
    page.locator('[data-testid="range-switch"] a[data-range="all_time"][aria-current]').wait_for()
    assert total.inner_text() == f"{all_time['total_plays']:,}"
    assert page.url.startswith(f"{live_server.url}/u/{PUBLIC_MEMBER}?range=all_time")
    assert page.get_by_test_id("member-name").is_visible()  # the rest of the page stayed
    assert (
        page.get_by_test_id("top-artist").locator(".top-name").inner_text()
        == (all_time["top_artists"][0]["artist_name"])
    )
    assert seen.errors == []


def test_a_private_member_shows_no_listening(
    visit: Callable[..., Visit], live_server: LiveServer
) -> None:
    user_id = live_server.member_ids[PRIVATE_MEMBER]
    assert httpx.get(f"{live_server.url}/api/users/{user_id}/stats").status_code == 403
    seen = visit(f"/u/{PRIVATE_MEMBER}")
    assert seen.page.get_by_test_id("listening-private").is_visible()
    assert seen.page.get_by_test_id("total-plays").count() == 0
    assert seen.page.get_by_test_id("range-switch").count() == 0
    assert seen.errors == []
