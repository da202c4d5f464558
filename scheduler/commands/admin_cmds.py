"""Commands that maintain the store: ``reprocess`` (re-derive versions) and ``db upgrade/current``."""

from __future__ import annotations

import click

from scheduler.cli import database_unusable
from scheduler.commands.rendering import dumps

# -- reprocess -------------------------------------------------------------------------------


@click.command()
@click.option("--source", help="Only this source's documents.")
@click.option("--stale-only", is_flag=True, help="Only documents with versions made by an older normaliser.")
@click.option("--json", "as_json", is_flag=True, help="JSON output: the counts.")
def reprocess(source: str | None, stale_only: bool, as_json: bool) -> None:
    """Re-derive every stored version from its raw body with the current normaliser.

    Run it after upgrading govwatch. Versions are rewritten in place; no change event is
    created, because a better normaliser is not a change in the pages.
    """
    from tracker.db import session_factory
    from tracker.reprocess import reprocess as run

    report = run(session_factory(), source=source, only_stale=stale_only)
    if as_json:
        click.echo(dumps(report.as_dict()))
        return
    click.echo(
        f"normaliser {report.normalizer}: {report.documents} documents, {report.versions} versions; "
        f"{report.rewritten} rewritten, {report.unchanged} unchanged, {report.skipped} skipped; "
        f"{report.now_equal_to_previous} now equal to the version before them"
    )


# -- db --------------------------------------------------------------------------------------


@click.group()
def db() -> None:
    """The database schema: create or upgrade it, show its revision."""


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def db_upgrade(as_json: bool) -> None:
    """Create the schema in an empty database or upgrade an old one to this version of govwatch."""
    from tracker.db import head_revision, make_engine, upgrade

    engine = make_engine()
    try:
        started = upgrade(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if as_json:
        click.echo(dumps({"from": started, "to": head, "upgraded": started != head}))
    elif started == head:
        click.echo(f"database already at revision {head}")
    else:
        click.echo(f"database upgraded from {started or 'empty'} to revision {head}")


@db.command("current")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def db_current(as_json: bool) -> None:
    """The database's schema revision and the newest this version of govwatch knows.

    \b
    Exit codes: 0 the revision was read (up to date or not: see `up_to_date` with --json);
    1 the database cannot be reached or opened.
    """
    from sqlalchemy.exc import DBAPIError

    from tracker.db import current_revision, head_revision, make_engine

    engine = make_engine()
    try:
        current = current_revision(engine)
    except DBAPIError as exc:
        database_unusable(exc)
    finally:
        engine.dispose()
    head = head_revision()
    if as_json:
        click.echo(dumps({"current": current, "head": head, "up_to_date": current == head}))
    else:
        state = "up to date" if current == head else "needs `govwatch db upgrade`"
        click.echo(f"revision {current or 'none (empty database)'}; newest {head}; {state}")
