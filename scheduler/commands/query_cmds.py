"""Commands that read the version store: ``changes``, ``history``, ``show``, ``diff`` and ``targets``.

Each asks ``tracker.query`` and hands the answer to ``scheduler.commands.rendering``.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from scheduler.cli import EXIT_NOT_FOUND
from scheduler.commands import rendering
from tracker import events
from tracker.models import Document, Version

RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _factory() -> sessionmaker[Session]:
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
            click.echo(rendering.dumps(row))
        return
    rendering.print_changes(rows)


# -- history ---------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def history(document: str, as_json: bool) -> None:
    """A document's versions with their dates and what changed in each (DOCUMENT: URL or id)."""
    from tracker.query import history as query_history

    with _factory()() as session:
        doc = _resolve(session, document)
        entries = query_history(session, doc)
        header = _doc_header(doc)
    if as_json:
        click.echo(rendering.dumps({"document": header, "history": entries}, indent=2))
        return
    rendering.print_history(header, entries)


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
        payload = {
            "document": _doc_header(doc),
            "version": {
                "seq": ver.seq,
                "created_at": ver.created_at,
                "fingerprint": ver.fingerprint,
                "normalizer": ver.normalizer,
                "snapshot": ver.snapshot,
            },
        }
    if as_json:
        click.echo(rendering.dumps(payload, indent=2))
        return
    rendering.print_version(payload["document"], payload["version"])


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
    found = diff_snapshots(old_snap, new_snap)
    edits = paragraph_changes(list(old_snap.get("paragraphs") or []), list(new_snap.get("paragraphs") or []))
    if as_json:
        payload = {
            "document": header,
            "from": old_seq,
            "to": new_seq,
            "events": [{"kind": e.kind, "details": e.details} for e in found],
            "paragraphs": [{"op": op, "old": x, "new": y} for op, x, y in edits],
        }
        click.echo(rendering.dumps(payload, indent=2))
        return
    rendering.print_diff(header, old_seq, new_seq, found, edits)


# -- targets ---------------------------------------------------------------------------------


@click.command()
@click.argument("document")
@click.option("--history", "with_history", is_flag=True, help="Each target's value in every version.")
@click.option("--version", "seq", type=int, help="Targets of this version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def targets(document: str, with_history: bool, seq: int | None, as_json: bool) -> None:
    """A document's targets (DOCUMENT: URL or id); with --history, each target's value over time."""
    from tracker.query import target_history

    with _factory()() as session:
        doc = _resolve(session, document)
        if with_history:
            series = target_history(session, doc)
            current: dict[str, Any] = {}
        else:
            current = dict(_version(session, doc, seq).snapshot.get("targets") or {})
            series = []
    if as_json:
        click.echo(rendering.dumps(series if with_history else current, indent=2))
        return
    if with_history:
        rendering.print_target_history(series)
        return
    out = rendering.console()
    if not current:
        out.print("No targets in this version.")
    rendering.print_targets(out, current)
