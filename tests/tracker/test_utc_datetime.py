"""Stored moments come back as aware UTC datetimes from both backends, whatever zone they went in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from tracker.db import session_scope
from tracker.models import CrawlRun, Source

SHANGHAI = timezone(timedelta(hours=8))


def test_moments_read_back_aware_in_utc_whatever_zone_they_were_written_in(
    session_factory: sessionmaker[Session],
) -> None:
    engine = session_factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        # A session in another zone: PostgreSQL then answers in +08:00, not in UTC.
        event.listen(engine, "connect", lambda conn, _: conn.execute("SET TIME ZONE 'Asia/Shanghai'"))
        engine.dispose()
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=SHANGHAI)  # 01:30 UTC
    naive = datetime(2026, 3, 2, 4, 0)  # taken to be UTC
    with session_scope(session_factory) as session:
        source = Source(name="zone", created_at=moment)
        session.add(source)
        session.flush()
        session.add(CrawlRun(source_id=source.id, started_at=moment, finished_at=naive))
    with session_factory() as session:
        run = session.scalars(select(CrawlRun)).one()
        latest = session.scalar(select(func.max(CrawlRun.started_at)))
        earlier = session.scalar(select(func.count()).where(CrawlRun.started_at < datetime(2026, 3, 1, 2, 0)))
    for value in (run.started_at, run.finished_at, latest):
        assert value is not None and value.utcoffset() == timedelta(0)
    assert run.started_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC) == latest
    assert run.finished_at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    # A naive bound is UTC too: 01:30 UTC is before 02:00.
    assert earlier == 1
