"""Link discovery on list pages (pure): detail-URL shapes, attachments and the pagination dialects."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

# The URL shapes of detail pages on the common disclosure platforms.
DETAIL_SHAPES = re.compile(
    r"""(
        /art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html        # Hanweb
      | /doc/\d{4}/\d{1,2}/\d{1,2}/\d+\.s?html                # Wuxi-style CMS
      | /t\d{8}_\d+\.s?html                                   # TRS WCM
      | /html/[^/]+/\d{4}/(?:[^/]+/)*\d+\.s?html              # district sites (/html/czzl/2021/X_0414/1.html)
    )$""",
    re.VERBOSE,
)
ATTACHMENT_EXTENSIONS = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "wps", "ofd", "et"})
NEXT_TEXTS = frozenset({"下一页", "下页", "下一頁", "下頁", "next", "next page", ">", "›", "»", ">>"})
_CREATE_PAGE_RE = re.compile(
    r"""createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]"""
)
_DATASTORE_RE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP_RE = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_PERPAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def host_allowed(url: str, allowed_hosts: Iterable[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return is_http(url) and host in set(allowed_hosts)


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in ATTACHMENT_EXTENSIONS


def is_detail_url(url: str, pattern: re.Pattern[str] | None = None) -> bool:
    if pattern is not None:
        return bool(pattern.search(url))
    return bool(DETAIL_SHAPES.search(urlsplit(url).path))


@dataclass(frozen=True)
class Link:
    url: str
    text: str


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
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#", "mailto:")):
                continue
            text = " ".join("".join(a.itertext()).split())
            links.append(Link(strip_fragment(urljoin(base_url, href)), text))
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
        if not href or href.startswith(("javascript:", "#", "mailto:")) or not is_attachment_url(href):
            continue
        url = strip_fragment(urljoin(base_url, href))
        if host_allowed(url, hosts):
            found[url] = None
    return list(found)


def detail_and_attachment_links(
    links: Iterable[Link],
    allowed_hosts: Iterable[str],
    pattern: re.Pattern[str] | None = None,
    scoped: bool = False,
) -> tuple[list[str], list[str]]:
    """(detail URLs, attachment URLs) among ``links``, on allowed hosts only, in order, deduplicated.

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


def next_page_links(links: Iterable[Link]) -> list[str]:
    """Plain pagination: the target of a 下一页 / next link."""
    return [link.url for link in links if link.text.strip().lower() in NEXT_TEXTS]


def trs_pages(text: str, page_url: str) -> list[str]:
    """TRS ``createPageHTML(total, current, "index", "html")``: every other page of the list.

    Page 0 is ``index.html``, page n is ``index_n.html``, all in the directory of the current page.
    """
    match = _CREATE_PAGE_RE.search(text)
    if not match:
        return []
    total, _current, name, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    base = urljoin(page_url, "./")
    pages = [urljoin(base, f"{name}.{ext}")]
    pages += [urljoin(base, f"{name}_{n}.{ext}") for n in range(1, total)]
    return [p for p in pages if p != strip_fragment(page_url)]


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
    if not nextgroup:
        return None
    href = _HREF_RE.search(nextgroup.group(1))
    total_match = _TOTAL_RE.search(text)
    if not href or not total_match:
        return None
    proxy = urljoin(page_url, href.group(1).replace("&amp;", "&"))
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
