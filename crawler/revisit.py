"""List pages that did not change: what they led to is re-issued from the last full fetch, not re-parsed.

A list page fetched in full keeps, per source, its validators (ETag, Last-Modified) and the
requests it led to: detail pages, attachments, further list pages (table ``list_links``). The
next crawl asks for the list page conditionally; on a 304 those requests are made again through
the spider's own ``page_request`` and ``list_request``, so the crawl's deduplication, the
detail pages' validators, ``max_pages`` and ``max_depth`` apply as on a parsed page, and the
detail pages are still fetched as linked (with the same per-visit tokens, see
``crawler.volatile``).

A wrong 304 would hide a list's new documents, so the stored copy is trusted for ``MAX_AGE``
only: after that the list page is fetched in full again. Lists sent as forms (POST) and the
second fetches that compare a list's parameters are always fetched in full.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from crawler.volatile import DatabaseMemory, Memory

if TYPE_CHECKING:
    from crawler.spiders.base import PortalSpider

log = logging.getLogger(__name__)

KEY = "govwatch_list_key"  # request meta: the list page's key (``PortalSpider.list_request``)
MAX_AGE = timedelta(hours=24)
LIST = "list"  # crawler.spiders.base.LIST: the kind of a list request


@dataclass
class Links:
    """One list page as last fetched in full: its validators and the requests it led to."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def link_of(request: scrapy.Request, level: int) -> dict[str, Any] | None:
    """What ``request`` (made by a list page at depth ``level``) needs to be made again."""
    meta = request.meta
    if meta.get("probe_of") is not None:
        return None  # the parameter comparison is this crawl's business
    depth = int(meta.get("level", level + 1)) - level
    if meta.get("kind") == LIST:
        return {
            "list": request.url,
            "depth": depth,
            "method": request.method,
            "body": request.body.decode("utf-8") if request.body else None,
            "mode": meta.get("mode"),
            "column": meta.get("column"),
            "title": meta.get("title"),
            "guessed": bool(meta.get("guessed")),
            "parent": meta.get("parent"),
            "paged": bool(meta.get("paged")),
        }
    return {
        "page": request.url,
        "depth": depth,
        "kind": meta.get("kind"),
        "weak": bool(meta.get("weak")),
        "column": meta.get("column"),
    }


class ListRevisit:
    """One crawl's stored list pages (``load``), and the ones it fetches in full (``remember``)."""

    def __init__(self, stored: Mapping[str, Links] | None = None, memory: Memory | None = None) -> None:
        self.stored = dict(stored or {})  # by the sha256 of the spider's key of the list page
        self.memory = memory
        self.fresh: dict[str, Links] = {}

    @classmethod
    def load(cls, memory: Memory, source: str) -> ListRevisit:
        """The source's stored list pages when the crawl records into a database, else none."""
        if not isinstance(memory, DatabaseMemory):
            return cls()
        try:
            return cls(_load(memory.db_url, source), memory)
        except Exception:  # every list page is then fetched in full: slower, not wrong
            log.exception("could not read the stored list pages of %s", source)
            return cls()

    def condition(self, request: scrapy.Request, key: str) -> None:
        """Ask for the list page only if it changed, when its links from a recent full fetch are stored."""
        if request.method != "GET" or request.body:
            return
        request.meta[KEY] = key
        stored = self.stored.get(_digest(key))
        if stored is None or not stored.links or datetime.now(UTC) - stored.fetched_at > MAX_AGE:
            return
        if stored.etag:
            request.headers["If-None-Match"] = stored.etag
        if stored.last_modified:
            request.headers["If-Modified-Since"] = stored.last_modified

    def replay(self, spider: PortalSpider, response: Response) -> Iterator[scrapy.Request]:
        """The requests a list page that answered 304 led to when it was last fetched in full."""
        stored = self.stored.get(_digest(response.meta.get(KEY) or ""))
        if stored is None:
            spider.list_failed(response.url, "HTTP 304 to a request that was not conditional")
            return
        spider.counts.add("list_pages")
        spider.counts.add("list_pages_not_modified")
        level = int(response.meta.get("level", 0))
        made = 0
        for link in stored.links:
            request = _remake(spider, link, level)
            if request is not None:
                made += 1
                yield request
        spider.counts.add("links_found", made)

    def remember(self, response: Response, results: Iterable[Any]) -> Iterator[Any]:
        """Pass on what a list page fetched in full led to, noting the requests among it."""
        key = response.meta.get(KEY)
        if key is None or response.status != 200:
            yield from results
            return
        headers = response.headers
        entry = self.fresh.setdefault(
            key,
            Links(
                url=response.url,
                etag=_header(headers.get(b"ETag")),
                last_modified=_header(headers.get(b"Last-Modified")),
            ),
        )
        level = int(response.meta.get("level", 0))
        for result in results:
            if isinstance(result, scrapy.Request):
                link = link_of(result, level)
                if link is not None and link not in entry.links:
                    entry.links.append(link)
            yield result

    def on_closed(self, spider: scrapy.Spider) -> None:
        """Store the list pages fetched in full that can be asked for conditionally next time."""
        if self.memory is None or not isinstance(self.memory, DatabaseMemory):
            return
        worth = {k: v for k, v in self.fresh.items() if (v.etag or v.last_modified) and v.links}
        if not worth:
            return
        source = getattr(spider, "source", None)
        try:
            _save(self.memory.db_url, str(getattr(source, "name", spider.name)), worth)
        except Exception:  # the next crawl parses these lists again
            log.exception("could not store the links of %d list pages", len(worth))


def _header(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


def _remake(spider: PortalSpider, link: Mapping[str, Any], level: int) -> scrapy.Request | None:
    depth = level + int(link.get("depth", 1))
    if "list" in link:
        request = spider.list_request(
            link["list"],
            depth,
            method=link.get("method") or "GET",
            body=link.get("body"),
            mode=link.get("mode"),
            column=link.get("column"),
            title=link.get("title"),
            guessed=bool(link.get("guessed")),
            parent=link.get("parent"),
        )
        if request is not None and link.get("paged"):
            request.meta["paged"] = True
        return request
    return spider.page_request(
        link["page"], str(link.get("kind")), depth, weak=bool(link.get("weak")), column=link.get("column")
    )


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _load(db_url: str, source: str) -> dict[str, Links]:
    from sqlalchemy import select

    from tracker.db import session_factory, session_scope
    from tracker.models import ListLinks, Source

    with session_scope(session_factory(db_url)) as session:
        rows = session.scalars(
            select(ListLinks).join(Source, Source.id == ListLinks.source_id).where(Source.name == source)
        ).all()
        return {
            row.key: Links(row.url, row.etag, row.last_modified, list(row.links), row.fetched_at)
            for row in rows
        }


_REFRESHED = ("url", "etag", "last_modified", "links", "fetched_at")


def _save(db_url: str, source: str, fresh: Mapping[str, Links]) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    from tracker.db import session_factory, session_scope
    from tracker.models import ListLinks
    from tracker.store import source_id

    with session_scope(session_factory(db_url)) as session:
        sid = source_id(session, source)
        conn = session.connection()
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        for key, links in fresh.items():
            values = {
                "source_id": sid,
                "key": _digest(key),
                "url": links.url[:2048],
                "etag": links.etag[:512] if links.etag else None,
                "last_modified": links.last_modified[:64] if links.last_modified else None,
                "links": links.links,
                "fetched_at": links.fetched_at,
            }
            stmt = insert(ListLinks).values(values)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source_id", "key"],
                    set_={
                        name: stmt.excluded[name]
                        for name in ("url", "etag", "last_modified", "links", "fetched_at")
                    },
                )
            )
