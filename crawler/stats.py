"""Crawl counters shared by the spider and the pipeline, and the run outcome they imply."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tracker.models import CrawlOutcome, FetchOutcome

# Fetch outcomes that mean the page was reached and understood.
GOOD_OUTCOMES = frozenset(
    {
        FetchOutcome.NEW_CONTENT,
        FetchOutcome.UNCHANGED,
        FetchOutcome.NOT_MODIFIED,
        FetchOutcome.GONE,
        FetchOutcome.NOT_A_PAGE,
    }
)
PROGRESS_KEYS = ("pages", "new_versions", "changes", "errors", "blocked", "not_modified")
MAX_ERROR_NOTES = 20


class CrawlCounts:
    """Thread-safe counters of one crawl (the pipeline records in a worker thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self.errors: list[str] = []

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def note_error(self, message: str) -> None:
        with self._lock:
            if len(self.errors) < MAX_ERROR_NOTES:
                self.errors.append(message)

    def record_outcome(self, outcome: str, new_version: bool, changes: int) -> None:
        """Count one recorded fetch by its tracker outcome."""
        with self._lock:
            self._counts["pages"] += 1
            self._counts[f"outcome_{outcome}"] += 1
            if new_version:
                self._counts["new_versions"] += 1
            self._counts["changes"] += changes

    def get(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def snapshot(self) -> dict[str, Any]:
        """The counts as stored in ``crawl_runs.counts`` and shown in progress lines."""
        with self._lock:
            c = dict(self._counts)
        out: dict[str, Any] = {
            "pages": c.get("pages", 0),
            "new_versions": c.get("new_versions", 0),
            "changes": c.get("changes", 0),
            "errors": c.get(f"outcome_{FetchOutcome.TRANSIENT_ERROR}", 0)
            + c.get(f"outcome_{FetchOutcome.REJECTED}", 0)
            + c.get("list_errors", 0)
            + c.get("record_errors", 0),
            "blocked": c.get(f"outcome_{FetchOutcome.BLOCKED}", 0),
            "not_modified": c.get(f"outcome_{FetchOutcome.NOT_MODIFIED}", 0),
            "unchanged": c.get(f"outcome_{FetchOutcome.UNCHANGED}", 0),
            "gone": c.get(f"outcome_{FetchOutcome.GONE}", 0),
            "attachments": c.get(f"outcome_{FetchOutcome.NOT_A_PAGE}", 0),
            "transient_errors": c.get(f"outcome_{FetchOutcome.TRANSIENT_ERROR}", 0),
            "rejected": c.get(f"outcome_{FetchOutcome.REJECTED}", 0),
            "list_pages": c.get("list_pages", 0),
            "list_errors": c.get("list_errors", 0),
            "record_errors": c.get("record_errors", 0),
            "robots_skipped": c.get("robots_skipped", 0),
        }
        return out

    def outcome(self, close_reason: str | None) -> CrawlOutcome:
        """ok: nothing failed; partial: some fetches failed; failed: nothing could be fetched."""
        if close_reason == "shutdown":
            return CrawlOutcome.INTERRUPTED
        if close_reason == "closespider_timeout":
            return CrawlOutcome.TIMEOUT
        with self._lock:
            c = dict(self._counts)
        good = c.get("list_pages", 0) + sum(c.get(f"outcome_{o}", 0) for o in GOOD_OUTCOMES)
        snap = self.snapshot()
        bad = snap["errors"] + snap["blocked"]
        if good == 0:
            return CrawlOutcome.FAILED
        if bad or (close_reason not in (None, "finished")):
            return CrawlOutcome.PARTIAL
        return CrawlOutcome.OK
