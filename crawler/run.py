"""Crawls of one or more sources in this process: one Scrapy crawler per source in one reactor.

Each source keeps what is its own: its crawl run row, its Scrapy settings (politeness, time
limit, limits: one engine and downloader per crawler), its counts (its crawler's stats) and its
outcome, stamped as soon as that source's crawl ends, whatever the others are doing. What is
paid once per process is shared: the interpreter and imports, the reactor, the database
connection pool and the recording workers.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import Spider
from sqlalchemy.orm import Session, sessionmaker

from crawler.progress import BUSY, ERROR, Output, Progress
from crawler.recording import Recording, worker_count
from crawler.settings import crawl_settings, scraper_slot_bytes
from crawler.spiders import spider_for
from crawler.stats import CrawlCounts
from tracker import runs, store
from tracker.config import Config, SourceConfig, channel_routes
from tracker.db import make_engine, session_factory, session_scope
from tracker.env import database_url
from tracker.models import CrawlOutcome
from tracker.page import PageFetch
from tracker.runs import CrawlAlreadyRunning, CrawlResult

log = logging.getLogger(__name__)

SUMMARY_ERRORS = 5
DEADLINE = "crawler.deadline.DeadlineMiddleware"  # failures named in the run row and the summary line


class MixedPrivateAddresses(ValueError):
    """Sources that may reach private addresses and sources that may not, asked to share a process."""


def _offline_suffix_list() -> None:
    """Scrapy's cookie middleware asks tldextract, which downloads the public suffix list on first use.

    A crawl fetches nothing but its sources' hosts: use the list bundled with tldextract instead
    (a download attempt also cost each crawl process a timeout where the network drops packets).
    """
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


# Settings whose values name what a crawler loads when it opens: its components, by path.
COMPONENT_SETTINGS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "DOWNLOAD_HANDLERS")
CLASS_SETTINGS = (
    "SCHEDULER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_START_MEMORY_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "DUPEFILTER_CLASS",
    "STATS_CLASS",
    "LOG_FORMATTER",
    "REQUEST_FINGERPRINTER_CLASS",
    "TWISTED_DNS_RESOLVER",
)


# What recording a new or changed page imports on first use (~0.4 s: ftfy, cn2an, deepdiff ...).
CONTENT_MODULES = (
    "tracker.normalize.pipeline",
    "tracker.diff",
    "deepdiff",
    "rapidfuzz.distance",
    "zstandard",
    "cn2an",
)


def preload(*, content: bool = False) -> None:
    """Import what a crawl otherwise imports once it runs: its crawlers' components, the recorder.

    For a process that forks crawls (``crawler.zygote``): imported there once rather than in
    every child (~0.1 s each, tldextract and requests through the cookie middleware the most).
    ``content``: also what a new or changed page needs (``CONTENT_MODULES``), for a zygote that
    lives long enough for its start not to matter. Nothing is instantiated, so no reactor is
    installed.
    """
    if content:
        for name in CONTENT_MODULES:
            importlib.import_module(name)
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.utils.misc import load_object

    import crawler.pipelines  # noqa: F401
    import tracker.record  # noqa: F401

    example = SourceConfig("preload", ("http://preload.invalid/",), ("preload.invalid",))
    batch = _Batch(Config(None, [example], []), "manual", Output("none"), None, "WARNING", {})
    settings = ScrapySettings(batch.settings(example))
    paths = [path for name in COMPONENT_SETTINGS for path in settings.getwithbase(name)]
    paths += [settings[name] for name in CLASS_SETTINGS]
    for path in paths:
        if isinstance(path, str):
            try:
                load_object(path)
            except Exception:  # an optional component: the crawl reports it if it needs it
                log.debug("could not preload %s", path, exc_info=True)


def run_crawl(config: Config, source_name: str, **kwargs: Any) -> CrawlResult:
    """``run_crawls`` for one source; raises ``CrawlAlreadyRunning`` or ``LookupError`` like the old API."""
    [result] = run_crawls(config, [source_name], raise_on_start=True, **kwargs)
    return result


def run_crawls(
    config: Config,
    source_names: Sequence[str],
    *,
    run_ids: Mapping[str, int] | None = None,
    trigger: str = "manual",
    progress: Progress | Output | None = None,
    db_url: str | None = None,
    recorder: Callable[[PageFetch], Any] | None = None,
    log_level: str = "WARNING",
    raise_on_start: bool = False,
) -> list[CrawlResult]:
    """Crawl the sources now, concurrently, and record them; ``recorder`` replaces the database.

    ``run_ids`` fills run rows a launcher created already (by source name). A source another
    process is crawling is reported ``busy`` and not crawled (with ``raise_on_start``:
    ``CrawlAlreadyRunning`` is raised instead, before Scrapy starts). Blocks until every crawl
    ends. SIGINT/SIGTERM stop them gracefully (Scrapy's shutdown handlers): pages already
    recorded stay, nothing is half-written, the runs end ``interrupted``.
    """
    sources = [config.source(name) for name in source_names]
    if len({s.allow_private_addresses for s in sources}) > 1:
        # The DNS resolver that refuses private addresses belongs to the reactor, not a crawler.
        raise MixedPrivateAddresses(
            "sources with and without allow_private_addresses cannot share a crawl process"
        )
    output = progress.output if isinstance(progress, Progress) else progress or Output("none")
    run_ids = dict(run_ids or {})
    results: dict[str, CrawlResult] = {}
    factory: sessionmaker[Session] | None = None
    started: list[tuple[SourceConfig, int | None, dict[str, Any]]] = []
    if recorder is not None:
        recording = Recording(recorder)
        started = [(s, run_ids.get(s.name), {"validators": {}, "known_urls": set()}) for s in sources]
    else:
        db_url = db_url or database_url()
        # Run rows made by a launcher mean it brought the schema up to date already: no
        # migration check (nor Alembic import) at each crawl process's start.
        factory = (
            sessionmaker(make_engine(db_url), expire_on_commit=False) if run_ids else session_factory(db_url)
        )
        for source in sources:
            try:
                run_id, state = _open_run(factory, source, run_ids.get(source.name), trigger)
            except CrawlAlreadyRunning as exc:
                if raise_on_start:
                    raise
                log.warning("%s", exc)
                output.emit(BUSY, source.name, run_id=exc.run_id, pid=exc.pid, error=str(exc))
                results[source.name] = CrawlResult(source.name, exc.run_id, "busy", error=str(exc))
                continue
            except LookupError as exc:  # --run-id of a row that does not exist
                if raise_on_start:
                    raise
                output.emit(ERROR, source.name, error=str(exc))
                results[source.name] = CrawlResult(source.name, None, "error", error=str(exc))
                continue
            started.append((source, run_id, state))
        routes = {s.name: channel_routes(config, s.name) for s, _, _ in started}
        recording = Recording.database(db_url, routes, worker_count(db_url)) if started else Recording()
    if started:
        _offline_suffix_list()
        batch = _Batch(config, trigger, output, factory, log_level, results, crawlers=len(started))
        try:
            batch.crawl(started, recording)
        finally:
            recording.close()
    return [results[name] for name in source_names if name in results]


def _open_run(
    factory: sessionmaker[Session], source: SourceConfig, run_id: int | None, trigger: str
) -> tuple[int, dict[str, Any]]:
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
        state = {
            "validators": store.validators(session, source.name),
            "known_urls": store.known_urls(session, source.name),
        }
    return run_id, state


@dataclass
class _Batch:
    """The sources of one process: their crawlers, and the results they close with."""

    config: Config
    trigger: str
    output: Output
    factory: sessionmaker[Session] | None
    log_level: str
    results: dict[str, CrawlResult]
    crawlers: int = 1  # sources crawled in this process, which share its memory

    def settings(self, source: SourceConfig) -> dict[str, Any]:
        settings = crawl_settings(source, self.config.settings, self.log_level)
        # After Scrapy's DownloadTimeoutMiddleware (350), which sets each request's default.
        settings["DOWNLOADER_MIDDLEWARES"] = {**settings["DOWNLOADER_MIDDLEWARES"], DEADLINE: 355}
        settings["SCRAPER_SLOT_MAX_ACTIVE_SIZE"] = scraper_slot_bytes(self.crawlers)
        return settings

    def crawl(
        self, started: list[tuple[SourceConfig, int | None, dict[str, Any]]], recording: Recording
    ) -> None:
        process = CrawlerProcess(self.settings(started[0][0]))
        counts_of: dict[str, CrawlCounts] = {}
        for source, run_id, state in started:
            crawler = process.create_crawler(spider_for(source.platform))
            # The source's own politeness, limits and time limit, over the process's defaults.
            crawler.settings.setdict(self.settings(source), priority="spider")
            counts = counts_of[source.name] = CrawlCounts(crawler)
            progress = Progress(self.output, source=source.name, run_id=run_id)
            crawler.signals.connect(
                self._on_closed(source, run_id, counts, progress), signal=signals.spider_closed, weak=False
            )
            process.crawl(
                crawler,
                source=source,
                counts=counts,
                validators=state["validators"],
                known_urls=state["known_urls"],
                run_id=run_id,
                recording=recording,
                progress=progress,
            )
        try:
            process.start()
        except Exception as exc:  # the reactor itself failed: record it rather than leave a running run
            log.exception("crawl of %s failed", ", ".join(s.name for s, _, _ in started))
            for counts in counts_of.values():
                counts.note_error(f"{type(exc).__name__}: {exc}")
        # A crawler that never opened (or a reactor that failed) sent no spider_closed.
        for source, run_id, _ in started:
            if source.name not in self.results:
                self._finish(source, run_id, counts_of[source.name], None, CrawlOutcome.FAILED)
                self._summary(Progress(self.output), self.results[source.name])

    def _on_closed(
        self, source: SourceConfig, run_id: int | None, counts: CrawlCounts, progress: Progress
    ) -> Callable[..., Any]:
        async def closed(spider: Spider, reason: str) -> None:
            # The pipeline has recorded every page of this source by now (its close_spider).
            outcome = counts.outcome(reason)
            progress.update(counts, force=True)

            def finish() -> None:
                self._finish(source, run_id, counts, reason, outcome)
                self._summary(progress, self.results[source.name])

            # Off the reactor: the other sources keep crawling while this one's run is stamped.
            await asyncio.to_thread(finish)

        return closed

    @staticmethod
    def _summary(progress: Progress, result: CrawlResult) -> None:
        errors = result.errors[:SUMMARY_ERRORS]
        progress.summary(result.run_id, result.source, result.outcome, result.counts, errors)

    def _finish(
        self,
        source: SourceConfig,
        run_id: int | None,
        counts: CrawlCounts,
        reason: str | None,
        outcome: CrawlOutcome,
    ) -> None:
        final = counts.snapshot()
        errors = counts.errors
        if self.factory is not None and run_id is not None:
            summary = "; ".join(errors[:SUMMARY_ERRORS]) or None
            if outcome == CrawlOutcome.INTERRUPTED:
                summary = "stopped by signal" + (f"; {summary}" if summary else "")
            try:
                with session_scope(self.factory) as session:
                    runs.finish_run(session, run_id, outcome, final, error=summary)
            except Exception:  # the launcher closes the run from what the process printed
                log.exception("could not close crawl run %s of %s", run_id, source.name)
        self.results[source.name] = CrawlResult(
            source.name, run_id, str(outcome), final, errors, trigger=self.trigger, close_reason=reason
        )
