"""A document seen for the first time: new on the portal, or only new to govwatch?

A crawl that finds a page no earlier crawl of its source found usually means the portal
published it since. Not always: a list page that failed last time, a column added to the
source, a discovery that improved — the page was there and govwatch had not reached it. Its
own publication date (发布日期 / 公开日期) tells the two apart: portals list newest first and
date a page the day it goes up, so a first-seen page dated well before the newest page the
source already showed was missed, not published. Such a page is recorded like any other and
reported as ``document_found``, which is no news (``docs/change-events.md``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import CrawlRun, Document, Version

# Per database: (source, crawl run) -> whether an earlier crawl of the source had finished. That
# cannot change while the crawl runs, and a first crawl asks for every page it records.
_EARLIER: dict[Any, dict[tuple[int, int], bool]] = {}
# Posting lags and lists ordered by 成文日期 put a new page a little behind the newest known one.
GRACE = timedelta(days=30)


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def found_late(
    session: Session, document: Document, snapshot: dict[str, Any], crawl_run_id: int | None
) -> dict[str, str] | None:
    """``{"published", "newest_known"}`` when the first-seen ``document`` was there before.

    None (new on the portal) when it was recorded outside a crawl, when the page carries no
    publication date, when no earlier crawl of the source has finished (a first crawl finds, it
    cannot miss), or when the page is no older than the newest publication date among the
    source's other documents less ``GRACE``.
    """
    if crawl_run_id is None:  # recorded outside a crawl: nothing to compare with
        return None
    published = _date((snapshot.get("metadata") or {}).get("published_date"))
    if published is None:
        return None
    # Reads only: nothing of this recording needs to be written before them.
    with session.no_autoflush:
        if not _has_earlier_crawl(session, document.source_id, crawl_run_id):
            return None
        newest_value = session.scalar(
            select(func.max(Version.snapshot["metadata"]["published_date"].as_string()))
            .select_from(Document)
            .join(Version, Version.id == Document.latest_version_id)
            .where(Document.source_id == document.source_id, Document.id != document.id)
        )
    newest = _date(newest_value)
    if newest is None or published >= newest - GRACE:
        return None
    return {"published": published.isoformat(), "newest_known": newest.isoformat()}


def _has_earlier_crawl(session: Session, source_id: int, crawl_run_id: int) -> bool:
    """Whether a crawl of the source other than this one has finished (asked once per crawl)."""
    known = _EARLIER.setdefault(session.get_bind(), {})
    key = (source_id, crawl_run_id)
    if key not in known:
        if len(known) > 10_000:
            known.clear()
        known[key] = (
            session.scalar(
                select(CrawlRun.id)
                .where(
                    CrawlRun.source_id == source_id,
                    CrawlRun.finished_at.is_not(None),
                    CrawlRun.id != crawl_run_id,
                )
                .limit(1)
            )
            is not None
        )
    return known[key]
