"""Generic portals: detail links by URL shape (or the source's pattern/selector), any pagination found."""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import PortalSpider


class GenericSpider(PortalSpider):
    name = "generic"
    # A generic site may use any of the dialects; each is harmless where absent.
    paginators: ClassVar[tuple[str, ...]] = ("next", "trs", "hanweb")
