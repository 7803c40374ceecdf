"""The `sidetrack` command: database migrations, the web server, and the demo club."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy.orm import Session

from sidetrack.core.config import Settings, SettingsError, get_settings

app = typer.Typer(help="Sidetrack: the album club, its archive, and the music tracker.")
db_app = typer.Typer(help="Database schema management.")
app.add_typer(db_app, name="db")
token_app = typer.Typer(help="API tokens for the bot, organisers and the worker.")
app.add_typer(token_app, name="token")
import_app = typer.Typer(help="Import listening history from export files.")
app.add_typer(import_app, name="import")
users_app = typer.Typer(help="Members: create them, and print their scrobbling token.")
app.add_typer(users_app, name="users")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error))


def migrate(settings: Settings, revision: str = "head") -> None:
    """Upgrade the database: the first time a command reaches it, so an unreachable or
    unopenable database stops the command with one line instead of a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from sidetrack.core.migrations import upgrade

    try:
        upgrade(settings.database_url, revision)
    except (OperationalError, OSError) as error:
        reason = error.orig if isinstance(error, OperationalError) else error
        first_line = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        fail(f"cannot open the database SIDETRACK_DATABASE_URL={where}: {first_line}")


@contextmanager
def database_session() -> Iterator[Session]:
    """A migrated database and one transaction for a command.

    A domain error rolls the transaction back and ends the command with `error: …`, exit 2.
    """
    from sidetrack.core.db import make_engine, make_session_factory, transaction
    from sidetrack.core.errors import SidetrackError

    settings = load_settings()
    migrate(settings)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    except SidetrackError as error:
        fail(error.message)
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    settings = load_settings()
    migrate(settings, revision)
    typer.echo(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    upgrade_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the database first.")
    ] = True,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from sidetrack.app import create_app

    settings = load_settings()
    if upgrade_first:
        migrate(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def bot() -> None:
    """Run the Discord bot (settings: SIDETRACK_BOT_*; it reaches Sidetrack through the API)."""
    from sidetrack.bot.settings import load_bot_settings

    try:
        settings = load_bot_settings()
    except SettingsError as error:
        fail(str(error))
    from sidetrack.bot.discord_app import run

    run(settings)


@app.command()
def demo() -> None:
    """Fill the database with a deterministic demo club (safe to run again: it adds nothing)."""
    from sidetrack.demo import load_demo

    with database_session() as session:
        report = load_demo(session)
    typer.echo(report)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what the token is for, e.g. 'discord-bot'.")],
    scope: Annotated[list[str], typer.Option("--scope", help="A scope to grant; repeat for more.")],
) -> None:
    """Make an API token and print it alone on stdout (it is stored only as a hash)."""
    from sidetrack.core.errors import SidetrackError
    from sidetrack.users.service import create_api_token

    try:
        with database_session() as session:
            _row, token = create_api_token(session, name, scope)
    except SidetrackError as error:
        fail(error.message)
    typer.echo(token)


@users_app.command("create")
def users_create(
    handle: Annotated[str, typer.Argument(help="The member's handle: letters, digits, _ . -")],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Shown name (default: the handle).")
    ] = None,
) -> None:
    """Make a member and print their id."""
    import re

    from sidetrack.core.errors import SidetrackError
    from sidetrack.users.service import create_user

    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", handle):
        fail(f"invalid handle '{handle}': use 1-64 letters, digits, '_', '.' or '-'")
    if display_name is not None and not 1 <= len(display_name.strip()) <= 120:
        fail("the display name must be 1-120 characters")
    try:
        with database_session() as session:
            user = create_user(session, handle, display_name and display_name.strip())
            user_id = user.id
    except SidetrackError as error:
        fail(error.message)
    typer.echo(str(user_id))


@users_app.command("set")
def users_set(
    handle: Annotated[str, typer.Argument(help="The member's handle.")],
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA zone for days and hours, e.g. Europe/Paris."),
    ] = None,
    private: Annotated[
        bool | None,
        typer.Option(
            "--private/--public", help="Hide the member's listening from everyone else, or not."
        ),
    ] = None,
) -> None:
    """Change a member's time zone or listening privacy; prints the settings."""
    from sidetrack.core.errors import SidetrackError
    from sidetrack.listening.settings import update_listening_settings
    from sidetrack.users.service import get_user_by_handle

    if timezone is None and private is None:
        fail("nothing to change: give --timezone ZONE, --private or --public")
    try:
        with database_session() as session:
            user = update_listening_settings(
                session,
                get_user_by_handle(session, handle),
                timezone=timezone,
                listening_private=private,
            )
            settings = {"timezone": user.timezone, "listening_private": user.listening_private}
    except SidetrackError as error:
        fail(error.message)
    typer.echo(json.dumps(settings))


@users_app.command("token")
def users_token(
    handle: Annotated[str, typer.Argument(help="The member's handle.")],
) -> None:
    """Print the member's ListenBrainz-compatible token alone on stdout (the same each time)."""
    from sidetrack.core.errors import SidetrackError
    from sidetrack.users.service import get_user_by_handle, member_token

    try:
        with database_session() as session:
            token = member_token(session, get_user_by_handle(session, handle))
    except SidetrackError as error:
        fail(error.message)
    typer.echo(token)


@import_app.command("listens")
def import_listens_command(
    files: Annotated[list[Path], typer.Argument(help="Export files or zips, any mix of sources.")],
    user: Annotated[str, typer.Option("--user", help="The member's handle.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="End with one JSON summary line on stdout.")
    ] = False,
) -> None:
    """Import listening history from Spotify, Last.fm or ListenBrainz export files.

    Each file's format is recognised from its content. Podcasts, audiobooks and short plays
    are skipped and counted; a malformed row is reported and the import goes on; importing
    the same file again adds nothing.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sidetrack.connectors.child_reader import read_batches_in_child
    from sidetrack.core.db import make_engine, make_session_factory, transaction
    from sidetrack.core.errors import SidetrackError
    from sidetrack.listening.records import ReadReport
    from sidetrack.listening.service import summarize
    from sidetrack.listening.tasks import import_listens
    from sidetrack.users.service import get_user_by_handle

    settings = load_settings()
    migrate(settings)
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with transaction(factory) as session:
            member_id = get_user_by_handle(session, user).id
    except SidetrackError as error:
        fail(error.message)

    report = ReadReport()
    progress = Progress(
        TextColumn("importing"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} plays"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("import", total=None)
        result = import_listens(
            factory,
            member_id,
            read_batches_in_child(files, report),
            progress=lambda count: progress.advance(task, count),
        )
    summary = summarize(report, result)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        typer.echo(summary.describe())
    if report.read == 0 and summary.errors:
        raise typer.Exit(1)  # nothing could be read: say so with the exit status too


if __name__ == "__main__":
    app()
