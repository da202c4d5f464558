"""Hanweb (大汉) portals: column pages embed a ``<datastore>`` of records, the rest comes from dataproxy.jsp.

The column page holds the first records as ``<record><![CDATA[<li><a href=...>]]></record>``
plus a ``<nextgroup>`` link carrying the column parameters; jpage.js then POSTs them to
``/module/web/jpage/dataproxy.jsp?startrecord=A&endrecord=B&perpage=N`` for the next records,
answered as the same XML record set. Details usually live at ``/art/YYYY/M/D/art_X_Y.html``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from crawler.spiders.base import Dialect, ListPage, PortalSpider

_DATASTORE_RE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP_RE = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_PERPAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
_PROXY_RE = re.compile(r"""(?:proxyUrl|url)\s*[:=]\s*['"]([^'"]*dataproxy\.jsp[^'"]*)['"]""", re.I)
_PARAM_RE = re.compile(
    r"""\b(columnid|unitid|webid|appid|webname|path|permissiontype)\s*[:=]\s*['"]?([\w/\-.]+)""", re.I
)


@dataclass(frozen=True)
class HanwebPaging:
    """Where and how to fetch the remaining records of a Hanweb column (``dataproxy.jsp``)."""

    proxy_url: str  # dataproxy.jsp without query
    form: dict[str, str]  # the column parameters jpage.js posts (columnid, unitid, webid ...)
    total: int
    per_page: int
    embedded: int  # records already present in the column page


def hanweb_records(text: str) -> list[str]:
    """The HTML fragments of every ``<record><![CDATA[...]]></record>`` in the page's datastores."""
    fragments: list[str] = []
    for store in _DATASTORE_RE.findall(text):
        fragments.extend(_RECORD_RE.findall(store))
    return fragments


def hanweb_paging(text: str, page_url: str) -> HanwebPaging | None:
    """The paging parameters of a Hanweb column page, None when it has none (or is a proxy response)."""
    nextgroup = _NEXTGROUP_RE.search(text)
    total_match = _TOTAL_RE.search(text)
    if not total_match:
        return None
    href = _HREF_RE.search(nextgroup.group(1)) if nextgroup else None
    if href is not None:
        proxy = urljoin(page_url, href.group(1).replace("&amp;", "&"))
    else:  # no nextgroup: jpage's own options name the proxy and the column
        script = _PROXY_RE.search(text)
        if script is None:
            return None
        params = {k.lower(): v for k, v in _PARAM_RE.findall(text)}
        proxy = urljoin(page_url, script.group(1))
        if params:
            proxy += ("&" if "?" in proxy else "?") + urlencode(params)
    parts = urlsplit(proxy)
    form = {
        k: v for k, v in parse_qsl(parts.query) if k not in ("page", "startrecord", "endrecord", "perpage")
    }
    embedded = len(hanweb_records(text))
    per_page_match = _PERPAGE_RE.search(text)
    per_page = int(per_page_match.group(1)) if per_page_match else max(embedded, 1)
    total = int(total_match.group(1) or total_match.group(2))
    return HanwebPaging(
        proxy_url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        form=form,
        total=total,
        per_page=max(per_page, 1),
        embedded=embedded,
    )


def hanweb_page_requests(paging: HanwebPaging) -> list[tuple[str, str]]:
    """(URL, form body) of each ``dataproxy.jsp`` call for the records after the embedded ones."""
    calls = []
    for start in range(paging.embedded + 1, paging.total + 1, paging.per_page):
        end = min(start + paging.per_page - 1, paging.total)
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": paging.per_page})
        calls.append((f"{paging.proxy_url}?{query}", urlencode(paging.form)))
    return calls


class HanwebDialect(Dialect):
    """Records of the page's datastores are list items; ``dataproxy.jsp`` POSTs fetch the rest."""

    def items(self, text: str) -> list[Any]:
        return [
            lxml.html.fragment_fromstring(f, create_parent="div") for f in hanweb_records(text) if f.strip()
        ]

    def is_list(self, text: str) -> bool:
        return "<datastore" in text.lower()

    def pages(self, text: str, url: str) -> Iterator[ListPage]:
        paging = hanweb_paging(text, url)
        if paging is None or "dataproxy" in urlsplit(url).path.lower():
            return
        for call_url, form in hanweb_page_requests(paging):
            yield ListPage(call_url, method="POST", body=form)


class HanwebSpider(PortalSpider):
    name = "hanweb"
    dialects: ClassVar[tuple[Dialect, ...]] = (HanwebDialect(),)
