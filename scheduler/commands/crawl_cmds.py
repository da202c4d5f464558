"""``govwatch sources`` (list and validate the sources file) and ``govwatch crawl`` (crawl now)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scheduler.cli import (
    CRAWL_ZYGOTE,
    EXIT_OK,
    EXIT_USAGE,
    check_crawl_environment,
    config_option,
    load_sources,
)
from tracker.config import Config, SourceConfig
from tracker.exitcodes import EXIT_INTERRUPTED, crawl_exit_code

if TYPE_CHECKING:
    from rich.text import Text
    from sqlalchemy.orm import Session, sessionmaker

    from tracker.runs import CrawlResult

PROGRESS_COLUMNS = ("pages", "new_versions", "changes", "errors", "blocked", "not_modified")


@click.command()
@config_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.option("--check", is_flag=True, help="Only validate the file: print 'ok' or the error, exit 0 or 2.")
@click.option(
    "--discover",
    "discover_url",
    metavar="URL",
    help="Print the column tree a crawl would walk from URL (title, URL, documents per column).",
)
def sources(config_path: Path | None, as_json: bool, check: bool, discover_url: str | None) -> None:
    """List the configured sources and check the sources file; --discover explores a new site."""
    if discover_url is not None:
        from scheduler.commands.discover_cmd import run_discover

        run_discover(discover_url, config_path, as_json)
        return
    config = load_sources(config_path)
    if check:
        click.echo(f"ok: {config.path}: {len(config.sources)} source(s), {len(config.channels)} channel(s)")
        if not config.sources:
            click.echo("warning: no [[source]] configured, so nothing will be crawled", err=True)
        return
    if as_json:
        for src in config.sources:
            click.echo(json.dumps(_source_json(src), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sources in {config.path}")
    for column in ("name", "platform", "schedule", "start URLs", "hosts", "delay / conc."):
        table.add_column(column)
    for src in config.sources:
        table.add_row(
            src.name,
            src.platform,
            src.schedule or "-",
            "\n".join(src.start_urls),
            ", ".join(src.allowed_hosts),
            f"{src.download_delay:g}s / {src.concurrency}",
        )
    console = Console()
    console.print(table)
    if config.channels:
        console.print("channels: " + ", ".join(f"{c.name} ({c.type})" for c in config.channels))


def _source_json(src: SourceConfig) -> dict[str, Any]:
    return {
        "name": src.name,
        "platform": src.platform,
        "start_urls": list(src.start_urls),
        "allowed_hosts": list(src.allowed_hosts),
        "schedule": src.schedule,
        "jitter_seconds": src.jitter_seconds,
        "timeout_seconds": src.timeout_seconds,
        "detail_url_pattern": src.detail_url_pattern,
        "list_selector": src.list_selector,
        "max_pages": src.max_pages,
        "max_depth": src.max_depth,
        "download_delay": src.download_delay,
        "concurrency": src.concurrency,
        "obey_robots": src.obey_robots,
        "allow_private_addresses": src.allow_private_addresses,
        "notify_kinds": sorted(src.notify_kinds) if src.notify_kinds is not None else None,
    }


@click.command()
@click.argument("source_names", nargs=-1, metavar="[SOURCE]...")
@config_option()
@click.option("--json", "as_json", is_flag=True, help="Print each source's summary as a JSON line.")
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    metavar="N",
    default=None,
    help="Crawl processes to spread the sources over (default: one per core, at most 4).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "queue"]),
    default=None,
    help="local: crawl on this machine; queue: jobs for `govwatch worker` (default: [settings] executor).",
)
@click.option(
    "--wait", is_flag=True, help="With --executor queue: wait for the queued crawls, then summarise."
)
def crawl(
    *,
    source_names: tuple[str, ...],
    config_path: Path | None,
    as_json: bool,
    processes: int | None,
    executor: str | None,
    wait: bool,
) -> None:
    """Crawl sources now (all of them unless named), all at once, each with its own run and time limit.

    The sources share a few crawl processes (one per core); each keeps its own politeness,
    counts and outcome, and a source that hangs holds up no other. Ctrl-C stops every crawl
    gracefully: what was recorded stays. With the queue executor (PostgreSQL) the crawls are
    queued for `govwatch worker` processes instead; --wait waits for them and ends as a local
    crawl would.

    Exit code 0 when every crawl was ok, 4 when some fetches failed, 1 when a source failed entirely,
    5 when a source was skipped because another process is crawling it, 130 when Ctrl-C or SIGTERM
    stopped the crawl (what it had recorded stays).
    """
    config = load_sources(config_path)
    check_crawl_environment()
    names = list(source_names) or [s.name for s in config.sources]
    known = {s.name for s in config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        click.echo(f"error: {config.path}: no source named {', '.join(unknown)}", err=True)
        sys.exit(EXIT_USAGE)
    if not names:
        click.echo(f"error: {config.path}: no [[source]] configured", err=True)
        sys.exit(EXIT_USAGE)
    names = list(dict.fromkeys(names))
    interrupted = False
    if (executor or config.settings.executor) == "queue":
        zygote = click.get_current_context().meta.pop(CRAWL_ZYGOTE, None)
        if zygote is not None:  # the crawls happen elsewhere
            zygote.close()
        summaries = _crawl_queued(names, wait=wait, as_json=as_json)
        if summaries is None:
            sys.exit(EXIT_OK)
    else:
        results, interrupted = _crawl_here(config, names, processes, live=not as_json)
        summaries = [_summary_of(result) for result in results]
    if as_json:
        for summary in summaries:
            click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _summary_table(summaries)
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(crawl_exit_code(s["outcome"] for s in summaries))


def _crawl_here(
    config: Config, names: list[str], processes: int | None, *, live: bool
) -> tuple[list[CrawlResult], bool]:
    """Run the crawls through the one runner; Ctrl-C or SIGTERM stops them gracefully (True)."""
    from scheduler.interrupts import run_until_done
    from scheduler.runner import CrawlRequest, CrawlRunner, default_processes
    from tracker.db import session_factory
    from tracker.env import database_url

    url = database_url()
    path = Path(config.path).resolve() if config.path else None
    # The crawl processes fork from the zygote the command started first thing (scheduler.cli).
    zygote = click.get_current_context().meta.get(CRAWL_ZYGOTE)
    runner = CrawlRunner(
        session_factory(url), url, path, processes=processes or default_processes(), zygote=zygote
    )
    status = _Status(names) if live else None
    if status is not None:
        runner.on_progress = status.update
    requests = [CrawlRequest(n, "manual", float(config.source(n).timeout_seconds)) for n in names]
    try:
        done, interrupted = run_until_done(
            lambda: runner.run_many(requests),
            runner.stop_event,
            name="crawl",
            signals=(signal.SIGINT, signal.SIGTERM),
        )
    finally:
        if status is not None:
            status.stop()
    return done or [], interrupted


def _crawl_queued(names: list[str], *, wait: bool, as_json: bool) -> list[dict[str, Any]] | None:
    """Queue one job per source; with ``wait``, the summaries of the runs that carried them out."""
    from scheduler.queue import QueueClient, QueueUnavailable
    from tracker.db import session_factory
    from tracker.env import database_url

    url = database_url()
    try:
        queue = QueueClient(url)
    except QueueUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    factory = session_factory(url)  # the queue's tables come with the schema
    deferred = queue.defer(names, "manual")
    for item in deferred:
        note = "waiting in the queue already" if item.queued_already else "queued"
        if as_json and not wait:
            click.echo(
                json.dumps(
                    {"source": item.source, "job_id": item.job_id, "queued_already": item.queued_already}
                )
            )
        elif not as_json:
            click.echo(f"{item.source}: {note} (job {item.job_id or '?'})", err=True)
    if not wait:
        queue.close()
        return None
    jobs = {item.source: item.job_id for item in deferred if item.job_id is not None}
    if not as_json:
        click.echo(f"waiting for {len(jobs)} queued crawl(s) to end (govwatch worker) ...", err=True)
    try:
        statuses = queue.wait_for(list(jobs.values()))
    finally:
        queue.close()
    return [_job_summary(factory, source, jobs.get(source), statuses) for source in names]


def _job_summary(
    factory: sessionmaker[Session], source: str, job_id: int | None, statuses: dict[int, str]
) -> dict[str, Any]:
    from sqlalchemy import select

    from tracker.models import CrawlRun, Source
    from tracker.runs import JOB_KEY, public_counts

    summary: dict[str, Any] = {"source": source, "job_id": job_id, "run_id": None, "counts": {}, "errors": []}
    with factory() as session:
        rows = session.scalars(
            select(CrawlRun)
            .join(Source, Source.id == CrawlRun.source_id)
            .where(Source.name == source)
            .order_by(CrawlRun.id.desc())
            .limit(50)
        )
        run = next((r for r in rows if job_id is not None and (r.counts or {}).get(JOB_KEY) == job_id), None)
        if run is not None:
            summary.update(run_id=run.id, outcome=run.outcome, counts=public_counts(run.counts))
            if run.error:  # the first few failures, as the crawl stored them
                summary["errors"] = run.error.split("; ")
    if run is None:
        status = statuses.get(job_id, "unknown") if job_id is not None else "unknown"
        summary.update(
            outcome="busy" if status == "succeeded" else "failed", error=f"queue job {job_id}: {status}"
        )
    return summary


def _summary_of(result: CrawlResult) -> dict[str, Any]:
    summary = {
        "source": result.source,
        "run_id": result.run_id,
        "outcome": str(result.outcome),
        "counts": result.counts,
        "errors": result.errors,
        "exit_code": result.returncode,
    }
    if result.error:
        summary["error"] = result.error
    return summary


class _Status:
    """A live display of the running crawls, one line per source, fed by their progress events."""

    def __init__(self, names: list[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.names = names
        self.events: dict[str, dict[str, Any]] = {}
        self.guard = threading.Lock()
        self.live = Live(self._render(), console=Console(stderr=True), transient=True, refresh_per_second=8)
        self.live.start()

    def _render(self) -> Text:
        from rich.text import Text

        lines = []
        for name in self.names:
            event = self.events.get(name, {})
            parts = "  ".join(f"{k.replace('_', ' ')} [bold]{event.get(k, 0)}[/]" for k in PROGRESS_COLUMNS)
            lines.append(f"[cyan]crawling {name}[/]  {parts}")
        return Text.from_markup("\n".join(lines))

    def update(self, source: str, counts: dict[str, Any]) -> None:
        with self.guard:
            self.events[source] = counts
            self.live.update(self._render())

    def stop(self) -> None:
        self.live.stop()


def _summary_table(summaries: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    colours = {"ok": "green", "partial": "yellow", "busy": "yellow"}
    # Fits an 80-column terminal without cutting a name or a heading short: one space between
    # columns, two-word headings on two lines, and a long source name folded, never truncated.
    table = Table(title="crawl summary", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0)
    table.add_column("source", overflow="fold", min_width=12)
    table.add_column("outcome", no_wrap=True)
    table.add_column("run", justify="right", no_wrap=True)
    for column in PROGRESS_COLUMNS:
        table.add_column(column.replace("_", "\n"), justify="right", no_wrap=True)
    for s in summaries:
        counts = s.get("counts") or {}
        colour = colours.get(s.get("outcome", ""), "red")
        table.add_row(
            s["source"],
            f"[{colour}]{s.get('outcome')}[/]",
            str(s.get("run_id") or "-"),
            *(str(counts.get(c, 0)) for c in PROGRESS_COLUMNS),
        )
    console = Console()
    console.print(table)
    for s in summaries:
        if s.get("error"):
            console.print(f"[red]{escape(s['source'])}: {escape(s['error'])}[/]", highlight=False)
        for error in s.get("errors") or []:
            console.print(f"[yellow]{s['source']}:[/] {escape(error)}", highlight=False)
