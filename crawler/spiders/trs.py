"""TRS WCM portals: list pages paged by ``createPageHTML(total, current, "index", "html")`` scripts.

Page 0 is ``index.html``, page n is ``index_n.html`` in the same directory; details are
``./YYYYMM/tYYYYMMDD_N.html`` relative to the column.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import PortalSpider


class TrsSpider(PortalSpider):
    name = "trs"
    paginators: ClassVar[tuple[str, ...]] = ("trs", "next")
