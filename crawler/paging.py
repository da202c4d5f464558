"""Pagination a list page shows by itself (pure): pager links, numbered page URLs, page counts in scripts.

Platform dialects that need more than the page's own links (TRS ``createPageHTML``, Hanweb
``dataproxy.jsp``) live with their spiders; what is here works on any site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.anchors import Link
from crawler.identity import canonical_url, is_session_parameter

NEXT_TEXTS = frozenset(
    {
        "下一页",
        "下页",
        "下一頁",
        "下頁",
        "后页",
        "後頁",
        "next",
        "next page",
        ">",
        "›",
        "»",
        ">>",
        "下一页>",
        "下一页>>",
    }
)
LAST_TEXTS = frozenset({"末页", "尾页", "最后一页", "最末页", "末頁", "尾頁", "last", ">|", "»|"})
PAGER_TEXTS = (
    NEXT_TEXTS
    | LAST_TEXTS
    | frozenset({"首页", "上一页", "上页", "上一頁", "前页", "prev", "<", "‹", "«", "<<"})
)
PAGE_PARAMETERS = frozenset(
    {
        "page",
        "pageno",
        "pageindex",
        "pagenum",
        "pagenumber",
        "curpage",
        "currentpage",
        "pn",
        "pg",
        "p",
        "cpage",
    }
)
_NUMBERED_PATH_RE = re.compile(r"^(?P<head>.*?)(?P<sep>[_-])(?P<n>\d{1,4})(?P<ext>\.[a-z]{2,6})$", re.I)
_NUMBER_TEXT_RE = re.compile(r"^\[?\s*(\d{1,4})\s*\]?$")
_PAGE_COUNT_RE = re.compile(
    r"""\b(?:countPage|pageCount|page_count|pagecount|totalPage|totalPages|total_page|totalpage|maxPage|pageTotal)
        \s*[:=]\s*['"]?(\d{1,4})""",
    re.I | re.X,
)
_SCRIPT_TEMPLATE_RE = re.compile(
    r"""['"]([\w\-]+)_['"]\s*\+\s*[\w.()]+\s*\+\s*['"](\.[a-z]{2,6})['"]""", re.I
)
_BASE_NAME_RE = re.compile(r"^(?P<name>[\w\-]+)(?P<ext>\.[a-z]{2,6})$", re.I)


@dataclass(frozen=True)
class PageNumber:
    """Where a URL sits in a numbered series: ``template`` with ``{n}`` for the page number."""

    template: str
    number: int


def page_number(url: str) -> PageNumber | None:
    """``…/index_3.html`` -> (``…/index_{n}.html``, 3); ``list.jsp?cat=2&page=4`` -> (…page={n}, 4)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (name, value) in enumerate(query):
        if name.lower() in PAGE_PARAMETERS and value.isdigit():
            marked = [*query[:i], (name, "__N__"), *query[i + 1 :]]
            template = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(marked), ""))
            return PageNumber(template.replace("__N__", "{n}"), int(value))
    name = parts.path.rsplit("/", 1)[-1]
    match = _NUMBERED_PATH_RE.match(name)
    if match and not match.group("head").isdigit():
        head = parts.path[: len(parts.path) - len(name)] + match.group("head") + match.group("sep")
        template = urlunsplit(
            (parts.scheme, parts.netloc, head + "{n}" + match.group("ext"), parts.query, "")
        )
        return PageNumber(template, int(match.group("n")))
    return None


def same_series(a: PageNumber | None, b: PageNumber | None) -> bool:
    """Whether two pages are of one numbered series, whatever session tokens their links carry."""
    return a is not None and b is not None and canonical_url(a.template) == canonical_url(b.template)


def pager_links(links: Iterable[Link], page_url: str) -> tuple[list[str], list[str]]:
    """(pages to follow, pages only guessed) from a list page's own pager.

    Followed: the 下一页 target, numbered links (``2``, ``[3]``) and links in the current page's
    numbered series. Guessed: every page between here and the 末页 / 尾页 target of a series.
    """
    current = page_number(page_url)
    follow: dict[str, None] = {}
    guessed: dict[str, None] = {}
    for link in links:
        text = link.text.strip().lower()
        if link.url == page_url:
            continue
        if text in NEXT_TEXTS:
            follow[link.url] = None
            continue
        target = page_number(link.url)
        if text in LAST_TEXTS:
            follow[link.url] = None
            if target is not None and target.number <= 1000:
                if current is not None and same_series(current, target):
                    start = current.number + 1
                else:  # from the unnumbered first page: ``index_1`` may be page 2, ``page=1`` is page 1
                    start = 2 if "{n}" in urlsplit(target.template).query else 1
                for n in range(start, target.number):
                    guessed[target.template.format(n=n)] = None
            continue
        if target is None or not _adds_nothing(link.url, page_url):
            continue  # a calendar day or a filter that happens to carry the page number
        if _NUMBER_TEXT_RE.match(text) or same_series(current, target):
            follow[link.url] = None
    return list(follow), [url for url in guessed if url not in follow and url != page_url]


def has_page_count(text: str) -> bool:
    """Whether a script on the page writes a page count (a pager drawn by JavaScript)."""
    return _PAGE_COUNT_RE.search(text) is not None


def _adds_nothing(url: str, page_url: str) -> bool:
    """Whether ``url`` carries no query parameter the current page lacks, besides the page number."""
    names = {
        k.lower()
        for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if not is_session_parameter(k)
    }
    here = {k.lower() for k, _ in parse_qsl(urlsplit(page_url).query, keep_blank_values=True)}
    return not (names - here - PAGE_PARAMETERS)


def script_pages(text: str, page_url: str) -> list[str]:
    """The next pages of a pager drawn by a script from a page count (``countPage = 12`` …).

    Some such pagers number the second page ``_1`` (TRS style), others ``_2`` (``_1`` answers
    404): from the first page both are guessed, from page ``n`` the page ``n + 1``.
    """
    match = _PAGE_COUNT_RE.search(text)
    if not match:
        return []
    count = int(match.group(1))
    if count < 2:
        return []
    current = page_number(page_url)
    if current is not None:
        return [current.template.format(n=current.number + 1)] if current.number + 1 <= count else []
    path = urlsplit(page_url).path
    name = path.rsplit("/", 1)[-1] or "index.html"
    template_match = _SCRIPT_TEMPLATE_RE.search(text)
    if template_match:
        stem, ext = template_match.group(1), template_match.group(2)
    else:
        base = _BASE_NAME_RE.match(name)
        if not base:
            return []
        stem, ext = base.group("name"), base.group("ext")
    directory = urljoin(page_url, "./")
    return [urljoin(directory, f"{stem}_{n}{ext}") for n in (1, 2) if n <= count]
