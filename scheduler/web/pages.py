"""The HTML pages: timeline, sources, documents, versions, diffs, targets, search, compare, indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.web import charts, reads, views
from scheduler.web.app import render, session
from tracker import query
from tracker.models import Source

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
DB = Annotated[Session, Depends(session)]
MAX_CHARTS = 12


def _moment(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    try:
        return views.parse_moment(value, end_of_day=end_of_day)
    except ValueError:
        raise HTTPException(400, f"{name} 应为 7d、12h 或 2026-03-01 这样的日期：{value}") from None


@router.get("/")
def timeline(
    *,
    request: Request,
    db: DB,
    source: str | None = None,
    kind: Annotated[list[str] | None, Query()] = None,
    since: str | None = None,
    until: str | None = None,
    q: str | None = None,
    before: int | None = None,
) -> HTMLResponse:
    kinds = reads.kinds_filter(kind or [])
    rows, next_cursor = query.changes_page(
        db,
        source=source or None,
        kinds=kinds,
        since=_moment(since, "since"),
        until=_moment(until, "until", end_of_day=True),
        q=(q or "").strip() or None,
        before=before,
    )
    filters = {"source": source, "kind": kind or [], "since": since, "until": until, "q": q}
    return render(
        request,
        "timeline.html",
        {
            "groups": views.timeline(rows),
            "filters": filters,
            "selected_kinds": set(kind or []),
            "sources": query.source_names(db),
            "next_cursor": next_cursor,
            "first_page": before is None,
        },
    )


@router.get("/sources")
def sources(request: Request, db: DB) -> HTMLResponse:
    rows = reads.sources_overview(db, request.app.state.config_path)
    return render(request, "sources.html", {"sources": rows})


@router.get("/sources/{name}")
def source_page(request: Request, db: DB, name: str) -> HTMLResponse:
    if db.scalar(select(Source.id).where(Source.name == name)) is None:
        raise HTTPException(404, f"没有名为 {name} 的来源")
    overview = next(
        (s for s in reads.sources_overview(db, request.app.state.config_path) if s["name"] == name), None
    )
    return render(
        request,
        "source.html",
        {
            "name": name,
            "overview": overview,
            "runs": reads.run_rows(db, name),
            "documents": query.source_documents(db, name, limit=200),
        },
    )


@router.get("/documents/{document_id}")
def document(request: Request, db: DB, document_id: int) -> HTMLResponse:
    doc = reads.document_or_404(db, document_id)
    latest = query.version(db, doc)
    snapshot = (latest.snapshot if latest else None) or {}
    entries = query.history(db, doc)
    for entry in entries:
        entry["views"] = [views.event_view(row) for row in entry["changes"]]
    return render(
        request,
        "document.html",
        {
            "doc": doc,
            "source": doc.source.name,
            "latest": latest,
            "metadata": snapshot.get("metadata") or {},
            "targets": list((snapshot.get("targets") or {}).values()),
            "attachment": snapshot.get("attachment"),
            "entries": list(reversed(entries)),
            "attachments": query.attachments(db, doc),
        },
    )


@router.get("/documents/{document_id}/versions/{seq}")
def version_page(request: Request, db: DB, document_id: int, seq: int) -> HTMLResponse:
    from scheduler.web.capture import safe_capture
    from tracker.blobs import get_blob
    from tracker.models import Blob

    doc = reads.document_or_404(db, document_id)
    found = reads.version_or_404(db, doc, seq)
    raw_text = None
    if found.blob_sha256:
        body = get_blob(db, found.blob_sha256)
        blob = db.get(Blob, found.blob_sha256)
        content_type = (blob.content_type if blob else None) or ""
        if body is not None and ("html" in content_type or not content_type):
            raw_text = safe_capture(body, {"content-type": content_type})
    count = len(query.versions_list(db, doc))
    snapshot = found.snapshot or {}
    return render(
        request,
        "version.html",
        {
            "doc": doc,
            "version": found,
            "count": count,
            "snapshot": snapshot,
            "targets": list((snapshot.get("targets") or {}).values()),
            "raw": raw_text,
        },
    )


@router.get("/documents/{document_id}/diff")
def diff_page(
    *,
    request: Request,
    db: DB,
    document_id: int,
    a: Annotated[int | None, Query(alias="from")] = None,
    b: Annotated[int | None, Query(alias="to")] = None,
    view: str = "inline",
    only: int = 0,
) -> HTMLResponse:
    from tracker.diff import diff_snapshots

    doc = reads.document_or_404(db, document_id)
    old, new = reads.diff_pair(db, doc, a, b)
    old_snap, new_snap = old.snapshot or {}, new.snapshot or {}
    rows = views.align_paragraphs(
        list(old_snap.get("paragraphs") or []), list(new_snap.get("paragraphs") or [])
    )
    changed = sum(1 for r in rows if r.op != "equal")
    return render(
        request,
        "diff.html",
        {
            "doc": doc,
            "old": old,
            "new": new,
            "versions": query.versions_list(db, doc),
            "events": views.diff_events(diff_snapshots(old_snap, new_snap)),
            "rows": rows,
            "changed": changed,
            "view": "side" if view == "side" else "inline",
            "only": bool(only),
            "title_change": (old_snap.get("title"), new_snap.get("title"))
            if old_snap.get("title") != new_snap.get("title")
            else None,
        },
    )


def _series_points(entry: dict[str, Any]) -> list[tuple[str, float | None, str]]:
    points: list[tuple[str, float | None, str]] = []
    for point in entry["points"]:
        label = f"v{point['seq']}"
        if point.get("absent"):
            points.append((label, None, "无此目标"))
        else:
            value = point.get("value")
            points.append(
                (label, float(value) if isinstance(value, int | float) else None, views.quantity(point))
            )
    return points


@router.get("/documents/{document_id}/targets")
def targets_page(request: Request, db: DB, document_id: int, key: str | None = None) -> HTMLResponse:
    doc = reads.document_or_404(db, document_id)
    series = query.target_history(db, doc)
    for entry in series:
        present = [p for p in entry["points"] if not p.get("absent")]
        entry["values"] = [views.quantity(p) for p in present]
        entry["moved"] = len(set(entry["values"])) > 1 or len(present) != len(entry["points"])
    # Charts for what moved (or the one asked for): a chart per unchanged target says nothing.
    charted = [e for e in series if (e["key"] == key if key else e["moved"])][:MAX_CHARTS]
    drawn = [(entry, charts.chart(_series_points(entry), step=True)) for entry in charted]
    return render(
        request,
        "targets.html",
        {"doc": doc, "series": series, "charts": drawn, "key": key, "versions": query.versions_list(db, doc)},
    )


@router.get("/search")
def search_page(request: Request, db: DB, q: str = "", page: int = 1) -> HTMLResponse:
    from tracker.search import search

    page = max(1, page)
    per_page = 20
    hits = search(db, q, limit=per_page + 1, offset=(page - 1) * per_page) if q.strip() else []
    return render(
        request,
        "search.html",
        {"q": q, "hits": hits[:per_page], "page": page, "more": len(hits) > per_page},
    )


@router.get("/compare", response_model=None)
def compare_page(request: Request, db: DB, a: int | None = None, b: int | None = None) -> Response:
    from tracker.compare import compare_snapshots

    if a is None or b is None:
        return render(
            request, "compare.html", {"a": a, "b": b, "result": None, "documents": _recent_documents(db)}
        )
    doc_a, doc_b = reads.document_or_404(db, a), reads.document_or_404(db, b)
    snap_a = reads.version_or_404(db, doc_a, None).snapshot or {}
    snap_b = reads.version_or_404(db, doc_b, None).snapshot or {}
    result = compare_snapshots(snap_a, snap_b)
    reworded = [(item, views.char_diff(item["a"], item["b"])) for item in result["paragraphs"]["reworded"]]
    return render(
        request,
        "compare.html",
        {
            "a": a,
            "b": b,
            "doc_a": doc_a,
            "doc_b": doc_b,
            "result": result,
            "reworded": reworded,
            "documents": _recent_documents(db),
        },
    )


def _recent_documents(db: Session) -> list[Any]:
    from tracker.models import Document

    return list(db.execute(select(Document.id, Document.title).order_by(Document.id.desc()).limit(200)))


@router.get("/indicators")
def indicators_page(
    request: Request, db: DB, source: str | None = None, indicator: str | None = None
) -> HTMLResponse:
    names = query.source_names(db)
    series = query.indicator_series(db, source) if source else []
    if indicator:
        series = [s for s in series if s["indicator"] == indicator]
    drawn = []
    for entry in series[:MAX_CHARTS]:
        points = [
            (
                str(p["year"] or f"#{p['document_id']}"),
                float(p["value"]) if isinstance(p.get("value"), int | float) else None,
                f"{views.quantity(p)}（{p['title']}）",
            )
            for p in entry["points"]
        ]
        drawn.append((entry, charts.chart(points, step=False)))
    return render(
        request,
        "indicators.html",
        {"source": source, "sources": names, "series": series, "charts": drawn, "indicator": indicator},
    )


@router.get("/login", response_model=None)
def login(request: Request) -> Response:
    # Reached only when no token is needed or the visitor already holds it.
    return RedirectResponse("/", status_code=303)


@router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI description, drawn here (FastAPI's own page would load scripts from a CDN)."""
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "parameters": op.get("parameters") or [],
                }
            )
    return render(request, "api_docs.html", {"operations": operations, "spec": spec})
