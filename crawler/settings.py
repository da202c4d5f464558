"""Scrapy settings for one source's crawl: polite, incremental and safe by default."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from scrapy.settings import default_settings

from crawler.middlewares import policy_settings
from crawler.transfer import FETCH_TIMEOUT_SETTING, MIN_RATE_SETTING
from tracker.config import Settings, SourceConfig

DOWNLOAD_MAXSIZE = 32 * 1024 * 1024  # checked after decompression by HttpCompressionMiddleware
DOWNLOAD_TIMEOUT = 30
MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2048  # the longest URL the database columns hold (fetches.url, documents.url)
MIN_MULTI_HOST_DELAY = 0.001
HTTP_RETRY_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DEADLINE_HANDLER = "crawler.transfer.DeadlineDownloadHandler"
UNUSED_EXTENSIONS = tuple(
    f"scrapy.extensions.{name}"
    for name in (
        "remote_control.RemoteControl",
        "telnet.TelnetConsole",
        "feedexport.FeedExporter",
        "memdebug.MemoryDebugger",
        "spiderstate.SpiderState",
    )
)

# Fetched responses a crawl process holds while they are parsed or wait to be recorded. Scrapy
# stops a crawler's downloads while its scraper slot holds more than SCRAPER_SLOT_MAX_ACTIVE_SIZE
# bytes of bodies; its default, 5 MB per crawler, let one process crawling 200 local sources
# hold nearly every page it fetched (and its parsed tree, several times the body): 2.9 GB.
RESPONSES_IN_FLIGHT_BYTES = 16 * 1024 * 1024
SCRAPER_SLOT_BYTES = (64 * 1024, 5_000_000)  # each crawler's share: at least, at most


def scraper_slot_bytes(crawlers: int) -> int:
    """Each crawler's share of ``RESPONSES_IN_FLIGHT_BYTES`` when ``crawlers`` share a process."""
    low, high = SCRAPER_SLOT_BYTES
    return max(low, min(high, RESPONSES_IN_FLIGHT_BYTES // max(1, crawlers)))


def govwatch_version() -> str:
    try:
        return version("govwatch")
    except PackageNotFoundError:
        return "0"


def _slot_delay(source: SourceConfig) -> float:
    """The per-host delay; never exactly 0 when a source spans several hosts.

    With no delay, Scrapy's downloader (asyncio reactor) starts every queued request of a host
    before the first of them counts as in flight, so one host can get more than its share of
    CONCURRENT_REQUESTS. Any delay makes it start one request per turn. With a single host,
    CONCURRENT_REQUESTS (= concurrency) is the bound and no floor is needed.
    """
    if source.download_delay > 0 or len(source.allowed_hosts) == 1:
        return source.download_delay
    return MIN_MULTI_HOST_DELAY


def crawl_settings(source: SourceConfig, settings: Settings, log_level: str = "WARNING") -> dict[str, Any]:
    """The Scrapy settings for crawling ``source`` (politeness from the source, safety fixed)."""
    polite = source.download_delay > 0
    return {
        "BOT_NAME": "govwatch",
        "USER_AGENT": settings.user_agent_string(govwatch_version()),
        "ROBOTSTXT_OBEY": source.obey_robots,
        "TWISTED_DNS_RESOLVER": "crawler.resolver.PublicOnlyResolver",
        **policy_settings(source),  # hosts and ports, private addresses: the guard and the resolver
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # no control port of any kind
        # Left out of the base list, not disabled in EXTENSIONS: Scrapy imports every key of
        # EXTENSIONS to normalise it, and the remote control alone brings in aiohttp (~0.08 s of
        # every crawl process's start-up).
        "EXTENSIONS_BASE": {
            name: order
            for name, order in default_settings.EXTENSIONS_BASE.items()
            if name not in UNUSED_EXTENSIONS
        },
        "LOG_LEVEL": log_level,
        # Not worked out at each start for an INFO line: the platform string runs `uname -p`.
        "LOG_VERSIONS": [],
        "LOG_INSTALL_ROOT_HANDLER": True,  # one stderr handler at LOG_LEVEL for Scrapy and govwatch alike
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        "LOGSTATS_INTERVAL": 0 if log_level != "DEBUG" else 60,
        # Politeness: per-host concurrency and delay; AutoThrottle adapts to the server's latency.
        # No more in flight than the hosts allow: a graceful stop then drains only those.
        "CONCURRENT_REQUESTS": source.concurrency * len(source.allowed_hosts),
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
        "DOWNLOAD_DELAY": _slot_delay(source),
        "DOWNLOAD_DELAY_JITTER": 0.5 if polite else 0,
        "AUTOTHROTTLE_ENABLED": polite,
        "AUTOTHROTTLE_START_DELAY": max(source.download_delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(source.concurrency),
        # Traps and faults. One page's download, retries included, ends by its deadline
        # (crawler.transfer); DOWNLOAD_TIMEOUT is only the ceiling of a single attempt.
        "DOWNLOAD_HANDLERS": {"http": DEADLINE_HANDLER, "https": DEADLINE_HANDLER},
        FETCH_TIMEOUT_SETTING: source.fetch_timeout_seconds,
        MIN_RATE_SETTING: source.min_bytes_per_second,
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
        # Every crawl ends within the source's time limit, a manual one too: that bound is
        # what lets a ``running`` row whose process vanished be declared dead (tracker.runs).
        "CLOSESPIDER_TIMEOUT": source.timeout_seconds,
        "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": DOWNLOAD_MAXSIZE // 4,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "REDIRECT_MAX_TIMES": MAX_REDIRECTS,
        "METAREFRESH_ENABLED": False,
        "URLLENGTH_LIMIT": MAX_URL_LENGTH,
        "DEPTH_LIMIT": source.max_pages + source.max_depth + 2,  # backstop; the spider counts itself
        "CONCURRENT_ITEMS": 16,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": HTTP_RETRY_CODES,
        "HTTPERROR_ALLOW_ALL": True,  # every status becomes a snapshot: 404 is data, not an exception
        "COOKIES_ENABLED": True,  # per-host jars (see GuardMiddleware), needed for JS cookie challenges
        "DOWNLOADER_MIDDLEWARES": {
            # Not Scrapy's domain-suffix offsite check: the guard allows exact hosts only.
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "crawler.middlewares.GuardMiddleware": 640,
            "crawler.middlewares.ChallengeMiddleware": 650,
        },
        "ITEM_PIPELINES": {"crawler.pipelines.RecordPipeline": 300},
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
        },
    }
