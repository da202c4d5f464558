"""The search index follows the store by itself (database triggers), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import html_page, snap
from tracker.models import Document, Version
from tracker.record import record
from tracker.search import highlight, search, snippet, terms

FIRST = ["主要预期目标：地区生产总值增长5.5%左右，城镇新增就业13万人。", "加快建设现代化产业体系。"]
SECOND = ["主要预期目标：地区生产总值增长6%左右，城镇新增就业13万人。", "推进低空经济_试点100%落地。"]


def _ids(session: Session, query: str) -> list[int]:
    return [hit.document_id for hit in search(session, query)]


def test_new_versions_are_searchable_at_once_and_old_text_is_not(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        record(session, snap(html_page(FIRST, title="2024年政府工作报告")))
        session.commit()
        doc_id = session.scalar(select(Document.id))
        assert _ids(session, "现代化产业体系") == [doc_id]
        assert _ids(session, "政府工作报告") == [doc_id]  # the title
        assert _ids(session, "低空经济") == []
        record(session, snap(html_page(SECOND, title="2024年政府工作报告"), minutes=5))
        session.commit()
        assert _ids(session, "低空经济") == [doc_id]
        assert _ids(session, "现代化产业体系") == []  # only the latest version is searched
        assert _ids(session, "6%左右 城镇新增就业") == [doc_id]  # every term must occur
        assert _ids(session, "6%左右 不存在的词语") == []
        assert _ids(session, "试点") == [doc_id]  # two characters: under a trigram, still found
        assert _ids(session, "经济_试点100%") == [doc_id]  # LIKE wildcards are literal
        assert _ids(session, "经济%试点") == []
        assert _ids(session, "济_试") == [doc_id]
        assert _ids(session, "济x试") == []
        hit = search(session, "低空经济")[0]
        assert ("低空经济", True) in hit.snippet and hit.title == "2024年政府工作报告"


def test_a_rederived_snapshot_and_a_deleted_document_update_the_index(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        record(session, snap(html_page(FIRST)))
        session.commit()
        doc = session.scalars(select(Document)).one()
        latest = session.get(Version, doc.latest_version_id)
        assert latest is not None
        snapshot = dict(latest.snapshot)
        snapshot["paragraphs"] = ["重新规范化后的正文：数字经济核心产业增加值。"]
        session.execute(update(Version).where(Version.id == latest.id).values(snapshot=snapshot))
        session.commit()
        assert _ids(session, "数字经济核心产业") == [doc.id]
        assert _ids(session, "现代化产业体系") == []
        session.execute(delete(Version).where(Version.document_id == doc.id))
        session.execute(delete(Document).where(Document.id == doc.id))
        session.commit()
        assert _ids(session, "数字经济核心产业") == []


def test_terms_snippets_and_highlights_are_plain_segments() -> None:
    assert terms("  地区生产总值   6%  地区生产总值 ") == ["地区生产总值", "6%"]
    assert terms("") == []
    body = "前文" * 100 + "地区生产总值增长6%左右" + "后文" * 100
    parts = snippet(body, ["地区生产总值", "6%"])
    assert parts[0] == ("…", False) and parts[-1] == ("…", False)
    assert ("地区生产总值", True) in parts and ("6%", True) in parts
    assert len("".join(p for p, _ in parts)) <= 122
    assert snippet("没有匹配", ["地区"]) == []
    assert highlight("<b>地区</b>", ["地区"]) == [("<b>", False), ("地区", True), ("</b>", False)]
    assert highlight("ABC abc", ["abc"]) == [("ABC", True), (" ", False), ("abc", True)]
