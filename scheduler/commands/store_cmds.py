"""CLI over the version store: changes, history, show, diff, targets, reprocess and db upgrade/current."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from scheduler.cli import EXIT_NOT_FOUND, EXIT_USAGE
from tracker import events
from tracker.models import Document, Version

# Page text is untrusted: it only ever reaches the terminal as rich Text (never parsed as markup).
RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _dumps(obj: Any, *, indent: int | None = None) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default, indent=indent)


def _factory() -> Any:
    from tracker.db import session_factory

    return session_factory()


def parse_since(value: str | None) -> datetime | None:
    """``7d``, ``12h``, ``30m``, ``2w`` ago, or an ISO date/datetime (UTC unless it says otherwise)."""
    if value is None:
        return None
    match = RELATIVE.match(value.strip().lower())
    if match:
        try:
            return datetime.now(UTC) - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        except (OverflowError, ValueError):
            # "99999999d" reaches back before year 1: no date can say that.
            raise click.BadParameter(
                f"{value!r} reaches back before the year 1; give a smaller span"
            ) from None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use 7d, 12h, 30m or an ISO date such as 2026-03-01") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _resolve(session: Session, ref: str) -> Document:
    from tracker.query import get_document

    doc = get_document(session, ref)
    if doc is None:
        click.echo(f"govwatch: no document {ref!r} (give a URL or a document id)", err=True)
        sys.exit(EXIT_NOT_FOUND)
    return doc


def _require_source(session: Session, name: str) -> None:
    """Exit 3 naming the sources the database knows when ``name`` is not one of them."""
    from sqlalchemy import select

    from tracker.models import Source

    known = list(session.scalars(select(Source.name).order_by(Source.name)))
    if name not in known:
        click.echo(
            f"govwatch: no source named {name!r} has been crawled (known: {', '.join(known) or 'none yet'})",
            err=True,
        )
        sys.exit(EXIT_NOT_FOUND)


def _version(session: Session, doc: Document, seq: int | None) -> Version:
    from tracker.query import version

    found = version(session, doc, seq)
    if found is None:
        what = f"version {seq}" if seq is not None else "any version"
        click.echo(f"govwatch: document {doc.id} has no {what}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    return found


def _kind_text(kind: str) -> Text:
    return Text(kind, style=events.style(kind))


# -- changes ---------------------------------------------------------------------------------


@click.command()
@click.option("--since", help="Only events detected since: 7d, 12h, 30m, or an ISO date/time.")
@click.option("--source", help="Only this source (its name in govwatch.toml).")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help=f"Only this kind or group (repeatable): {', '.join(events.FILTER_NAMES)}.",
)
@click.option("--url", help="Only this document URL.")
@click.option("--limit", type=click.IntRange(min=1), help="At most the N most recent events.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one event per line.")
def changes(  # noqa: PLR0917 - click passes options positionally
    since: str | None,
    source: str | None,
    kinds: tuple[str, ...],
    url: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Change events, oldest first: what changed in which document, and when."""
    from tracker.query import changes as query_changes

    moment = parse_since(since)
    try:
        wanted = sorted(events.expand(kinds)) if kinds else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kind") from None
    with _factory()() as session:
        if source is not None:
            _require_source(session, source)
        rows = query_changes(session, since=moment, source=source, kinds=wanted, url=url, limit=limit)
    if as_json:
        for row in rows:
            click.echo(_dumps(row))
        return
    _print_changes(rows)


def _print_changes(rows: list[dict[str, Any]]) -> None:
    from tracker.summary import describe

    console = _console()
    if not rows:
        console.print("No change events.")
        return
    table = Table(show_lines=False)
    for name in ("id", "detected (UTC)", "source", "document", "kind", "what changed"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            _when(row["detected_at"]),
            Text(row["source"] or ""),
            Text(f"{row['title'] or row['url']}\n{row['url']}" if row["title"] else row["url"]),
            _kind_text(row["kind"]),
            Text(describe(row["kind"], row["details"])),
        )
    console.print(table)


# -- history ---------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def history(document: str, as_json: bool) -> None:
    """A document's versions with their dates and what changed in each (DOCUMENT: URL or id)."""
    from tracker.query import history as query_history
    from tracker.summary import describe

    with _factory()() as session:
        doc = _resolve(session, document)
        entries = query_history(session, doc)
        header = _doc_header(doc)
    if as_json:
        click.echo(_dumps({"document": header, "history": entries}, indent=2))
        return
    console = _console()
    console.print(Text(f"{header['title'] or ''}  {header['url']}  [{header['status']}]"))
    table = Table()
    for name in ("version", "date (UTC)", "changes"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        lines = Text()
        for i, change in enumerate(entry["changes"]):
            if i:
                lines.append("\n")
            lines.append(change["kind"], style=events.style(change["kind"]))
            lines.append("  " + describe(change["kind"], change["details"]))
        table.add_row(str(entry["seq"]) if entry["seq"] is not None else "", _when(entry["at"]), lines)
    console.print(table)


def _doc_header(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "url": doc.url,
        "title": doc.title,
        "status": doc.status,
        "kind": doc.kind,
        "source": doc.source.name,
        "first_seen_at": doc.first_seen_at,
        "last_seen_at": doc.last_seen_at,
    }


# -- show ------------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.option("--version", "seq", type=int, help="Version number (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="JSON output: the stored snapshot.")
def show(document: str, seq: int | None, as_json: bool) -> None:
    """One version of a document: title, metadata, targets and body (DOCUMENT: URL or id)."""
    with _factory()() as session:
        doc = _resolve(session, document)
        ver = _version(session, doc, seq)
        header = _doc_header(doc)
        payload = {
            "document": header,
            "version": {
                "seq": ver.seq,
                "created_at": ver.created_at,
                "fingerprint": ver.fingerprint,
                "normalizer": ver.normalizer,
                "snapshot": ver.snapshot,
            },
        }
    if as_json:
        click.echo(_dumps(payload, indent=2))
        return
    snap = payload["version"]["snapshot"]
    console = _console()
    console.print(Text(f"{snap.get('title') or header['title'] or ''}", style="bold"))
    console.print(
        Text(f"{header['url']}  version {ver.seq} of {_when(ver.created_at)}  [{header['status']}]")
    )
    meta = Table(show_header=False, box=None)
    for name, value in (snap.get("metadata") or {}).items():
        meta.add_row(Text(str(name), style="cyan"), Text(str(value)))
    if meta.row_count:
        console.print(meta)
    _print_targets(console, snap.get("targets") or {})
    for paragraph in snap.get("paragraphs") or []:
        console.print(Text(paragraph))
    if snap.get("attachment"):
        console.print(Text(_dumps(snap["attachment"])))


def _print_targets(console: Console, targets: dict[str, Any]) -> None:
    from tracker.summary import quantity

    if not targets:
        return
    table = Table(title="targets")
    for name in ("section", "indicator", "target", "text"):
        table.add_column(name, overflow="fold")
    for target in targets.values():
        table.add_row(
            Text(target.get("section") or ""),
            Text(target.get("indicator") or ""),
            Text(quantity(target)),
            Text(target.get("text") or ""),
        )
    console.print(table)


# -- diff ------------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON output: events and paragraph edits.")
def diff(document: str, a: int | None, b: int | None, as_json: bool) -> None:
    """What changed between two versions (default: the last two), highlighted character by character.

    DOCUMENT is a URL or an id; A and B are version numbers (B defaults to the latest).
    """
    from tracker.diff import diff_snapshots, paragraph_changes

    with _factory()() as session:
        doc = _resolve(session, document)
        new = _version(session, doc, b)
        old = _version(session, doc, a if a is not None else max(new.seq - 1, 1))
        header = _doc_header(doc)
        old_snap, new_snap, old_seq, new_seq = old.snapshot, new.snapshot, old.seq, new.seq
    events = diff_snapshots(old_snap, new_snap)
    edits = paragraph_changes(list(old_snap.get("paragraphs") or []), list(new_snap.get("paragraphs") or []))
    if as_json:
        payload = {
            "document": header,
            "from": old_seq,
            "to": new_seq,
            "events": [{"kind": e.kind, "details": e.details} for e in events],
            "paragraphs": [{"op": op, "old": x, "new": y} for op, x, y in edits],
        }
        click.echo(_dumps(payload, indent=2))
        return
    _print_diff(header, old_seq, new_seq, events, edits)


def _print_diff(
    header: dict[str, Any], old_seq: int, new_seq: int, changes: Iterable[Any], edits: list[Any]
) -> None:
    from tracker.summary import describe

    console = _console()
    console.print(Text(f"{header['title'] or ''}  {header['url']}", style="bold"))
    console.print(Text(f"version {old_seq} → version {new_seq}"))
    found = list(changes)
    if not found and not edits:
        console.print("No differences.")
        return
    for event in found:
        line = Text("  ")
        line.append(event.kind, style=events.style(event.kind))
        line.append("  " + describe(event.kind, event.details))
        console.print(line)
    if edits:
        console.print()
    for op, before, after in edits:
        console.print(highlight(op, before, after))


def highlight(op: str, before: str | None, after: str | None) -> Text:
    """One paragraph edit as Text: deletions red and struck through, insertions green, by character."""
    from tracker.textdiff import opcodes

    if op == "added":
        return Text("+", style="bold green").append(after or "", style="green")
    if op == "removed":
        return Text("-", style="bold red").append(before or "", style="red strike")
    old, new = before or "", after or ""
    # No space after the marker: rich wraps at spaces, and a CJK paragraph is one long "word".
    text = Text("~", style="bold yellow")
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            text.append(old[i1:i2])
            continue
        if i2 > i1:
            text.append(old[i1:i2], style="bold red strike")
        if j2 > j1:
            text.append(new[j1:j2], style="bold green underline")
    return text


# -- targets ---------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.option("--history", "with_history", is_flag=True, help="Each target's value in every version.")
@click.option("--version", "seq", type=int, help="Targets of this version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def targets(document: str, with_history: bool, seq: int | None, as_json: bool) -> None:
    """A document's targets (DOCUMENT: URL or id); with --history, each target's value over time."""
    from tracker.query import target_history
    from tracker.summary import quantity

    with _factory()() as session:
        doc = _resolve(session, document)
        if with_history:
            series = target_history(session, doc)
            current: dict[str, Any] = {}
        else:
            current = dict(_version(session, doc, seq).snapshot.get("targets") or {})
            series = []
    if as_json:
        click.echo(_dumps(series if with_history else current, indent=2))
        return
    console = _console()
    if not with_history:
        if not current:
            console.print("No targets in this version.")
        _print_targets(console, current)
        return
    seqs = sorted({p["seq"] for s in series for p in s["points"]})
    table = Table(title="targets over versions")
    table.add_column("section", overflow="fold")
    table.add_column("indicator", overflow="fold")
    for s_ in seqs:
        table.add_column(f"v{s_}", overflow="fold")
    for entry in series:
        by_seq = {p["seq"]: p for p in entry["points"]}
        cells: list[Text] = []
        previous: str | None = None
        for s_ in seqs:
            point = by_seq.get(s_)
            shown = "" if point is None else ("—" if point.get("absent") else quantity(point))
            cells.append(
                Text(shown, style="bold yellow" if previous is not None and shown != previous else "")
            )
            previous = shown if point is not None else previous
        table.add_row(Text(entry.get("section") or ""), Text(entry.get("indicator") or ""), *cells)
    console.print(table)


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
    from tracker.reprocess import reprocess as run

    report = run(_factory(), source=source, only_stale=stale_only)
    if as_json:
        click.echo(_dumps(report.as_dict()))
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
        click.echo(_dumps({"from": started, "to": head, "upgraded": started != head}))
    elif started == head:
        click.echo(f"database already at revision {head}")
    else:
        click.echo(f"database upgraded from {started or 'empty'} to revision {head}")


@db.command("current")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def db_current(as_json: bool) -> None:
    """The database's schema revision and the newest this version of govwatch knows."""
    from sqlalchemy.exc import DBAPIError

    from tracker.db import current_revision, head_revision, make_engine

    engine = make_engine()
    try:
        current = current_revision(engine)
    except DBAPIError as exc:
        click.echo(f"govwatch: cannot open the database: {exc.orig}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        engine.dispose()
    head = head_revision()
    if as_json:
        click.echo(_dumps({"current": current, "head": head, "up_to_date": current == head}))
    else:
        state = "up to date" if current == head else "needs `govwatch db upgrade`"
        click.echo(f"revision {current or 'none (empty database)'}; newest {head}; {state}")
