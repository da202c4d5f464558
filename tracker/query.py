"""Read-side queries over the version store: change events, document history, versions, target series.

Everything returns plain dicts (JSON-able apart from datetimes) or model rows, never a live query,
so the CLI, the notifier and the feed can share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from tracker.events import ChangeKind
from tracker.models import Change, Document, DocumentKind, Fetch, FetchOutcome, Source, Version

DOCUMENT_EVENTS = frozenset({ChangeKind.DOCUMENT_REMOVED, ChangeKind.DOCUMENT_RESTORED})
# The JSON Lines fields of `govwatch changes --json`, in order (README.md documents them).
ROW_FIELDS = (
    "id",
    "detected_at",
    "source",
    "url",
    "document_id",
    "title",
    "kind",
    "old_version",
    "new_version",
    "details",
)


def _changes_stmt() -> Select[Any]:
    old_v = aliased(Version)
    new_v = aliased(Version)
    return (
        select(
            Change.id,
            Change.detected_at,
            Source.name,
            Document.url,
            Change.document_id,
            Document.title,
            Change.kind,
            old_v.seq,
            new_v.seq,
            Change.details,
        )
        .join(Document, Document.id == Change.document_id)
        .join(Source, Source.id == Change.source_id)
        .outerjoin(old_v, old_v.id == Change.old_version_id)
        .outerjoin(new_v, new_v.id == Change.new_version_id)
    )


def changes(  # noqa: PLR0917 - the positional order is the documented contract
    session: Session,
    since: datetime | None = None,
    source: str | None = None,
    kinds: Iterable[str] | None = None,
    url: str | None = None,
    limit: int | None = None,
    *,
    ids: Sequence[int] | None = None,
    document_id: int | None = None,
    crawl_run_id: int | None = None,
) -> list[dict[str, Any]]:
    """Change events, oldest first; with ``limit``, the most recent ``limit`` of them.

    Each row: ``{id, detected_at, source, url, document_id, title, kind, old_version,
    new_version, details}`` with versions as sequence numbers within the document.
    """
    stmt = _changes_stmt()
    if since is not None:
        stmt = stmt.where(Change.detected_at >= since)  # compared in UTC (models.UTCDateTime)
    if source:
        stmt = stmt.where(Source.name == source)
    if kinds:
        stmt = stmt.where(Change.kind.in_(list(kinds)))
    if url:
        stmt = stmt.where(Document.url == url)
    if ids is not None:
        stmt = stmt.where(Change.id.in_(list(ids)))
    if document_id is not None:
        stmt = stmt.where(Change.document_id == document_id)
    if crawl_run_id is not None:
        stmt = stmt.where(Change.crawl_run_id == crawl_run_id)
    stmt = stmt.order_by(Change.detected_at.desc(), Change.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [dict(zip(ROW_FIELDS, row, strict=True)) for row in session.execute(stmt)]
    rows.reverse()
    return rows


def get_document(session: Session, url_or_id: str | int) -> Document | None:
    """A document by numeric id or by URL (the most recently seen one if several sources share it)."""
    ref = str(url_or_id).strip()
    if ref.isdigit():
        return session.get(Document, int(ref))
    return session.scalars(
        select(Document).where(Document.url == ref).order_by(Document.last_seen_at.desc()).limit(1)
    ).first()


def version(session: Session, doc: Document, seq: int | None = None) -> Version | None:
    """Version ``seq`` of ``doc``; its latest version when ``seq`` is None."""
    if seq is None:
        return session.get(Version, doc.latest_version_id) if doc.latest_version_id else None
    return session.scalars(select(Version).where(Version.document_id == doc.id, Version.seq == seq)).first()


def history(session: Session, doc_ref: Document | str | int) -> list[dict[str, Any]]:
    """The document's timeline, oldest first: one entry per version and per removal/restoration.

    Entry: ``{seq, version_id, at, fingerprint, normalizer, kinds, changes}`` (``seq`` None for
    a removal or restoration); ``changes`` are rows in the ``changes()`` shape.
    """
    doc = doc_ref if isinstance(doc_ref, Document) else get_document(session, doc_ref)
    if doc is None:
        return []
    versions = session.execute(
        select(Version.id, Version.seq, Version.created_at, Version.fingerprint, Version.normalizer)
        .where(Version.document_id == doc.id)
        .order_by(Version.seq)
    ).all()
    events = changes(session, document_id=doc.id)
    entries: list[dict[str, Any]] = []
    by_version: dict[int, dict[str, Any]] = {}
    for vid, seq, created_at, fingerprint, normalizer in versions:
        entry: dict[str, Any] = {
            "seq": seq,
            "version_id": vid,
            "at": created_at,
            "fingerprint": fingerprint,
            "normalizer": normalizer,
            "kinds": [],
            "changes": [],
        }
        by_version[vid] = entry
        entries.append(entry)
    seq_to_id = {seq: vid for vid, seq, *_rest in versions}
    for row in events:
        target = (
            None if row["kind"] in DOCUMENT_EVENTS else by_version.get(seq_to_id.get(row["new_version"], -1))
        )
        if target is None:
            target = {
                "seq": None,
                "version_id": None,
                "at": row["detected_at"],
                "fingerprint": None,
                "normalizer": None,
                "kinds": [],
                "changes": [],
            }
            entries.append(target)
        target["changes"].append(row)
        if row["kind"] not in target["kinds"]:
            target["kinds"].append(row["kind"])
    oldest = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: (e["at"] or oldest, e["seq"] is None, e["seq"] or 0))
    return entries


def target_history(session: Session, doc: Document) -> list[dict[str, Any]]:
    """Each target's value over the document's versions, following reworded targets.

    Returns ``[{key, indicator, section, unit, points: [{seq, at, value, value_max, unit,
    qualifier, text} | {seq, at, absent: true}]}]`` in order of first appearance; a target
    renamed by wording drift (a ``target_changed`` event with ``old_key``) stays one series.
    """
    renames: dict[int, dict[str, str]] = {}
    for row in changes(session, document_id=doc.id, kinds=[ChangeKind.TARGET_CHANGED]):
        old_key = (row["details"] or {}).get("old_key")
        if old_key and row["new_version"] is not None:
            renames.setdefault(row["new_version"], {})[row["details"]["key"]] = old_key
    series: dict[str, dict[str, Any]] = {}
    current_name: dict[str, str] = {}  # the key a target has now -> its series key
    rows = session.execute(
        select(Version.seq, Version.created_at, Version.snapshot)
        .where(Version.document_id == doc.id)
        .order_by(Version.seq)
    )
    for seq, created_at, snapshot in rows:
        targets: dict[str, Any] = (snapshot or {}).get("targets") or {}
        for new_key, old_key in renames.get(seq, {}).items():
            current_name[new_key] = current_name.pop(old_key, old_key)
        seen: set[str] = set()
        for key, target in targets.items():
            name = current_name.setdefault(key, key)
            seen.add(name)
            entry = series.setdefault(name, {"key": key, "points": []})
            entry.update(
                key=key,
                indicator=target.get("indicator"),
                section=target.get("section"),
                unit=target.get("unit"),
            )
            entry["points"].append(
                {
                    "seq": seq,
                    "at": created_at,
                    **{f: target.get(f) for f in ("value", "value_max", "unit", "qualifier", "text")},
                }
            )
        for name, entry in series.items():
            if name not in seen:
                entry["points"].append({"seq": seq, "at": created_at, "absent": True})
    return list(series.values())


# -- the web interface's reads ----------------------------------------------------------------------

PAGE_LIMIT = 50


def changes_page(
    session: Session,
    *,
    source: str | None = None,
    kinds: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    url: str | None = None,
    document_id: int | None = None,
    before: int | None = None,
    limit: int = PAGE_LIMIT,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of change events, newest first, and the cursor of the next (older) page.

    Rows have the ``changes()`` fields plus ``crawl_run_id``. ``before`` is the id of the last
    event of the previous page: the page continues strictly after it in (detected_at, id)
    order, so events recorded meanwhile never shift or repeat a page. ``q`` keeps events whose
    document title or target indicator contains it.
    """
    stmt = _changes_stmt().add_columns(Change.crawl_run_id)
    if since is not None:
        stmt = stmt.where(Change.detected_at >= since)
    if until is not None:
        stmt = stmt.where(Change.detected_at < until)
    if source:
        stmt = stmt.where(Source.name == source)
    if kinds is not None:
        stmt = stmt.where(Change.kind.in_(list(kinds)))
    if url:
        stmt = stmt.where(Document.url == url)
    if document_id is not None:
        stmt = stmt.where(Change.document_id == document_id)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            Document.title.ilike(pattern, escape="\\")
            | Change.details["indicator"].as_string().ilike(pattern, escape="\\")
        )
    if before is not None:
        anchor = session.scalar(select(Change.detected_at).where(Change.id == before))
        if anchor is None:
            return [], None
        # The first condition alone is an index range (walked backwards from the anchor); the
        # second only settles ties. Written as one OR, neither backend could use the index.
        stmt = stmt.where(Change.detected_at <= anchor, (Change.detected_at < anchor) | (Change.id < before))
    stmt = stmt.order_by(Change.detected_at.desc(), Change.id.desc()).limit(limit + 1)
    rows = [dict(zip((*ROW_FIELDS, "crawl_run_id"), row, strict=True)) for row in session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more and rows else None)


def source_names(session: Session) -> list[str]:
    return list(session.scalars(select(Source.name).order_by(Source.name)))


def source_document_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per source name: documents by status (``active``, ``removed``) and in all."""
    counts: dict[str, dict[str, int]] = {}
    for name, status, n in session.execute(
        select(Source.name, Document.status, func.count(Document.id))
        .join(Document, Document.source_id == Source.id)
        .group_by(Source.name, Document.status)
    ):
        entry = counts.setdefault(name, {"total": 0})
        entry[status] = n
        entry["total"] += n
    return counts


def source_documents(session: Session, source: str, limit: int = 500) -> list[Document]:
    """A source's documents, most recently seen first."""
    return list(
        session.scalars(
            select(Document)
            .join(Source, Source.id == Document.source_id)
            .where(Source.name == source)
            .order_by(Document.last_seen_at.desc(), Document.id.desc())
            .limit(limit)
        )
    )


def run_failures(
    session: Session, run_ids: Sequence[int], per_run: int = 20
) -> dict[int, list[dict[str, Any]]]:
    """The fetches of each run that did not succeed: URL, outcome, HTTP status and the reason."""
    failed = (
        FetchOutcome.TRANSIENT_ERROR,
        FetchOutcome.BLOCKED,
        FetchOutcome.GONE,
        FetchOutcome.REJECTED,
    )
    out: dict[int, list[dict[str, Any]]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    rows = session.execute(
        select(Fetch.crawl_run_id, Fetch.url, Fetch.outcome, Fetch.status_code, Fetch.error, Fetch.fetched_at)
        .where(Fetch.crawl_run_id.in_(list(run_ids)), Fetch.outcome.in_([str(o) for o in failed]))
        .order_by(Fetch.id)
    )
    for run_id, url, outcome, status_code, error, fetched_at in rows:
        if run_id is None:
            continue
        items = out.setdefault(run_id, [])
        if len(items) < per_run:
            items.append(
                {
                    "url": url,
                    "outcome": outcome,
                    "status_code": status_code,
                    "error": error,
                    "at": fetched_at,
                }
            )
    return out


def attachments(session: Session, doc: Document) -> list[Document]:
    """The attachment documents of ``doc``'s source that its latest raw capture links to."""
    from urllib.parse import urljoin

    from lxml import html as lxml_html

    from tracker.blobs import get_blob

    latest = version(session, doc, None)
    if latest is None or latest.blob_sha256 is None or doc.kind != DocumentKind.PAGE:
        return []
    body = get_blob(session, latest.blob_sha256)
    if not body:
        return []
    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    hrefs = {urljoin(doc.url, href.strip()) for href in tree.xpath("//a/@href") if isinstance(href, str)}
    if not hrefs:
        return []
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.source_id == doc.source_id,
                Document.kind == DocumentKind.ATTACHMENT,
                Document.url.in_(sorted(hrefs)),
            )
            .order_by(Document.url)
        )
    )


def versions_list(session: Session, doc: Document) -> list[dict[str, Any]]:
    """The document's versions, oldest first, without their snapshots: ``{seq, at, fingerprint}``."""
    return [
        {"seq": seq, "at": created_at, "fingerprint": fingerprint, "normalizer": normalizer}
        for seq, created_at, fingerprint, normalizer in session.execute(
            select(Version.seq, Version.created_at, Version.fingerprint, Version.normalizer)
            .where(Version.document_id == doc.id)
            .order_by(Version.seq)
        )
    ]


_YEAR = re.compile(r"(20\d\d|19\d\d)\s*年")


def document_year(title: str | None, metadata: Mapping[str, Any]) -> int | None:
    """The year a document is about: the first ``2024年`` of its title, else its issue date's year."""
    found = _YEAR.search(title or "")
    if found:
        return int(found.group(1))
    for name in ("issued_date", "published_date"):
        value = str(metadata.get(name) or "")
        if len(value) >= 4 and value[:4].isdigit():
            return int(value[:4])
    return None


def indicator_series(session: Session, source: str, limit_documents: int = 500) -> list[dict[str, Any]]:
    """The same indicator across a source's documents: ``[{indicator, unit, points: [...]}]``.

    Indicators are matched by their normalised name and unit (the target extractor's
    ``indicator``); each point names its document: ``{document_id, title, year, value, value_max,
    unit, qualifier, text, section}``, oldest document first. Only indicators found in two or more
    documents are returned: one value is no series.
    """
    rows = session.execute(
        select(Document.id, Document.title, Version.snapshot)
        .join(Source, Source.id == Document.source_id)
        .join(Version, Version.id == Document.latest_version_id)
        .where(Source.name == source, Document.kind == DocumentKind.PAGE)
        .order_by(Document.id)
        .limit(limit_documents)
    ).all()
    documents = []
    for doc_id, title, snapshot in rows:
        snap = snapshot or {}
        year = document_year(title or snap.get("title"), snap.get("metadata") or {})
        documents.append((year if year is not None else 9999, doc_id, title or snap.get("title"), snap))
    documents.sort(key=lambda d: (d[0], d[1]))
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for year, doc_id, title, snap in documents:
        taken: set[tuple[str, str]] = set()
        for key, target in (snap.get("targets") or {}).items():
            name = (str(target.get("indicator") or key), str(target.get("unit") or ""))
            if name in taken:  # one value per document: its first statement of the indicator
                continue
            taken.add(name)
            entry = series.setdefault(name, {"indicator": name[0], "unit": name[1] or None, "points": []})
            entry["points"].append(
                {
                    "document_id": doc_id,
                    "title": title,
                    "year": None if year == 9999 else year,
                    "key": key,
                    **{
                        f: target.get(f)
                        for f in ("value", "value_max", "unit", "qualifier", "text", "section")
                    },
                }
            )
    found = [entry for entry in series.values() if len({p["document_id"] for p in entry["points"]}) > 1]
    found.sort(key=lambda e: (-len(e["points"]), e["indicator"]))
    return found
