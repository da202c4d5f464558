"""One crawl of one source in this process: Scrapy's CrawlerProcess, the run row, the outcome."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import Spider
from sqlalchemy.orm import Session, sessionmaker

from crawler.progress import Progress
from crawler.recording import Recording, worker_count
from crawler.settings import crawl_settings
from crawler.spiders import spider_for
from crawler.stats import CrawlCounts
from tracker import runs, store
from tracker.config import Config, channel_routes
from tracker.db import session_factory, session_scope
from tracker.models import CrawlOutcome
from tracker.page import PageSnapshot
from tracker.settings import database_url

log = logging.getLogger(__name__)

SUMMARY_ERRORS = 5  # failures named in the run row and the summary line


@dataclass
class CrawlResult:
    run_id: int | None
    source: str
    outcome: str
    counts: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    close_reason: str | None = None


def run_crawl(
    config: Config,
    source_name: str,
    *,
    run_id: int | None = None,
    trigger: str = "manual",
    progress: Progress | None = None,
    db_url: str | None = None,
    recorder: Callable[[PageSnapshot], Any] | None = None,
    log_level: str = "WARNING",
) -> CrawlResult:
    """Crawl ``source_name`` now and record it; ``recorder`` replaces the database (tests, dry runs).

    Raises ``tracker.runs.CrawlAlreadyRunning`` (before Scrapy starts) when another process is
    crawling the source. Blocks until the crawl ends. SIGINT/SIGTERM stop it gracefully (Scrapy's
    shutdown handlers): pages already recorded stay, nothing is half-written, the run ends
    ``interrupted``.
    """
    source = config.source(source_name)
    progress = progress or Progress("none")
    factory: sessionmaker[Session] | None = None
    validators: dict[str, tuple[str | None, str | None]] = {}
    known: set[str] = set()
    recording = Recording(recorder) if recorder is not None else None
    if recording is None:
        db_url = db_url or database_url()
        factory = session_factory(db_url)
        with session_scope(factory) as session:
            if run_id is None:
                run_id = runs.start_run(
                    session,
                    source.name,
                    trigger,
                    os.getpid(),
                    stale_after=timedelta(seconds=source.timeout_seconds),
                )
            else:
                existing = runs.get_run(session, run_id)
                if existing is None:
                    raise LookupError(f"crawl run {run_id} does not exist")
                if existing.pid is None:
                    existing.pid = os.getpid()
            validators = store.validators(session, source.name)
            known = store.known_urls(session, source.name)
        recording = Recording.database(db_url, channel_routes(config, source.name), worker_count(db_url))

    counts = CrawlCounts()
    closed: dict[str, str] = {}
    process = CrawlerProcess(crawl_settings(source, config.settings, log_level))
    crawler = process.create_crawler(spider_for(source.platform))

    def on_closed(spider: Spider, reason: str) -> None:
        closed["reason"] = reason

    crawler.signals.connect(on_closed, signal=signals.spider_closed)
    process.crawl(
        crawler,
        source=source,
        counts=counts,
        validators=validators,
        known_urls=known,
        run_id=run_id,
        recording=recording,
        progress=progress,
    )
    error: str | None = None
    try:
        process.start()
    except Exception as exc:  # the reactor itself failed: record it rather than leave a running run
        log.exception("crawl of %s failed", source.name)
        error = f"{type(exc).__name__}: {exc}"
        counts.note_error(error)
    finally:
        recording.close()  # drain: every page handed over is recorded before the run is stamped
    reason = closed.get("reason")
    outcome = CrawlOutcome.FAILED if error else counts.outcome(reason)
    final = counts.snapshot()
    progress.update(counts, force=True)
    if factory is not None and run_id is not None:
        summary = "; ".join(counts.errors[:SUMMARY_ERRORS]) or None
        if outcome == CrawlOutcome.INTERRUPTED:
            summary = "stopped by signal" + (f"; {summary}" if summary else "")
        with session_scope(factory) as session:
            runs.finish_run(session, run_id, outcome, final, error=summary)
    progress.summary(run_id, source.name, str(outcome), final, counts.errors[:SUMMARY_ERRORS])
    return CrawlResult(run_id, source.name, str(outcome), final, list(counts.errors), reason)
