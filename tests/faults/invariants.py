"""What must hold in the database after any fault: checked by the fault tests and ``bench/faults.py``."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tracker.models import Blob, Change, CrawlRun, Delivery, Document, Fetch, Source, Version


def violations(engine: Engine) -> list[str]:
    """Every broken invariant, as a readable line; empty when the database is sound.

    One version per distinct content (no version repeats the one before it), no orphan rows,
    no blob nothing refers to, no change event recorded twice, no run left ``running``.
    """
    found: list[str] = []
    with Session(engine) as session:
        previous: dict[int, str] = {}
        for doc_id, seq, fingerprint in session.execute(
            select(Version.document_id, Version.seq, Version.fingerprint).order_by(
                Version.document_id, Version.seq
            )
        ):
            if previous.get(doc_id) == fingerprint:
                found.append(f"document {doc_id}: version {seq} repeats the content of version {seq - 1}")
            previous[doc_id] = fingerprint

        sources = set(session.scalars(select(Source.id)))
        documents = set(session.scalars(select(Document.id)))
        versions = set(session.scalars(select(Version.id)))
        changes = set(session.scalars(select(Change.id)))
        runs = set(session.scalars(select(CrawlRun.id)))
        for doc_id, source_id, latest in session.execute(
            select(Document.id, Document.source_id, Document.latest_version_id)
        ):
            if source_id not in sources:
                found.append(f"document {doc_id}: source {source_id} does not exist")
            if latest is not None and latest not in versions:
                found.append(f"document {doc_id}: latest version {latest} does not exist")
        for version_id, doc_id in session.execute(select(Version.id, Version.document_id)):
            if doc_id not in documents:
                found.append(f"version {version_id}: document {doc_id} does not exist")
        for change_id, doc_id, old, new, run_id in session.execute(
            select(
                Change.id,
                Change.document_id,
                Change.old_version_id,
                Change.new_version_id,
                Change.crawl_run_id,
            )
        ):
            if doc_id not in documents:
                found.append(f"change {change_id}: document {doc_id} does not exist")
            for version_id in (old, new):
                if version_id is not None and version_id not in versions:
                    found.append(f"change {change_id}: version {version_id} does not exist")
            if run_id is not None and run_id not in runs:
                found.append(f"change {change_id}: crawl run {run_id} does not exist")
        for delivery_id, change_id in session.execute(select(Delivery.id, Delivery.change_id)):
            if change_id not in changes:
                found.append(f"delivery {delivery_id}: change {change_id} does not exist")
        for fetch_id, doc_id, run_id in session.execute(
            select(Fetch.id, Fetch.document_id, Fetch.crawl_run_id)
        ):
            if doc_id is not None and doc_id not in documents:
                found.append(f"fetch {fetch_id}: document {doc_id} does not exist")
            if run_id is not None and run_id not in runs:
                found.append(f"fetch {fetch_id}: crawl run {run_id} does not exist")

        referenced = set(session.scalars(select(Fetch.blob_sha256).where(Fetch.blob_sha256.is_not(None))))
        referenced |= set(
            session.scalars(select(Version.blob_sha256).where(Version.blob_sha256.is_not(None)))
        )
        for sha in session.scalars(select(Blob.sha256)):
            if sha not in referenced:
                found.append(f"blob {sha[:12]}: referenced by no fetch and no version")

        events = Counter(
            (doc_id, kind, old, new, json.dumps(details, sort_keys=True, ensure_ascii=False))
            for doc_id, kind, old, new, details in session.execute(
                select(
                    Change.document_id,
                    Change.kind,
                    Change.old_version_id,
                    Change.new_version_id,
                    Change.details,
                )
            )
        )
        for (doc_id, kind, _old, new, _details), n in events.items():
            if n > 1:
                found.append(f"document {doc_id}: {kind} of version {new} recorded {n} times")

        for run_id, source_id in session.execute(
            select(CrawlRun.id, CrawlRun.source_id).where(CrawlRun.outcome == "running")
        ):
            found.append(f"crawl run {run_id} of source {source_id} left running")
    return found
