"""The JSON API under ``/api/`` (OpenAPI at ``/api/openapi.json``, drawn at ``/api/docs``); CSV exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from scheduler.web import reads, views
from scheduler.web.app import session
from tracker import query
from tracker.notify.digest import event_lines
from tracker.summary import quantity

router = APIRouter(prefix="/api", tags=["govwatch"])
DB = Annotated[Session, Depends(session)]
MAX_LIMIT = 500
CSV_LIMIT = 100_000


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


class JSON(Response):
    """UTF-8 JSON with Chinese as itself (not \\uXXXX) and datetimes in ISO 8601, like the CLI's --json."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=_default).encode("utf-8")


def _moment(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    try:
        return views.parse_moment(value, end_of_day=end_of_day)
    except ValueError:
        raise HTTPException(400, f"{name}: use 7d, 12h or an ISO date such as 2026-03-01") from None


def _change_rows(
    db: Session,
    *,
    source: str | None,
    kind: list[str] | None,
    since: str | None,
    until: str | None,
    url: str | None,
    q: str | None,
    cursor: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    return query.changes_page(
        db,
        source=source or None,
        kinds=reads.kinds_filter(kind or []),
        since=_moment(since, "since"),
        until=_moment(until, "until", end_of_day=True),
        url=url or None,
        q=(q or "").strip() or None,
        before=cursor,
        limit=limit,
    )


@router.get(
    "/changes", response_class=JSON, summary="变化事件（与 govwatch changes --json 相同的对象），最新在前"
)
def changes(
    *,
    db: DB,
    source: str | None = None,
    kind: Annotated[list[str] | None, Query(description="kind or group, repeatable")] = None,
    since: Annotated[str | None, Query(description="7d, 12h or an ISO date/time")] = None,
    until: Annotated[str | None, Query(description="an ISO date/time (a date includes that day)")] = None,
    url: str | None = None,
    q: Annotated[str | None, Query(description="title or indicator contains")] = None,
    cursor: Annotated[int | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> JSON:
    rows, next_cursor = _change_rows(
        db, source=source, kind=kind, since=since, until=until, url=url, q=q, cursor=cursor, limit=limit
    )
    return JSON(
        {"changes": [{k: row[k] for k in query.ROW_FIELDS} for row in rows], "next_cursor": next_cursor}
    )


@router.get("/changes.csv", summary="变化事件的 CSV 导出（同样的筛选条件）")
def changes_csv(
    *,
    db: DB,
    source: str | None = None,
    kind: Annotated[list[str] | None, Query()] = None,
    since: str | None = None,
    until: str | None = None,
    url: str | None = None,
    q: str | None = None,
) -> StreamingResponse:
    rows, _next = _change_rows(
        db, source=source, kind=kind, since=since, until=until, url=url, q=q, cursor=None, limit=CSV_LIMIT
    )
    header = [
        "id",
        "detected_at",
        "source",
        "document_id",
        "title",
        "url",
        "kind",
        "old_version",
        "new_version",
        "change",
        "details",
    ]
    lines = (
        [
            row["id"],
            row["detected_at"].isoformat() if row["detected_at"] else "",
            row["source"],
            row["document_id"],
            row["title"] or "",
            row["url"],
            row["kind"],
            row["old_version"] or "",
            row["new_version"] or "",
            " / ".join(event_lines(row["kind"], row["details"])),
            json.dumps(row["details"], ensure_ascii=False),
        ]
        for row in rows
    )
    return _csv("changes.csv", header, lines)


def _csv(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingResponse:
    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel reads UTF-8 CSV as such only with a BOM
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            if buffer.tell() > 65536:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to a spreadsheet: page text must stay text.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


@router.get(
    "/sources", response_class=JSON, summary="每个来源：上次与下次抓取、结果、页面、新版本、变化、错误"
)
def sources(request: Request, db: DB) -> JSON:
    return JSON({"sources": reads.sources_overview(db, request.app.state.config_path)})


@router.get("/documents/{document_id}", response_class=JSON, summary="一个文件：标题、状态、元数据、目标")
def document(db: DB, document_id: int) -> JSON:
    doc = reads.document_or_404(db, document_id)
    latest = query.version(db, doc)
    snapshot = (latest.snapshot if latest else None) or {}
    return JSON(
        {
            **reads.document_header(db, doc),
            "latest_version": latest.seq if latest else None,
            "metadata": snapshot.get("metadata") or {},
            "targets": snapshot.get("targets") or {},
            "attachment": snapshot.get("attachment"),
            "attachments": [
                {"id": a.id, "url": a.url, "status": a.status} for a in query.attachments(db, doc)
            ],
        }
    )


@router.get(
    "/documents/{document_id}/versions", response_class=JSON, summary="一个文件的全部版本及每版的变化"
)
def versions(db: DB, document_id: int) -> JSON:
    doc = reads.document_or_404(db, document_id)
    entries = query.history(db, doc)
    for entry in entries:
        entry["changes"] = [{k: row[k] for k in query.ROW_FIELDS} for row in entry["changes"]]
    return JSON({"document": reads.document_header(db, doc), "versions": entries})


@router.get(
    "/documents/{document_id}/diff", response_class=JSON, summary="任意两个版本之间的差异（默认：最后两版）"
)
def diff(
    db: DB,
    document_id: int,
    a: Annotated[int | None, Query(alias="from")] = None,
    b: Annotated[int | None, Query(alias="to")] = None,
) -> JSON:
    doc = reads.document_or_404(db, document_id)
    old, new = reads.diff_pair(db, doc, a, b)
    return JSON({"document": reads.document_header(db, doc), **reads.diff_payload(old, new)})


@router.get("/documents/{document_id}/targets", response_class=JSON, summary="每个目标在各版本中的值")
def targets(db: DB, document_id: int) -> JSON:
    doc = reads.document_or_404(db, document_id)
    return JSON({"document": reads.document_header(db, doc), "targets": query.target_history(db, doc)})


@router.get("/documents/{document_id}/targets.csv", summary="目标历史的 CSV 导出")
def targets_csv(db: DB, document_id: int) -> StreamingResponse:
    doc = reads.document_or_404(db, document_id)
    series = query.target_history(db, doc)
    header = [
        "document_id",
        "key",
        "indicator",
        "section",
        "version",
        "at",
        "value",
        "value_max",
        "unit",
        "qualifier",
        "written",
        "text",
    ]
    rows = (
        [
            doc.id,
            entry["key"],
            entry.get("indicator") or "",
            entry.get("section") or "",
            point["seq"],
            point["at"].isoformat() if point.get("at") else "",
            "" if point.get("absent") else point.get("value"),
            "" if point.get("absent") else point.get("value_max"),
            "" if point.get("absent") else point.get("unit"),
            "" if point.get("absent") else point.get("qualifier"),
            "（无此目标）" if point.get("absent") else quantity(point),
            "" if point.get("absent") else point.get("text"),
        ]
        for entry in series
        for point in entry["points"]
    )
    return _csv(f"document-{doc.id}-targets.csv", header, rows)


@router.get("/search", response_class=JSON, summary="全文检索各文件的最新版本（标题、元数据、正文）")
def search(
    db: DB,
    q: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSON:
    from tracker.search import search as run_search

    return JSON({"q": q, "results": [hit.as_json() for hit in run_search(db, q, limit=limit, offset=offset)]})
