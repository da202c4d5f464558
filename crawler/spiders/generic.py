"""Any portal: what the page's structure shows, plus every platform dialect that recognises itself.

A user who names a home page does not know which CMS the site runs: the generic spider combines
the Hanweb datastore and ``dataproxy.jsp`` records, TRS ``createPageHTML`` paging and whatever
pager the page draws; each dialect is inert on pages that do not speak it.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import Dialect, PortalSpider
from crawler.spiders.hanweb import HanwebDialect
from crawler.spiders.trs import TrsDialect


class GenericSpider(PortalSpider):
    name = "generic"
    dialects: ClassVar[tuple[Dialect, ...]] = (HanwebDialect(), TrsDialect())
