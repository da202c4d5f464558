"""What kind of page this is and where its links lead, from the page's structure (pure).

A list page is a repeated block of sibling items (``<li>``, ``<tr>``, ``<dd>``, ``<div>`` …), each
a title link, most with a date; its items lead to detail pages, whatever their URLs look like. A
navigation page (a home page, a 信息公开 entry page) is a menu of links to columns, recognised by
their anchor text (政策文件, 规范性文件, 通知公告 …) and URL hints (``/col/colN/``, ``/xxgk/``); a
detail page is a long text body or a metadata block. URL shapes of the platforms
(``crawler.anchors.is_detail_url``) raise confidence; they never decide alone.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from crawler import anchors, paging
from crawler.anchors import Link
from crawler.identity import canonical_url, is_session_parameter, query_names

DATE_RE = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*(?:[-/.月]\s*\d{1,2})?|\b\d{1,2}-\d{1,2}\b|\d{1,2}月\d{1,2}日"
)
# Anchor text of the columns a watcher of disclosure documents wants.
COLUMN_WORDS = re.compile(
    r"政策|文件|法规|规章|规范|公开|公告|公示|通知|通告|规划|计划|报告|解读|决策|预算|决算|财政|目录|"
    r"年报|总结|意见|办法|条例|批复|命令|标准|统计|数据|发布|动态|要闻|工作|专题|更多|more",
    re.I,
)
# Site chrome that is never a column, whatever its URL.
NOT_COLUMN_WORDS = re.compile(
    r"^(?:首页|主页|网站首页|返回首页|返回|登录|注册|退出|无障碍|长者模式|关怀版|english|繁體|繁体|简体|"
    r"网站地图|联系我们|关于我们|网站声明|隐私|帮助|搜索|高级搜索|打印|关闭|收藏|分享|纠错|我要纠错|"
    r"留言|信箱|互动|互动交流|政民互动|在线访谈|调查|微博|微信|客户端|app|rss|上一页|下一页|末页|尾页|首頁|"
    r"政务服务|办事服务|在线办事|网上办事)$",
    re.I,
)
# URL shapes of column pages: the platforms' own (strong) and any index or list page (weak).
COLUMN_URL_SHAPES = re.compile(
    r"/col/col\d+|/(?:xxgk|zfxxgk|zwgk|gkml|xxgkml|zcwj|zcfg|zfwj|gfxwj)(?:/|$|_|\.)|"
    r"[?&]a=lists?(?:&|$)|/list\.(?:aspx?|jsp|php|do|action)\?|[?&](?:classid|columnid|catid|channelid)=\d+$",
    re.I,
)
COLUMN_URL_HINTS = re.compile(r"/channel/|/list[\w\-]*\.\w+$|/index\.\w+$|/$", re.I)
METADATA_LABELS = re.compile(
    r"索\s*引\s*号|发文字号|文\s*号|文件编号|发文机关|发布机构|制发机关|成文日期|发文日期|发布日期|公开日期|"
    r"主题分类|有效性|效力状况"
)
_ITEM_TAGS = frozenset(
    {"li", "tr", "dd", "dt", "div", "p", "article", "section", "span", "td", "a", "h3", "h4"}
)
_DIGITS_RE = re.compile(r"\d+")
# Words that name a list table's columns (besides the metadata labels).
_HEADER_WORDS = re.compile(
    r"序号|标题|名称|题名|文件名称|信息名称|主题|日期|时间|发布时间|备注|操作|下载|浏览"
)
_SKIP_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "option", "select", "head", "title"})
MIN_DATED_ITEMS = 2
MIN_TITLE_ITEMS = 3
MIN_TITLE_LENGTH = 10
LONG_TITLE_LENGTH = 14
LONG_BODY = 400  # characters of text outside links: a document body, not a list
MIN_MENU_COLUMNS = 2  # column links that make the menu they sit in a column menu


class PageKind(enum.StrEnum):
    NAVIGATION = "navigation"
    LIST = "list"
    DETAIL = "detail"


@dataclass(frozen=True)
class Item:
    """A link a list page's structure says leads to a document."""

    link: Link
    dated: bool  # its item carries a date: the strongest sign of a document list


@dataclass(frozen=True)
class Column:
    link: Link
    score: int


@dataclass
class Analysis:
    kind: PageKind
    items: list[Item] = field(default_factory=list)  # detail candidates, in page order
    columns: list[Column] = field(default_factory=list)  # navigation candidates, best first
    attachments: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # pager targets
    guessed_pages: list[str] = field(default_factory=list)  # pages between here and the last one
    links: list[Link] = field(default_factory=list)  # every link, for dialects and pagination
    body_text: int = 0  # characters outside links
    metadata_labels: int = 0


@dataclass
class _Block:
    items: list[tuple[Link, bool]] = field(default_factory=list)

    @property
    def dated(self) -> int:
        return sum(1 for _, dated in self.items if dated)

    def is_list(self) -> bool:
        n = len(self.items)
        if n >= MIN_DATED_ITEMS and self.dated * 2 >= n:
            return True
        lengths = [len(link.text) for link, _ in self.items]
        if n == 2:  # the last page of an undated list: only titles that read like documents
            return min(lengths) >= LONG_TITLE_LENGTH
        return n >= MIN_TITLE_ITEMS and median(lengths) >= MIN_TITLE_LENGTH


def analyze(
    root: Any,
    url: str,
    allowed_hosts: Iterable[str],
    *,
    extra_items: Sequence[Any] = (),
    detail_pattern: re.Pattern[str] | None = None,
) -> Analysis:
    """Analyse the lxml tree ``root`` of the page at ``url``.

    ``extra_items`` are lxml trees of items a platform dialect found outside the page's markup
    (Hanweb's ``<datastore>`` records): each is an item of one more list block.
    """
    hosts = set(allowed_hosts)
    blocks: dict[tuple[int, str], _Block] = {}
    # lxml hands out a new proxy object per access unless one is alive: every element whose id()
    # is used as a key is kept referenced here for the whole analysis.
    groups: dict[tuple[int, str], tuple[Any, list[Any]]] = {}
    all_links: list[Link] = []
    menus: dict[str, tuple[int, str]] = {}  # link URL -> the block of repeated siblings it sits in
    best: dict[int, tuple[Any, Link, tuple[int, str]]] = {}
    for a in root.iter("a") if hasattr(root, "iter") else ():
        link = anchors.link_of(a, url)
        if link is None:
            continue
        all_links.append(link)
        found = _item_of(a, groups)
        if found is not None:
            menus.setdefault(link.url, found[0])
        if found is None or anchors.is_attachment(link):
            continue
        # One main link per item: the anchor with the longest text (the title, not "[附件]" or a date).
        key, item = found
        current = best.get(id(item))
        if current is None or len(link.text) > len(current[1].text):
            best[id(item)] = (item, link, key)
    for item, link, key in best.values():
        blocks.setdefault(key, _Block()).items.append((link, bool(DATE_RE.search(_text(item)))))
    extra = _Block()
    for fragment in extra_items:
        for a in fragment.iter("a") if hasattr(fragment, "iter") else ():
            link = anchors.link_of(a, url)
            if link is None:
                continue
            all_links.append(link)
            if not anchors.is_attachment(link):
                extra.items.append((link, True))  # a record of the platform's own list
                break
    if extra.items:
        blocks[(0, "extra")] = extra

    list_blocks = [b for b in blocks.values() if b.is_list()]
    items: dict[str, Item] = {}
    for block in list_blocks:
        for link, dated in block.items:
            wanted = detail_pattern is None or bool(detail_pattern.search(link.url))
            if wanted and anchors.host_allowed(link.url, hosts) and _not_chrome(link):
                previous = items.get(link.url)
                items[link.url] = Item(link, dated or (previous.dated if previous else False))
    pages, guessed = paging.pager_links(all_links, url)
    pager = set(pages) | set(guessed)
    attachments: dict[str, None] = {}
    for link in all_links:
        if not anchors.host_allowed(link.url, hosts):
            continue
        if anchors.is_attachment(link):
            attachments[link.url] = None
        elif (
            link.url not in items
            and link.url not in pager
            and anchors.is_detail_url(link.url, detail_pattern)
        ):
            items[link.url] = Item(link, False)
    for page in pager:
        items.pop(page, None)
    columns = _columns(all_links, url, hosts, set(items) | pager, menus)
    body, labels = _body_text(root)
    analysis = Analysis(
        kind=PageKind.NAVIGATION,
        items=list(items.values()),
        columns=columns,
        attachments=list(attachments),
        pages=pages,
        guessed_pages=guessed,
        links=all_links,
        body_text=body,
        metadata_labels=labels,
    )
    analysis.kind = _kind(analysis, list_blocks)
    return analysis


def _kind(analysis: Analysis, list_blocks: list[_Block]) -> PageKind:
    sizes = sorted((len(b.items) for b in list_blocks), reverse=True)
    listed = sum(sizes)
    if analysis.metadata_labels >= 2 and (not sizes or sizes[0] < 10 or analysis.body_text >= LONG_BODY):
        return PageKind.DETAIL
    if analysis.pages or analysis.guessed_pages:
        return PageKind.LIST
    if sizes and sizes[0] >= 3 and sizes[0] * 10 >= listed * 6:
        if analysis.body_text >= LONG_BODY * 3:
            return PageKind.DETAIL
        return PageKind.LIST
    if not sizes and analysis.body_text >= LONG_BODY:
        return PageKind.DETAIL
    return PageKind.NAVIGATION


def item_shape(url: str) -> str:
    """What the links of one list's documents have in common: host, path with its numbers
    blanked, the names of the query parameters that are not session tokens.

    ``/xxgk/detail.jsp;jsessionid=…?id=531841`` -> ``h/xxgk/detail.jsp?id``;
    ``/news/2023/04/18/content_380738.html`` -> ``h/news/0/0/0/content_0.html``.
    """
    path = _DIGITS_RE.sub("0", anchors.bare_path(url))
    names = sorted({n.lower() for n in query_names(url) if not is_session_parameter(n)})
    query = "?" + "&".join(names) if names else ""
    return f"{anchors.host_of(url)}{path}{query}"


def items_of_shape(analysis: Analysis, shapes: set[str], allowed_hosts: Iterable[str]) -> list[Item]:
    """Links of ``analysis`` shaped like the documents earlier pages of the same list showed.

    The last page of a list may hold a single item: no repeated block to recognise it by, but
    its link has the shape of the items of the pages before it.
    """
    if not shapes:
        return []
    hosts = set(allowed_hosts)
    taken = {item.link.url for item in analysis.items} | set(analysis.pages) | set(analysis.guessed_pages)
    found: dict[str, Item] = {}
    for link in analysis.links:
        if link.url in taken or link.url in found or not anchors.host_allowed(link.url, hosts):
            continue
        if anchors.is_attachment(link) or not _not_chrome(link):
            continue
        if item_shape(link.url) in shapes:
            found[link.url] = Item(link, False)
    return list(found.values())


def looks_like_detail(analysis: Analysis) -> bool:
    """Whether a page reached as a possible document is one (rather than a list reached by mistake)."""
    if analysis.kind is PageKind.DETAIL:
        return True
    if analysis.metadata_labels >= 2 or analysis.body_text >= LONG_BODY:
        return True
    return not (analysis.kind is PageKind.LIST and sum(1 for i in analysis.items if i.dated) >= 3)


def _columns(
    links: list[Link], page_url: str, hosts: set[str], taken: set[str], menus: dict[str, tuple[int, str]]
) -> list[Column]:
    """Column links, best first: each scored by itself, then lifted by the menu it sits in.

    A menu whose entries are mostly columns is a column menu: an entry of it whose own anchor
    text and URL say nothing (人事信息 at ``/news/rsxx/list.html``) is a column by its place.
    """
    scored: dict[str, Column] = {}
    here = canonical_url(page_url)
    candidates: list[tuple[Link, int]] = []
    for link in links:
        if link.url in taken or canonical_url(link.url) == here or not anchors.host_allowed(link.url, hosts):
            continue
        if anchors.is_attachment(link):
            continue
        score = column_score(link)
        if score is not None:
            candidates.append((link, score))
    # Every link of a menu counts, chrome and all: a site's main bar (首页, 通知公告, 互动交流,
    # 联系我们) has a column or two among other things, a column menu has little else.
    sizes: dict[tuple[int, str], set[str]] = {}
    for link in links:
        if link.url in menus:
            sizes.setdefault(menus[link.url], set()).add(link.url)
    strong: dict[tuple[int, str], set[str]] = {}
    for link, score in candidates:
        menu = menus.get(link.url)
        if menu is not None and score >= 2:
            strong.setdefault(menu, set()).add(link.url)
    column_menus = {
        menu
        for menu, urls in strong.items()
        if len(urls) >= MIN_MENU_COLUMNS and len(urls) * 3 >= len(sizes[menu]) * 2
    }
    for link, own in candidates:
        score = max(own, 2) if menus.get(link.url) in column_menus else own
        if score >= 2 and (link.url not in scored or scored[link.url].score < score):
            scored[link.url] = Column(link, score)
    return sorted(scored.values(), key=lambda c: -c.score)


def column_score(link: Link) -> int | None:
    """How much a link looks like a column worth following: anchor text first, URL shape second.

    None for what is never a column (chrome, a detail page, a sentence-long text). The URL is
    judged without the parameters that only say who visits (``?sid=…``, ``;jsessionid=…``).
    """
    text = link.text.strip()
    if not text or NOT_COLUMN_WORDS.match(text) or len(text) > 30:
        return None
    if anchors.is_detail_url(link.url):
        return None
    url = canonical_url(link.url)
    score = 0
    if COLUMN_WORDS.search(text):
        score += 2
    if COLUMN_URL_SHAPES.search(url):
        score += 2
    elif COLUMN_URL_HINTS.search(urlsplit(url).path):
        score += 1
    return score


def _not_chrome(link: Link) -> bool:
    text = link.text.strip()
    return not (text and NOT_COLUMN_WORDS.match(text)) and text.lower() not in paging.PAGER_TEXTS


def _signature(element: Any) -> str:
    return str(element.tag)


def _item_of(
    a: Any, groups: dict[tuple[int, str], tuple[Any, list[Any]]]
) -> tuple[tuple[int, str], Any] | None:
    """(block key, item element): the nearest ancestor of ``a`` repeated among its siblings."""
    element = a
    for _ in range(6):
        parent = element.getparent()
        if parent is None:
            return None
        if isinstance(element.tag, str) and element.tag in _ITEM_TAGS:
            key = (id(parent), _signature(element))
            group = groups.get(key)
            if group is None:
                siblings = [
                    child
                    for child in parent
                    if isinstance(child.tag, str)
                    and _signature(child) == key[1]
                    and (child.tag == "a" or next(child.iter("a"), None) is not None)
                ]
                group = groups[key] = (parent, siblings)
            if len(group[1]) >= 2:
                return key, element
        element = parent
    return None


def _text(element: Any) -> str:
    return " ".join(_texts(element, skip_links=False))


def _texts(element: Any, *, skip_links: bool, skip: frozenset[int] = frozenset()) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if (
            tag in _SKIP_TEXT_TAGS
            or (skip_links and tag == "a")
            or not isinstance(node.tag, str)
            or id(node) in skip
        ):
            if node.tail and node.tail.strip():
                out.append(node.tail.strip())
            return
        if node.text and node.text.strip():
            out.append(node.text.strip())
        for child in node:
            walk(child)
        if node.tail and node.tail.strip():
            out.append(node.tail.strip())

    walk(element)
    return out


def _header_rows(root: Any) -> list[Any]:
    """Header rows of list tables (序号 | 标题 | 文号 | 发布日期): labels with no values.

    A metadata block pairs each label with its value; a list's header names its columns and
    nothing else, so its labels say nothing about the page being a document.
    """
    rows = []
    for tr in root.iter("tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("th", "td")]
        if len(cells) < 2:
            continue
        texts = [re.sub(r"[\s:：]+", "", c.text_content()) for c in cells]
        if any(_HEADER_WORDS.fullmatch(t) for t in texts) and all(
            not t or _HEADER_WORDS.fullmatch(t) or METADATA_LABELS.fullmatch(t) for t in texts
        ):
            rows.append(tr)
    return rows


def _body_text(root: Any) -> tuple[int, int]:
    """(characters of text outside links, distinct metadata labels) of the page."""
    if not hasattr(root, "iter"):
        return 0, 0
    body = root.find(".//body")
    scope = body if body is not None else root
    texts = _texts(scope, skip_links=True)
    headers = _header_rows(scope)  # kept referenced: their id()s are the skip keys
    labelled = _texts(scope, skip_links=True, skip=frozenset(id(r) for r in headers)) if headers else texts
    joined = "".join(DATE_RE.sub("", t) for t in texts)
    labels = {m.group(0).replace(" ", "") for m in METADATA_LABELS.finditer("".join(labelled))}
    return len(re.sub(r"\s+", "", joined)), len(labels)
