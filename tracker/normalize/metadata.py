"""The metadata block (信息索引号, 发布机构 …): locate it, pair labels with values, map to fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree
from lxml.etree import _Element as HtmlElement

from tracker.normalize.chrome import raw_lines

if TYPE_CHECKING:
    from bs4 import Tag

# simplified label (spaces removed) -> canonical field
LABELS: dict[str, str] = {
    **dict.fromkeys(["信息索引号", "索引号", "索取号", "信息索引"], "index_no"),
    **dict.fromkeys(["信息名称", "标题", "名称", "文件名称", "信息标题"], "title"),
    **dict.fromkeys(["发布机构", "发文机关", "发布单位", "发文单位", "制发机关", "发布机关"], "publisher"),
    **dict.fromkeys(["文件编号", "发文字号", "文号", "文件文号", "发文文号"], "doc_number"),
    **dict.fromkeys(["发文日期", "成文日期", "生成日期", "印发日期", "制发日期"], "issued_date"),
    **dict.fromkeys(["公开日期", "发布日期", "发布时间"], "published_date"),
    **dict.fromkeys(
        ["主题分类", "信息分类", "分类", "主题", "法定主动公开分类", "公开类别", "组配分类", "所属类别"],
        "category",
    ),
    **dict.fromkeys(["关键词", "主题词", "关键字"], "keywords"),
    **dict.fromkeys(
        ["有效性", "效力状况", "效力状态", "时效", "时效性", "有效期", "是否有效", "废止日期"], "validity"
    ),
    "公开方式": "disclosure_mode",
    "公开范围": "disclosure_scope",
    "公开时限": "disclosure_term",
    **dict.fromkeys(["内容概述", "内容摘要", "摘要", "概述", "内容概要"], "summary"),
}
# Labels whose "value" is a link, a control or a counter, never document metadata.
IGNORED = frozenset(
    {
        "文件下载",
        "附件下载",
        "附件",
        "浏览次数",
        "访问次数",
        "点击次数",
        "阅读次数",
        "字号",
        "文字大小",
        "今天是",
    }
)
# Labels distinctive enough to find the block by (标题, 分类 … also head ordinary paragraphs).
_HINT_LABELS = sorted({label for label in LABELS if len(label) >= 3} | {"文号"}, key=len, reverse=True)


# The traditional forms of the labels' characters (OpenCC s2t, written out: loading a converter
# at start-up would delay a crawl's first recorded page).
_TRADITIONAL = str.maketrans(
    "关内况别动单发号围属废开态时机构标状称类组编范词键间题",
    "關內況別動單發號圍屬廢開態時機構標狀稱類組編範詞鍵間題",
)


def _hint_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Every distinctive label, in simplified or traditional characters, with any spacing
    between its characters (索　引　号), so the block is found before the text is converted;
    and the class of the characters labels end with, a one-class scan that rules most text
    nodes out before the long alternation runs."""
    alternatives: list[str] = []
    endings: set[str] = set()
    for label in _HINT_LABELS:
        variant = label.translate(_TRADITIONAL)
        chars = [f"[{c}{v}]" if v != c else c for c, v in zip(label, variant, strict=True)]
        alternatives.append(r"\s*".join(chars))
        endings.update((label[-1], variant[-1]))
    return re.compile("|".join(alternatives)), re.compile("[" + "".join(sorted(endings)) + "]")


_HINT, _HINT_END = _hint_patterns()


def _hinted(text: str) -> bool:
    return _HINT_END.search(text) is not None and _HINT.search(text) is not None


_PLACEHOLDER = re.compile(r"^[\s—–\-_/\\.·、无]*$")
_PLACEHOLDER_EXACT = frozenset({"", "—", "— —", "--", "-", "/", "无"})
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_LABEL_VALUE = re.compile(r"^(?P<label>[^\d::|]{1,16}?)\s*[::]\s*(?P<value>.*)$")
_PLAIN_LABEL = re.compile(r"^[^\d::|]{1,16}?[::]?$")
Prepare = Callable[[list[str]], list[str]]


def find_block(root: HtmlElement, container: HtmlElement | None) -> HtmlElement | None:
    """The smallest element holding (nearly) all metadata labels outside the body container."""
    hits: list[HtmlElement] = []
    inside = set(container.iter()) if container is not None else set()
    for el in root.iter():
        if el in inside:
            continue
        text, tail = el.text, el.tail
        if text and _hinted(text):
            hits.append(el)
        if tail and _hinted(tail):
            parent = el.getparent()
            if parent is not None and parent not in inside:
                hits.append(parent)
    if len(hits) < 2:
        return None
    counts: dict[HtmlElement, int] = {}
    depth: dict[HtmlElement, int] = {}
    for hit in hits:
        chain = [hit, *hit.iterancestors()]
        for level, el in enumerate(reversed(chain)):
            counts[el] = counts.get(el, 0) + 1
            depth[el] = level
    best = max(counts.values())
    candidates = [el for el, n in counts.items() if n >= 0.8 * best]
    block = max(candidates, key=lambda el: depth[el])
    if container is not None and container in block.iterdescendants():
        return None
    return block


def _cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text("\n").split())


def _grid(soup: Tag) -> list[list[str]] | None:
    """Rows of label and value cells: leaf ``<tr>`` rows (a row holding a nested table is a
    frame, not data) of ``<th>``/``<td>`` cells, or ``<dt>``/``<dd>`` pairs of a ``<dl>``."""
    rows = [
        [_cell_text(c) for c in tr.find_all(("td", "th"), recursive=False)]
        for tr in soup.find_all("tr")
        if tr.find("tr") is None
    ]
    rows = [row for row in rows if any(row)]
    if rows:
        return rows
    terms = soup.find_all("dt")
    if not terms:
        return None
    grid = []
    for term in terms:
        definition = term.find_next_sibling(("dd", "dt"))
        value = _cell_text(definition) if definition is not None and definition.name == "dd" else ""
        grid.append([_cell_text(term), value])
    return grid


def _pairs_from_grid(grid: list[list[str]], prepare: Prepare) -> list[tuple[str, str]]:
    flat = iter(prepare([cell for row in grid for cell in row]))
    pairs: list[tuple[str, str]] = []
    for row in grid:
        cells = [next(flat) for _ in row]
        labels = cells[::2]
        if len(cells) >= 2 and len(cells) % 2 == 0 and all(_is_label_cell(c) for c in labels):
            pairs.extend(zip(labels, cells[1::2], strict=True))  # to_fields drops the colons
        else:
            pairs.extend(_pairs_from_tokens([t for c in cells for t in c.split("|")]))
    return pairs


def _is_label_cell(cell: str) -> bool:
    """A cell that is a label alone (发文字号, 发文字号:), not ``label:value`` in one cell."""
    match = _LABEL_VALUE.match(cell)
    return match is None or not match["value"].strip()


def _is_label(token: str) -> bool:
    return _norm_label(token) in LABELS or _norm_label(token) in IGNORED


def _norm_label(label: str) -> str:
    return re.sub(r"[\s::]", "", label)


def _pairs_from_tokens(tokens: list[str]) -> list[tuple[str, str]]:
    tokens = [t.strip() for t in tokens if t.strip()]
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        match = _LABEL_VALUE.match(token)
        if match and match["value"].strip():
            pairs.append((match["label"], match["value"]))
        elif match or _is_label(token) or (token.endswith((":", ":")) and _PLAIN_LABEL.match(token)):
            # a label alone (发文字号 or 发文字号:): its value is the next token, unless that is a label
            label = match["label"] if match else token
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt and not _is_label(nxt) and not _LABEL_VALUE.match(nxt):
                pairs.append((label, nxt))
                i += 1
            else:
                pairs.append((label, ""))
        i += 1
    return pairs


def pairs(block: HtmlElement, prepare: Prepare) -> list[tuple[str, str]]:
    """(label, value) pairs in block order; ``prepare`` repairs, cleans and simplifies text.

    The block is small and its layouts many (table cells, ``<th>``, ``<dl>``, ``<li><span>``,
    ``<b>label:</b>`` cells, pipe rows, alternating lines): BeautifulSoup reads its structure.
    Comments are gone already (the page parser drops them), so a value wrapped in template
    comments reads as its text and a commented-out cell is never read.
    """
    if block.find(".//tr") is None and block.find(".//dt") is None:
        # rows of text (pipe rows, label:value items, alternating lines): no structure to read
        return _pairs_from_tokens([t for line in prepare(raw_lines(block)) for t in line.split("|")])
    from bs4 import BeautifulSoup  # its import costs a crawl's start-up: only pages with a table pay

    soup = BeautifulSoup(etree.tostring(block, encoding="unicode", method="html"), "lxml")
    for code in soup.find_all(("script", "style", "noscript")):
        code.decompose()
    grid = _grid(soup)
    if grid is not None:
        return _pairs_from_grid(grid, prepare)
    return _pairs_from_tokens([t for line in prepare(raw_lines(block)) for t in line.split("|")])


def iso_date(value: str) -> str | None:
    match = _DATE.search(value)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def to_fields(labelled: list[tuple[str, str]]) -> dict[str, str]:
    """Map (label, value) pairs to canonical fields; unknown labels keep their own name."""
    fields: dict[str, str] = {}
    for label, raw_value in labelled:
        value = raw_value.strip()
        name = _norm_label(label)
        if not name or name in IGNORED:
            continue
        value = "" if value in _PLACEHOLDER_EXACT or _PLACEHOLDER.match(value) else value
        key = LABELS.get(name, name)
        # Every date field reads ISO, known (发文日期) or not (生效日期, 施行时间).
        if key.endswith("_date") or name.endswith(("日期", "时间")):
            date = iso_date(value)
            if name == "废止日期" and date is not None:
                key = "repeal_date"
            value = date or value
        if key in fields:
            key = name  # a second label for the same field keeps its own name
        if key not in fields:
            fields[key] = value
    return fields
