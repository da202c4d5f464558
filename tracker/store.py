"""Lookups and get-or-create for sources and documents, and what the crawler needs before a crawl.

Documents are keyed by their canonical URL (the crawler computes it, ``crawler.identity``):
validators and known URLs are handed back under that key, and the parameters a source was
learned to change per visit are kept here so that the next crawl leaves them out from the start.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from tracker.models import Document, DocumentKind, Source, VolatileParameter, utcnow
from tracker.upsert import insert_ignore, insert_ignore_statement


def validators(session: Session, source_name: str) -> dict[str, tuple[str | None, str | None]]:
    """url -> (ETag, Last-Modified) of the source's documents that have at least one validator."""
    rows = session.execute(
        select(Document.url, Document.etag, Document.last_modified)
        .join(Source, Source.id == Document.source_id)
        .where(Source.name == source_name)
        .where((Document.etag.is_not(None)) | (Document.last_modified.is_not(None)))
    )
    return {url: (etag, last_modified) for url, etag, last_modified in rows}


def known_urls(session: Session, source_name: str) -> set[str]:
    """Every document URL recorded for the source, active or removed."""
    rows = session.scalars(
        select(Document.url).join(Source, Source.id == Document.source_id).where(Source.name == source_name)
    )
    return set(rows)


def volatile_parameters(session: Session, source_name: str) -> set[str]:
    """Names of the query parameters learned to change per visit on the source's list pages."""
    rows = session.scalars(
        select(VolatileParameter.name)
        .join(Source, Source.id == VolatileParameter.source_id)
        .where(Source.name == source_name)
    )
    return set(rows)


def learn_volatile_parameters(session: Session, source_name: str, learned: dict[str, str]) -> int:
    """Remember ``name -> evidence URL`` for the source; returns how many were new."""
    if not learned:
        return 0
    sid = source_id(session, source_name)
    added = 0
    for name, evidence in sorted(learned.items()):
        values = {
            "source_id": sid,
            "name": name[:200],
            "learned_at": utcnow(),
            "evidence_url": evidence[:2048],
        }
        added += bool(insert_ignore(session, VolatileParameter, values, index_elements=["source_id", "name"]))
    return added


def ensure_source(session: Session, name: str) -> Source:
    """The source called ``name``, created on first sight (safe against a concurrent creator)."""
    insert_ignore(session, Source, {"name": name, "created_at": utcnow()}, index_elements=["name"])
    return session.scalars(select(Source).where(Source.name == name)).one()


# Source ids known to be committed, per engine: sources are never deleted while a crawl runs,
# and looking one up costs two statements on every recorded page.
_SOURCE_IDS: weakref.WeakKeyDictionary[Engine | Connection, dict[str, int]] = weakref.WeakKeyDictionary()


def source_id(session: Session, name: str) -> int:
    """The id of the source called ``name``, created on first sight."""
    bind = session.get_bind()
    known = _SOURCE_IDS.setdefault(bind, {})
    if name in known:
        return known[name]
    created = insert_ignore(session, Source, {"name": name, "created_at": utcnow()}, index_elements=["name"])
    found = session.scalars(select(Source.id).where(Source.name == name)).one()
    if not created:  # a row this transaction created may still be rolled back: not cached
        known[name] = found
    return found


def begin_write(session: Session) -> None:
    """Take SQLite's write lock before anything is read in this transaction.

    Two processes recording the same page must not both read the same latest version: in
    WAL mode a reader that later writes fails (or, worse, decided on stale data), so the
    transaction starts as ``BEGIN IMMEDIATE`` and waits its turn (busy timeout) instead.
    PostgreSQL needs nothing here: the document row is locked ``FOR UPDATE``.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def find_document(session: Session, source_id: int, url: str, *, lock: bool = False) -> Document | None:
    return session.scalars(_find_statement(lock), {"source_id": source_id, "url": url}).one_or_none()


# Statements built once with bound parameters: building and hashing a new statement object
# for every recorded page cost about as much as running it.
@cache
def _find_statement(lock: bool) -> Select[Document]:
    stmt = select(Document).where(
        Document.source_id == bindparam("source_id"), Document.url == bindparam("url")
    )
    return stmt.with_for_update() if lock else stmt


def ensure_document(
    session: Session,
    source_id: int,
    url: str,
    kind: DocumentKind,
    *,
    seen_at: datetime | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> tuple[Document, bool]:
    """The document (locked for this transaction) and whether it was created just now.

    A new document is inserted with ``seen_at`` and the validators already in place, and read
    back by ``RETURNING``: two statements for a new URL, one for a known one.
    """
    existing = find_document(session, source_id, url, lock=True)
    if existing is not None:
        return existing, False
    now = utcnow()
    values = {
        "source_id": source_id,
        "url": url,
        "kind": str(kind),
        "status": "active",
        "first_seen_at": now,
        "last_seen_at": seen_at or now,
        "etag": etag,
        "last_modified": last_modified,
    }
    # A concurrent writer may insert the same URL first: then nothing comes back.
    stmt = insert_ignore_statement(
        session.get_bind().dialect.name, Document, tuple(values), ("source_id", "url"), whole_row=True
    )
    created = session.scalars(stmt, values).one_or_none()
    if created is not None:
        return created, True
    document = find_document(session, source_id, url, lock=True)
    assert document is not None  # inserted by a concurrent writer
    return document, False
