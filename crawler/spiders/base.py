"""The portal spider: list pages -> detail pages -> attachments, one PageSnapshot per fetched URL."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import links
from crawler.failures import describe_failure, original_url
from crawler.middlewares import HINT
from crawler.progress import Progress
from crawler.recording import Recording
from crawler.stats import CrawlCounts
from tracker.config import SourceConfig
from tracker.page import PageSnapshot

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/plain")
LIST, DETAIL, ATTACHMENT = "list", "detail", "attachment"


class PortalSpider(scrapy.Spider):
    """Walks one source. Subclasses choose the pagination dialects in ``paginators``."""

    name = "portal"
    paginators: ClassVar[tuple[str, ...]] = ("next",)

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
        self.pattern = re.compile(source.detail_url_pattern) if source.detail_url_pattern else None
        self.seen: set[str] = set()
        self.list_pages = 0

    # -- scheduling --------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            request = self.list_request(url, depth=0)
            if request is not None:
                yield request
        # Known documents are revisited even when no list links them any more: that is how a
        # deleted page (404) is noticed. Lower priority, so list discovery goes first.
        for url in self.known_urls:
            if links.host_allowed(url, self.source.allowed_hosts):
                kind = ATTACHMENT if links.is_attachment_url(url) else DETAIL
                request = self.page_request(url, kind, depth=1, priority=-10)
                if request is not None:
                    yield request

    def list_request(
        self, url: str, depth: int, *, method: str = "GET", body: str | None = None
    ) -> scrapy.Request | None:
        key = f"{method} {url} {body or ''}"
        if key in self.seen:
            return None
        if self.list_pages >= self.source.max_pages:
            self.counts.add("list_pages_skipped")
            return None
        self.seen.add(key)
        self.list_pages += 1
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else None
        return scrapy.Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=self.parse_list,
            errback=self.on_error,
            meta={"kind": LIST, "level": depth},
            dont_filter=True,
            priority=10,
        )

    def page_request(self, url: str, kind: str, depth: int, priority: int = 0) -> scrapy.Request | None:
        if url in self.seen or depth > self.source.max_depth:
            return None
        self.seen.add(url)
        headers: dict[str, str] = {}
        etag, last_modified = self.validators.get(url, (None, None))
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse_page,
            errback=self.on_error,
            meta={"kind": kind, "level": depth, "conditional": bool(headers)},
            # Our own ``seen`` set deduplicates; Scrapy's filter would silently drop a redirect loop.
            dont_filter=True,
            priority=priority,
        )

    # -- list pages --------------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        depth = response.meta.get("level", 0)
        if response.status >= 400 or response.status in (301, 302, 303, 307, 308):
            self.list_failed(response.url, f"HTTP {response.status}")
            return
        self.counts.add("list_pages")
        if not isinstance(response, TextResponse):
            self.list_failed(response.url, "list page is not text")
            return
        text = response.text
        found = links.anchors(response.selector, response.url, self.source.list_selector)
        for fragment in links.hanweb_records(text):
            found += links.anchors(scrapy.Selector(text=fragment), response.url)
        details, attachments = links.detail_and_attachment_links(
            found, self.source.allowed_hosts, self.pattern, scoped=bool(self.source.list_selector)
        )
        self.counts.add("links_found", len(details) + len(attachments))
        for url in details:
            request = self.page_request(url, DETAIL, depth + 1)
            if request is not None:
                yield request
        for url in attachments:
            request = self.page_request(url, ATTACHMENT, depth + 1)
            if request is not None:
                yield request
        yield from self.paginate(response, text, found, depth)

    def paginate(self, response: Response, text: str, found: list[links.Link], depth: int) -> Iterator[Any]:
        """Follow-up list pages in the dialects this platform speaks (pagination keeps the depth)."""
        all_links = found
        if self.source.list_selector:  # pager links usually sit outside the list container
            all_links = links.anchors(response.selector, response.url)  # type: ignore[attr-defined]
        if "next" in self.paginators:
            for url in links.next_page_links(all_links):
                if links.host_allowed(url, self.source.allowed_hosts):
                    request = self.list_request(url, depth)
                    if request is not None:
                        yield request
        if "trs" in self.paginators:
            for url in links.trs_pages(text, response.url):
                if links.host_allowed(url, self.source.allowed_hosts):
                    request = self.list_request(url, depth)
                    if request is not None:
                        yield request
        if "hanweb" in self.paginators:
            paging = links.hanweb_paging(text, response.url)
            if paging is not None and links.host_allowed(paging.proxy_url, self.source.allowed_hosts):
                for url, form in links.hanweb_page_requests(paging):
                    request = self.list_request(url, depth, method="POST", body=form)
                    if request is not None:
                        yield request

    def list_failed(self, url: str, reason: str) -> None:
        self.counts.add("list_errors")
        self.counts.note_error(f"list page {url}: {reason}")
        log.warning("list page %s failed: %s", url, reason)

    # -- detail pages and attachments --------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        kind = response.meta.get("kind", DETAIL)
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        is_page = response.status == 304 or (
            content_type.startswith(HTML_TYPES) if content_type else not links.is_attachment_url(response.url)
        )
        yield self.snapshot(response, is_attachment=not is_page)
        if kind == DETAIL and is_page and response.status == 200 and isinstance(response, TextResponse):
            for url in links.attachment_links(response.selector, response.url, self.source.allowed_hosts):
                request = self.page_request(url, ATTACHMENT, response.meta.get("level", 1) + 1)
                if request is not None:
                    yield request

    def snapshot(self, response: Response, is_attachment: bool) -> PageSnapshot:
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
        return PageSnapshot(
            source=self.source.name,
            url=original_url(response.request) if response.request else response.url,
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
        yield PageSnapshot(
            source=self.source.name,
            url=original_url(request),
            status=None,
            final_url=request.url,
            fetched_at=datetime.now(UTC),
            error=message,
            hint=hint,
            crawl_run_id=self.run_id,
        )
