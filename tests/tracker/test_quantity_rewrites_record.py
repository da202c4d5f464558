"""Recorded end to end: a page whose numbers are rewritten in equal forms is unchanged, also across
a normaliser upgrade; a changed number is one target event."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import PARAGRAPHS, html_page, snap
from tracker.db import session_scope
from tracker.models import Change, FetchOutcome, Version
from tracker.normalize import fingerprint
from tracker.record import record

REWRITTEN = [
    PARAGRAPHS[0],
    "(一)聚力稳定经济运行。市重大产业项目完成投资0.145万亿元。",
    "(二)聚力科技创新。新增国家专精特新小巨人企业八十家以上。",
    PARAGRAPHS[3],
]


def changes(factory: sessionmaker[Session]) -> list[Change]:
    with factory() as session:
        return list(session.scalars(select(Change).order_by(Change.id)))


def test_equal_rewrites_are_unchanged_and_keep_the_first_wording(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        record(session, snap(html_page()))
    before = len(changes(session_factory))
    with session_scope(session_factory) as session:
        result = record(session, snap(html_page(REWRITTEN), minutes=1))
    assert result.outcome is FetchOutcome.UNCHANGED and result.changes == []
    assert len(changes(session_factory)) == before
    with session_factory() as session:
        version = session.scalars(select(Version)).one()
        assert "市重大产业项目完成投资1450亿元。" in version.snapshot["paragraphs"][1]


def test_rewrites_across_a_normaliser_upgrade_are_not_news(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        record(session, snap(html_page()))
    with session_scope(session_factory) as session:
        # what an older normaliser stored: keys by the unit as written, no quantities, no results
        version = session.scalars(select(Version)).one()
        old = dict(version.snapshot)
        old["targets"] = {
            key.replace("[元]", "[亿元]"): {k: v for k, v in t.items() if k != "quantity"}
            for key, t in old["targets"].items()
        }
        old.pop("results", None)
        old["normalizer"] = version.normalizer = "1.2"
        version.snapshot = old
        version.fingerprint = fingerprint(old)
    before = len(changes(session_factory))
    with session_scope(session_factory) as session:
        result = record(session, snap(html_page(REWRITTEN), minutes=1))
    assert result.outcome is FetchOutcome.UNCHANGED and result.changes == []
    assert len(changes(session_factory)) == before


def test_a_changed_number_is_one_target_event(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        record(session, snap(html_page()))
    changed = [PARAGRAPHS[0], "(一)聚力稳定经济运行。市重大产业项目完成投资0.15万亿元。", *PARAGRAPHS[2:]]
    with session_scope(session_factory) as session:
        result = record(session, snap(html_page(changed), minutes=1))
    assert result.outcome is FetchOutcome.NEW_CONTENT
    with session_factory() as session:
        kinds = session.execute(select(Change.kind, func.count()).group_by(Change.kind)).all()
    assert dict(kinds) == {"document_added": 1, "target_changed": 1}
