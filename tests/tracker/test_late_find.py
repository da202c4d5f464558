"""A page first seen after the source's first crawl, dated well before what the source already
showed, was there before: ``document_found``, recorded like any page, and no notification."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import T0, snap
from tracker import events
from tracker.db import session_scope
from tracker.models import Change, CrawlRun, Delivery, Version
from tracker.notify.outbox import enqueue
from tracker.record import RecordResult, record
from tracker.store import source_id

SOURCE = "late-finds"
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<table class="xxgk"><tr><td><b>索　引　号：</b></td><td>000014349/2024-{n:05d}</td>
<td><b>发布机构：</b></td><td>示范县人民政府</td></tr>
<tr><td><b>发文字号：</b></td><td>示政发〔2024〕{n}号</td><td><b>发布日期：</b></td><td>{date}</td></tr></table>
<div id="zoom"><p>{title}。为进一步做好相关工作，现将有关事项通知如下。</p>
<p>一、各单位要高度重视，认真组织，确保各项工作落到实处，全年新增城镇就业1.2万人。</p></div>
</body></html>"""
MAIL = {"mail": None}  # a channel with no filter: every kind that is news


def page(n: int, date: str | None) -> bytes:
    html = PAGE.format(title=f"关于第{n}项工作的通知", n=n, date=date or "")
    if date is None:
        html = html.replace("<td><b>发布日期：</b></td><td></td>", "")
    return html.encode("utf-8")


def run(factory: sessionmaker[Session], *, finished: bool, hours: int) -> int:
    with session_scope(factory) as session:
        row = CrawlRun(
            source_id=source_id(session, SOURCE),
            started_at=T0 + timedelta(hours=hours),
            finished_at=T0 + timedelta(hours=hours, minutes=5) if finished else None,
        )
        session.add(row)
        session.flush()
        return row.id


def finish(factory: sessionmaker[Session], run_id: int) -> None:
    with session_scope(factory) as session:
        row = session.get(CrawlRun, run_id)
        assert row is not None
        row.finished_at = row.started_at + timedelta(minutes=5)


def rec(
    factory: sessionmaker[Session], n: int, date: str | None, run_id: int, channels: dict | None = None
) -> RecordResult:
    fetch = snap(page(n, date), url=f"http://127.0.0.1/doc/{n}.html", source=SOURCE, crawl_run_id=run_id)
    with session_scope(factory) as session:
        result = record(session, fetch)
        routes = channels if channels is not None else MAIL
        enqueue(session, zip(result.changes, result.change_kinds, strict=True), routes)
        return result


def test_old_pages_first_seen_in_a_later_crawl_are_found_not_added(
    session_factory: sessionmaker[Session],
) -> None:
    first = run(session_factory, finished=False, hours=0)
    # The first crawl finds, it cannot miss: whatever their dates, its pages are added.
    assert rec(session_factory, 1, "2025-11-20", first).change_kinds == ["document_added"]
    assert rec(session_factory, 2, "2023-05-01", first).change_kinds == ["document_added"]
    finish(session_factory, first)
    second = run(session_factory, finished=False, hours=24)
    late = rec(session_factory, 3, "2024-02-01", second)
    assert late.change_kinds == ["document_found"]
    assert late.version_id is not None  # recorded like any page: its edits are reported later
    # Within the grace of the newest known date, a posting lag: new on the portal.
    assert rec(session_factory, 4, "2025-10-25", second).change_kinds == ["document_added"]
    assert rec(session_factory, 5, "2026-02-27", second).change_kinds == ["document_added"]
    # No date on the page: it cannot be told apart, and a real addition is never dropped.
    assert rec(session_factory, 6, None, second).change_kinds == ["document_added"]
    with session_factory() as session:
        change = session.get(Change, late.changes[0])
        assert change is not None
        assert change.details["published"] == "2024-02-01"
        assert change.details["newest_known"] == "2025-11-20"  # what was known when it came
        assert change.details["title"] == "关于第3项工作的通知"
        delivered = set(session.scalars(select(Delivery.change_id)))
        assert late.changes[0] not in delivered  # no news: not sent to a channel without a filter
        added = session.scalars(select(Change.id).where(Change.kind == "document_added")).all()
        assert set(added) == delivered
        assert session.scalar(select(func.count()).select_from(Version)) == 6


def test_a_channel_that_names_the_kind_gets_it(session_factory: sessionmaker[Session]) -> None:
    first = run(session_factory, finished=True, hours=0)
    rec(session_factory, 1, "2025-11-20", first)
    second = run(session_factory, finished=False, hours=24)
    wanted = {
        "found": events.expand(["document_found"]),
        "archive": events.expand(["archive"]),
        "documents": events.expand(["documents"]),
        "targets": events.expand(["targets"]),
        "everything": None,
    }
    late = rec(session_factory, 2, "2023-01-05", second, channels=wanted)
    assert late.change_kinds == ["document_found"]
    with session_factory() as session:
        query = select(Delivery.channel).where(Delivery.change_id == late.changes[0])
        channels = sorted(session.scalars(query))
    assert channels == ["archive", "found"]  # asked for by name; no news for the others


def test_the_documents_group_is_news_only() -> None:
    assert events.ChangeKind.DOCUMENT_FOUND not in events.expand(["documents"])
    assert events.expand(["archive"]) == {events.ChangeKind.DOCUMENT_FOUND}
