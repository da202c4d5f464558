"""``govwatch worker``: run queued crawl jobs (the queue executor, PostgreSQL only)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from scheduler.cli import EXIT_OK, EXIT_USAGE, check_crawl_environment, config_option, load_sources
from scheduler.queue import HEARTBEAT_SECONDS, STALLED_AFTER_SECONDS

DEFAULT_CONCURRENCY = 4


@click.command()
@config_option()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    metavar="N",
    help="Crawl jobs this worker runs at once, each in its own crawl process.",
)
@click.option("--name", metavar="NAME", default=None, help="Name in the logs (default: HOST:PID).")
@click.option(
    "--heartbeat",
    type=click.FloatRange(min=0.1),
    default=HEARTBEAT_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between this worker's heartbeats.",
)
@click.option(
    "--stalled-after",
    type=click.FloatRange(min=1),
    default=STALLED_AFTER_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="A worker silent for this long is dead: its jobs are queued again.",
)
def worker(
    *, config_path: Path | None, concurrency: int, name: str | None, heartbeat: float, stalled_after: float
) -> None:
    """Take crawl jobs from the queue and run them, on this machine, until SIGTERM/SIGINT.

    \b
    For `[settings] executor = "queue"` (or `govwatch run --executor queue`): the one
    scheduler queues each due crawl, any number of workers on any machines run them.
    Every machine uses the same PostgreSQL database (GOVWATCH_DATABASE_URL) and its own
    copy of the sources file. A worker that dies mid-crawl stops sending heartbeats; its
    job is queued again (--stalled-after) and another worker crawls the source. SIGTERM stops
    the running crawls gracefully (their runs end `interrupted`) and the worker leaves.

    \b
    Exit codes: 0 stopped by SIGTERM/SIGINT; 2 bad sources file, or the database is not
    PostgreSQL.
    """
    from scheduler.queue import QueueUnavailable, conninfo, run_worker

    if stalled_after <= heartbeat:
        raise click.UsageError("--stalled-after must be longer than --heartbeat")
    from tracker.db import session_factory
    from tracker.env import database_url

    config = load_sources(config_path)
    check_crawl_environment()
    url = database_url()
    try:
        conninfo(url)
    except QueueUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    session_factory(url)  # the schema (procrastinate's tables too) is brought up to date once, here
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger().setLevel(logging.INFO)  # a daemon's log is its interface
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    path = config.path.resolve() if config.path else None
    run_worker(
        url, path, concurrency=concurrency, name=name, heartbeat=heartbeat, stalled_after=stalled_after
    )
    sys.exit(EXIT_OK)
