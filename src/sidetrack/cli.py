"""The `sidetrack` command: database migrations, the web server, and the demo club."""

from typing import Annotated, NoReturn

import typer

from sidetrack.core.config import Settings, SettingsError, get_settings

app = typer.Typer(help="Sidetrack: the album club, its archive, and the music tracker.")
db_app = typer.Typer(help="Database schema management.")
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    from sidetrack.core.migrations import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database first.")] = True,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from sidetrack.app import create_app
    from sidetrack.core.migrations import upgrade

    settings = load_settings()
    if migrate:
        upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def demo() -> None:
    """Fill the database with a deterministic demo club (safe to run again: it adds nothing)."""
    from sidetrack.core.db import make_engine, make_session_factory, transaction
    from sidetrack.core.migrations import upgrade
    from sidetrack.demo import load_demo

    settings = load_settings()
    upgrade(settings.database_url)
    with transaction(make_session_factory(make_engine(settings.database_url))) as session:
        report = load_demo(session)
    typer.echo(report)


if __name__ == "__main__":
    app()
