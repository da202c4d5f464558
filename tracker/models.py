"""The relational schema: SQLAlchemy 2.0 typed models for every table govwatch stores."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Constraint names must be deterministic so that migrations can drop/alter them
# on every backend (SQLite batch mode needs names to recreate tables).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL (indexable, compact, normalised key order).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back as an aware UTC datetime.

    SQLite hands datetimes back naive and PostgreSQL in the session's time zone; reading every
    one through this type spares each caller its own conversion. The DDL is that of
    ``DateTime(timezone=True)``, so the schema (and its migrations) stay as they are.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # SQLite stores the wall-clock fields only (an aware moment in another zone would be
        # written as that zone's time) and PostgreSQL reads a naive one in the session's zone:
        # everything goes in as aware UTC, a naive moment taken to be UTC already.
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


class DocumentStatus(enum.StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class DocumentKind(enum.StrEnum):
    PAGE = "page"
    ATTACHMENT = "attachment"


class FetchOutcome(enum.StrEnum):
    """How one fetch attempt was classified by ``tracker.record``."""

    NEW_CONTENT = "new_content"  # content whose fingerprint differs from the latest version
    UNCHANGED = "unchanged"  # 200 with the same fingerprint as the latest version
    NOT_MODIFIED = "not_modified"  # 304 answer to a conditional request
    TRANSIENT_ERROR = "transient_error"  # 5xx, timeout, connection error, truncated body
    BLOCKED = "blocked"  # anti-bot interstitial (412/521 JS challenge ...)
    GONE = "gone"  # 404 / 410
    NOT_A_PAGE = "not_a_page"  # binary attachment, tracked by hash only
    REJECTED = "rejected"  # refused by policy (size limit, foreign host, bad scheme ...)


class CrawlOutcome(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"  # every page fetched or classified
    PARTIAL = "partial"  # some fetches failed, others succeeded
    FAILED = "failed"  # nothing could be fetched
    TIMEOUT = "timeout"  # stopped by the scheduler after its time limit
    KILLED = "killed"  # the process died (signal, crash) before finishing
    INTERRUPTED = "interrupted"  # stopped on SIGTERM/SIGINT


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the maximum number of attempts; still visible


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    documents: Mapped[list[Document]] = relationship(back_populates="source")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), index=True)  # canonical URL
    kind: Mapped[str] = mapped_column(String(16), default=DocumentKind.PAGE)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.ACTIVE)
    title: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Validators of the latest successful response, sent back as conditional-request headers.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", use_alter=True, ondelete="SET NULL")
    )

    source: Mapped[Source] = relationship(back_populates="documents")
    versions: Mapped[list[Version]] = relationship(
        back_populates="document", foreign_keys="Version.document_id", order_by="Version.seq"
    )
    latest_version: Mapped[Version | None] = relationship(foreign_keys=[latest_version_id], post_update=True)


class VolatileParameter(Base):
    """A query parameter a source was seen to change between two fetches of the same list page.

    Learned by the crawler and left out of the canonical URL of that source's documents, so a
    per-visit token never makes a second document.
    """

    __tablename__ = "volatile_parameters"
    __table_args__ = (UniqueConstraint("source_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The list page on which the value was seen to change, for whoever wonders why.
    evidence_url: Mapped[str | None] = mapped_column(String(2048))


class ListLinks(Base):
    """What one list page of a source led to when it was last fetched in full, and its validators.

    A list page that answers a conditional request with 304 is not parsed again: the crawler
    (``crawler.revisit``) re-issues the requests it led to last time.
    """

    __tablename__ = "list_links"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    # sha256 of the crawler's key of the list page (method, URL without per-visit tokens, form body)
    key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Blob(Base):
    """A raw response body, content-addressed by the sha256 of the uncompressed bytes."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(200))
    compression: Mapped[str] = mapped_column(String(16), default="zstd")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Fetch(Base):
    """One fetch attempt of one URL, whatever its result."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_document_id_fetched_at", "document_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    final_url: Mapped[str | None] = mapped_column(String(2048))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    error: Mapped[str | None] = mapped_column(Text)


class Version(Base):
    """One distinct normalised content of a document."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the document
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    normalizer: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id", ondelete="SET NULL"))

    document: Mapped[Document] = relationship(back_populates="versions", foreign_keys=[document_id])


class Change(Base):
    """A typed change event: target_changed, metadata_changed, document_removed ..."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_document_id_detected_at", "document_id", "detected_at"),
        # A source's latest events (changes --source, the per-source feed) without a sort.
        Index("ix_changes_source_id_detected_at", "source_id", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), index=True)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    old_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    new_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Delivery(Base):
    """Outbox row: one change event to be sent through one notification channel."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("change_id", "channel"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class CrawlRun(Base):
    """One crawl of one source: when it ran, how it ended, what it found."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_id_started_at", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual/schedule/catchup/demo
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16), default=CrawlOutcome.RUNNING)
    pid: Mapped[int | None] = mapped_column(Integer)
    # pages, new_versions, changes, errors, blocked, not_modified ...
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SchedulerLock(Base):
    """At most one scheduler per database: the row is the lease, renewed by heartbeat."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:token
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
