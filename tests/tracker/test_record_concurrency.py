"""Two processes recording into the same database never lose or duplicate a version."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tracker.models import Change, Document, Fetch, Version

ROOT = Path(__file__).resolve().parents[2]
PAGES_PER_WRITER = 15

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from tests.tracker.pages import html_page
    from tracker.db import make_engine, session_scope
    from tracker.page import PageFetch
    from tracker.record import record
    from sqlalchemy.orm import sessionmaker

    url, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    factory = sessionmaker(make_engine(url), expire_on_commit=False)
    for i in range(count):
        body = html_page([f"第{i}条 写入方{writer}", "共同的段落。"])
        for page_url in ("http://127.0.0.1/shared.html", f"http://127.0.0.1/own-{writer}.html"):
            page = PageFetch(source="race", url=page_url, status=200, body=body,
                                headers={"content-type": "text/html"}, fetched_at=datetime.now(UTC))
            with session_scope(factory) as session:
                record(session, page)
    """
)


@pytest.mark.slow
def test_two_writer_processes_keep_every_version(db_url: str, session_factory: sessionmaker[Session]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, name, str(PAGES_PER_WRITER)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in writers:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with session_factory() as session:
        shared = session.scalars(select(Document).where(Document.url == "http://127.0.0.1/shared.html")).one()
        seqs = sorted(session.scalars(select(Version.seq).where(Version.document_id == shared.id)))
        fetches = session.scalars(select(Fetch.outcome).where(Fetch.document_id == shared.id)).all()
        latest = session.get(Version, shared.latest_version_id)
        added = session.scalars(select(Change).where(Change.kind == "document_added")).all()
    assert len(fetches) == 2 * PAGES_PER_WRITER
    # Every fetch whose content differed from the latest at its turn is a version, numbered without gaps.
    assert seqs == list(range(1, fetches.count("new_content") + 1))
    assert fetches.count("new_content") + fetches.count("unchanged") == len(fetches)
    assert latest is not None and latest.seq == seqs[-1]
    assert len(added) == 3  # shared, own-a, own-b: each document is added once
