"""Full-text search over the latest version of every document: titles, metadata and body text.

The index (migration 0005) is kept current by database triggers: SQLite's FTS5 with the trigram
tokenizer, PostgreSQL's pg_trgm. Chinese has no word boundaries, so matching is by substring;
a query is split on whitespace and every term must occur. Results come newest document first
(the index is walked in document order, so a term found in every document costs no more than
a rare one). Snippets are cut here, as plain segments, so the caller escapes them like any text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tracker.models import Document, Source

SNIPPET_CHARS = 120
MAX_TERMS = 8
MAX_QUERY_CHARS = 200
TRIGRAM = 3  # FTS5's trigram index can only answer terms of at least three characters
# Tables of the search index (migration 0005): maintained by triggers, not ORM models, so schema
# comparisons (autogenerate, the schema test) leave them out. FTS5 adds its shadow tables.
INDEX_TABLES = frozenset(
    {"search_documents", "search_fts"}
    | {f"search_fts_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)


def not_index_table(name: str | None, type_: str, _parent: object = None) -> bool:
    """Alembic ``include_name`` hook: everything but the search index's tables."""
    return type_ != "table" or name not in INDEX_TABLES


@dataclass(frozen=True, slots=True)
class Hit:
    document_id: int
    title: str
    url: str
    source: str
    status: str
    detected_at: datetime  # when the document was last seen
    # (text, highlighted) pieces of one excerpt around the first match, for any renderer.
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    title_segments: list[tuple[str, bool]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "status": self.status,
            "last_seen_at": self.detected_at.isoformat() if self.detected_at else None,
            "snippet": "".join(s for s, _ in self.snippet),
            "highlights": [[s, hit] for s, hit in self.snippet],
        }


def terms(query: str) -> list[str]:
    """The whitespace-separated terms of a query, deduplicated, at most ``MAX_TERMS``."""
    seen: dict[str, None] = {}
    for term in query[:MAX_QUERY_CHARS].split():
        seen.setdefault(term, None)
    return list(seen)[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search(session: Session, query: str, *, limit: int = 20, offset: int = 0) -> list[Hit]:
    """Documents whose latest version holds every term of ``query``, newest document first."""
    words = terms(query)
    if not words:
        return []
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if session.get_bind().dialect.name == "sqlite":
        where, params = _sqlite_where(words, params)
        sql = (
            "SELECT s.rowid, s.title, s.meta, s.body FROM search_fts AS s "
            f"WHERE {where} ORDER BY s.rowid DESC LIMIT :limit OFFSET :offset"
        )
    else:
        conditions = []
        for i, word in enumerate(words):
            params[f"t{i}"] = _like(word)
            conditions.append(f"(s.title || ' ' || s.meta || ' ' || s.body) ILIKE :t{i}")
        sql = (
            "SELECT s.document_id, s.title, s.meta, s.body FROM search_documents AS s "
            f"WHERE {' AND '.join(conditions)} ORDER BY s.document_id DESC LIMIT :limit OFFSET :offset"
        )
    found = session.execute(text(sql), params).all()
    if not found:
        return []
    ids = [row[0] for row in found]
    docs = {
        row[0]: row
        for row in session.execute(
            select(Document.id, Document.url, Source.name, Document.status, Document.last_seen_at)
            .join(Source, Source.id == Document.source_id)
            .where(Document.id.in_(ids))
        )
    }
    hits = []
    for doc_id, title, meta, body in found:
        doc = docs.get(doc_id)
        if doc is None:
            continue
        hits.append(
            Hit(
                document_id=doc_id,
                title=title,
                url=doc[1],
                source=doc[2],
                status=doc[3],
                detected_at=doc[4],
                snippet=snippet(body or meta or "", words) or snippet(meta or "", words),
                title_segments=highlight(title, words),
            )
        )
    return hits


def _sqlite_where(words: Sequence[str], params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    long_terms = [w for w in words if len(w) >= TRIGRAM]
    conditions = []
    if long_terms:
        params["match"] = " AND ".join(_fts_phrase(w) for w in long_terms)
        conditions.append("search_fts MATCH :match")
    for i, word in enumerate(w for w in words if len(w) < TRIGRAM):
        params[f"t{i}"] = _like(word)
        like = f"LIKE :t{i} ESCAPE '\\'"
        conditions.append(f"(s.title {like} OR s.meta {like} OR s.body {like})")
    return " AND ".join(conditions), params


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)


def highlight(text_: str, words: Sequence[str]) -> list[tuple[str, bool]]:
    """``text_`` cut into (piece, is_match) segments."""
    if not text_:
        return []
    if not words:
        return [(text_, False)]
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _pattern(words).finditer(text_):
        if match.start() > pos:
            out.append((text_[pos : match.start()], False))
        out.append((match.group(0), True))
        pos = match.end()
    if pos < len(text_):
        out.append((text_[pos:], False))
    return out


def snippet(body: str, words: Sequence[str], width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """About ``width`` characters of ``body`` around its first match, as highlighted segments."""
    if not body:
        return []
    match = _pattern(words).search(body) if words else None
    if match is None:
        return []
    start = max(0, match.start() - width // 3)
    end = min(len(body), start + width)
    piece = " ".join(body[start:end].split())
    segments = highlight(piece, words)
    if start > 0:
        segments.insert(0, ("…", False))
    if end < len(body):
        segments.append(("…", False))
    return segments
