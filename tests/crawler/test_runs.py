"""Crawl-run bookkeeping against the real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tracker import runs
from tracker.db import session_scope


def test_a_run_is_started_finished_and_listed(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        first = runs.start_run(session, "wuxi", "schedule", pid=123)
        other = runs.start_run(session, "changzhou", "manual", pid=None)
    with session_scope(session_factory) as session:
        runs.finish_run(session, first, "partial", {"pages": 3, "errors": 1}, error="503 at /x")
        second = runs.start_run(session, "wuxi", "catchup", pid=456)
    with session_scope(session_factory) as session:
        latest = runs.last_runs(session)
        assert set(latest) == {"wuxi", "changzhou"}
        assert latest["wuxi"].id == second and latest["wuxi"].outcome == "running"
        assert latest["changzhou"].id == other
        done = runs.get_run(session, first)
        assert done is not None
        assert (done.outcome, done.counts, done.error, done.pid) == (
            "partial",
            {"pages": 3, "errors": 1},
            "503 at /x",
            123,
        )
        assert done.finished_at is not None and done.finished_at >= done.started_at
        assert [r.id for r in runs.recent_runs(session, "wuxi")] == [second, first]


def test_finish_rejects_unknown_runs_and_outcomes(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        run_id = runs.start_run(session, "wuxi")
        with pytest.raises(ValueError, match="not a final crawl outcome"):
            runs.finish_run(session, run_id, "running", {})
        with pytest.raises(LookupError):
            runs.finish_run(session, run_id + 100, "ok", {})
