"""Change events written straight into a test database (the outbox's input)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tracker.models import Change, CrawlRun, Delivery, Document, Source, Version

TARGET_OLD = {
    "value": 5.5,
    "value_max": None,
    "unit": "%",
    "qualifier": "左右",
    "text": "地区生产总值增长5.5%左右",
}
TARGET_NEW = {
    "value": 6,
    "value_max": None,
    "unit": "%",
    "qualifier": "左右",
    "text": "地区生产总值增长6%左右",
}


def add_run_with_changes(
    factory: sessionmaker[Session],
    *,
    source: str = "wuxi-dfgw",
    documents: int = 2,
    channels: Iterable[str] = ("hook",),
    title: str = "无锡市2024年政府工作要点",
    outcome: str = "ok",
    started_at: datetime | None = None,
) -> tuple[int, list[int]]:
    """One crawl run with a target and a metadata change per document; returns (run id, change ids)."""
    with factory() as session, session.begin():
        src = session.query(Source).filter_by(name=source).one_or_none() or Source(name=source)
        session.add(src)
        session.flush()
        run = CrawlRun(
            source_id=src.id,
            trigger="schedule",
            outcome=outcome,
            counts={},
            started_at=started_at or datetime.now(UTC),
        )
        session.add(run)
        session.flush()
        ids: list[int] = []
        for n in range(documents):
            url = f"http://127.0.0.1/art/2024/2/{run.id}/art_{n}.html"
            doc = Document(source_id=src.id, url=url, title=f"{title}（{n}）")
            session.add(doc)
            session.flush()
            versions = []
            for seq in (1, 2):
                version = Version(
                    document_id=doc.id, seq=seq, fingerprint=f"{doc.id}-{seq}", normalizer="t", snapshot={}
                )
                session.add(version)
                versions.append(version)
            session.flush()
            events: list[tuple[str, dict[str, Any]]] = [
                (
                    "target_changed",
                    {"key": "gdp", "indicator": "地区生产总值增长", "old": TARGET_OLD, "new": TARGET_NEW},
                ),
                ("metadata_changed", {"field": "validity", "old": "有效", "new": "废止"}),
            ]
            for kind, details in events:
                change = Change(
                    source_id=src.id,
                    document_id=doc.id,
                    crawl_run_id=run.id,
                    kind=kind,
                    old_version_id=versions[0].id,
                    new_version_id=versions[1].id,
                    details=details,
                )
                session.add(change)
                session.flush()
                ids.append(change.id)
                for channel in channels:
                    session.add(Delivery(change_id=change.id, channel=channel))
        return run.id, ids
