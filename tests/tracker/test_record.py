"""Recording fetches: one transaction per page, a version only for new content, typed events."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import PARAGRAPHS, URL, html_page, portal_page, snap
from tracker.db import session_scope
from tracker.models import Blob, Change, Delivery, Document, Fetch, FetchOutcome, Source, Version
from tracker.page import PageFetch
from tracker.record import RecordResult, examine, record
from tracker.store import known_urls, validators

TABLES = (Source, Document, Fetch, Blob, Version, Change, Delivery)


def counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES}


def rec(factory: sessionmaker[Session], page: PageFetch, **kwargs: Any) -> RecordResult:
    with session_scope(factory) as session:
        return record(session, page, **kwargs)


def kinds(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Change.kind).order_by(Change.id)))


def test_first_fetch_adds_document_version_and_event(session_factory: sessionmaker[Session]) -> None:
    result = rec(session_factory, snap(portal_page(), headers={"etag": '"v1"'}))
    assert result.outcome is FetchOutcome.NEW_CONTENT
    assert result.version_id is not None and result.document_id is not None
    assert result.change_kinds == ["document_added"]
    assert counts(session_factory) == {
        "sources": 1,
        "documents": 1,
        "fetches": 1,
        "blobs": 1,
        "versions": 1,
        "changes": 1,
        "deliveries": 0,
    }
    with session_factory() as session:
        doc = session.get(Document, result.document_id)
        assert doc is not None and doc.latest_version_id == result.version_id and doc.status == "active"
        assert doc.title
        version = session.get(Version, result.version_id)
        assert version is not None and version.seq == 1 and version.snapshot["paragraphs"]


def test_unchanged_refetch_adds_exactly_one_fetch_row(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(portal_page(views=1)))
    before = counts(session_factory)
    # Same document, a different view counter: the normaliser ignores it.
    result = rec(session_factory, snap(portal_page(views=2), minutes=60))
    assert result.outcome is FetchOutcome.UNCHANGED
    assert result.version_id is None and result.changes == []
    after = counts(session_factory)
    assert after == {**before, "fetches": before["fetches"] + 1}


def test_body_edit_is_a_new_version_with_a_content_event(session_factory: sessionmaker[Session]) -> None:
    first = rec(session_factory, snap(html_page()))
    edited = [*PARAGRAPHS[:3], "全面落实市委市政府决策部署,统筹推进各项工作。"]
    second = rec(session_factory, snap(html_page(edited), minutes=5))
    assert second.outcome is FetchOutcome.NEW_CONTENT
    assert second.change_kinds == ["content_changed"]
    assert second.document_id == first.document_id
    with session_factory() as session:
        change = session.get(Change, second.changes[0])
        assert change is not None
        assert change.old_version_id == first.version_id and change.new_version_id == second.version_id
        assert change.details["edited"] == 1 and change.details["added"] == 0
        assert "市政府" in change.details["excerpts"][0]["new"]
        versions = session.scalars(select(Version.seq).where(Version.document_id == first.document_id)).all()
        assert sorted(versions) == [1, 2]


def test_not_modified_keeps_validators(session_factory: sessionmaker[Session]) -> None:
    headers = {"etag": '"abc"', "last-modified": "Tue, 20 Feb 2024 08:00:00 GMT"}
    rec(session_factory, snap(html_page(), headers=headers))
    result = rec(session_factory, snap(status=304, minutes=10))
    assert result.outcome is FetchOutcome.NOT_MODIFIED and result.changes == []
    with session_factory() as session:
        assert validators(session, "wuxi-fgw") == {URL: ('"abc"', "Tue, 20 Feb 2024 08:00:00 GMT")}
        assert known_urls(session, "wuxi-fgw") == {URL}
        assert validators(session, "no-such-source") == {}


def test_validators_follow_the_latest_200(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(html_page(), headers={"etag": '"1"'}))
    rec(session_factory, snap(html_page(PARAGRAPHS[:2]), minutes=1, headers={"etag": '"2"'}))
    with session_factory() as session:
        assert validators(session, "wuxi-fgw") == {URL: ('"2"', None)}


@pytest.mark.parametrize(
    ("status", "hint", "outcome"),
    [
        (503, None, FetchOutcome.TRANSIENT_ERROR),
        (500, None, FetchOutcome.TRANSIENT_ERROR),
        (None, "timeout", FetchOutcome.TRANSIENT_ERROR),
        (200, "truncated", FetchOutcome.TRANSIENT_ERROR),
        (412, None, FetchOutcome.BLOCKED),
        (200, "blocked", FetchOutcome.BLOCKED),
        (521, None, FetchOutcome.BLOCKED),
        (200, "too_large", FetchOutcome.REJECTED),
        (302, "offsite", FetchOutcome.REJECTED),
    ],
)
def test_failures_never_remove_a_document(
    session_factory: sessionmaker[Session], status: int | None, hint: str | None, outcome: FetchOutcome
) -> None:
    rec(session_factory, snap(html_page()))
    before = counts(session_factory)
    result = rec(
        session_factory, snap(b"<html>challenge</html>", status=status, hint=hint, minutes=1, error="x")
    )
    assert result.outcome is outcome
    assert result.changes == [] and result.version_id is None
    assert counts(session_factory) == {**before, "fetches": before["fetches"] + 1}
    with session_factory() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.status == "active"
        fetch = session.scalars(select(Fetch).order_by(Fetch.id.desc())).first()
        assert fetch is not None and fetch.outcome == outcome and fetch.error == "x"


def test_gone_then_back_is_removed_then_restored(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(html_page(), headers={"etag": '"e"'}))
    gone = rec(session_factory, snap(b"not found", status=404, minutes=1))
    assert gone.outcome is FetchOutcome.GONE and gone.change_kinds == ["document_removed"]
    again = rec(session_factory, snap(b"not found", status=410, minutes=2))
    assert again.outcome is FetchOutcome.GONE and again.changes == []
    with session_factory() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.status == "removed"
        # A removed page is refetched in full, never answered from a stale validator.
        assert validators(session, "wuxi-fgw") == {}
    back = rec(session_factory, snap(html_page(), minutes=3))
    assert back.outcome is FetchOutcome.UNCHANGED and back.change_kinds == ["document_restored"]
    assert kinds(session_factory) == ["document_added", "document_removed", "document_restored"]
    with session_factory() as session:
        assert session.scalars(select(Document.status)).one() == "active"
        assert session.scalar(select(func.count()).select_from(Version)) == 1


def test_gone_for_an_unknown_url_records_only_the_fetch(session_factory: sessionmaker[Session]) -> None:
    result = rec(session_factory, snap(b"", status=404))
    assert result.outcome is FetchOutcome.GONE and result.document_id is None
    assert counts(session_factory)["fetches"] == 1 and counts(session_factory)["documents"] == 0


def test_restored_with_new_content_reports_both(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(html_page()))
    rec(session_factory, snap(status=404, minutes=1))
    back = rec(session_factory, snap(html_page(PARAGRAPHS[:3]), minutes=2))
    assert back.outcome is FetchOutcome.NEW_CONTENT
    assert back.change_kinds == ["document_restored", "content_changed"]


def test_attachment_is_tracked_by_hash(session_factory: sessionmaker[Session]) -> None:
    url = "http://127.0.0.1/attach/2024/计划.pdf"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    headers = {"content-type": "application/pdf"}
    first = rec(session_factory, snap(pdf, url=url, headers=headers, is_attachment=True))
    assert first.outcome is FetchOutcome.NOT_A_PAGE and first.change_kinds == ["document_added"]
    same = rec(session_factory, snap(pdf, url=url, headers=headers, is_attachment=True, minutes=1))
    assert same.outcome is FetchOutcome.UNCHANGED and same.changes == []
    new = rec(
        session_factory, snap(pdf + b"\n% rev 2", url=url, headers=headers, is_attachment=True, minutes=2)
    )
    assert new.outcome is FetchOutcome.NOT_A_PAGE and new.change_kinds == ["content_changed"]
    with session_factory() as session:
        change = session.get(Change, new.changes[0])
        assert change is not None and change.details["attachment"] is True
        assert change.details["old_sha256"] != change.details["new_sha256"]
        doc = session.get(Document, new.document_id)
        assert doc is not None and doc.kind == "attachment" and doc.title == "计划.pdf"


def test_binary_body_without_the_attachment_flag_is_not_a_page(
    session_factory: sessionmaker[Session],
) -> None:
    result = rec(session_factory, snap(b"%PDF-1.7 binary", url="http://127.0.0.1/a.pdf"))
    assert result.outcome is FetchOutcome.NOT_A_PAGE


def test_deliveries_follow_channel_routes(session_factory: sessionmaker[Session]) -> None:
    from tracker.notify.outbox import enqueue

    routes: dict[str, frozenset[str] | None] = {"console": None, "mail": frozenset({"content_changed"})}

    def rec_and_enqueue(page: PageFetch) -> RecordResult:
        with session_scope(session_factory) as session:  # the recording step: one transaction
            result = record(session, page)
            enqueue(session, zip(result.changes, result.change_kinds, strict=True), routes)
            return result

    first = rec_and_enqueue(snap(html_page()))
    second = rec_and_enqueue(snap(html_page(PARAGRAPHS[:3]), minutes=1))
    with session_factory() as session:
        rows = session.execute(select(Delivery.change_id, Delivery.channel, Delivery.status)).all()
    assert sorted(rows) == sorted(
        [
            (first.changes[0], "console", "pending"),
            (second.changes[0], "console", "pending"),
            (second.changes[0], "mail", "pending"),
        ]
    )


def test_flip_back_is_reported_as_a_revert(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(html_page()))
    rec(session_factory, snap(html_page(PARAGRAPHS[:3]), minutes=1))
    back = rec(session_factory, snap(html_page(), minutes=2))
    assert back.change_kinds == ["content_changed"]
    with session_factory() as session:
        change = session.get(Change, back.changes[0])
        version = session.get(Version, back.version_id)
    assert change is not None and change.details["revert_of"] == 1
    assert version is not None and version.seq == 3


def test_crawl_run_id_reaches_fetches_and_changes(session_factory: sessionmaker[Session]) -> None:
    from tracker.models import CrawlRun

    with session_scope(session_factory) as session:
        source = Source(name="wuxi-fgw")
        session.add(source)
        session.flush()
        run = CrawlRun(source_id=source.id)
        session.add(run)
        session.flush()
        run_id = run.id
    result = rec(session_factory, snap(html_page(), crawl_run_id=run_id))
    with session_factory() as session:
        assert session.scalars(select(Fetch.crawl_run_id)).one() == run_id
        change = session.get(Change, result.changes[0])
        assert change is not None and change.crawl_run_id == run_id


def test_exception_mid_record_leaves_nothing(session_factory: sessionmaker[Session]) -> None:
    rec(session_factory, snap(html_page()))
    before = counts(session_factory)

    def fail_on_change(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The fetch, blob and version rows are written by now: the change event fails last.
        if statement.startswith("INSERT INTO changes"):
            raise RuntimeError("disk full")

    engine = session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", fail_on_change)
    try:
        with pytest.raises(RuntimeError, match="disk full"), session_scope(session_factory) as session:
            record(session, snap(html_page(PARAGRAPHS[:2]), minutes=1))
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_change)
    assert counts(session_factory) == before
    with session_factory() as session:
        doc = session.scalars(select(Document)).one()
        latest = session.get(Version, doc.latest_version_id)
        assert latest is not None and latest.seq == 1


def test_truncated_page_is_a_transient_error_not_a_version(session_factory: sessionmaker[Session]) -> None:
    whole = portal_page()
    first = rec(session_factory, snap(whole))
    before = counts(session_factory)
    cut = whole[: len(whole) * 2 // 3]  # the connection dropped two thirds of the way in
    result = rec(session_factory, snap(cut, minutes=5))
    assert result.outcome is FetchOutcome.TRANSIENT_ERROR
    assert result.error is not None and result.error.startswith("truncated")
    assert result.version_id is None and result.changes == []
    assert counts(session_factory) == {**before, "fetches": before["fetches"] + 1}
    with session_factory() as session:
        doc = session.get(Document, first.document_id)
        assert doc is not None and doc.latest_version_id == first.version_id and doc.status == "active"


def test_a_page_examined_in_another_process_records_the_same(session_factory: sessionmaker[Session]) -> None:
    first, second = snap(portal_page(views=1)), snap(html_page(PARAGRAPHS[:2]), minutes=1)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        examined = list(pool.map(examine, [first, second]))
    added = rec(session_factory, first, examined=examined[0])
    edited = rec(session_factory, second, examined=examined[1])
    assert added.change_kinds == ["document_added"] and edited.outcome is FetchOutcome.NEW_CONTENT
    with session_factory() as session:
        stored = session.get(Version, edited.version_id)
        assert stored is not None and stored.seq == 2
        assert stored.fingerprint == examine(second).fingerprint
        assert stored.snapshot == examine(second).snapshot


def test_a_new_page_costs_eight_statements(session_factory: sessionmaker[Session]) -> None:
    for warm in ("a", "b"):  # the source's id is looked up until its row is known committed
        rec(session_factory, snap(portal_page(), url=f"{URL}?{warm}"))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        statements.append(f"{words[0]} {words[2 if words[0] == 'INSERT' else 1]}")

    engine = session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = rec(session_factory, snap(portal_page()))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.change_kinds == ["document_added"]
    writes = [s for s in statements if not s.startswith(("BEGIN", "SELECT"))]
    # One row per table, the document's latest version set once; no second look-up of anything.
    assert writes == [
        "INSERT documents",
        "INSERT blobs",
        "INSERT fetches",
        "INSERT versions",
        "INSERT changes",
        "UPDATE documents",
    ]
    assert sum(s.startswith("SELECT") for s in statements) == 1  # is the URL known?
