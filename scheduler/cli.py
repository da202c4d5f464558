"""The ``govwatch`` command line: one click group, subcommands loaded lazily from scheduler.commands."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from typing import Any

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

# name -> "module:attribute". Loading on demand keeps `govwatch --help` and quick
# commands from importing Scrapy, APScheduler or the normaliser they do not use.
COMMANDS: dict[str, str] = {
    "normalize": "scheduler.commands.normalize_cmd:normalize",
    "changes": "scheduler.commands.store_cmds:changes",
    "history": "scheduler.commands.store_cmds:history",
    "show": "scheduler.commands.store_cmds:show",
    "diff": "scheduler.commands.store_cmds:diff",
    "targets": "scheduler.commands.store_cmds:targets",
    "reprocess": "scheduler.commands.store_cmds:reprocess",
    "db": "scheduler.commands.store_cmds:db",
    "sources": "scheduler.commands.crawl_cmds:sources",
    "crawl": "scheduler.commands.crawl_cmds:crawl",
    "run": "scheduler.commands.run_cmds:run",
    "status": "scheduler.commands.run_cmds:status",
    "notify": "scheduler.commands.run_cmds:notify",
    "feed": "scheduler.commands.run_cmds:feed",
    "demo": "scheduler.commands.run_cmds:demo",
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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="govwatch")
def cli(verbose: int) -> None:
    """govwatch: watch government information-disclosure portals and report what changed.

    Database: GOVWATCH_DATABASE_URL (default: ./govwatch.db, SQLite).
    Sources: ./govwatch.toml, GOVWATCH_CONFIG or --config.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="govwatch")
    except Exception as exc:
        from sqlalchemy.exc import OperationalError  # only on failure: keeps --help fast

        if not isinstance(exc, OperationalError):
            raise
        # An unreachable or unusable database is an operating condition, not a bug: no traceback.
        reason = str(exc.orig or exc).strip().splitlines()[0]
        click.echo(f"error: cannot use the database (GOVWATCH_DATABASE_URL): {reason}", err=True)
        sys.exit(EXIT_FAILURE)


if __name__ == "__main__":
    main()
