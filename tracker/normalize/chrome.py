"""Page chrome: find the body container, drop navigation and volatile noise, yield its text lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from lxml.etree import _Element as HtmlElement

# Known body containers of the common portal platforms, most specific first.
CONTAINER_IDS = ("zoom", "Zoom", "UCAP-CONTENT", "zoomcon")
# (an element whose id is article_content is court.gov.cn's search button: not listed)
CONTAINER_CLASSES = (
    "TRS_Editor", "TRS_UEDITOR", "trs_editor_view", "wip_art_con", "txt_txt", "ivs_content",
    "Article_content", "main-txt", "article-con", "zoom", "pages_content", "wzcon",
)  # fmt: skip
_CLASS_SET = frozenset(CONTAINER_CLASSES)
DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "iframe", "form", "select", "option", "button", "input",
        "textarea", "nav", "header", "footer", "aside", "template", "svg", "object", "embed",
        "head", "title", "meta", "link", "img", "map", "area", "video", "audio", "canvas",
    }
)  # fmt: skip
BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "tbody", "thead", "h1", "h2", "h3",
        "h4", "h5", "h6", "section", "article", "blockquote", "pre", "dd", "dt", "dl", "center",
        "hr", "founder-content", "main", "body", "html", "td", "th", "caption",
    }
)  # fmt: skip
# class/id words of page chrome; matched as whole words of the attribute
_CHROME_WORDS = frozenset(
    {
        "nav", "navbar", "menu", "header", "footer", "foot", "breadcrumb", "crumb", "crumbs",
        "location", "position", "sidebar", "related", "share", "bdshare", "print", "qrcode",
        "ewm", "fontsize", "zihao", "toolbar", "tools", "copyright", "search", "login",
        "pagination", "topbar", "views", "clock", "article-tools", "article-info",
        # pinyin abbreviations Chinese templates use: 相关文章/链接/信息, 分享, 打印, 关闭
        "xgwz", "xglj", "xgxx", "xgwj", "fenxiang", "dayin", "guanbi", "bdsharebuttonbox",
        "share-box", "sharebox", "related-links", "relatedlinks",
    }
)  # fmt: skip
_WORD_SPLIT = re.compile(r"[\s_]+")
# Lines of chrome that sites put inside the body container. Only short lines qualify, so a
# content paragraph that happens to mention 版权 or 分享 is never dropped.
CHROME_LINE = re.compile(
    r"(?:浏览|访问|点击|阅读)(?:(?:次数|人次|量|数|率)\s*[::]?|[::])\s*\d|浏览次数|访问次数|点击次数|阅读次数"
    r"|【?字号[::]|[\[【]\s*字[体号]|文字大小|字体大小|字体[::]?\s*[\[【大]|[\[【(]\s*大\s*中\s*小\s*[\]】)]"
    r"|打印本页|打印此页|关闭窗口|[\[【]\s*(?:打印|关闭|收藏|纠错|返回顶部)\s*[\]】]|扫一扫|手机扫码|扫码(?:阅读|查看|打开)|分享到|分享[::]"
    r"|当前位置[::]|当前时间|今天是|^(?:上|下)一(?:篇|条)[::]|ICP备|公网安备|公安备案"
    r"|网站标识码|版权所有|网站地图|显示全部表格信息|^相关(?:文章|链接|阅读|新闻|信息)|分享至"
    r"|^(?:[\[【]?(?:打印|关闭|收藏|返回|顶部|纠错|分享)[\]】]?[|/]?)+$"
)
CHROME_LINE_MAX = 80
# A serving-time clock alone on its line: 2026-11-21 09:30:00, 2026年11月21日 星期六 09:30 …
_CLOCK_LINE = re.compile(
    r"^\d{4}(?:[-/.]|年)\d{1,2}(?:[-/.]|月)\d{1,2}日?\s*"
    r"(?:(?:星期|周)[一二三四五六日天]\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?\s*(?:(?:星期|周)[一二三四五六日天])?)$"
)


def is_chrome(el: HtmlElement) -> bool:
    if el.tag in DROP_TAGS:
        return True
    attrs = f"{el.get('class', '')} {el.get('id', '')}".strip()
    if not attrs:
        return False
    words = set(_WORD_SPLIT.split(attrs.lower()))
    return not words.isdisjoint(_CHROME_WORDS)


def known_container(root: HtmlElement) -> HtmlElement | None:
    """The body container of a known portal platform, if the page has one."""
    # A Python pass over the elements beats one XPath with a predicate per selector.
    best: tuple[int, HtmlElement] | None = None
    for el in root.iter(etree.Element):
        if el.get("id") in CONTAINER_IDS:
            return el
        classes = el.get("class")
        if classes and not _CLASS_SET.isdisjoint(classes.split()):
            rank = min(CONTAINER_CLASSES.index(c) for c in classes.split() if c in _CLASS_SET)
            if best is None or rank < best[0]:
                best = (rank, el)
    return best[1] if best else None


def densest(root: HtmlElement, exclude: HtmlElement | None = None) -> HtmlElement | None:
    """The element whose direct paragraph children carry the most text (outside ``exclude``)."""
    scores: dict[HtmlElement, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len("".join(p.itertext()).strip())
    if not scores:
        for el in root.iter("div", "td", "article", "section", "body"):
            direct = len((el.text or "").strip()) + sum(len((c.tail or "").strip()) for c in el)
            if direct:
                scores[el] = direct
    for el, _ in sorted(scores.items(), key=lambda kv: -kv[1]):
        lineage = (el, *el.iterancestors())
        if exclude is not None and exclude in lineage:
            continue
        if not any(is_chrome(a) for a in lineage):
            return el
    return None


# Block boundaries; never in parsed text (libxml2 turns NUL into U+FFFD), unlike the source's newlines,
# which are mere wrapping inside a paragraph.
_BREAK = "\x00"


def _walk(el: HtmlElement, out: list[str]) -> None:
    tag = el.tag
    if not isinstance(tag, str) or is_chrome(el):  # comments, processing instructions, chrome
        if el.tail:
            out.append(el.tail)
        return
    block = tag in BLOCK_TAGS
    if block:
        out.append(_BREAK)
    if el.text:
        out.append(el.text)
    for child in el:
        _walk(child, out)
    if block:
        out.append(_BREAK)
    if el.tail:
        out.append(el.tail)


def raw_lines(el: HtmlElement) -> list[str]:
    """Text lines of an element (block boundaries become line breaks), chrome elements skipped."""
    out: list[str] = [_BREAK]
    if el.text:
        out.append(el.text)
    for child in el:
        _walk(child, out)
    return [line.strip() for line in "".join(out).split(_BREAK) if line and not line.isspace()]


def is_chrome_line(line: str) -> bool:
    """A serving-time clock, or a short fragment of page furniture (字号, 打印本页, 分享到 …).

    A sentence is never chrome for a word it contains (推动发展成果分享到每一户家庭。), nor is a
    numbered heading: only lines that read as labels and buttons qualify.
    """
    if _CLOCK_LINE.match(line):
        return True
    if len(line) > CHROME_LINE_MAX or _SENTENCE_MARK.search(line) or _NUMBERED.match(line):
        return False
    return CHROME_LINE.search(line) is not None


# -- the body as structure tells it ------------------------------------------------------------

_SENTENCE_MARK = re.compile(r"[。!?;！？；]|[,，][^,，]*[\u4e00-\u9fff]{4}")
_NUMBERED = re.compile(r"^\s*(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)")
# Files a page offers; a link to one is content (an attachment-only page is all such links).
_FILE_HREF = re.compile(
    r"(?i)\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|txt|pptx?|jpe?g|png|gif|mp4|mp3)(?:$|[?#])"
)
_MEDIA_TAGS = frozenset({"video", "audio", "embed", "object", "iframe"})
# A stylesheet rule or a script call that a template wrote as text: syntax, not prose.
_CODE_LINE = re.compile(
    r"^(?:[A-Za-z0-9_\-\s,>:*\[\]=\"'.#@]*\{[^{}]*\}\s*)+$"
    r"|^[A-Za-z_$][A-Za-z0-9_$]*(?:\s*\.\s*[A-Za-z_$][A-Za-z0-9_$]*)*\s*\([^()]*\)\s*;?$"
)
# The heading of a link list that ends a page: 相关阅读, 相关链接, 网站导航, 热点推荐 …
_LIST_HEADING = re.compile(r"相关|导航|推荐|热点|阅读|链接|专题|栏目|登录|注册|更多|友情")
_LINKY = 0.6  # share of a line's text in links that makes it a navigation line
_LABEL_MAX = 12  # a list's own heading (相关阅读, 网站导航) is at most this long


def _link_kind(a: HtmlElement) -> str:
    href = (a.get("href") or "").strip()
    if href and _FILE_HREF.search(href):
        return "file"
    return "link"


def _walk_body(el: HtmlElement, out: list[str], links: list[int], state: list[bool | None]) -> None:
    """Like ``_walk``, also counting per chunk the characters of links to other pages (``links``),
    and reading only between ContentStart/ContentEnd markers when ``state[0]`` is not None."""
    tag = el.tag
    if tag == "meta" and state[0] is not None:
        name = el.get("name")
        if name == "ContentStart":
            state[0] = True
        elif name == "ContentEnd":
            state[0] = False
    if not isinstance(tag, str) or is_chrome(el):
        if el.tail and state[0] is not False:
            out.append(el.tail)
            links.append(0)
        return
    reading = state[0] is not False
    block = tag in BLOCK_TAGS
    if block:
        out.append(_BREAK)
        links.append(0)
    start = len(out)
    if el.text and reading:
        out.append(el.text)
        links.append(0)
    for child in el:
        _walk_body(child, out, links, state)
    if tag == "a" and _link_kind(el) == "link":
        for n in range(start, len(out)):
            if out[n] is not _BREAK:
                links[n] = len(out[n].strip())
    if block:
        out.append(_BREAK)
        links.append(0)
    if el.tail and state[0] is not False:
        out.append(el.tail)
        links.append(0)


def marked_container(root: HtmlElement) -> HtmlElement | None:
    """The nearest element holding both ContentStart and ContentEnd markers, if the page has them."""
    start = end = None
    for meta in root.iter("meta"):
        name = meta.get("name")
        if name == "ContentStart" and start is None and meta.getparent() is not None:
            if meta.getparent().tag != "head":
                start = meta
        elif name == "ContentEnd" and start is not None:
            end = meta
            break
    if start is None or end is None:
        return None
    lineage = set(start.iterancestors())
    return next((a for a in end.iterancestors() if a in lineage), None)


def body_lines(el: HtmlElement, marked: bool = False) -> list[str]:
    """Text lines of the body in ``el``, chrome left out by structure and position.

    Chrome elements (by tag, class or id) are skipped; with ``marked``, only what stands
    between the ContentStart and ContentEnd markers is read. Then, by position: the trailing
    run of navigation lines (mostly link text: site menus, login, related-reading lists with
    their heading, print and share buttons) is cut. Links to files are content, never chrome.
    """
    out: list[str] = [_BREAK]
    links: list[int] = [0]
    state: list[bool | None] = [False if marked else None]
    if el.text and not marked:
        out.append(el.text)
        links.append(0)
    for child in el:
        _walk_body(child, out, links, state)
    lines: list[tuple[str, bool]] = []
    text: list[str] = []
    linked = 0
    for chunk, count in zip(out, links, strict=True):
        if chunk is _BREAK:
            _close(text, linked, lines)
            text, linked = [], 0
        else:
            text.append(chunk)
            linked += count
    _close(text, linked, lines)
    return _trim_tail(lines)


def _close(text: list[str], linked: int, lines: list[tuple[str, bool]]) -> None:
    line = "".join(text).strip()
    if not line:
        return
    if _CODE_LINE.match(line):
        return
    size = len(line) - line.count(" ")  # lines are cleaned later: spaces are the whitespace left
    lines.append((line, linked >= _LINKY * size and not _SENTENCE_MARK.search(line)))


def _trim_tail(lines: list[tuple[str, bool]]) -> list[str]:
    """Cut the trailing run of navigation: link lines, furniture lines, and the short heading of
    a link list (相关阅读) when what follows it was cut."""
    end = len(lines)
    cut_links = False
    while end > 0:
        line, linky = lines[end - 1]
        if linky:
            cut_links = True
        elif not (
            is_chrome_line(line)
            or (
                cut_links
                and len(line) <= _LABEL_MAX
                and _LIST_HEADING.search(line) is not None
                and not _SENTENCE_MARK.search(line)
            )
        ):
            break
        end -= 1
    return [line for line, _ in lines[:end]]


def has_attachments(el: HtmlElement) -> bool:
    """Whether ``el`` offers files or media (an attachment-only or video page)."""
    return any(_link_kind(a) == "file" for a in el.iter("a")) or any(
        child.tag in _MEDIA_TAGS for child in el.iter()
    )


_LEAD_END = re.compile(r"[。,;:!?]")
_ECHO_TAIL = 30  # characters of a paragraph's end that identify the paragraph it may echo
_ECHO_LEAD = 20  # at most this much new text before an echo


def _echoes(paragraph: str, earlier: str) -> bool:
    """True when ``paragraph`` is ``earlier``'s text (from some clause on) behind a short lead
    that states no number (a lead with a quantity may be a target of its own: keep it)."""
    for match in _LEAD_END.finditer(paragraph, 0, _ECHO_LEAD + 1):
        if any(c.isdigit() for c in paragraph[: match.end()]):
            return False
        if paragraph[match.end() :] in earlier:
            return True
    return False


def drop_repeats(paragraphs: Iterable[str], min_len: int = 20) -> list[str]:
    """Drop later copies of a long paragraph (print captures loop and repeat whole paragraphs),
    and later echoes of one: a corrupted capture looping back into an earlier paragraph repeats
    its text, ending included, behind a few words of its own."""
    seen: set[str] = set()
    endings: dict[str, str] = {}
    kept: list[str] = []
    for p in paragraphs:
        if len(p) >= min_len:
            if p in seen:
                continue
            earlier = endings.get(p[-_ECHO_TAIL:]) if len(p) >= 2 * _ECHO_TAIL else None
            if earlier is not None and _echoes(p, earlier):
                continue
            seen.add(p)
            endings.setdefault(p[-_ECHO_TAIL:], p)
        kept.append(p)
    return kept
