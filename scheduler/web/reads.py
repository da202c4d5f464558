"""Reads shared by the HTML pages and the JSON API: one function per thing shown, over tracker."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from sqlalchemy.orm import Session

from tracker import events, query
from tracker.diff import diff_snapshots
from tracker.models import Document, Version

if TYPE_CHECKING:
    from tracker.config import Config


def document_or_404(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise HTTPException(404, f"没有编号为 {document_id} 的文件")
    return doc


def version_or_404(session: Session, doc: Document, seq: int | None) -> Version:
    found = query.version(session, doc, seq)
    if found is None:
        raise HTTPException(
            404, f"文件 {doc.id} 没有第 {seq} 版" if seq is not None else f"文件 {doc.id} 还没有版本"
        )
    return found


def kinds_filter(names: Sequence[str]) -> list[str] | None:
    """Kinds and groups named in a filter, expanded; ``HTTPException(400)`` for an unknown name."""
    wanted = [n for n in names if n]
    if not wanted:
        return None
    try:
        return sorted(events.expand(wanted))
    except ValueError:
        raise HTTPException(
            400, f"未知的变化类型：{'、'.join(wanted)}（可选：{'、'.join(events.FILTER_NAMES)}）"
        ) from None


def document_header(session: Session, doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "url": doc.url,
        "source": doc.source.name,
        "title": doc.title,
        "kind": doc.kind,
        "status": doc.status,
        "first_seen_at": doc.first_seen_at,
        "last_seen_at": doc.last_seen_at,
    }


def diff_pair(session: Session, doc: Document, a: int | None, b: int | None) -> tuple[Version, Version]:
    """Versions ``a`` and ``b`` (default: the last two; one version is compared with itself)."""
    new = version_or_404(session, doc, b)
    old = version_or_404(session, doc, a if a is not None else max(new.seq - 1, 1))
    return old, new


def diff_payload(old: Version, new: Version) -> dict[str, Any]:
    from tracker.diff import paragraph_changes

    old_snap, new_snap = old.snapshot or {}, new.snapshot or {}
    found = diff_snapshots(old_snap, new_snap)
    edits = paragraph_changes(list(old_snap.get("paragraphs") or []), list(new_snap.get("paragraphs") or []))
    return {
        "from": old.seq,
        "to": new.seq,
        "events": [{"kind": e.kind, "details": e.details} for e in found],
        "paragraphs": [{"op": op, "old": x, "new": y} for op, x, y in edits],
    }


def sources_overview(session: Session, config_path: Path | None) -> list[dict[str, Any]]:
    """Each source: last and next run, its outcome and counts, documents, not-modified share."""
    from scheduler.status import collect_status

    config = _config(config_path)
    status = collect_status(session, config)
    documents = query.source_document_counts(session)
    names = [s.source for s in status.sources]
    rows: list[dict[str, Any]] = []
    for item in status.sources:
        counts = dict(item.last_counts or {})
        pages = int(counts.get("pages") or 0)
        not_modified = int(counts.get("not_modified") or 0)
        rows.append(
            {
                "name": item.source,
                "schedule": item.schedule,
                "configured": item.configured,
                "last_run_id": item.last_run_id,
                "last_trigger": item.last_trigger,
                "last_started": item.last_started,
                "last_finished": item.last_finished,
                "last_outcome": item.last_outcome,
                "last_error": item.last_error,
                "next_run": item.next_run,
                "overdue": item.overdue,
                "pages": pages,
                "new_versions": int(counts.get("new_versions") or 0),
                "changes": int(counts.get("changes") or 0),
                "errors": int(counts.get("errors") or 0),
                "blocked": int(counts.get("blocked") or 0),
                "not_modified": not_modified,
                "not_modified_share": (not_modified / pages) if pages else None,
                "documents": documents.get(item.source, {"total": 0}),
            }
        )
    for name in sorted(set(documents) - set(names)):  # recorded, but never through a crawl run
        rows.append(
            {**dict.fromkeys(_RUN_FIELDS), "name": name, "configured": False, "documents": documents[name]}
        )
    return rows


_RUN_FIELDS = [
    "schedule",
    "last_run_id",
    "last_trigger",
    "last_started",
    "last_finished",
    "last_outcome",
    "last_error",
    "next_run",
    "overdue",
    "pages",
    "new_versions",
    "changes",
    "errors",
    "blocked",
    "not_modified",
    "not_modified_share",
]


def _config(config_path: Path | None) -> Config | None:
    from tracker.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except (ConfigError, OSError):
        return None  # the interface works without a sources file; next runs are then unknown


def run_rows(session: Session, source: str, limit: int = 20) -> list[dict[str, Any]]:
    from tracker.runs import recent_runs

    runs = recent_runs(session, source, limit=limit)
    failures = query.run_failures(session, [r.id for r in runs])
    return [
        {
            "id": r.id,
            "trigger": r.trigger,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "outcome": r.outcome,
            "counts": r.counts or {},
            "error": r.error,
            "failures": failures.get(r.id, []),
        }
        for r in runs
    ]
