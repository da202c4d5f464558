"""The wording of Chinese policy targets: hedges, comparators, action verbs, qualitative predicates."""

from __future__ import annotations

import re


def _words(text: str) -> list[str]:
    return text.split()


# Words that frame a target without being part of what is measured.
_HEDGES = _words("其中 力争 力促 确保 努力 争取 推动 实现 全年 年内 今年 当年 全力 同时 持续 进一步 并")
# Verbs relating an indicator to its value; not part of the indicator.
_RELATIONAL = _words(
    "控制在 控制到 稳定在 保持在 维持在 提高到 提高至 提升到 提升至 "
    "增加到 增加至 降低到 降低至 下降到 下降至 减少到 减少至 降至 "
    "降到 压缩至 压缩到 缩短至 缩短到 增至 增长到 增长至 达到 突破 增长 增加 下降 降低 减少 "
    "提高 提升 保持 达 为"
)
# Verbs saying what is done; they stay in the indicator (新增企业 is not the stock of 企业).
_ACTIONS = _words(
    "布局建设 规划建设 建设认定 开工新建 开工建设 遴选实施 新开工 "
    "新引进 新认定 新备案 新改建 新增 净增 新建 开工 竣工 建成 完成 "
    "实施 建设 打造 开展 推广 开通 启动 培育 组建 引进 招引 认定 "
    "创建 创成 争创 举办 改造 发放 推出 组织 安排 招引落地"
)


# End-anchored regex alternations cost a full scan per call; these lookups by first or last
# character cost a dict hit and an ``endswith`` or two.
def _by_edge(words: list[str], edge: int) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        table.setdefault(word[edge], []).append(word)
    return {char: tuple(group) for char, group in table.items()}


_HEDGE_START = _by_edge(_HEDGES, 0)
_RELATIONAL_END = _by_edge(_RELATIONAL, -1)
_ACTION_START = _by_edge(_ACTIONS, 0)
_ACTION_END = _by_edge(_ACTIONS, -1)
# Adverbs between indicator and value that say nothing about what is measured.
_ADVERB_END = _by_edge(_words("共 均 平均 合计 累计 总计"), -1)
# "Compared with last year" phrases report a change, they are not a target's indicator.
COMPARISONS = ("较", "比", "同比", "环比")
# The base a change is measured against (一般公共预算收入比上年增长5%): not what is measured.
_BASELINE_END = re.compile(r"(?:比|较|同比|与)(?:上年|去年|上一年|(?:19|20)\d{2}年)(?:同期)?(?:相比)?$")


def baseline_end(text: str) -> str:
    """The "compared with last year" phrase ``text`` ends with (比上年, 较2023年 …), or ``""``."""
    if not text.endswith(("年", "期", "比")):
        return ""
    match = _BASELINE_END.search(text)
    return match.group() if match else ""


def leading(text: str, table: dict[str, tuple[str, ...]]) -> str:
    """The longest word of ``table`` that ``text`` starts with, or ``""``."""
    for word in table.get(text[:1], ()):
        if text.startswith(word):
            return word
    return ""


def trailing(text: str, table: dict[str, tuple[str, ...]]) -> str:
    """The longest word of ``table`` that ``text`` ends with, or ``""``."""
    for word in table.get(text[-1:], ()):
        if text.endswith(word):
            return word
    return ""


# The year and the territory a sentence opens with (2023年全镇技改投入): the frame, not the indicator.
_FRAME = re.compile(r"^(?:(?:(?:19|20)\d{2}年|去年|上年)[,，]?)?(?:全[市区县镇乡])?(?=..)")


def strip_hedges(text: str) -> str:
    """Drop framing words (其中, 力争, 确保, 2023年全市 …) and separators from the start of ``text``."""
    text = text.strip(" 、,，")
    while hedge := leading(text, _HEDGE_START):
        text = text[len(hedge) :].lstrip(",，")
    if text[:1] in "12全去上":
        text = _FRAME.sub("", text)
    return text


def relational_end(text: str) -> str:
    """The comparator verb ``text`` ends with (增长, 达到, 控制在 …), or ``""``."""
    return trailing(text, _RELATIONAL_END)


def action_start(text: str) -> str:
    return leading(text, _ACTION_START)


def action_end(text: str) -> str:
    return trailing(text, _ACTION_END)


def adverb_end(text: str) -> str:
    return trailing(text, _ADVERB_END)


def only_actions(text: str) -> bool:
    """True for text made of action verbs alone (实施改造, 新建、提升)."""
    if not text:
        return False
    while text:
        verb = leading(text, _ACTION_START)
        if not verb:
            return False
        text = text[len(verb) :].lstrip("、和")
    return True


def distributive_end(text: str) -> tuple[str, str, str]:
    """Split ``…分别达`` / ``…分别覆盖`` / ``…各`` into (head, 分别|各, verb)."""
    if text.endswith("各"):
        return text[:-1], "各", ""
    at = text.rfind("分别", max(len(text) - 5, 0))
    if at < 0:
        return text, "", ""
    verb = text[at + 2 :]
    if not verb or any(c in verb for c in "、,，"):
        return text, "", ""
    return text[:at], "分别", verb


# Nouns after a number that make it a document, plan or ordinal rather than a target.
BLOCK_AFTER = tuple(_words("方面 措施 举措 条例 意见 政策 规定 办法 周年 全会 会议 届 号"))
BLOCK_BEFORE = frozenset("第每届前")
CLOSERS = ")）”\"'」 "
CONNECTORS = ("或", "和", "及")
NUMBER_RE = re.compile(r"\d")
# Predicates of qualitative targets, anchored at the end of a target-list item.
QUALITATIVE_RE = re.compile(
    r"与[^,，;；]{1,12}?(?:基本)?同步$"
    r"|[“\"]?稳中(?:提质|有升|有进|向好|求进)[”\"]?$"
    r"|(?:确保)?完成(?:省|市|国家)?(?:下达|规定|确定)?的?(?:目标任务|目标|任务)$"
    r"|控制在[^,，;；]{1,12}?(?:范围内|以内|以下)$"
    r"|保持(?:基本)?(?:稳定|平稳|合理增长)$"
    r"|平稳向好$|基本稳定$"
    r"|(?:持续|稳步|明显|逐步)?(?:下降|改善|提升|向好|好转)$"
    r"|达到(?:省|市|国家)?定?的?(?:目标|标准|要求)$"
)
