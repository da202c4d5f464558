"""Anchors on a page (pure): ``<a href>`` and their text, attachments, URL-shape hints.

URL shapes of the common platforms are hints that raise confidence in what a link leads to; they
never decide alone (``crawler.discovery`` looks at the page's structure first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsel import Selector

from crawler.links import host_allowed, host_of, is_http, join, strip_fragment

# The URL shapes of detail pages on the common disclosure platforms.
DETAIL_SHAPES = re.compile(
    r"""(
        /art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html             # Hanweb
      | /doc/\d{4}/\d{1,2}/\d{1,2}/\d+\.s?html                    # Wuxi-style CMS
      | /t\d{8}_\d+\.s?html?                                      # TRS WCM
      | /html/[^/]+/\d{4}/(?:[^/]+/)*\d+\.s?html                  # district sites (/html/czzl/2021/X/1.html)
      | /html/\d{4}/\d{4}/\d+\.s?html                             # 帝国 / Dede (/html/2024/0301/123.html)
      | /a/(?:[^/]+/)*\d{4}/?\d{4}/\d+\.s?html                    # Dede (/a/xxgk/2024/0301/1.html)
      | /content/\d{4}-\d{2}/\d{2}/content_\d+\.s?html?           # gov.cn
      | /\d{4}/\d{1,2}/\d{1,2}/content_\d+\.s?html?               # news sites (/news/2024/03/21/…)
      | /content_\d+\.s?html?                                     # content_N pages elsewhere
      | /\d+\.jhtml                                               # JEECMS
    )$""",
    re.VERBOSE | re.I,
)
# Dynamic detail pages: a show/detail/view script with a document id.
DETAIL_QUERY_SHAPES = re.compile(
    r"""(
        (?:show|detail|details|view|content|article|info|news)\w*\.(?:aspx?|jsp|php|do|action)
      | index\.php
    )$""",
    re.VERBOSE | re.I,
)
_DETAIL_ID_RE = re.compile(r"(?:^|&)(?:id|articleid|docid|infoid|contentid|newsid|aid|itemid)=\w", re.I)
_PHPCMS_SHOW_RE = re.compile(r"(?:^|&)a=show(?:&|$)", re.I)
ATTACHMENT_EXTENSIONS = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "wps", "ofd", "et", "ppt", "pptx", "zip", "rar", "7z", "txt", "csv"}
)


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1] in ATTACHMENT_EXTENSIONS


def is_detail_url(url: str, pattern: re.Pattern[str] | None = None) -> bool:
    """Whether the URL has the shape of a detail page (or matches the source's own pattern)."""
    if pattern is not None:
        return bool(pattern.search(url))
    parts = urlsplit(url)
    if DETAIL_SHAPES.search(parts.path):
        return True
    if DETAIL_QUERY_SHAPES.search(parts.path) and parts.query:
        if parts.path.lower().endswith("index.php"):
            return bool(_PHPCMS_SHOW_RE.search(parts.query) and _DETAIL_ID_RE.search(parts.query))
        return bool(_DETAIL_ID_RE.search(parts.query))
    return False


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def anchor_text(a: object) -> str:
    """An anchor's text, or its ``title`` when the text is empty or cut short (``…``)."""
    text = " ".join("".join(a.itertext()).split())  # type: ignore[attr-defined]
    title = " ".join((a.get("title") or "").split())  # type: ignore[attr-defined]
    if title and (not text or text.endswith(("...", "…")) or len(title) > len(text)):
        return title
    return text


def anchors(selector: Selector, base_url: str, scope: str | None = None) -> list[Link]:
    """Every ``<a href>`` (inside ``scope``, a CSS or XPath selector, when given) as absolute URLs."""
    roots = [selector]
    if scope:
        roots = list(selector.xpath(scope) if scope.startswith(("/", "(")) else selector.css(scope))
    links: list[Link] = []
    for root in roots:
        node = root.root
        if not hasattr(node, "iter"):
            continue
        # lxml directly: parsel's per-node selectors cost more than the rest of the spider together.
        for a in node.iter("a"):
            url = join(base_url, a.get("href") or "")
            if url is not None:
                links.append(Link(url, anchor_text(a)))
    return links


def attachment_links(selector: Selector, base_url: str, allowed_hosts: Iterable[str]) -> list[str]:
    """Attachment URLs linked from a detail page, on allowed hosts (cheap: extension first, then join)."""
    hosts = set(allowed_hosts)
    found: dict[str, None] = {}
    node = selector.root
    if not hasattr(node, "iter"):
        return []
    for a in node.iter("a"):
        href = (a.get("href") or "").strip()
        if not is_attachment_url(href):
            continue
        url = join(base_url, href)
        if url is not None and host_allowed(url, hosts):
            found[url] = None
    return list(found)


def detail_and_attachment_links(
    links: Iterable[Link],
    allowed_hosts: Iterable[str],
    pattern: re.Pattern[str] | None = None,
    scoped: bool = False,
) -> tuple[list[str], list[str]]:
    """(detail URLs, attachment URLs) among ``links`` by URL alone, on allowed hosts, deduplicated.

    With ``scoped`` (a list selector chose the links) and no pattern, every non-attachment link counts.
    """
    hosts = set(allowed_hosts)
    details: dict[str, None] = {}
    attachments: dict[str, None] = {}
    for link in links:
        if not host_allowed(link.url, hosts):
            continue
        if is_attachment_url(link.url):
            attachments[link.url] = None
        elif (scoped and pattern is None) or is_detail_url(link.url, pattern):
            details[link.url] = None
    return list(details), list(attachments)


__all__ = [
    "Link",
    "anchor_text",
    "anchors",
    "attachment_links",
    "detail_and_attachment_links",
    "host_allowed",
    "host_of",
    "is_attachment_url",
    "is_detail_url",
    "is_http",
    "join",
    "strip_fragment",
]
