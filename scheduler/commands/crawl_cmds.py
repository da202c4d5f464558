"""``govwatch sources`` (list and validate the sources file) and ``govwatch crawl`` (crawl now)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from scheduler.cli import EXIT_BUSY, EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from tracker.config import Config, ConfigError, load_config

PROGRESS_COLUMNS = ("pages", "new_versions", "changes", "errors", "blocked", "not_modified")


def _load(config_path: str | None) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@click.command()
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Sources file (default: GOVWATCH_CONFIG or ./govwatch.toml).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.option("--check", is_flag=True, help="Only validate the file: print 'ok' or the error, exit 0 or 2.")
@click.option(
    "--discover",
    "discover_url",
    metavar="URL",
    help="Print the column tree a crawl would walk from URL (title, URL, documents per column).",
)
def sources(config_path: str | None, as_json: bool, check: bool, discover_url: str | None) -> None:
    """List the configured sources and check the sources file; --discover explores a new site."""
    if discover_url is not None:
        from scheduler.commands.discover_cmd import run_discover

        run_discover(discover_url, config_path, as_json)
        return
    config = _load(config_path)
    _check_cron(config)
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


def _check_cron(config: Config) -> None:
    """Cron fields out of range ('99 6 * * *') pass the file's syntax check; APScheduler's parser decides."""
    from apscheduler.triggers.cron import CronTrigger

    for src in config.sources:
        if src.cron is None:
            continue
        try:
            CronTrigger.from_crontab(src.cron)
        except ValueError as exc:
            click.echo(
                f"error: {config.path}: source {src.name!r}: field 'schedule' {src.cron!r} "
                f"is not a valid cron expression: {exc}",
                err=True,
            )
            sys.exit(EXIT_USAGE)


def _source_json(src: Any) -> dict[str, Any]:
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
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Sources file (default: GOVWATCH_CONFIG or ./govwatch.toml).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each source's summary as a JSON line.")
def crawl(source_names: tuple[str, ...], config_path: str | None, as_json: bool) -> None:
    """Crawl sources now (all of them unless named), one after another, each in its own process.

    Exit code 0 when every crawl was ok, 4 when some fetches failed, 1 when a source failed entirely,
    5 when a source was skipped because another process is crawling it right now.
    """
    config = _load(config_path)
    names = list(source_names) or [s.name for s in config.sources]
    known = {s.name for s in config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        click.echo(f"error: {config.path}: no source named {', '.join(unknown)}", err=True)
        sys.exit(EXIT_USAGE)
    if not names:
        click.echo(f"error: {config.path}: no [[source]] configured", err=True)
        sys.exit(EXIT_USAGE)
    path = str(Path(config.path).resolve()) if config.path else None
    summaries = []
    for name in names:
        summaries.append(_crawl_one(name, path, as_json))
        if summaries[-1].get("outcome") == "interrupted":
            break  # Ctrl-C stops this crawl and the ones still to come
    if not as_json:
        _summary_table(summaries)
    outcomes = {s.get("outcome") for s in summaries}
    if outcomes & {"failed", "error", "interrupted", "timeout"}:
        sys.exit(EXIT_FAILURE)
    if "busy" in outcomes:
        sys.exit(EXIT_BUSY)
    if "partial" in outcomes:
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_OK)


def _crawl_one(name: str, config_path: str | None, as_json: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "crawler", name, "--trigger", "manual", "--progress", "json"]
    if config_path:
        command += ["--config", config_path]
    summary: dict[str, Any] = {"source": name, "outcome": "error", "counts": {}}
    status = None if as_json else _Status(name)
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, encoding="utf-8") as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if event.get("event") == "progress" and status:
                    status.update(event)
                elif event.get("event") == "summary":
                    summary = event
                elif event.get("event") in ("error", "busy"):
                    outcome = "busy" if event["event"] == "busy" else "error"
                    summary = {"source": name, "outcome": outcome, "counts": {}, "error": event.get("error")}
        except KeyboardInterrupt:
            proc.wait()  # the crawl got the same SIGINT and stops gracefully
            summary = {"source": name, "outcome": "interrupted", "counts": summary.get("counts", {})}
        finally:
            if status:
                status.stop()
    summary.setdefault("source", name)
    summary["exit_code"] = proc.returncode
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    return summary


class _Status:
    """A one-line live display of a running crawl, fed by its JSON progress lines."""

    def __init__(self, name: str) -> None:
        from rich.console import Console
        from rich.live import Live

        self.name = name
        self.live = Live(self._render({}), console=Console(stderr=True), transient=True, refresh_per_second=8)
        self.live.start()

    def _render(self, event: dict[str, Any]) -> str:
        parts = "  ".join(f"{k.replace('_', ' ')} [bold]{event.get(k, 0)}[/]" for k in PROGRESS_COLUMNS)
        return f"[cyan]crawling {self.name}[/]  {parts}"

    def update(self, event: dict[str, Any]) -> None:
        self.live.update(self._render(event))

    def stop(self) -> None:
        self.live.stop()


def _summary_table(summaries: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    colours = {"ok": "green", "partial": "yellow", "busy": "yellow"}
    table = Table(title="crawl summary")
    table.add_column("source")
    table.add_column("outcome")
    table.add_column("run")
    for column in PROGRESS_COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
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
