"""The Atom feed of change events, built with feedgen (which does all the escaping)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import events, query
from tracker.models import Document
from tracker.notify.digest import event_lines, printable

FEED_ID = "urn:govwatch:changes"
DEFAULT_LIMIT = 100


def build_feed(
    rows: Sequence[dict[str, Any]],
    source: str | None = None,
    self_url: str | None = None,
    *,
    document: tuple[int, str] | None = None,
    link_for: Callable[[dict[str, Any]], str] | None = None,
) -> bytes:
    """Atom XML for change rows (``tracker.query.changes`` shape); one entry per change event.

    ``document`` (id, title) makes it one document's feed; ``link_for`` gives each entry's link
    (default: the page on the portal), e.g. the web interface's diff page of the change.
    """
    feed = FeedGenerator()
    if document is not None:
        feed.id(f"{FEED_ID}:document:{document[0]}")
        feed.title(printable(f"govwatch：{document[1]} 的变化"))
    else:
        feed.id(f"{FEED_ID}:{source}" if source else FEED_ID)
        feed.title(f"govwatch：{source} 的变化" if source else "govwatch：政府信息公开变化")
    feed.subtitle("政府信息公开目录中文件、目标和元数据的变化")
    feed.author({"name": "govwatch"})
    feed.language("zh-CN")
    feed.generator("govwatch")
    if self_url:
        feed.link(href=self_url, rel="self")
    stamps: list[datetime] = [s for r in rows if (s := r.get("detected_at")) is not None]
    updated = max(stamps, default=None)
    feed.updated(updated or datetime.now(UTC))
    # feedgen prepends entries, so add oldest first to get newest first in the document.
    oldest = datetime.min.replace(tzinfo=UTC)
    for row in sorted(rows, key=lambda r: (r["detected_at"] or oldest, r["id"])):
        entry = feed.add_entry()
        entry.id(f"{FEED_ID}:change:{row['id']}")
        lines = event_lines(str(row["kind"]), row.get("details"))
        title = row.get("title") or row.get("url") or ""
        # The event itself in the title: a reader's list shows which target moved, not only where.
        entry.title(printable(f"【{title}】{lines[0]}"))
        entry.link(href=link_for(row) if link_for else str(row["url"]), rel="alternate")
        detected = row.get("detected_at") or datetime.now(UTC)
        entry.updated(detected)
        entry.published(detected)
        entry.category(term=str(row["kind"]), label=events.label(str(row["kind"])))
        summary = "\n".join([f"{row.get('source')} · {title}", *lines, _versions(row)])
        entry.content(printable(summary), type="text")  # XML cannot hold control characters
    return feed.atom_str(pretty=True)


def _versions(row: dict[str, Any]) -> str:
    old, new = row.get("old_version"), row.get("new_version")
    if old and new:
        return f"（第 {old} 版 → 第 {new} 版）"
    return f"（第 {new} 版）" if new else f"（原第 {old} 版）" if old else ""


def feed_xml(
    session: Session,
    source: str | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    document_id: int | None = None,
    self_url: str | None = None,
    link_for: Callable[[dict[str, Any]], str] | None = None,
) -> bytes:
    """The feed of the latest ``limit`` events: of everything, of one source, or of one document."""
    rows = query.changes(session, source=source, limit=limit, document_id=document_id)
    document = None
    if document_id is not None:
        title = session.scalar(select(Document.title).where(Document.id == document_id))
        document = (document_id, title or (rows[0]["url"] if rows else str(document_id)))
    return build_feed(rows, source=source, self_url=self_url, document=document, link_for=link_for)
