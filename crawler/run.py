"""One crawl of one source in this process: Scrapy's CrawlerProcess, the run row, the outcome."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import Spider
from sqlalchemy.orm import Session, sessionmaker

from crawler.pipelines import Recorder, database_recorder
from crawler.progress import Progress
from crawler.settings import crawl_settings
from crawler.spiders import spider_for
from crawler.stats import CrawlCounts
from tracker import runs, store
from tracker.config import Config, channel_routes
from tracker.db import session_factory, session_scope
from tracker.models import CrawlOutcome

log = logging.getLogger(__name__)


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
    recorder: Recorder | None = None,
    log_level: str = "WARNING",
) -> CrawlResult:
    """Crawl ``source_name`` now and record it; ``recorder`` replaces the database (tests, dry runs).

    Blocks until the crawl ends. SIGINT/SIGTERM stop it gracefully (Scrapy's shutdown handlers):
    pages already recorded stay, nothing is half-written, the run ends ``interrupted``.
    """
    source = config.source(source_name)
    progress = progress or Progress("none")
    factory: sessionmaker[Session] | None = None
    validators: dict[str, tuple[str | None, str | None]] = {}
    known: set[str] = set()
    if recorder is None:
        factory = session_factory(db_url)
        with session_scope(factory) as session:
            if run_id is None:
                run_id = runs.start_run(session, source.name, trigger, os.getpid())
            else:
                existing = runs.get_run(session, run_id)
                if existing is None:
                    raise LookupError(f"crawl run {run_id} does not exist")
                if existing.pid is None:
                    existing.pid = os.getpid()
            validators = store.validators(session, source.name)
            known = store.known_urls(session, source.name)
        recorder = database_recorder(factory, channel_routes(config, source.name))

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
        recorder=recorder,
        progress=progress,
    )
    error: str | None = None
    try:
        process.start()
    except Exception as exc:  # the reactor itself failed: record it rather than leave a running run
        log.exception("crawl of %s failed", source.name)
        error = f"{type(exc).__name__}: {exc}"
        counts.note_error(error)
    reason = closed.get("reason")
    outcome = CrawlOutcome.FAILED if error else counts.outcome(reason)
    final = counts.snapshot()
    progress.update(counts, force=True)
    if factory is not None and run_id is not None:
        summary = "; ".join(counts.errors[:5]) or None
        if outcome == CrawlOutcome.INTERRUPTED:
            summary = "stopped by signal" + (f"; {summary}" if summary else "")
        with session_scope(factory) as session:
            runs.finish_run(session, run_id, outcome, final, error=summary)
    progress.summary(run_id, source.name, str(outcome), final)
    return CrawlResult(run_id, source.name, str(outcome), final, list(counts.errors), reason)
