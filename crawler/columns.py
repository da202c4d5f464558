"""The column tree a crawl would walk from a URL, without fetching a single document.

``discover(url, settings)`` runs the generic spider over navigation and list pages only (details
are counted, never requested) and returns each column it reached: its anchor text, URL, the page
that linked it and how many documents its pages list. Runs a reactor: once per process.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess

from crawler.spiders.generic import GenericSpider
from crawler.volatile import NoMemory
from tracker.config import Settings, SourceConfig


class DiscoverySpider(GenericSpider):
    name = "discover"
    fetch_details: ClassVar[bool] = False


@dataclass(frozen=True)
class ColumnNode:
    url: str
    title: str
    parent: str | None
    documents: int
    depth: int


def source_for(url: str, settings: Settings, *, max_pages: int | None = None) -> SourceConfig:
    """A throw-away source for ``url``: its host only; a private address only when it is the one named."""
    host = (urlsplit(url).hostname or "").lower()
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = host == "localhost"
    return SourceConfig(
        name="discover",
        start_urls=(url,),
        allowed_hosts=(host,),
        max_pages=max_pages or settings.max_pages,
        max_depth=settings.max_depth,
        download_delay=settings.download_delay,
        concurrency=settings.concurrency,
        obey_robots=settings.obey_robots,
        timeout_seconds=min(settings.timeout_seconds, 900),
        allow_private_addresses=private,
    )


def discover(source: SourceConfig, settings: Settings) -> tuple[list[ColumnNode], list[str]]:
    """(the columns in tree order, errors) of a crawl of ``source`` over its list pages."""
    from crawler.settings import crawl_settings

    values = crawl_settings(source, settings, "ERROR")
    values["ITEM_PIPELINES"] = {}
    process = CrawlerProcess(values)
    for name in ("scrapy", "crawler"):  # the CLI's own logging would print Scrapy's INFO lines
        logging.getLogger(name).setLevel(logging.ERROR)
    crawler = process.create_crawler(DiscoverySpider)
    process.crawl(crawler, source=source, memory=NoMemory())
    process.start()
    spider: Any = crawler.spider
    return tree(spider.columns, source.start_urls, spider.params.canonical), list(spider.counts.errors)


def tree(
    columns: dict[str, dict[str, Any]], roots: tuple[str, ...], canonical: Callable[[str], str] = str
) -> list[ColumnNode]:
    """The columns depth-first from the start URLs, children in the order they were found.

    URLs are shown canonical: a token a link carried today is no part of a sources file.
    """
    children: dict[str | None, list[str]] = {}
    for url, node in columns.items():
        children.setdefault(node.get("parent"), []).append(url)
    out: list[ColumnNode] = []
    visited: set[str] = set()

    def walk(url: str, depth: int) -> None:
        if url in visited or url not in columns:
            return
        visited.add(url)
        node = columns[url]
        parent = node.get("parent")
        title = str(node.get("title") or url)
        out.append(
            ColumnNode(
                canonical(url), title, canonical(parent) if parent else None, len(node["documents"]), depth
            )
        )
        for child in sorted(children.get(url, []), key=lambda c: columns[c].get("order", len(columns))):
            walk(child, depth + 1)

    for root in [*roots, *children.get(None, [])]:
        walk(root, 0)
    return out
