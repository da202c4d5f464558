"""Normaliser upgrades are not news: stored versions are re-derived from raw bodies, silently."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.tracker.pages import portal_page, snap
from tracker.blobs import get_blob
from tracker.db import session_scope
from tracker.models import Change, FetchOutcome, Version
from tracker.normalize import NORMALIZER_VERSION, fingerprint
from tracker.record import record
from tracker.reprocess import reprocess


def age_versions(factory: sessionmaker[Session]) -> None:
    """Make every stored version look like an older normaliser's output: one noise paragraph more."""
    with session_scope(factory) as session:
        for version in session.scalars(select(Version)):
            old = dict(version.snapshot)
            old["paragraphs"] = [*old["paragraphs"], "浏览次数:1287 【字号:默认 特大】"]
            old["normalizer"] = "0.9"
            version.snapshot = old
            version.normalizer = "0.9"
            version.fingerprint = fingerprint(old)


def change_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Change)) or 0


def test_refetch_after_an_upgrade_is_unchanged_and_rederives_the_latest(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        record(session, snap(portal_page()))
    age_versions(session_factory)
    events_before = change_count(session_factory)
    with session_scope(session_factory) as session:
        result = record(session, snap(portal_page(views=5), minutes=1))
    assert result.outcome is FetchOutcome.UNCHANGED and result.changes == []
    assert change_count(session_factory) == events_before
    with session_factory() as session:
        version = session.scalars(select(Version)).one()
        assert version.normalizer == NORMALIZER_VERSION
        assert "浏览次数:1287 【字号:默认 特大】" not in version.snapshot["paragraphs"]


def test_reprocess_rewrites_every_version_without_events(session_factory: sessionmaker[Session]) -> None:
    page = portal_page().decode("utf-8")
    for minute, body in enumerate(
        [page, page.replace("5.5%左右", "6%左右"), page.replace("5.5%左右", "7%左右")]
    ):
        with session_scope(session_factory) as session:
            record(session, snap(body.encode("utf-8"), minutes=minute))
    age_versions(session_factory)
    events_before = change_count(session_factory)
    report = reprocess(session_factory)
    assert (report.documents, report.versions, report.rewritten, report.skipped) == (1, 3, 3, 0)
    assert change_count(session_factory) == events_before
    with session_factory() as session:
        versions = session.scalars(select(Version).order_by(Version.seq)).all()
        assert {v.normalizer for v in versions} == {NORMALIZER_VERSION}
        for version in versions:
            body = get_blob(session, version.blob_sha256 or "")
            assert body is not None
            assert version.fingerprint == fingerprint(version.snapshot)
    again = reprocess(session_factory, only_stale=True)
    assert again.documents == 0
    second = reprocess(session_factory)
    assert (second.rewritten, second.unchanged) == (0, 3)
