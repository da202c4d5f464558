"""Read queries added for the web interface (tracker.query), on the per-test database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import T0, URL, html_page, snap
from tracker import query
from tracker.models import Document, DocumentKind
from tracker.record import record

PDF = "http://127.0.0.1/uploads/2024/plan.pdf"


def test_attachments_are_the_tracked_files_the_page_links_to(session_factory: sessionmaker[Session]) -> None:
    page = html_page(["见附件：<a href='/uploads/2024/plan.pdf'>计划全文</a>。", "地区生产总值增长5%左右。"])
    with session_factory() as session:
        record(session, snap(page))
        record(
            session,
            snap(b"%PDF-1.4 plan", url=PDF, headers={"content-type": "application/pdf"}, is_attachment=True),
        )
        record(
            session,
            snap(b"%PDF-1.4 other", url="http://127.0.0.1/uploads/other.pdf", is_attachment=True),
        )
        session.commit()
        doc = session.scalars(select(Document).where(Document.url == URL)).one()
        found = query.attachments(session, doc)
        assert [a.url for a in found] == [PDF] and found[0].kind == DocumentKind.ATTACHMENT
        assert query.attachments(session, found[0]) == []  # an attachment links to nothing


def test_changes_page_is_a_keyset_over_time_and_id(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        for i in range(5):
            record(session, snap(html_page([f"第{i}段：地区生产总值增长{i}%左右。"]), minutes=i * 10))
            session.commit()
        rows, cursor = query.changes_page(session, limit=2)
        seen = [r["id"] for r in rows]
        while cursor is not None:
            rows, cursor = query.changes_page(session, limit=2, before=cursor)
            seen += [r["id"] for r in rows]
        everything = query.changes(session)
        assert seen == [r["id"] for r in reversed(everything)]
        moments = [r["detected_at"] for r in reversed(everything)]
        assert moments == sorted(moments, reverse=True)
        recent, _ = query.changes_page(session, since=T0 + timedelta(minutes=25))
        assert len(recent) < len(everything)
        assert query.changes_page(session, before=10**9) == ([], None)
        hits, _ = query.changes_page(session, q="地区生产总值")
        assert hits and all((r["details"] or {}).get("indicator") == "地区生产总值" for r in hits)


def test_document_year_reads_the_title_then_the_dates() -> None:
    assert query.document_year("无锡市2021年国民经济和社会发展计划", {}) == 2021
    assert query.document_year("政府工作报告", {"issued_date": "2024-01-15"}) == 2024
    assert query.document_year("政府工作报告", {}) is None
