"""TRS WCM portals: list pages paged by ``createPageHTML(total, current, "index", "html")`` scripts.

Page 0 is ``index.html``, page n is ``index_n.html`` in the same directory; details are
``./YYYYMM/tYYYYMMDD_N.html`` relative to the column. Deep ``index_N`` pages of some sites are
near-empty stubs: the pages are walked one after the other, and a page that brings no new links
ends the walk (``PortalSpider`` stops following a list page that found nothing new).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urljoin

from crawler.anchors import strip_fragment
from crawler.spiders.base import Dialect, ListPage, PortalSpider

_CREATE_PAGE_RE = re.compile(
    r"""createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]"""
)


def trs_pages(text: str, page_url: str) -> list[str]:
    """TRS ``createPageHTML(total, current, "index", "html")``: every other page of the list.

    Page 0 is ``index.html``, page n is ``index_n.html``, all in the directory of the current page.
    """
    match = _CREATE_PAGE_RE.search(text)
    if not match:
        return []
    total, name, ext = int(match.group(1)), match.group(3), match.group(4)
    base = urljoin(page_url, "./")
    pages = [urljoin(base, f"{name}.{ext}")]
    pages += [urljoin(base, f"{name}_{n}.{ext}") for n in range(1, total)]
    return [p for p in pages if p != strip_fragment(page_url)]


def trs_next_page(text: str, page_url: str) -> str | None:
    """The page after the current one, by ``createPageHTML``'s own count and position."""
    match = _CREATE_PAGE_RE.search(text)
    if not match:
        return None
    total, current, name, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    if current + 1 >= total:
        return None
    return urljoin(urljoin(page_url, "./"), f"{name}_{current + 1}.{ext}")


class TrsDialect(Dialect):
    def is_list(self, text: str) -> bool:
        return "createPageHTML" in text

    def pages(self, text: str, url: str) -> Iterator[ListPage]:
        following = trs_next_page(text, url)
        if following is not None:
            yield ListPage(following)


class TrsSpider(PortalSpider):
    name = "trs"
    dialects: ClassVar[tuple[Dialect, ...]] = (TrsDialect(),)
