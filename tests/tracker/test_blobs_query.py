"""Blobs are stored once and compressed; queries return rows in the documented shape and order."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import PARAGRAPHS, html_page, portal_page, snap
from tracker.blobs import get_blob, put_blob, sha256_hex
from tracker.db import session_scope
from tracker.models import Blob
from tracker.query import changes, get_document, history
from tracker.record import record


def test_blob_is_content_addressed_compressed_and_stored_once(session_factory: sessionmaker[Session]) -> None:
    body = portal_page()
    with session_scope(session_factory) as session:
        first = put_blob(session, body, "text/html")
        second = put_blob(session, body, "text/html")
    assert first == second == sha256_hex(body)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Blob)) == 1
        stored = session.get(Blob, first)
        assert stored is not None and stored.size == len(body) and len(stored.data) < len(body) / 2
        assert get_blob(session, first) == body
        assert get_blob(session, "0" * 64) is None


def test_changes_limit_keeps_the_most_recent_in_chronological_order(
    session_factory: sessionmaker[Session],
) -> None:
    bodies = [html_page(PARAGRAPHS[: n + 1]) for n in range(4)]
    for minute, body in enumerate(bodies):
        with session_scope(session_factory) as session:
            record(session, snap(body, minutes=minute))
    with session_factory() as session:
        everything = changes(session)
        last_two = changes(session, limit=2)
        by_id = changes(session, ids=[everything[0]["id"]])
        doc = get_document(session, everything[0]["url"])
        assert doc is not None and get_document(session, str(doc.id)) is doc
        assert get_document(session, "http://127.0.0.1/unknown") is None
        timeline = history(session, doc)
    assert sorted({r["new_version"] for r in everything}) == [1, 2, 3, 4]
    assert [r["id"] for r in everything] == sorted(r["id"] for r in everything)
    assert [r["id"] for r in last_two] == [r["id"] for r in everything[-2:]]
    assert [r["kind"] for r in by_id] == ["document_added"]
    assert all(r["detected_at"].tzinfo is not None for r in everything)
    assert [e["seq"] for e in timeline] == [1, 2, 3, 4]


def test_times_are_stored_and_queried_in_utc(session_factory: sessionmaker[Session]) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    page = snap(html_page())
    with session_scope(session_factory) as session:
        record(session, replace(page, fetched_at=datetime(2026, 3, 1, 16, 0, tzinfo=beijing)))
    with session_factory() as session:
        [row] = changes(session)
        assert row["detected_at"] == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        assert changes(session, since=datetime(2026, 3, 1, 15, 59, tzinfo=beijing))
        assert not changes(session, since=datetime(2026, 3, 1, 8, 1, tzinfo=UTC))
