"""Re-deriving every stored version after a normaliser upgrade, without inventing change events.

Versions are rewritten in place from their raw bodies; change events already reported stay as
they were (they were true of what readers saw), and no new ones are created: a normaliser
upgrade is not news. Each document is one transaction, so an interrupted run loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tracker.models import Document, Source, Version
from tracker.normalize import NORMALIZER_VERSION
from tracker.rederive import ATTACHMENT_NORMALIZER, rederive


@dataclass(slots=True)
class ReprocessReport:
    normalizer: str = NORMALIZER_VERSION
    documents: int = 0
    versions: int = 0
    rewritten: int = 0  # snapshot or fingerprint differs under the current normaliser
    unchanged: int = 0
    skipped: int = 0  # attachments, versions without a raw body, bodies that no longer normalise
    now_equal_to_previous: int = 0  # versions the current normaliser would not have kept

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _document_ids(session: Session, source: str | None, only_stale: bool) -> list[int]:
    stmt = select(Document.id).order_by(Document.id)
    if source:
        stmt = stmt.join(Source, Source.id == Document.source_id).where(Source.name == source)
    if only_stale:
        stale = select(Version.document_id).where(
            Version.normalizer.not_in([NORMALIZER_VERSION, ATTACHMENT_NORMALIZER])
        )
        stmt = stmt.where(Document.id.in_(stale))
    return list(session.scalars(stmt))


def reprocess(
    factory: sessionmaker[Session],
    *,
    source: str | None = None,
    only_stale: bool = False,
    progress: Callable[[ReprocessReport], None] | None = None,
) -> ReprocessReport:
    """Re-derive the versions of every document (of ``source``), one transaction per document."""
    report = ReprocessReport()
    with factory() as session:
        doc_ids = _document_ids(session, source, only_stale)
    for doc_id in doc_ids:
        with factory() as session, session.begin():
            doc = session.get(Document, doc_id)
            if doc is None:  # deleted meanwhile
                continue
            report.documents += 1
            previous: str | None = None
            for version in session.scalars(
                select(Version).where(Version.document_id == doc_id).order_by(Version.seq)
            ):
                report.versions += 1
                if version.normalizer == ATTACHMENT_NORMALIZER or version.blob_sha256 is None:
                    report.skipped += 1
                elif rederive(session, version, doc.url):
                    report.rewritten += 1
                elif version.normalizer == NORMALIZER_VERSION:
                    report.unchanged += 1
                else:
                    report.skipped += 1
                if previous is not None and version.fingerprint == previous:
                    report.now_equal_to_previous += 1
                previous = version.fingerprint
        if progress is not None:
            progress(report)
    return report
