"""Helpers of the crash tests: find a crawl's processes by a marker in their environment; the invariants."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tracker.models import Blob, Change, CrawlRun, Document, Fetch, Version

MARK = "GOVWATCH_TEST_TREE"


def new_mark() -> str:
    return uuid.uuid4().hex


def marked(mark: str) -> list[int]:
    """Every live process whose environment carries ``MARK=mark`` (the launcher's whole tree)."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def command_of(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_until_gone(mark: str, timeout: float = 15) -> list[str]:
    """The command lines of the marked processes still alive after ``timeout`` (empty: all gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not marked(mark):
            return []
        time.sleep(0.2)
    return [command_of(pid) for pid in marked(mark)]


def check_invariants(factory: sessionmaker[Session]) -> None:
    """One version per distinct content, no orphan rows, no unreferenced blob, no duplicate event."""
    with factory() as session:
        per_document = session.execute(
            select(
                Version.document_id, func.count(Version.id), func.count(func.distinct(Version.fingerprint))
            ).group_by(Version.document_id)
        ).all()
        for document_id, versions, fingerprints in per_document:
            assert versions == fingerprints, f"document {document_id}: {versions} versions of {fingerprints}"
        assert (
            session.scalar(
                select(func.count(Version.id)).where(Version.document_id.not_in(select(Document.id)))
            )
            == 0
        )
        for document in session.scalars(select(Document)):
            if document.latest_version_id is not None:
                assert session.get(Version, document.latest_version_id) is not None
        assert (
            session.scalar(
                select(func.count(Version.id)).where(
                    Version.blob_sha256.is_not(None), Version.blob_sha256.not_in(select(Blob.sha256))
                )
            )
            == 0
        )
        referenced = (
            select(Version.blob_sha256)
            .where(Version.blob_sha256.is_not(None))
            .union(select(Fetch.blob_sha256).where(Fetch.blob_sha256.is_not(None)))
        )
        assert session.scalar(select(func.count(Blob.sha256)).where(Blob.sha256.not_in(referenced))) == 0
        assert (
            session.scalar(
                select(func.count(Fetch.id)).where(
                    Fetch.crawl_run_id.is_not(None), Fetch.crawl_run_id.not_in(select(CrawlRun.id))
                )
            )
            == 0
        )
        duplicates = session.execute(
            select(Change.document_id, Change.kind, Change.new_version_id, func.count(Change.id))
            .group_by(Change.document_id, Change.kind, Change.new_version_id)
            .having(func.count(Change.id) > 1)
            .where(Change.kind.in_(("document_added", "document_removed")))
        ).all()
        assert not duplicates, duplicates


def workers_of(mark: str) -> tuple[int, int]:
    """(recording workers, resource trackers) among the marked processes."""
    commands = [command_of(pid) for pid in marked(mark)]
    return (
        sum("multiprocessing.spawn" in c for c in commands),
        sum("multiprocessing.resource_tracker" in c for c in commands),
    )


def open_runs(factory: sessionmaker[Session]) -> list[CrawlRun]:
    with factory() as session:
        return list(session.scalars(select(CrawlRun).where(CrawlRun.outcome == "running")))
