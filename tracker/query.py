"""Read-side queries over the version store: change events, document history, versions, target series.

Everything returns plain dicts (JSON-able apart from datetimes) or model rows, never a live query,
so the CLI, the notifier and the feed can share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from tracker.events import ChangeKind
from tracker.models import Change, Document, Source, Version, as_utc

DOCUMENT_EVENTS = frozenset({ChangeKind.DOCUMENT_REMOVED, ChangeKind.DOCUMENT_RESTORED})
# The JSON Lines fields of `govwatch changes --json`, in order (README.md documents them).
ROW_FIELDS = (
    "id",
    "detected_at",
    "source",
    "url",
    "document_id",
    "title",
    "kind",
    "old_version",
    "new_version",
    "details",
)


def _changes_stmt() -> Select[Any]:
    old_v = aliased(Version)
    new_v = aliased(Version)
    return (
        select(
            Change.id,
            Change.detected_at,
            Source.name,
            Document.url,
            Change.document_id,
            Document.title,
            Change.kind,
            old_v.seq,
            new_v.seq,
            Change.details,
        )
        .join(Document, Document.id == Change.document_id)
        .join(Source, Source.id == Change.source_id)
        .outerjoin(old_v, old_v.id == Change.old_version_id)
        .outerjoin(new_v, new_v.id == Change.new_version_id)
    )


def changes(  # noqa: PLR0917 - the positional order is the documented contract
    session: Session,
    since: datetime | None = None,
    source: str | None = None,
    kinds: Iterable[str] | None = None,
    url: str | None = None,
    limit: int | None = None,
    *,
    ids: Sequence[int] | None = None,
    document_id: int | None = None,
    crawl_run_id: int | None = None,
) -> list[dict[str, Any]]:
    """Change events, oldest first; with ``limit``, the most recent ``limit`` of them.

    Each row: ``{id, detected_at, source, url, document_id, title, kind, old_version,
    new_version, details}`` with versions as sequence numbers within the document.
    """
    stmt = _changes_stmt()
    if since is not None:
        since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        stmt = stmt.where(Change.detected_at >= since)
    if source:
        stmt = stmt.where(Source.name == source)
    if kinds:
        stmt = stmt.where(Change.kind.in_(list(kinds)))
    if url:
        stmt = stmt.where(Document.url == url)
    if ids is not None:
        stmt = stmt.where(Change.id.in_(list(ids)))
    if document_id is not None:
        stmt = stmt.where(Change.document_id == document_id)
    if crawl_run_id is not None:
        stmt = stmt.where(Change.crawl_run_id == crawl_run_id)
    stmt = stmt.order_by(Change.detected_at.desc(), Change.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [dict(zip(ROW_FIELDS, row, strict=True)) for row in session.execute(stmt)]
    for row in rows:
        row["detected_at"] = as_utc(row["detected_at"])
    rows.reverse()
    return rows


def get_document(session: Session, url_or_id: str | int) -> Document | None:
    """A document by numeric id or by URL (the most recently seen one if several sources share it)."""
    ref = str(url_or_id).strip()
    if ref.isdigit():
        return session.get(Document, int(ref))
    return session.scalars(
        select(Document).where(Document.url == ref).order_by(Document.last_seen_at.desc()).limit(1)
    ).first()


def version(session: Session, doc: Document, seq: int | None = None) -> Version | None:
    """Version ``seq`` of ``doc``; its latest version when ``seq`` is None."""
    if seq is None:
        return session.get(Version, doc.latest_version_id) if doc.latest_version_id else None
    return session.scalars(select(Version).where(Version.document_id == doc.id, Version.seq == seq)).first()


def history(session: Session, doc_ref: Document | str | int) -> list[dict[str, Any]]:
    """The document's timeline, oldest first: one entry per version and per removal/restoration.

    Entry: ``{seq, version_id, at, fingerprint, normalizer, kinds, changes}`` (``seq`` None for
    a removal or restoration); ``changes`` are rows in the ``changes()`` shape.
    """
    doc = doc_ref if isinstance(doc_ref, Document) else get_document(session, doc_ref)
    if doc is None:
        return []
    versions = session.execute(
        select(Version.id, Version.seq, Version.created_at, Version.fingerprint, Version.normalizer)
        .where(Version.document_id == doc.id)
        .order_by(Version.seq)
    ).all()
    events = changes(session, document_id=doc.id)
    entries: list[dict[str, Any]] = []
    by_version: dict[int, dict[str, Any]] = {}
    for vid, seq, created_at, fingerprint, normalizer in versions:
        entry: dict[str, Any] = {
            "seq": seq,
            "version_id": vid,
            "at": as_utc(created_at),
            "fingerprint": fingerprint,
            "normalizer": normalizer,
            "kinds": [],
            "changes": [],
        }
        by_version[vid] = entry
        entries.append(entry)
    seq_to_id = {seq: vid for vid, seq, *_rest in versions}
    for row in events:
        target = (
            None if row["kind"] in DOCUMENT_EVENTS else by_version.get(seq_to_id.get(row["new_version"], -1))
        )
        if target is None:
            target = {
                "seq": None,
                "version_id": None,
                "at": row["detected_at"],
                "fingerprint": None,
                "normalizer": None,
                "kinds": [],
                "changes": [],
            }
            entries.append(target)
        target["changes"].append(row)
        if row["kind"] not in target["kinds"]:
            target["kinds"].append(row["kind"])
    oldest = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: (e["at"] or oldest, e["seq"] is None, e["seq"] or 0))
    return entries


def target_history(session: Session, doc: Document) -> list[dict[str, Any]]:
    """Each target's value over the document's versions, following reworded targets.

    Returns ``[{key, indicator, section, unit, points: [{seq, at, value, value_max, unit,
    qualifier, text} | {seq, at, absent: true}]}]`` in order of first appearance; a target
    renamed by wording drift (a ``target_changed`` event with ``old_key``) stays one series.
    """
    renames: dict[int, dict[str, str]] = {}
    for row in changes(session, document_id=doc.id, kinds=[ChangeKind.TARGET_CHANGED]):
        old_key = (row["details"] or {}).get("old_key")
        if old_key and row["new_version"] is not None:
            renames.setdefault(row["new_version"], {})[row["details"]["key"]] = old_key
    series: dict[str, dict[str, Any]] = {}
    current_name: dict[str, str] = {}  # the key a target has now -> its series key
    rows = session.execute(
        select(Version.seq, Version.created_at, Version.snapshot)
        .where(Version.document_id == doc.id)
        .order_by(Version.seq)
    )
    for seq, created_at, snapshot in rows:
        targets: dict[str, Any] = (snapshot or {}).get("targets") or {}
        for new_key, old_key in renames.get(seq, {}).items():
            current_name[new_key] = current_name.pop(old_key, old_key)
        seen: set[str] = set()
        for key, target in targets.items():
            name = current_name.setdefault(key, key)
            seen.add(name)
            entry = series.setdefault(name, {"key": key, "points": []})
            entry.update(
                key=key,
                indicator=target.get("indicator"),
                section=target.get("section"),
                unit=target.get("unit"),
            )
            entry["points"].append(
                {
                    "seq": seq,
                    "at": as_utc(created_at),
                    **{f: target.get(f) for f in ("value", "value_max", "unit", "qualifier", "text")},
                }
            )
        for name, entry in series.items():
            if name not in seen:
                entry["points"].append({"seq": seq, "at": as_utc(created_at), "absent": True})
    return list(series.values())
