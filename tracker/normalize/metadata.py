"""The metadata block (信息索引号, 发布机构 …): locate it, pair labels with values, map to fields."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml.etree import _Element as HtmlElement

from tracker.normalize.chrome import raw_lines

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
# Traditional spellings, so the block can be found before conversion.
_HINT = re.compile(
    r"索\s*引\s*[号號]|[发發]布机构|[發发]布機構|公[开開]日期|生成日期|[发發]文日期|成文日期|文件[编編][号號]"
    r"|[发發]文字[号號]|信息名[称稱]|[内內]容概述|公[开開]方式|公[开開]范[围圍]|[关關][键鍵][词詞]"
)
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
        if text and _HINT.search(text):
            hits.append(el)
        if tail and _HINT.search(tail):
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


def _pairs_from_table(block: HtmlElement, prepare: Prepare) -> list[tuple[str, str]]:
    rows = [[" ".join(raw_lines(c)) for c in row if c.tag in ("td", "th")] for row in block.iter("tr")]
    flat = iter(prepare([cell for row in rows for cell in row]))
    pairs: list[tuple[str, str]] = []
    for row in rows:
        cells = [next(flat) for _ in row]
        if len(cells) >= 2 and len(cells) % 2 == 0 and not any(_LABEL_VALUE.match(c) for c in cells[::2]):
            pairs.extend(zip(cells[::2], cells[1::2], strict=True))
        else:
            pairs.extend(_pairs_from_tokens([t for c in cells for t in c.split("|")]))
    return pairs


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
        if match:
            pairs.append((match["label"], match["value"]))
        elif _is_label(token) or (token.endswith((":", ":")) and _PLAIN_LABEL.match(token)):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt and not _is_label(nxt) and not _LABEL_VALUE.match(nxt):
                pairs.append((token, nxt))
                i += 1
            else:
                pairs.append((token, ""))
        i += 1
    return pairs


def pairs(block: HtmlElement, prepare: Prepare) -> list[tuple[str, str]]:
    """(label, value) pairs in block order; ``prepare`` repairs, cleans and simplifies text."""
    if block.tag == "table" or block.find(".//tr") is not None:
        return _pairs_from_table(block, prepare)
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
