"""An unchanged 200 recognised by its raw body: a fetch row, no normalisation, and only when that is exact."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import html_page, portal_page, snap
from tests.tracker.test_reprocess import age_versions
from tracker.blobs import sha256_hex
from tracker.db import session_scope
from tracker.models import Change, Document, Fetch, FetchOutcome, Version
from tracker.normalize import NORMALIZER_VERSION
from tracker.page import PageFetch
from tracker.record import RecordResult, record, record_same_body
from tracker.rederive import reads_the_same

# A Big5 page that names no charset itself: its bytes are valid GBK too, so only the
# Content-Type header says how to read it.
BIG5_BODY = (
    '<html><head><title>2024年市政府工作重點</title></head><body><div id="zoom">'
    "<p>2024年全市經濟社會發展主要預期目標是:地區生產總值增長5.5%左右。</p>"
    "<p>(一)聚力穩定經濟運行。市重大產業項目完成投資1450億元。</p>"
    "</div></body></html>"
).encode("big5")


def first(factory: sessionmaker[Session], page: PageFetch) -> RecordResult:
    with session_scope(factory) as session:
        return record(session, page)


def same(factory: sessionmaker[Session], page: PageFetch) -> RecordResult | None:
    with session_scope(factory) as session:
        return record_same_body(session, page)


def fetch_rows(factory: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with factory() as session:
        rows = session.execute(select(Fetch.outcome, Fetch.blob_sha256).order_by(Fetch.id))
        return [(outcome, blob) for outcome, blob in rows]


def test_the_same_bytes_are_unchanged_without_normalising(session_factory: sessionmaker[Session]) -> None:
    body = portal_page()
    added = first(session_factory, snap(body, headers={"etag": '"v1"'}))
    result = same(session_factory, snap(body, minutes=5, headers={"etag": '"v2"'}))
    assert result is not None and result.same_body
    assert result.outcome is FetchOutcome.UNCHANGED and result.version_id is None and result.changes == []
    assert fetch_rows(session_factory) == [("new_content", sha256_hex(body)), ("unchanged", sha256_hex(body))]
    with session_factory() as session:
        document = session.get(Document, added.document_id)
        assert document is not None and document.etag == '"v2"'  # the fresher validator is kept
        assert session.scalar(select(func.count()).select_from(Version)) == 1


def test_other_bytes_are_left_to_record_and_nothing_is_written(
    session_factory: sessionmaker[Session],
) -> None:
    first(session_factory, snap(portal_page()))
    # The view counter differs: the same content to the normaliser, not the same bytes.
    assert same(session_factory, snap(portal_page(views=1300), minutes=5)) is None
    assert same(session_factory, snap(html_page(), url="http://127.0.0.1/never-seen.html")) is None
    assert fetch_rows(session_factory) == [("new_content", sha256_hex(portal_page()))]
    with session_scope(session_factory) as session:
        result = record(session, snap(portal_page(views=1300), minutes=5))
    assert result.outcome is FetchOutcome.UNCHANGED and not result.same_body


def test_an_older_normalisers_version_is_rederived_first(session_factory: sessionmaker[Session]) -> None:
    body = portal_page()
    first(session_factory, snap(body))
    age_versions(session_factory)
    assert same(session_factory, snap(body, minutes=5)) is None
    with session_scope(session_factory) as session:
        result = record(session, snap(body, minutes=5))
    assert result.outcome is FetchOutcome.UNCHANGED and not result.same_body
    with session_factory() as session:
        assert session.scalars(select(Version.normalizer)).one() == NORMALIZER_VERSION
    again = same(session_factory, snap(body, minutes=10))
    assert again is not None and again.same_body


def test_a_charset_header_that_changes_the_reading_is_not_the_same_page(
    session_factory: sessionmaker[Session],
) -> None:
    big5 = {"content-type": "text/html; charset=big5"}
    gbk = {"content-type": "text/html; charset=gbk"}
    first(session_factory, snap(BIG5_BODY, headers=big5))
    assert not reads_the_same(BIG5_BODY, big5["content-type"], gbk)
    assert same(session_factory, snap(BIG5_BODY, minutes=5, headers=gbk)) is None
    # Labels that read the bytes alike are the same page: Big5 and its superset Big5-HKSCS.
    hkscs = {"content-type": "text/html; charset=Big5-HKSCS"}
    result = same(session_factory, snap(BIG5_BODY, minutes=6, headers=hkscs))
    assert result is not None and result.same_body


def test_a_utf8_page_reads_the_same_whatever_its_header_claims() -> None:
    body = html_page()
    assert reads_the_same(body, "text/html; charset=utf-8", {"content-type": "text/html; charset=gbk"})
    assert reads_the_same(body, None, {"content-type": "text/html"})
    # A document type makes the same bytes an attachment: not the page that was stored.
    assert not reads_the_same(body, "text/html; charset=utf-8", {"content-type": "application/pdf"})


def test_a_removed_page_served_again_byte_for_byte_is_restored(
    session_factory: sessionmaker[Session],
) -> None:
    body = portal_page()
    first(session_factory, snap(body))
    with session_scope(session_factory) as session:
        record(session, snap(b"", status=404, minutes=1))
    result = same(session_factory, snap(body, minutes=2))
    assert result is not None and result.same_body and result.change_kinds == ["document_restored"]
    with session_factory() as session:
        assert session.scalars(select(Document.status)).one() == "active"
        kinds = list(session.scalars(select(Change.kind).order_by(Change.id)))
    assert kinds == ["document_added", "document_removed", "document_restored"]
