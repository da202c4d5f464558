"""The ``govwatch`` command line: one click group, subcommands loaded lazily from scheduler.commands."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

import click

# Exit codes shared by every command (defined once, with ``python -m crawler``'s).
from tracker.exitcodes import (
    EXIT_BUSY,
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
)
from tracker.processes import pause_collection, resume_collection

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

    from tracker.config import Config

CONFIG_HELP = "Sources file (default: GOVWATCH_CONFIG or ./govwatch.toml)."


def config_option(help: str = CONFIG_HELP) -> Callable[[Any], Any]:
    """The one ``--config PATH`` option of every command that reads the sources file."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="PATH",
        help=help,
    )


@overload
def load_sources(config_path: Path | None, *, required: Literal[True] = True) -> Config: ...
@overload
def load_sources(config_path: Path | None, *, required: bool) -> Config | None: ...


def load_sources(config_path: Path | None, *, required: bool = True) -> Config | None:
    """The sources file of a command: a user's bad file is one line and the config-error exit code.

    With ``required=False`` (commands that work without one) the problem is a warning and the
    answer is None.
    """
    from tracker.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        if required:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"warning: {exc}", err=True)
        return None


def check_crawl_environment() -> None:
    """A bad environment value of the crawls (``GOVWATCH_RECORD_WORKERS``) is one line and the
    config-error exit code, before any run row is written, whoever launches the crawls."""
    from crawler.recording import worker_count

    try:
        worker_count("")
    except ValueError as exc:
        click.echo(f"error: environment: {exc}", err=True)
        sys.exit(EXIT_USAGE)


# name -> "module:attribute". Loading on demand keeps `govwatch --help` and quick
# commands from importing Scrapy, APScheduler or the normaliser they do not use.
COMMANDS: dict[str, str] = {
    "normalize": "scheduler.commands.normalize_cmd:normalize",
    "changes": "scheduler.commands.query_cmds:changes",
    "history": "scheduler.commands.query_cmds:history",
    "show": "scheduler.commands.query_cmds:show",
    "diff": "scheduler.commands.query_cmds:diff",
    "targets": "scheduler.commands.query_cmds:targets",
    "reprocess": "scheduler.commands.admin_cmds:reprocess",
    "db": "scheduler.commands.admin_cmds:db",
    "sources": "scheduler.commands.crawl_cmds:sources",
    "crawl": "scheduler.commands.crawl_cmds:crawl",
    "run": "scheduler.commands.run_cmds:run",
    "status": "scheduler.commands.run_cmds:status",
    "notify": "scheduler.commands.run_cmds:notify",
    "feed": "scheduler.commands.run_cmds:feed",
    "demo": "scheduler.commands.run_cmds:demo",
    "serve": "scheduler.commands.serve_cmd:serve",
    "compare": "scheduler.commands.compare_cmd:compare",
    "worker": "scheduler.commands.worker_cmd:worker",
}

__all__ = [
    "EXIT_BUSY",
    "EXIT_FAILURE",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "cli",
    "main",
]

# Commands that never open GOVWATCH_DATABASE_URL (demo makes its own database).
NO_DATABASE = frozenset({"normalize", "sources", "demo"})
# Commands that write to it: a read-only database is refused before they start anything.
WRITING = frozenset({"crawl", "run", "notify", "reprocess", "db"})
HELP_FLAGS = frozenset({"-h", "--help"})
CRAWL_ZYGOTE = "govwatch_crawl_zygote"  # ctx.meta key: the zygote `crawl` forks its crawls from


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    @staticmethod
    def _available(name: str) -> bool:
        module = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not self._available(cmd_name):
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # Asking a command for its --help needs no database, even a misconfigured one.
        ctx.meta["govwatch_help"] = bool(HELP_FLAGS & set(rest))
        return name, command, rest


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="govwatch")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """govwatch: watch government information-disclosure portals and report what changed.

    Database: GOVWATCH_DATABASE_URL (default: ./govwatch.db, SQLite).
    Sources: ./govwatch.toml, GOVWATCH_CONFIG or --config.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    command = ctx.invoked_subcommand
    if command == "crawl" and not (ctx.meta.get("govwatch_help") or ctx.resilient_parsing):
        # Its crawl processes fork from a zygote (crawler.zygote), which starts importing Scrapy
        # now, on another core, while this process checks the database and prepares the runs.
        from crawler.zygote import KeptZygote

        zygote = ctx.meta[CRAWL_ZYGOTE] = KeptZygote()
        ctx.call_on_close(zygote.close)
    try:
        if (
            command is None
            or command in NO_DATABASE
            or ctx.meta.get("govwatch_help")
            or ctx.resilient_parsing
        ):
            return
        _check_database(write=command in WRITING)
    finally:
        resume_collection()  # the command and the database layer are imported by now (see main)


def _check_database(*, write: bool) -> None:
    """A bad URL or an unusable SQLite location is one line and exit 2 / 1, before anything starts
    (``crawl`` and ``run`` would otherwise fail inside their crawl processes)."""
    from tracker.env import DatabaseURLError, database_url

    try:
        url = database_url()
    except DatabaseURLError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    from tracker.db import sqlite_file, sqlite_location_problem

    path = sqlite_file(url)
    problem = sqlite_location_problem(path, write=write) if path is not None else None
    if problem is not None:
        click.echo(f"error: cannot use the database (GOVWATCH_DATABASE_URL): {problem}", err=True)
        sys.exit(EXIT_FAILURE)


def main(argv: list[str] | None = None) -> Any:
    pause_collection()  # until the command's imports are done (cli): they are long-lived
    try:
        return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="govwatch")
    except Exception as exc:
        # Only on failure: keeps --help fast.
        from sqlalchemy.exc import OperationalError

        from tracker.db import DatabaseUnavailable
        from tracker.env import DatabaseURLError

        if isinstance(exc, DatabaseURLError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        if isinstance(exc, DatabaseUnavailable):
            click.echo(f"error: cannot use the database (GOVWATCH_DATABASE_URL): {exc}", err=True)
            sys.exit(EXIT_FAILURE)
        if not isinstance(exc, OperationalError):
            raise
        database_unusable(exc)


def database_unusable(exc: DBAPIError) -> NoReturn:
    """An unreachable or unusable database is an operating condition, not a bug: one line, exit 1."""
    from tracker.db import explain_failure
    from tracker.env import DatabaseURLError, database_url

    reason = str(exc.orig or exc).strip().splitlines()[0]
    with contextlib.suppress(DatabaseURLError):
        reason = explain_failure(database_url(), reason)
    click.echo(f"error: cannot use the database (GOVWATCH_DATABASE_URL): {reason}", err=True)
    sys.exit(EXIT_FAILURE)


if __name__ == "__main__":
    main()
