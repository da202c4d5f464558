"""Hanweb (大汉) portals: column pages embed a ``<datastore>`` of records, the rest comes from dataproxy.jsp.

The column page holds the first records as ``<record><![CDATA[<li><a href=...>]]></record>``
plus a ``<nextgroup>`` link carrying the column parameters; jpage.js then POSTs them to
``/module/web/jpage/dataproxy.jsp?startrecord=A&endrecord=B&perpage=N`` for the next records,
answered as the same XML record set. Details live at ``/art/YYYY/M/D/art_X_Y.html``.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import PortalSpider


class HanwebSpider(PortalSpider):
    name = "hanweb"
    paginators: ClassVar[tuple[str, ...]] = ("hanweb", "next")
