"""CLI commands of the running system: ``run`` (the scheduler), ``status``, ``notify``, ``feed``, ``demo``."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scheduler.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sources file (default: GOVWATCH_CONFIG or ./govwatch.toml).",
)


def _load_config(config_path: Path | None, *, required: bool = True) -> Any:
    from tracker.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        if required:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"warning: {exc}", err=True)
        return None


def _retry_policy() -> Any:
    from tracker.notify import RetryPolicy

    defaults = RetryPolicy()
    return RetryPolicy(
        max_attempts=int(os.environ.get("GOVWATCH_NOTIFY_MAX_ATTEMPTS", defaults.max_attempts)),
        base_seconds=float(os.environ.get("GOVWATCH_NOTIFY_BACKOFF_SECONDS", defaults.base_seconds)),
    )


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%m-%d %H:%M:%S") if value else "—"


# -- run ---------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option("--heartbeat", type=float, default=None, help="Seconds between lease heartbeats (default 30).")
@click.option(
    "--stale-after", type=float, default=None, help="A lease without heartbeat this long is stale (120)."
)
@click.option("--notify-every", type=float, default=None, help="Seconds between notification retries (60).")
@click.option("--max-parallel", type=int, default=None, help="Crawls of different sources at once (4).")
@click.option("--no-catch-up", is_flag=True, help="Do not run overdue sources at start-up.")
def run(
    *,
    config_path: Path | None,
    heartbeat: float | None,
    stale_after: float | None,
    notify_every: float | None,
    max_parallel: int | None,
    no_catch_up: bool,
) -> None:
    """Run the scheduler: crawl every source on its schedule and send notifications.

    \b
    One job per [[source]] with a `schedule` ("every 6h" or cron "0 6 * * *"), with
    its jitter and time limit. At start-up every overdue source gets one catch-up
    crawl. Only one scheduler may run per database. SIGTERM/SIGINT stop it cleanly.
    """
    from scheduler.daemon import Daemon, DaemonSettings
    from scheduler.lock import LockHeld
    from tracker.db import session_factory
    from tracker.settings import database_url

    config = _load_config(config_path)
    settings = DaemonSettings(retry=_retry_policy(), catch_up=not no_catch_up)
    for name, value in (
        ("heartbeat_seconds", heartbeat),
        ("stale_after_seconds", stale_after),
        ("notify_retry_seconds", notify_every),
        ("max_parallel", max_parallel),
    ):
        if value is not None:
            setattr(settings, name, value)
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger().setLevel(logging.INFO)  # a daemon's log is its interface
        for noisy in ("apscheduler", "alembic"):  # our own lines say what ran
            logging.getLogger(noisy).setLevel(logging.WARNING)
    url = database_url()
    # Crawl subprocesses get an absolute path: they must find the same file whatever their cwd.
    resolved = config.path.resolve() if config.path else None
    daemon = Daemon(config, session_factory(url), url, config_path=resolved, settings=settings)
    if not daemon.scheduled:
        click.echo(f"warning: no source in {config.path} has a schedule; nothing to run", err=True)
    try:
        daemon.run_forever(signals=(signal.SIGTERM, signal.SIGINT))
    except LockHeld as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except Exception as exc:
        click.echo(f"error: the scheduler stopped: {exc}", err=True)
        sys.exit(EXIT_FAILURE)


# -- status ------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
def status(config_path: Path | None, as_json: bool) -> None:
    """Show the scheduler, each source's last and next run and outcome, and the outbox."""
    from scheduler.status import collect_status
    from tracker.db import session_factory

    config = _load_config(config_path, required=False)
    with session_factory()() as session:
        report = collect_status(session, config)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    console = Console()
    if report.scheduler_holder and report.scheduler_alive:
        console.print(
            f"scheduler: [green]running[/] ({escape(report.scheduler_holder)}, "
            f"heartbeat {_when(report.scheduler_heartbeat)})"
        )
    elif report.scheduler_holder:
        console.print(
            f"scheduler: [yellow]stale lease[/] of {escape(report.scheduler_holder)} "
            f"(last heartbeat {_when(report.scheduler_heartbeat)})"
        )
    else:
        console.print("scheduler: [dim]not running[/]")
    table = Table(title="sources")
    table.add_column("source", no_wrap=True)
    for column in ("schedule", "last run", "trigger", "outcome", "pages", "changes", "next run"):
        table.add_column(column)
    colours = {"ok": "green", "partial": "yellow", "running": "cyan"}
    for item in report.sources:
        outcome = item.last_outcome or "—"
        colour = colours.get(outcome, "red" if item.last_outcome else "dim")
        next_run = "due now" if item.overdue else _when(item.next_run)
        table.add_row(
            escape(item.source),
            escape(item.schedule or "manual"),
            _when(item.last_started),
            item.last_trigger or "—",
            f"[{colour}]{escape(outcome)}[/]",
            str(item.last_counts.get("pages", "—")),
            str(item.last_counts.get("changes", "—")),
            next_run if item.schedule else "—",
        )
    if report.sources:
        console.print(table)
    else:
        console.print("no sources configured or crawled yet (see `govwatch sources`)")
    if report.outbox:
        outbox = Table(title="notifications")
        for column in ("channel", "pending", "sent", "failed"):
            outbox.add_column(column)
        for channel, counts in sorted(report.outbox.items()):
            failed = counts.get("failed", 0)
            outbox.add_row(
                escape(channel),
                str(counts.get("pending", 0)),
                str(counts.get("sent", 0)),
                f"[red]{failed}[/]" if failed else "0",
            )
        console.print(outbox)
    if report.failed:
        console.print(
            f"[red]{len(report.failed)} notification(s) gave up[/]; see `govwatch notify --failed`, "
            "retry with `govwatch notify --retry-failed`"
        )


# -- notify ------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option("--failed", "show_failed", is_flag=True, help="List deliveries that gave up, send nothing.")
@click.option("--retry-failed", is_flag=True, help="Queue deliveries that gave up again, then send.")
@click.option("--json", "as_json", is_flag=True, help="JSON output for scripts.")
def notify(config_path: Path | None, show_failed: bool, retry_failed: bool, as_json: bool) -> None:
    """Send pending change notifications now (the scheduler also does this after every crawl).

    \b
    Channels come from the [[channel]] tables of the sources file. A failed send is
    retried with exponential backoff (GOVWATCH_NOTIFY_BACKOFF_SECONDS, default 60) and
    given up after GOVWATCH_NOTIFY_MAX_ATTEMPTS attempts (default 8).
    Exit 1 when a send failed.
    """
    from tracker.db import session_factory, session_scope
    from tracker.notify import deliver_pending, failed_deliveries
    from tracker.notify import retry_failed as requeue

    factory = session_factory()
    if show_failed:
        with factory() as session:
            rows = failed_deliveries(session, limit=1000)
        if as_json:
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False, default=str))
        else:
            for row in rows:
                click.echo(
                    f"#{row['delivery_id']} {row['channel']} change {row['change_id']} ({row['kind']}) "
                    f"{row['title'] or row['url']}: {row['attempts']} attempts, {row['last_error']}"
                )
            if not rows:
                click.echo("no failed notifications")
        return
    config = _load_config(config_path)
    if retry_failed:
        with session_scope(factory) as session:
            requeued = requeue(session)
        click.echo(f"queued {requeued} failed notification(s) again", err=True)
    report = deliver_pending(factory, config.channels, policy=_retry_policy())
    if as_json:
        click.echo(
            json.dumps(
                {
                    "messages": report.messages,
                    "sent": report.sent,
                    "retrying": report.retrying,
                    "gave_up": report.gave_up,
                    "errors": report.errors,
                },
                ensure_ascii=False,
            )
        )
    else:
        click.echo(
            f"sent {report.messages} message(s) covering {report.sent} change event(s); "
            f"{report.retrying} to retry, {report.gave_up} given up",
            err=True,
        )
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILURE)


# -- feed --------------------------------------------------------------------------------------------


@click.command()
@click.option("--source", default=None, help="Only this source's changes.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
def feed(source: str | None, limit: int, output: Path | None) -> None:
    """Print an Atom feed of the latest change events: `govwatch feed > changes.xml`."""
    from tracker.db import session_factory
    from tracker.feed import feed_xml

    with session_factory()() as session:
        xml = feed_xml(session, source=source, limit=limit)
    if output:
        output.write_bytes(xml)
    else:
        sys.stdout.buffer.write(xml)
        sys.stdout.flush()


# -- demo --------------------------------------------------------------------------------------------


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo database and sources file in this directory (default: a throw-away one).",
)
def demo(keep: Path | None) -> None:
    """See govwatch work end to end, offline, in well under a minute.

    \b
    Starts a built-in disclosure portal on 127.0.0.1, crawls it, switches it to a
    second state (revised targets, a repealed document, a deleted page, pure noise),
    crawls again and shows the notification, a document's history and a target diff.
    Exit 0 only when the expected changes were found.
    """
    from scheduler.demo import run_demo

    sys.exit(run_demo(keep))
