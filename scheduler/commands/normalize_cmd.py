"""The ``govwatch normalize FILE|URL ...`` command: print the normalised snapshot of pages."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from tracker.normalize.pipeline import NormalizedPage

from scheduler.cli import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

FETCH_TIMEOUT = 20.0


class FetchError(Exception):
    """A URL argument could not be fetched."""


class MissingFile(FetchError):
    """A FILE argument does not exist or cannot be read: a bad argument, not a failed page."""


def _fetch(url: str, limit: int) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"User-Agent": "govwatch-normalize/1"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(limit + 1)
            headers = {k.lower(): v for k, v in response.headers.items()}
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(str(exc)) from exc
    return body, headers


def _read(arg: str, limit: int) -> tuple[bytes, dict[str, str], str | None]:
    if arg.startswith(("http://", "https://")):
        body, headers = _fetch(arg, limit)
        return body, headers, arg
    try:
        return Path(arg).read_bytes(), {}, None
    except OSError as exc:
        raise MissingFile(exc.strerror or str(exc)) from exc


def _show(console: Console, source: str, page: NormalizedPage) -> None:
    snap = page.snapshot
    console.rule(f"[bold]{escape(snap['title'] or '(untitled)')}[/bold]")
    console.print(f"[dim]{escape(source)}  charset={page.charset}  fingerprint={page.fingerprint[:16]}[/dim]")
    for warning in page.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if snap["metadata"]:
        table = Table(title="metadata", show_header=False, title_justify="left")
        for key, value in snap["metadata"].items():
            table.add_row(key, escape(value) or "[dim]—[/dim]")
        console.print(table)
    if snap["targets"]:
        table = Table(title=f"targets ({len(snap['targets'])})", title_justify="left")
        for column in ("section", "indicator", "comparator", "value", "unit", "qualifier"):
            table.add_column(column)
        for target in snap["targets"].values():
            value = target["value"]
            shown = "" if value is None else f"{value:g}"
            if target.get("value_max") is not None:
                shown += f"–{target['value_max']:g}"
            table.add_row(
                escape(target.get("section") or ""),
                escape(target.get("indicator") or ""),
                escape(target.get("comparator") or ""),
                shown or escape(target.get("text") or ""),
                escape(target.get("unit") or ""),
                escape(target.get("qualifier") or ""),
            )
        console.print(table)
    damaged = set(snap.get("damaged", []))
    console.print(f"[bold]paragraphs ({len(snap['paragraphs'])})[/bold]")
    for i, paragraph in enumerate(snap["paragraphs"]):
        mark = " [red](damaged)[/red]" if i in damaged else ""
        console.print(f"[dim]{i:>3}[/dim] {escape(paragraph)}{mark}")


@click.command("normalize")
@click.argument("sources", nargs=-1, required=True, metavar="FILE|URL ...")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per line: source, fingerprint, snapshot."
)
@click.option("--url", "page_url", default=None, help="The URL the FILE arguments were fetched from.")
def normalize(sources: tuple[str, ...], as_json: bool, page_url: str | None) -> None:
    """Print the normalised document of each FILE (raw bytes) or http(s) URL.

    Files are read as raw bytes, so charset detection runs as it does on a fetch.
    Exit status: 0 all normalised, 4 some failed, 1 all failed, 2 no FILE argument could be read.
    """
    from tracker.normalize import MAX_BODY_BYTES, NormalizeError
    from tracker.normalize import normalize as run

    console = Console(soft_wrap=True)
    failed = missing = 0
    for source in sources:
        try:
            body, headers, fetched_url = _read(source, MAX_BODY_BYTES)
            page = run(body, url=fetched_url or page_url, headers=headers)
        except (FetchError, NormalizeError) as exc:
            failed += 1
            missing += isinstance(exc, MissingFile)
            reason = getattr(exc, "reason", "unreadable")
            click.echo(f"error: {source}: {reason}: {exc}", err=True)
            if as_json:
                click.echo(
                    json.dumps({"source": source, "error": reason, "message": str(exc)}, ensure_ascii=False)
                )
            continue
        if as_json:
            line = {
                "source": source,
                "fingerprint": page.fingerprint,
                "charset": page.charset,
                "warnings": page.warnings,
                "snapshot": page.snapshot,
            }
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            _show(console, source, page)
    if failed == len(sources):
        sys.exit(EXIT_USAGE if missing == failed else EXIT_FAILURE)
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)
