"""CLI commands of the running system: ``run`` (the scheduler), ``status``, ``notify``, ``feed``, ``demo``."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
from rich.console import Console

from scheduler.cli import (
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    check_crawl_environment,
    config_option,
    load_sources,
)

if TYPE_CHECKING:
    from tracker.notify import RetryPolicy

log = logging.getLogger(__name__)

CONFIG_OPTION = config_option()


Number = TypeVar("Number", int, float)


def _env_number(name: str, default: Number, *, minimum: Number, parse: Callable[[str], Number]) -> Number:
    """A numeric environment setting; a bad value is one line and exit 2, before anything starts."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value: Number | None = parse(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "an integer" if parse is int else "a number"
        click.echo(f"error: environment variable {name}={text!r} must be {kind} >= {minimum:g}", err=True)
        sys.exit(EXIT_USAGE)
    return value


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _retry_policy() -> RetryPolicy:
    from tracker.notify import RetryPolicy

    defaults = RetryPolicy()
    return RetryPolicy(
        max_attempts=_env_number("GOVWATCH_NOTIFY_MAX_ATTEMPTS", defaults.max_attempts, minimum=1, parse=int),
        base_seconds=_env_number(
            "GOVWATCH_NOTIFY_BACKOFF_SECONDS", defaults.base_seconds, minimum=0.0, parse=float
        ),
        claim_seconds=_env_number(
            "GOVWATCH_NOTIFY_CLAIM_SECONDS", defaults.claim.total_seconds(), minimum=1.0, parse=float
        ),
    )


# -- run ---------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option(
    "--heartbeat",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    default=None,
    help="Seconds between lease heartbeats (default 30).",
)
@click.option(
    "--stale-after",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    default=None,
    help="A lease without a heartbeat for this long is taken over by the next scheduler (default 120).",
)
@click.option(
    "--notify-every",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    default=None,
    help="Seconds between sends of due and retried notifications (default 60).",
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    metavar="N",
    default=None,
    help="Sources crawled at once, spread over one crawl process per core (default 32).",
)
@click.option("--no-catch-up", is_flag=True, help="Do not run overdue sources at start-up.")
@click.option(
    "--executor",
    type=click.Choice(["local", "queue"]),
    default=None,
    help="local: crawl here; queue: due crawls become jobs for `govwatch worker` (default: [settings]).",
)
def run(
    *,
    config_path: Path | None,
    executor: str | None,
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
    Logs go to stderr: what ran, when, and how it ended.

    \b
    With the queue executor (PostgreSQL) due crawls are queued for `govwatch worker`
    processes on any machines instead of being run here.

    \b
    Exit codes: 0 stopped by SIGTERM/SIGINT; 1 another scheduler holds the database,
    or this one lost its lease or failed; 2 bad sources file or options, or the queue
    executor on SQLite.
    """
    from scheduler.daemon import Daemon, DaemonSettings
    from scheduler.lock import LockHeld, LockLost
    from tracker.db import session_factory
    from tracker.env import database_url
    from tracker.schedule import ScheduleError

    config = load_sources(config_path)
    check_crawl_environment()
    settings = DaemonSettings(
        retry=_retry_policy(), catch_up=not no_catch_up, executor=executor or config.settings.executor
    )
    if (stale_after or settings.stale_after_seconds) <= (heartbeat or settings.heartbeat_seconds):
        # Otherwise the lease would look stale between two heartbeats and a second
        # scheduler could take it over from a healthy one.
        raise click.UsageError("--stale-after must be longer than --heartbeat")
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
        # Its "maximum number of running instances reached" is logged by us in plain words.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    url = database_url()
    # Crawl subprocesses get an absolute path: they must find the same file whatever their cwd.
    resolved = config.path.resolve() if config.path else None
    from scheduler.queue import QueueUnavailable

    try:
        daemon = Daemon(config, session_factory(url), url, config_path=resolved, settings=settings)
    except ScheduleError as exc:
        click.echo(f"error: {config.path}: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except QueueUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if not daemon.scheduled:
        click.echo(f"warning: no source in {config.path} has a schedule; nothing to run", err=True)
    try:
        daemon.run_forever(signals=(signal.SIGTERM, signal.SIGINT))
    except (LockHeld, LockLost) as exc:  # operating conditions, said in plain words (and logged)
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            raise  # the database went away: one line, as for every command (scheduler.cli.main)
        # Anything else is a fault of the scheduler itself: the log keeps its traceback, the last
        # line says what stopped it.
        log.critical("the scheduler crashed", exc_info=exc)
        click.echo(
            f"error: the scheduler stopped: {type(exc).__name__}: {exc} (traceback in the log above)",
            err=True,
        )
        sys.exit(EXIT_FAILURE)


# -- status ------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
def status(config_path: Path | None, as_json: bool) -> None:
    """Show the scheduler, each source's last and next run and outcome, and the outbox."""
    from scheduler.status import collect_status, render_status
    from tracker.db import session_factory

    config = load_sources(config_path, required=False)
    with session_factory()() as session:
        report = collect_status(session, config)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    render_status(report, Console())


# -- notify ------------------------------------------------------------------------------------------


@click.command()
@CONFIG_OPTION
@click.option("--failed", "show_failed", is_flag=True, help="List deliveries that gave up, send nothing.")
@click.option("--retry-failed", is_flag=True, help="Queue deliveries that gave up again, then send.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON for scripts (with --failed: one JSON object per line)."
)
def notify(config_path: Path | None, show_failed: bool, retry_failed: bool, as_json: bool) -> None:
    """Send pending change notifications now (the scheduler also does this after every crawl).

    \b
    Channels come from the [[channel]] tables of the sources file. A failed send is
    retried with exponential backoff (GOVWATCH_NOTIFY_BACKOFF_SECONDS, default 60) and
    given up after GOVWATCH_NOTIFY_MAX_ATTEMPTS attempts (default 8). A message whose
    sender died mid-send is resent after the claim window (GOVWATCH_NOTIFY_CLAIM_SECONDS,
    default 300) with the same idempotency key (webhook Idempotency-Key, e-mail Message-ID).
    Exit 0 when everything due was sent and nothing has given up, 4 when some messages
    went out while others failed or gave up for good, 1 when nothing could be delivered
    (every send failed, or only given-up deliveries are left: see --failed).
    """
    from tracker.db import session_factory, session_scope
    from tracker.notify import deliver_pending, failed_deliveries, outbox_counts
    from tracker.notify import retry_failed as requeue
    from tracker.notify.digest import printable

    policy = _retry_policy()
    factory = session_factory()
    if show_failed:
        with factory() as session:
            rows = failed_deliveries(session, limit=1000)
        if as_json:
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False, default=_iso))
        else:
            for row in rows:
                what = printable(row["title"] or row["url"])
                click.echo(
                    f"#{row['delivery_id']} {row['channel']} change {row['change_id']} ({row['kind']}) "
                    f"{what}: {row['attempts']} attempts, {row['last_error']}"
                )
            if not rows:
                click.echo("no failed notifications")
        return
    config = load_sources(config_path)
    if retry_failed:
        with session_scope(factory) as session:
            requeued = requeue(session)
        click.echo(f"queued {requeued} failed notification(s) again", err=True)
    # With --json, stdout holds the JSON only: a console channel prints its digests to stderr.
    report = deliver_pending(factory, config.channels, policy=policy, stream=sys.stderr if as_json else None)
    with factory() as session:
        counts = outbox_counts(session)
    given_up = sum(counts.get(c.name, {}).get("failed", 0) for c in config.channels)
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
    if given_up:
        click.echo(
            f"error: {given_up} notification(s) gave up for good: list them with `govwatch notify "
            "--failed`, send them again with `govwatch notify --retry-failed`",
            err=True,
        )
    if report.ok and not given_up:
        sys.exit(EXIT_OK)
    sys.exit(EXIT_PARTIAL if report.messages else EXIT_FAILURE)


# -- feed --------------------------------------------------------------------------------------------


@click.command()
@click.option("--source", metavar="NAME", default=None, help="Only this source's changes.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    metavar="N",
    default=100,
    show_default=True,
    help="The latest N change events.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
def feed(source: str | None, limit: int, output: Path | None) -> None:
    """Print an Atom feed of the latest change events: `govwatch feed > changes.xml`.

    One entry per change event, newest first; publish the file and follow it in any
    feed reader. Exit 3 when --source names a source that was never crawled.
    """
    from sqlalchemy import select

    from tracker.db import session_factory
    from tracker.feed import feed_xml
    from tracker.models import Source

    with session_factory()() as session:
        if source is not None and session.scalar(select(Source.id).where(Source.name == source)) is None:
            click.echo(f"error: no source named {source!r} has been crawled yet", err=True)
            sys.exit(EXIT_NOT_FOUND)
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
@click.option("--serve", "serve_after", is_flag=True, help="Then serve the web interface on its database.")
def demo(keep: Path | None, serve_after: bool) -> None:
    """See govwatch work end to end, offline, in well under a minute.

    \b
    Starts a built-in disclosure portal on 127.0.0.1, crawls it, switches it to a
    second state (revised targets, a repealed document, a deleted page, pure noise),
    crawls again and shows the notification, a document's history and a target diff.
    Exit 0 only when the expected changes were found.
    """
    from scheduler.demo import run_demo

    if serve_after:
        from scheduler.commands.serve_cmd import demo_then_serve

        sys.exit(demo_then_serve(keep))
    sys.exit(run_demo(keep))
