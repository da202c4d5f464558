"""Recording one fetch: classify it, keep a version when the content changed, emit change events.

``record(session, page)`` does one transaction's worth of work in the caller's session; the
caller commits (``tracker.db.session_scope``) and on any exception nothing is left behind.

Outcomes and what they store:

- NEW_CONTENT: a fetch row, the raw body (blob), a new version, change events.
- UNCHANGED (same fingerprint as the latest version) and NOT_MODIFIED (304): one fetch row
  (the document's ``last_seen_at`` and validators are refreshed in place). A 200 whose raw body
  is the one the latest version was derived from, read the same way (``record_same_body``), is
  UNCHANGED without being normalised again.
- TRANSIENT_ERROR, BLOCKED, REJECTED: one fetch row; never a removal.
- GONE (404/410): a fetch row; an active document becomes ``removed`` with a
  ``document_removed`` event. A later 200 restores it (``document_restored``).
- NOT_A_PAGE: an attachment tracked by the sha256 of its body; a new hash is a new version
  with a ``content_changed`` event whose details say ``attachment: true``; the same hash
  is UNCHANGED.

A new version whose fingerprint equals one of the few versions before the latest is a
revert: its events keep their kinds and carry ``details.revert_of`` = that version's seq.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.orm import Session, defer

from tracker.blobs import put_blob, sha256_hex
from tracker.classify import classify
from tracker.events import ChangeEvent, ChangeKind
from tracker.late import found_late
from tracker.models import (
    Base,
    Blob,
    Change,
    Document,
    DocumentKind,
    DocumentStatus,
    Fetch,
    FetchOutcome,
    Version,
)
from tracker.normalize.errors import EmptyBody, NormalizeError, NotHtml
from tracker.normalize.version import NORMALIZER_VERSION
from tracker.page import PageFetch
from tracker.rederive import ATTACHMENT_NORMALIZER, is_stale, reads_the_same, rederive
from tracker.store import begin_write, ensure_document, find_document, source_id

log = logging.getLogger(__name__)

REVERT_WINDOW = 5  # how many versions before the latest a flip-back is recognised against
TRUNCATED_WARNING = "truncated"  # the normaliser's warning for a page cut off before its end


@dataclass(slots=True)
class RecordResult:
    outcome: FetchOutcome
    document_id: int | None = None
    version_id: int | None = None
    changes: list[int] = field(default_factory=list)
    change_kinds: list[str] = field(default_factory=list)
    fetch_id: int | None = None
    error: str | None = None
    same_body: bool = False  # recorded by its raw body alone, not normalised (``record_same_body``)


@dataclass(slots=True)
class Examined:
    """What a fetch turned out to be, decided before the database is touched (picklable).

    ``examine(page)`` is pure CPU work; worker processes may compute it in parallel and hand it
    to the one process that writes, through ``record(..., examined=...)``.
    """

    outcome: FetchOutcome | None
    kind: DocumentKind = DocumentKind.PAGE
    snapshot: dict[str, Any] | None = None
    fingerprint: str | None = None
    normalizer: str | None = None
    error: str | None = None


def _attachment_content(page: PageFetch) -> Examined:
    digest = sha256_hex(page.body)
    name = unquote(PurePosixPath(urlsplit(page.url).path).name) or page.url
    snapshot = {
        "title": name,
        "metadata": {},
        "targets": {},
        "paragraphs": [],
        "attachment": {"sha256": digest, "size": len(page.body), "content_type": page.content_type},
        "normalizer": ATTACHMENT_NORMALIZER,
    }
    return Examined(
        FetchOutcome.NOT_A_PAGE,
        DocumentKind.ATTACHMENT,
        snapshot,
        digest,
        ATTACHMENT_NORMALIZER,
    )


def examine(page: PageFetch) -> Examined:
    """Classify and, for a page, normalise: pure CPU work done before any lock is taken."""
    outcome = classify(page)
    if outcome is FetchOutcome.NOT_A_PAGE:
        return _attachment_content(page)
    if outcome is not None:
        return Examined(outcome, error=page.error)
    from tracker.normalize.pipeline import normalize  # the normaliser, only once a page needs it

    try:
        normalized = normalize(page.body, page.final_url or page.url, page.headers)
    except NotHtml:
        return _attachment_content(page)
    except EmptyBody as exc:
        return Examined(FetchOutcome.TRANSIENT_ERROR, error=f"{exc.reason}: {exc}")
    except NormalizeError as exc:
        return Examined(FetchOutcome.REJECTED, error=f"{exc.reason}: {exc}")
    truncated = next((w for w in normalized.warnings if w.startswith(TRUNCATED_WARNING)), None)
    if truncated is not None:
        # Half a page would read as "every target below the cut was removed": retry next crawl.
        return Examined(FetchOutcome.TRANSIENT_ERROR, error=truncated)
    return Examined(
        None,
        DocumentKind.PAGE,
        normalized.snapshot,
        normalized.fingerprint,
        str(normalized.snapshot.get("normalizer")),
    )


def record(
    session: Session,
    page: PageFetch,
    *,
    examined: Examined | None = None,
) -> RecordResult:
    """Record one fetch of ``page`` (see the module docstring); the caller commits.

    ``examined`` is ``examine(page)`` when it was computed already (in another process).
    """
    content = examined if examined is not None else examine(page)
    begin_write(session)
    recorder = _Recorder(session, page, source_id(session, page.source))
    if content.snapshot is None:
        assert content.outcome is not None
        return recorder.no_content(content.outcome, content.error)
    return recorder.with_content(content)


def may_have_same_body(page: PageFetch) -> bool:
    """Whether ``page`` is a 2xx page (not an attachment) that ``record_same_body`` might take."""
    return bool(page.body) and classify(page) is None


def record_same_body(session: Session, page: PageFetch) -> RecordResult | None:
    """Record ``page`` as UNCHANGED if its raw body is the latest version's, read the same way.

    Normalising is most of what recording a page costs, and an unchanged page served without
    validators (or ignoring them) comes back byte for byte: its sha256 names the latest version's
    blob. The version must be the current normaliser's (an older one is re-derived by ``record``)
    and the response's Content-Type must not make the normaliser read the bytes differently. None,
    with nothing written, when any of that does not hold: then ``record`` decides.
    """
    if not may_have_same_body(page):
        return None
    begin_write(session)
    sid = source_id(session, page.source)
    document = find_document(session, sid, page.url, lock=True)
    if document is None or document.latest_version_id is None:
        return None
    stored = session.execute(_latest_body_statement(), {"id": document.latest_version_id}).one_or_none()
    if stored is None:
        return None
    normalizer, blob_sha, content_type = stored
    if normalizer != NORMALIZER_VERSION or blob_sha is None or blob_sha != sha256_hex(page.body):
        return None
    if not reads_the_same(page.body, content_type, page.headers):
        return None
    recorder = _Recorder(session, page, sid)
    document.last_seen_at = recorder.at
    recorder._refresh_validators(document)
    recorder._restore_if_removed(document)
    fetch_id = recorder._fetch(document, FetchOutcome.UNCHANGED, blob=blob_sha)
    result = recorder._result(FetchOutcome.UNCHANGED, document, None, fetch_id)
    result.same_body = True
    return result


@cache
def _latest_body_statement() -> Select[str, str | None, str | None]:
    return (
        select(Version.normalizer, Version.blob_sha256, Blob.content_type)
        .outerjoin(Blob, Blob.sha256 == Version.blob_sha256)
        .where(Version.id == bindparam("id"))
    )


class _Recorder:
    def __init__(
        self,
        session: Session,
        page: PageFetch,
        source_id: int,
    ) -> None:
        self.session = session
        self.error: str | None = None
        self.page = page
        self.source_id = source_id
        self.changes: list[dict[str, Any]] = []
        # SQLite keeps no offset: every stored moment is UTC, so convert before storing.
        fetched = page.fetched_at
        self.at = fetched.astimezone(UTC) if fetched.tzinfo else fetched.replace(tzinfo=UTC)

    # -- fetches without new content -------------------------------------------------

    def no_content(self, outcome: FetchOutcome, error: str | None) -> RecordResult:
        document = find_document(self.session, self.source_id, self.page.url, lock=True)
        fetch_id = self._fetch(document, outcome, error=error)
        if document is not None:
            if outcome is FetchOutcome.GONE and document.status == DocumentStatus.ACTIVE:
                document.status = DocumentStatus.REMOVED
                # A restored page must be fetched in full, not answered with a 304.
                document.etag = document.last_modified = None
                self._event(
                    document,
                    ChangeEvent(ChangeKind.DOCUMENT_REMOVED, {"status_code": self.page.status}),
                    old=document.latest_version_id,
                    new=None,
                )
            elif outcome is FetchOutcome.NOT_MODIFIED:
                document.last_seen_at = self.at
                self._refresh_validators(document)
                self._restore_if_removed(document)
        return self._result(outcome, document, None, fetch_id)

    # -- fetches with content ------------------------------------------------------------

    def with_content(self, content: Examined) -> RecordResult:
        assert content.snapshot is not None and content.fingerprint is not None
        document, created = ensure_document(
            self.session,
            self.source_id,
            self.page.url,
            content.kind,
            seen_at=self.at,
            etag=self.page.headers.get("etag") if self.page.status == 200 else None,
            last_modified=self.page.headers.get("last-modified") if self.page.status == 200 else None,
        )
        if not created:  # a new row was inserted with these already: no second UPDATE
            document.last_seen_at = self.at
            self._refresh_validators(document)
        latest = None if created else self._latest(document)
        if latest is not None and is_stale(latest):
            # A normaliser upgrade is not news: compare like with like.
            rederive(self.session, latest, document.url)
        self._restore_if_removed(document)
        if latest is not None and latest.fingerprint == content.fingerprint:
            body_sha = sha256_hex(self.page.body)
            fetch_id = self._fetch(
                document,
                FetchOutcome.UNCHANGED,
                blob=body_sha if body_sha == latest.blob_sha256 else None,
            )
            return self._result(FetchOutcome.UNCHANGED, document, None, fetch_id)

        outcome = content.outcome or FetchOutcome.NEW_CONTENT
        blob = put_blob(self.session, self.page.body, self.page.content_type)
        fetch_id = self._fetch(document, outcome, blob=blob)
        version_id = _insert(
            self.session,
            Version,
            {
                "document_id": document.id,
                "seq": (latest.seq if latest is not None else 0 if created else self._max_seq(document)) + 1,
                "created_at": self.at,
                "fingerprint": content.fingerprint,
                "normalizer": content.normalizer or "",
                "snapshot": content.snapshot,
                "blob_sha256": blob,
                "fetch_id": fetch_id,
            },
        )
        document.latest_version_id = version_id
        document.title = content.snapshot.get("title") or document.title
        for event in self._content_events(document, latest, content):
            self._event(document, event, old=latest.id if latest else None, new=version_id)
        return self._result(outcome, document, version_id, fetch_id)

    def _content_events(
        self, document: Document, latest: Version | None, content: Examined
    ) -> list[ChangeEvent]:
        assert content.snapshot is not None
        is_attachment = content.kind is DocumentKind.ATTACHMENT
        if latest is None:
            details: dict[str, Any] = {"title": content.snapshot.get("title"), "attachment": is_attachment}
            if is_attachment:
                details.update(content.snapshot["attachment"])
            late = found_late(self.session, document, content.snapshot, self.page.crawl_run_id)
            if late:  # there before, only reached now: recorded, and no news (tracker/late.py)
                return [ChangeEvent(ChangeKind.DOCUMENT_FOUND, {**details, **late})]
            return [ChangeEvent(ChangeKind.DOCUMENT_ADDED, details)]
        if is_attachment:
            old = latest.snapshot.get("attachment") or {}
            new = content.snapshot["attachment"]
            events = [
                ChangeEvent(
                    ChangeKind.CONTENT_CHANGED,
                    {
                        "attachment": True,
                        "old_sha256": old.get("sha256"),
                        "new_sha256": new["sha256"],
                        "old_size": old.get("size"),
                        "new_size": new["size"],
                        "added": 0,
                        "removed": 0,
                        "edited": 1,
                        "excerpts": [],
                    },
                )
            ]
        else:
            # Imported here: a crawl that finds nothing changed never loads the diff (0.17 s).
            from tracker.diff import diff_snapshots

            events = diff_snapshots(latest.snapshot, content.snapshot)
        revert_of = self._revert_of(document, latest, content.fingerprint or "")
        if revert_of is not None:
            for event in events:
                event.details["revert_of"] = revert_of
        return events

    # -- small steps -----------------------------------------------------------------------

    def _latest(self, document: Document) -> Version | None:
        if document.latest_version_id is None:
            return None
        # The snapshot is loaded only when it is diffed: an unchanged fetch needs the fingerprint alone.
        return self.session.get(Version, document.latest_version_id, options=[defer(Version.snapshot)])

    def _max_seq(self, document: Document) -> int:
        seqs = self.session.scalars(
            select(Version.seq)
            .where(Version.document_id == document.id)
            .order_by(Version.seq.desc())
            .limit(1)
        ).all()
        return seqs[0] if seqs else 0

    def _revert_of(self, document: Document, latest: Version, fingerprint: str) -> int | None:
        earlier = self.session.scalars(
            select(Version)
            .where(Version.document_id == document.id, Version.seq < latest.seq)
            .order_by(Version.seq.desc())
            .limit(REVERT_WINDOW)
        ).all()
        for version in earlier:
            if is_stale(version):
                rederive(self.session, version, document.url)
            if version.fingerprint == fingerprint:
                return version.seq
        return None

    def _refresh_validators(self, document: Document) -> None:
        headers = self.page.headers
        if self.page.status == 200:
            document.etag = headers.get("etag")
            document.last_modified = headers.get("last-modified")
        elif self.page.status == 304:
            # A 304 may carry fresher validators; without them the stored ones stay valid.
            document.etag = headers.get("etag") or document.etag
            document.last_modified = headers.get("last-modified") or document.last_modified

    def _restore_if_removed(self, document: Document) -> None:
        if document.status != DocumentStatus.REMOVED:
            return
        document.status = DocumentStatus.ACTIVE
        self._event(
            document,
            ChangeEvent(ChangeKind.DOCUMENT_RESTORED, {"status_code": self.page.status}),
            old=document.latest_version_id,
            new=document.latest_version_id,
        )

    def _fetch(
        self,
        document: Document | None,
        outcome: FetchOutcome,
        *,
        error: str | None = None,
        blob: str | None = None,
    ) -> int:
        headers = self.page.headers
        self.error = error or self.page.error
        return _insert(
            self.session,
            Fetch,
            {
                "source_id": self.source_id,
                "document_id": document.id if document is not None else None,
                "crawl_run_id": self.page.crawl_run_id,
                "url": self.page.url,
                "final_url": self.page.final_url if self.page.final_url != self.page.url else None,
                "fetched_at": self.at,
                "status_code": self.page.status,
                "outcome": str(outcome),
                "etag": (headers.get("etag") or None) and headers["etag"][:512],
                "last_modified": (headers.get("last-modified") or None) and headers["last-modified"][:64],
                "blob_sha256": blob,
                "error": self.error,
            },
        )

    def _event(self, document: Document, event: ChangeEvent, *, old: int | None, new: int | None) -> None:
        self.changes.append(
            {
                "source_id": self.source_id,
                "document_id": document.id,
                "crawl_run_id": self.page.crawl_run_id,
                "kind": event.kind,
                "detected_at": self.at,
                "old_version_id": old,
                "new_version_id": new,
                "details": event.details,
            }
        )

    def _result(
        self, outcome: FetchOutcome, document: Document | None, version_id: int | None, fetch_id: int
    ) -> RecordResult:
        change_ids = [_insert(self.session, Change, change) for change in self.changes]
        return RecordResult(
            outcome=outcome,
            document_id=document.id if document is not None else None,
            version_id=version_id,
            changes=change_ids,
            change_kinds=[change["kind"] for change in self.changes],
            fetch_id=fetch_id,
            error=self.error,
        )


def _insert(session: Session, model: type[Base], values: dict[str, Any]) -> int:
    """Insert one row through Core and return its id.

    The rows a recording adds are never read back in the same transaction, so they skip the
    ORM's unit of work: one statement each, no flush of the session around it.
    """
    return session.connection().execute(_insert_returning_id(model), values).scalar_one()


@cache
def _insert_returning_id(model: Any) -> Any:
    return insert(model).returning(model.__table__.c.id)
