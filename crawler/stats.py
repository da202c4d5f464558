"""A crawl's counts, kept in Scrapy's stats collector (``crawler.stats``), and the outcome they imply.

``CrawlCounts`` is the spiders' and the pipeline's view of one crawler's stats: ``add`` and
``note_error`` write ``govwatch/…`` keys there, ``snapshot`` reads the counts stored in
``crawl_runs.counts`` and shown in progress lines. Everything that touches them runs on the
reactor thread (recording results come back to it), so no lock is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tracker.models import CrawlOutcome, FetchOutcome

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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
PREFIX = "govwatch/"
ERRORS_KEY = PREFIX + "error_notes"


class _Stats(Protocol):
    def get_value(self, key: str, default: Any = None) -> Any: ...
    def set_value(self, key: str, value: Any) -> None: ...
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...
    def get_stats(self) -> dict[str, Any]: ...


class _LocalStats:
    """Stats for a spider built without a crawler (unit tests): the same four calls, in a dict."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self._values[key] = value

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self._values[key] = self._values.get(key, start) + count

    def get_stats(self) -> dict[str, Any]:
        return self._values


class CrawlCounts:
    """One crawler's govwatch counters inside its ``crawler.stats``.

    The stats collector only exists once the crawl starts (after the spider is built), so it
    is looked up on each use.
    """

    def __init__(self, crawler: Crawler | None = None) -> None:
        self._crawler = crawler
        self._local = _LocalStats() if crawler is None else None

    @property
    def stats(self) -> _Stats:
        if self._local is not None:
            return self._local
        assert self._crawler is not None
        stats: _Stats = self._crawler.stats
        return stats

    def add(self, key: str, n: int = 1) -> None:
        self.stats.inc_value(PREFIX + key, n)

    def note_error(self, message: str) -> None:
        notes: list[str] = self.stats.get_value(ERRORS_KEY) or []
        if len(notes) < MAX_ERROR_NOTES:
            self.stats.set_value(ERRORS_KEY, [*notes, message])

    @property
    def errors(self) -> list[str]:
        return list(self.stats.get_value(ERRORS_KEY) or [])

    def record_outcome(self, outcome: str, new_version: bool, changes: int) -> None:
        """Count one recorded fetch by its tracker outcome."""
        self.add("pages")
        self.add(f"outcome_{outcome}")
        if new_version:
            self.add("new_versions")
        if changes:
            self.add("changes", changes)

    def get(self, key: str) -> int:
        return int(self.stats.get_value(PREFIX + key, 0))

    def _counts(self) -> dict[str, int]:
        return {
            k[len(PREFIX) :]: v
            for k, v in self.stats.get_stats().items()
            if k.startswith(PREFIX) and isinstance(v, int)
        }

    def snapshot(self) -> dict[str, Any]:
        """The counts as stored in ``crawl_runs.counts`` and shown in progress lines."""
        c = self._counts()
        return {
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
            # Of those, recognised by their raw body alone: not normalised again.
            "unchanged_bodies": c.get("unchanged_bodies", 0),
            "gone": c.get(f"outcome_{FetchOutcome.GONE}", 0),
            "attachments": c.get(f"outcome_{FetchOutcome.NOT_A_PAGE}", 0),
            "transient_errors": c.get(f"outcome_{FetchOutcome.TRANSIENT_ERROR}", 0),
            "rejected": c.get(f"outcome_{FetchOutcome.REJECTED}", 0),
            "list_pages": c.get("list_pages", 0),
            "list_errors": c.get("list_errors", 0),
            # List pages that answered 304: followed from their stored links (crawler.revisit).
            "list_pages_not_modified": c.get("list_pages_not_modified", 0),
            "record_errors": c.get("record_errors", 0),
            "robots_skipped": c.get("robots_skipped", 0),
        }

    def outcome(self, close_reason: str | None) -> CrawlOutcome:
        """ok: nothing failed; partial: some fetches failed; failed: nothing could be fetched."""
        if close_reason == "shutdown":
            return CrawlOutcome.INTERRUPTED
        if close_reason == "closespider_timeout":
            return CrawlOutcome.TIMEOUT
        c = self._counts()
        good = c.get("list_pages", 0) + sum(c.get(f"outcome_{o}", 0) for o in GOOD_OUTCOMES)
        snap = self.snapshot()
        bad = snap["errors"] + snap["blocked"]
        if good == 0:
            return CrawlOutcome.FAILED
        if bad or (close_reason not in (None, "finished")):
            return CrawlOutcome.PARTIAL
        return CrawlOutcome.OK
