"""Anchors on a page (pure): ``<a href>`` and their text, attachments, URL-shape hints.

URL shapes of the common platforms are hints that raise confidence in what a link leads to; they
never decide alone (``crawler.discovery`` looks at the page's structure first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

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


# Scripts that hand out a file chosen by a query parameter (``download.jsp?id=…``,
# ``DownLoad.aspx?fileid=…``, Hanweb's ``downfile.jsp?filename=…``): attachments whatever they end in.
DOWNLOAD_SCRIPTS = re.compile(
    r"(?:^|/)\w*(?:down|getfile|fileget|attach|fujian|fjxz)\w*\.(?:aspx?|ashx|jsp|jspx|php|do|action|cgi)$",
    re.I,
)
# A file name as an anchor's text (``附件1：实施方案.pdf``, ``统计表.xlsx（35KB）``).
_FILE_NAME_TEXT_RE = re.compile(
    r"\.(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS)) + r")\s*(?:[(（\[【][^)）\]】]{0,20}[)）\]】])?$", re.I
)
# Quoted arguments of a ``javascript:`` link or an ``onclick`` handler.
_SCRIPT_ARGUMENT_RE = re.compile(r"""['"]([^'"\s<>]+)['"]""")
# Path parameters (``;jsessionid=…``) say who visits, not which resource: never part of its name.
_PATH_PARAMETERS_RE = re.compile(r";[^/]*")


def bare_path(url: str) -> str:
    """The path of ``url`` without path parameters: ``/a/b.pdf;jsessionid=1`` -> ``/a/b.pdf``."""
    return _PATH_PARAMETERS_RE.sub("", urlsplit(url).path)


def _has_attachment_extension(path: str) -> bool:
    name = path.lower().rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1] in ATTACHMENT_EXTENSIONS


def is_attachment_url(url: str) -> bool:
    """A file by its URL: its extension, a download script with a query, or a file name in the query."""
    parts = urlsplit(url)
    path = _PATH_PARAMETERS_RE.sub("", parts.path)  # bare_path, without splitting the URL twice
    if _has_attachment_extension(path):
        return True
    if not parts.query:
        return False
    if DOWNLOAD_SCRIPTS.search(path):
        return True
    values = (value for _, value in parse_qsl(parts.query) if "." in value and len(value) < 300)
    return any(_has_attachment_extension(value) for value in values)


def names_file(text: str) -> bool:
    """Whether an anchor's text is a file name (the link downloads it, whatever its URL)."""
    return bool(_FILE_NAME_TEXT_RE.search(text.strip()))


def is_attachment(link: Link) -> bool:
    return is_attachment_url(link.url) or names_file(link.text)


def script_target(a: object) -> str | None:
    """The file a script link downloads: ``javascript:downFile('/uploadfile/2024/a.pdf')``, or the
    same call in ``onclick`` of an ``href="#"`` link. Only a path that names a file counts: a bare
    id handed to a site's own script cannot be resolved without running it."""
    href = (a.get("href") or "").strip()  # type: ignore[attr-defined]
    code = [a.get("onclick") or ""]  # type: ignore[attr-defined]
    if href.lower().startswith("javascript:"):
        code.append(href)
    elif href not in ("", "#"):
        return None
    for match in _SCRIPT_ARGUMENT_RE.finditer(" ".join(code)):
        candidate = match.group(1)
        if ("/" in candidate or "." in candidate) and is_attachment_url("http://h/" + candidate.lstrip("/")):
            return candidate
    return None


def is_detail_url(url: str, pattern: re.Pattern[str] | None = None) -> bool:
    """Whether the URL has the shape of a detail page (or matches the source's own pattern)."""
    if pattern is not None:
        return bool(pattern.search(url))
    parts = urlsplit(url)
    path = _PATH_PARAMETERS_RE.sub("", parts.path)  # bare_path, without splitting the URL twice
    if DETAIL_SHAPES.search(path):
        return True
    if DETAIL_QUERY_SHAPES.search(path) and parts.query:
        if path.lower().endswith("index.php"):
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


def link_of(a: object, base_url: str) -> Link | None:
    """The link of an ``<a>``: its ``href`` made absolute, or the file its script link downloads."""
    url = join(base_url, a.get("href") or "")  # type: ignore[attr-defined]
    if url is None:
        target = script_target(a)
        url = join(base_url, target) if target else None
    return Link(url, anchor_text(a)) if url is not None else None


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
            link = link_of(a, base_url)
            if link is not None:
                links.append(link)
    return links


def attachment_links(selector: Selector, base_url: str, allowed_hosts: Iterable[str]) -> list[str]:
    """Attachment URLs linked from a detail page, on allowed hosts.

    Cheap first: a plain link whose ``href`` has no file extension and no query cannot be one,
    so only the others are joined and have their text read.
    """
    hosts = set(allowed_hosts)
    found: dict[str, None] = {}
    node = selector.root
    if not hasattr(node, "iter"):
        return []
    for a in node.iter("a"):
        href = (a.get("href") or "").strip()
        if is_attachment_url(href):
            url = join(base_url, href)
        elif "?" in href:
            url = join(base_url, href)
            if url is not None and not names_file(anchor_text(a)):
                url = None
        elif href.lower().startswith("javascript:") or href in ("", "#"):
            target = script_target(a)
            url = join(base_url, target) if target else None
        else:
            url = None
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
        if is_attachment(link):
            attachments[link.url] = None
        elif (scoped and pattern is None) or is_detail_url(link.url, pattern):
            details[link.url] = None
    return list(details), list(attachments)


__all__ = [
    "Link",
    "anchor_text",
    "anchors",
    "attachment_links",
    "bare_path",
    "detail_and_attachment_links",
    "host_allowed",
    "host_of",
    "is_attachment",
    "is_attachment_url",
    "is_detail_url",
    "is_http",
    "join",
    "link_of",
    "names_file",
    "script_target",
    "strip_fragment",
]
