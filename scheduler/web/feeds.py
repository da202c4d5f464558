"""Atom feeds with the actual change in each entry: everything, one source, one document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.web import reads
from scheduler.web.app import session
from tracker.feed import feed_xml
from tracker.models import Source

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(session)]
ATOM = "application/atom+xml; charset=utf-8"


def _linker(request: Request) -> Callable[[dict[str, Any]], str]:
    base = str(request.base_url).rstrip("/")

    def link(row: dict[str, Any]) -> str:
        # An entry opens the change itself here: the diff of its two versions, or the document.
        page = f"{base}/documents/{row['document_id']}"
        if row.get("old_version") and row.get("new_version"):
            return f"{page}/diff?from={row['old_version']}&to={row['new_version']}"
        return page

    return link


@router.get("/feed.xml")
def feed(request: Request, db: DB) -> Response:
    xml = feed_xml(db, self_url=str(request.url), link_for=_linker(request))
    return Response(xml, media_type=ATOM)


@router.get("/sources/{name}/feed.xml")
def source_feed(request: Request, db: DB, name: str) -> Response:
    if db.scalar(select(Source.id).where(Source.name == name)) is None:
        raise HTTPException(404, f"没有名为 {name} 的来源")
    xml = feed_xml(db, source=name, self_url=str(request.url), link_for=_linker(request))
    return Response(xml, media_type=ATOM)


@router.get("/documents/{document_id}/feed.xml")
def document_feed(request: Request, db: DB, document_id: int) -> Response:
    reads.document_or_404(db, document_id)
    xml = feed_xml(db, document_id=document_id, self_url=str(request.url), link_for=_linker(request))
    return Response(xml, media_type=ATOM)
