"""The portal spider: entry pages -> columns -> lists -> detail pages -> attachments.

Every page fetched as a list is analysed by its structure (``crawler.discovery``): its repeated
items lead to detail pages, its pager (and the platform dialects of the spider, ``dialects``) to
more pages of the same list, and, when the crawl started from a navigation page (a home page, a
信息公开 entry page), its column links to further lists. Documents are keyed by their canonical
URL (``crawler.identity``), with the query parameters this source was seen to change per visit
left out (``crawler.volatile``); requests go to the URL as linked. One PageFetch per fetched
detail page or attachment; list pages are not documents.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import anchors, discovery, paging
from crawler.discovery import Analysis, PageKind
from crawler.failures import describe_failure, original_url
from crawler.middlewares import HINT
from crawler.progress import Progress
from crawler.recording import Recording
from crawler.revisit import ListRevisit
from crawler.stats import CrawlCounts
from crawler.volatile import DatabaseMemory, Memory, NoMemory, VolatileParameters
from tracker.config import SourceConfig
from tracker.normalize.decode import decode
from tracker.page import PageFetch

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/plain")
LIST, DETAIL, ATTACHMENT = "list", "detail", "attachment"
SITE, COLUMN = "site", "column"  # crawl from a navigation page / from a column list


@dataclass(frozen=True)
class ListPage:
    """Another page of the list a dialect found (GET, or a POST with a form body)."""

    url: str
    method: str = "GET"
    body: str | None = None
    guessed: bool = False  # derived, not linked: a 404 means "no such page", not a failure


class Dialect:
    """What one platform adds to a list page: items outside the markup, and its own paging."""

    def items(self, text: str) -> list[Any]:
        """lxml trees of list items the page carries outside its markup."""
        return []

    def is_list(self, text: str) -> bool:
        """Whether the page is one of this platform's list pages, whatever its markup shows."""
        return False

    def pages(self, text: str, url: str) -> Iterator[ListPage]:
        """The follow-up pages of the list, in this platform's paging."""
        return iter(())


class PortalSpider(scrapy.Spider):
    """Walks one source. Subclasses name the platform dialects their portals speak."""

    name = "portal"
    dialects: ClassVar[tuple[Dialect, ...]] = ()
    fetch_details: ClassVar[bool] = True

    def __init__(
        self,
        source: SourceConfig,
        *,
        counts: CrawlCounts | None = None,
        validators: Mapping[str, tuple[str | None, str | None]] | None = None,
        known_urls: Iterable[str] = (),
        run_id: int | None = None,
        recording: Recording | None = None,
        progress: Progress | None = None,
        memory: Memory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=f"{self.name}:{source.name}", **kwargs)
        self.source = source
        self.counts = counts or CrawlCounts()
        self.validators = dict(validators or {})
        self.known_urls = sorted(set(known_urls))
        self.run_id = run_id
        self.recording = recording or Recording(lambda page: None)
        self.progress = progress or Progress("none")
        self.memory = memory if memory is not None else _memory_of(recording)
        self.params = VolatileParameters(self._load_learned())
        self.revisit = ListRevisit.load(self.memory, source.name) if self.fetch_details else ListRevisit()
        self.pattern = re.compile(source.detail_url_pattern) if source.detail_url_pattern else None
        self.include = [re.compile(p) for p in source.include]
        self.exclude = [re.compile(p) for p in source.exclude]
        self.seen: set[str] = set()
        self.list_pages = 0
        self.bound_noted = False
        self.revisited = False
        # The column tree as discovered: list URL -> title, parent, documents (``sources --discover``).
        self.columns: dict[str, dict[str, Any]] = {}
        # Per column: the shapes of its dated items (``discovery.item_shape``), for its later pages.
        self.item_shapes: dict[str, set[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider.revisit.on_closed, signal=signals.spider_closed)
        return spider

    def _load_learned(self) -> set[str]:
        try:
            return self.memory.load(self.source.name)
        except Exception:  # the crawl can still run; it learns again
            log.exception("could not read the learned URL parameters of %s", self.source.name)
            return set()

    # -- scheduling --------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            request = self.list_request(url, depth=0, title=url)
            if request is not None:
                yield request

    def on_idle(self) -> None:
        """Once discovery is done: revisit the known documents no list linked this time.

        That is how a deleted page (404) is noticed; done last so that a page linked with a
        token is fetched as linked, not as the stored canonical URL.
        """
        if self.revisited or not self.fetch_details:
            return
        self.revisited = True
        scheduled = False
        for url in self.known_urls:
            if anchors.host_allowed(url, self.source.allowed_hosts):
                kind = ATTACHMENT if anchors.is_attachment_url(url) else DETAIL
                request = self.page_request(url, kind, depth=1, priority=-10)
                if request is not None:
                    assert self.crawler.engine is not None
                    self.crawler.engine.crawl(request)
                    scheduled = True
        if scheduled:
            raise DontCloseSpider

    def on_closed(self, spider: scrapy.Spider) -> None:
        if spider is not self or not self.params.new:
            return
        try:
            self.memory.save(self.source.name, self.params.new)
        except Exception:
            log.exception("could not remember the learned URL parameters of %s", self.source.name)

    def list_request(
        self,
        url: str,
        depth: int,
        *,
        method: str = "GET",
        body: str | None = None,
        mode: str | None = None,
        column: str | None = None,
        title: str | None = None,
        guessed: bool = False,
        parent: str | None = None,
    ) -> scrapy.Request | None:
        key = f"{method} {self.params.list_key(url)} {body or ''}"
        if key in self.seen:
            return None
        if self.list_pages >= self.source.max_pages:
            self.counts.add("list_pages_skipped")
            if not self.bound_noted:
                self.bound_noted = True
                self.counts.note_error(
                    f"list pages stopped at max_pages={self.source.max_pages}: {url} and others not "
                    "fetched (an endless list or calendar, or raise max_pages)"
                )
            return None
        self.seen.add(key)
        self.list_pages += 1
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else None
        request = scrapy.Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=self.parse_list,
            errback=self.on_error,
            meta={
                "kind": LIST,
                "level": depth,
                "mode": mode,
                "column": column or url,
                "title": title,
                "guessed": guessed,
                "parent": parent,
            },
            dont_filter=True,
            priority=10,
        )
        self.revisit.condition(request, key)  # a list page that did not change is not parsed again
        return request

    def page_request(
        self,
        url: str,
        kind: str,
        depth: int,
        priority: int = 0,
        *,
        weak: bool = False,
        column: str | None = None,
    ) -> scrapy.Request | None:
        identity = self.params.canonical(url)
        if identity in self.seen or depth > self.source.max_depth:
            return None
        self.seen.add(identity)
        headers: dict[str, str] = {}
        etag, last_modified = self.validators.get(identity, (None, None))
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse_page,
            errback=self.on_error,
            meta={
                "kind": kind,
                "level": depth,
                "conditional": bool(headers),
                "identity": identity,
                "weak": weak,
                "column": column,
            },
            # Our own ``seen`` set deduplicates; Scrapy's filter would silently drop a redirect loop.
            dont_filter=True,
            priority=priority,
        )

    # -- list pages --------------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        if meta.get("probe_of") is not None and (
            response.status != 200 or not isinstance(response, TextResponse)
        ):
            # Without a second look the parameters stay in the identity: never merge what may differ.
            self.params.stable |= set(meta.get("probe_names") or ())
            yield from self.release_probed(meta, meta["probe_of"])
            return
        if response.status == 304:
            yield from self.revisit.replay(self, response)
            return
        if response.status >= 400 or response.status in (301, 302, 303, 307, 308):
            if meta.get("guessed") and response.status in (404, 410):
                self.counts.add("list_pages_missing")  # a derived page number that does not exist
                return
            self.list_failed(response.url, f"HTTP {response.status}")
            return
        self.counts.add("list_pages")
        if not isinstance(response, TextResponse):
            self.list_failed(response.url, "list page is not text")
            return
        analysis, is_dialect_list = self.analyse(response)
        if meta.get("probe_of") is not None:
            yield from self.revisit.remember(response, self.after_probe(response, analysis))
            return
        yield from self.revisit.remember(response, self.follow_list(response, analysis, is_dialect_list))

    def analyse(self, response: TextResponse) -> tuple[Analysis, bool]:
        text = response.text
        selector = response.selector
        if "\ufffd" in text:
            # The declared charset is wrong (GBK served as UTF-8 …): the normaliser's decoder checks
            # labels against the bytes, so anchor texts read as what the site wrote.
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            text = decode(response.body, {"content-type": content_type}).text
            selector = scrapy.Selector(text=text)
        extra = [item for dialect in self.dialects for item in dialect.items(text)]
        analysis = discovery.analyze(
            selector.root,
            response.url,
            self.source.allowed_hosts,
            extra_items=extra,
            detail_pattern=self.pattern,
        )
        if self.source.list_selector:
            # The source said where its list is: the links inside it are its documents.
            inside = anchors.anchors(selector, response.url, self.source.list_selector)
            for fragment in extra:
                inside += anchors.anchors(scrapy.Selector(root=fragment), response.url)
            analysis.items = [
                discovery.Item(link, True)
                for link in {link.url: link for link in inside}.values()
                if anchors.host_allowed(link.url, self.source.allowed_hosts)
                and not anchors.is_attachment(link)
                and (self.pattern is None or self.pattern.search(link.url))
            ]
        is_dialect_list = any(dialect.is_list(text) for dialect in self.dialects)
        if is_dialect_list and analysis.kind is PageKind.NAVIGATION:
            analysis.kind = PageKind.LIST
        return analysis, is_dialect_list

    def follow_list(self, response: TextResponse, analysis: Analysis, is_dialect_list: bool) -> Iterator[Any]:
        meta = response.meta
        depth = meta.get("level", 0)
        if meta.get("mode"):
            mode = meta["mode"]
        else:
            # A start page that pages like a list is a column: the crawl stays in it. Anything else
            # (a home page, an entry page, even one with a block of latest news) leads to columns.
            paged = analysis.pages or analysis.guessed_pages or paging.has_page_count(response.text)
            mode = COLUMN if paged or is_dialect_list else SITE
        column = meta.get("column") or response.url
        node = self.columns.setdefault(
            column, {"title": meta.get("title") or column, "parent": meta.get("parent"), "documents": set()}
        )
        shapes = self.item_shapes.setdefault(column, set())
        if meta.get("paged") and analysis.kind is not PageKind.DETAIL:
            analysis.items += [
                item
                for item in discovery.items_of_shape(analysis, shapes, self.source.allowed_hosts)
                if self.pattern is None or self.pattern.search(item.link.url)
            ]
        shapes.update(discovery.item_shape(item.link.url) for item in analysis.items if item.dated)
        item_urls = [item.link.url for item in analysis.items]
        undecided = self.params.undecided(item_urls)
        if undecided and self.fetch_details:
            # Compare with a second fetch before any of these links becomes a document identity.
            self.counts.add("list_probes")
            assert response.request is not None
            yield response.request.replace(
                dont_filter=True,
                meta={**meta, "probe_of": analysis, "probe_names": undecided, "mode": mode, "column": column},
                priority=20,
                errback=self.on_probe_error,
            )
        else:
            new, requests = self.follow_items(analysis, depth, column, node)
            yield from requests
            if new == 0 and meta.get("paged"):
                # A deep page with nothing new (a TRS stub, a repeated last page): the walk ends here.
                self.counts.add("list_pages_empty")
                return
        yield from self.follow_pages(response, analysis, depth, mode, column)
        if mode == SITE and analysis.kind is not PageKind.DETAIL:
            yield from self.follow_columns(response, analysis, depth, column)

    def follow_items(
        self, analysis: Analysis, depth: int, column: str, node: dict[str, Any]
    ) -> tuple[int, list[scrapy.Request]]:
        """(how many documents were new in this crawl, requests for them and the list's attachments)."""
        new = 0
        requests: list[scrapy.Request] = []
        for item in analysis.items:
            identity = self.params.canonical(item.link.url)
            node["documents"].add(identity)
            if identity in self.seen:
                continue
            new += 1
            if not self.fetch_details:
                self.seen.add(identity)
                continue
            weak = not item.dated and not anchors.is_detail_url(item.link.url, self.pattern)
            request = self.page_request(item.link.url, DETAIL, depth + 1, weak=weak, column=column)
            if request is not None:
                requests.append(request)
        for url in analysis.attachments if self.fetch_details else ():
            request = self.page_request(url, ATTACHMENT, depth + 1)
            if request is not None:
                requests.append(request)
        self.counts.add("links_found", len(requests))
        return new, requests

    def follow_pages(
        self, response: TextResponse, analysis: Analysis, depth: int, mode: str, column: str
    ) -> Iterator[Any]:
        text = response.text
        pages = [ListPage(url) for url in analysis.pages]
        pages += [ListPage(url, guessed=True) for url in analysis.guessed_pages]
        pages += [ListPage(url, guessed=True) for url in paging.script_pages(text, response.url)]
        for dialect in self.dialects:
            pages += list(dialect.pages(text, response.url))
        for page in pages:
            if not anchors.host_allowed(page.url, self.source.allowed_hosts):
                continue
            request = self.list_request(
                page.url,
                depth,
                method=page.method,
                body=page.body,
                mode=mode,
                column=column,
                guessed=page.guessed,
            )
            if request is not None:
                request.meta["paged"] = True
                yield request

    def follow_columns(
        self, response: TextResponse, analysis: Analysis, depth: int, column: str
    ) -> Iterator[Any]:
        # A column's documents sit two hops below it: follow it only if they fit within max_depth.
        if depth + 2 > self.source.max_depth:
            return
        for candidate in analysis.columns:
            link = candidate.link
            if not self.wanted_column(link):
                continue
            request = self.list_request(link.url, depth + 1, mode=SITE, title=link.text, parent=column)
            if request is not None:
                # In the tree in the order the page links them, whichever answers first.
                self.columns.setdefault(
                    link.url,
                    {"title": link.text, "parent": column, "documents": set(), "order": len(self.columns)},
                )
                yield request

    def wanted_column(self, link: anchors.Link) -> bool:
        def matches(patterns: list[re.Pattern[str]]) -> bool:
            return any(p.search(link.url) or p.search(link.text) for p in patterns)

        if self.exclude and matches(self.exclude):
            return False
        return not self.include or matches(self.include)

    # -- learning volatile parameters --------------------------------------------------------------------

    def after_probe(self, response: TextResponse, again: Analysis) -> Iterator[Any]:
        meta = response.meta
        first: Analysis = meta["probe_of"]
        self.params.compare(
            [(i.link.url, i.link.text) for i in first.items],
            [(i.link.url, i.link.text) for i in again.items],
            set(meta["probe_names"]),
            response.url,
        )
        yield from self.release_probed(meta, first)

    def on_probe_error(self, failure: Failure) -> Iterator[Any]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        self.params.stable |= set(request.meta.get("probe_names") or ())
        yield from self.release_probed(request.meta, request.meta["probe_of"])

    def release_probed(self, meta: Mapping[str, Any], first: Analysis) -> Iterator[Any]:
        column = meta.get("column") or ""
        node = self.columns.setdefault(column, {"title": column, "parent": None, "documents": set()})
        yield from self.follow_items(first, meta.get("level", 0), column, node)[1]

    def list_failed(self, url: str, reason: str) -> None:
        self.counts.add("list_errors")
        self.counts.note_error(f"list page {url}: {reason}")
        log.warning("list page %s failed: %s", url, reason)

    # -- detail pages and attachments --------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        kind = meta.get("kind", DETAIL)
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        is_page = response.status == 304 or (
            content_type.startswith(HTML_TYPES)
            if content_type
            else not anchors.is_attachment_url(response.url)
        )
        level = meta.get("level", 1)
        if (
            kind == DETAIL
            and meta.get("weak")
            and response.status == 200
            and isinstance(response, TextResponse)
        ):
            analysis, _ = self.analyse(response)
            if not discovery.looks_like_detail(analysis):
                # Reached from a list of bare titles, but it is a list itself: walk it, record nothing.
                self.counts.add("list_pages")
                meta["paged"] = False
                meta["mode"] = COLUMN
                yield from self.follow_list(response, analysis, False)
                return
        yield self.snapshot(response, is_attachment=not is_page)
        if kind == DETAIL and is_page and response.status == 200 and isinstance(response, TextResponse):
            for url in anchors.attachment_links(response.selector, response.url, self.source.allowed_hosts):
                request = self.page_request(url, ATTACHMENT, level + 1)
                if request is not None:
                    yield request

    def snapshot(self, response: Response, is_attachment: bool) -> PageFetch:
        meta = response.meta
        hint = meta.get(HINT)
        error = None
        if hint in ("offsite", "redirect_loop", "bad_scheme"):
            error = f"redirect to {meta.get('govwatch_redirect_target')} not followed ({hint})"
        elif hint == "blocked":
            error = f"anti-bot challenge (HTTP {response.status}) still there after retrying with its cookie"
        headers = {
            k.decode("latin-1").lower(): v[-1].decode("latin-1") for k, v in response.headers.items() if v
        }
        return PageFetch(
            source=self.source.name,
            url=self.identity_of(response.request) if response.request else response.url,
            status=response.status,
            body=response.body if response.status != 304 else b"",
            headers=headers,
            final_url=response.url,
            fetched_at=datetime.now(UTC),
            error=error,
            hint=hint,
            is_attachment=is_attachment,
            crawl_run_id=self.run_id,
        )

    def identity_of(self, request: scrapy.Request) -> str:
        """The document the request was for: the canonical URL of what was linked, whatever redirects."""
        return str(request.meta.get("identity") or self.params.canonical(original_url(request)))

    # -- failures ----------------------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        hint, message = describe_failure(failure)
        if hint == "robots":
            self.counts.add("robots_skipped")
            return
        if request.meta.get("kind") == LIST:
            self.list_failed(request.url, message)
            return
        if isinstance(failure.value, HttpError):  # not expected: every status is let through
            return
        yield PageFetch(
            source=self.source.name,
            url=self.identity_of(request),
            status=None,
            final_url=request.url,
            fetched_at=datetime.now(UTC),
            error=message,
            hint=hint,
            crawl_run_id=self.run_id,
        )


def _memory_of(recording: Recording | None) -> Memory:
    """Where learned parameters are kept: the database a recording writes to, else nowhere."""
    initargs = getattr(recording, "initargs", None)
    if initargs and isinstance(initargs[0], str):
        return DatabaseMemory(initargs[0])
    return NoMemory()
