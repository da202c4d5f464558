"""Section headings and target-list lead-ins of a policy text, as short comparable labels."""

from __future__ import annotations

import re

_CN_ORDINAL = "一二三四五六七八九十"
# (一)… / （一）… / 一、… at the start of a paragraph.
HEADING_RE = re.compile(
    rf"^\s*(?:[(（](?P<paren>[{_CN_ORDINAL}]{{1,3}})[)）]|(?P<comma>[{_CN_ORDINAL}]{{1,3}})、)\s*"
    r"(?P<title>[^,，。;；:：!！?？]{2,40})"
)
# A lead-in opens a list of targets: "主要预期目标:" / "重点计划目标是:" / "主要目标为:".
LEAD_IN_RE = re.compile(r"(?P<label>(?:主要|重点)?(?:预期|计划|发展)?(?:目标))(?:任务)?(?:是|为)?[:：]")


def heading_section(paragraph: str) -> str | None:
    """The short label of a numbered heading paragraph, e.g. ``(一)聚力稳定经济运行``."""
    if not paragraph:
        return None
    match = HEADING_RE.match(paragraph)
    if match is None:
        return None
    ordinal = match["paren"]
    marker = f"({ordinal})" if ordinal else f"{match['comma']}、"
    return marker + match["title"].strip()


def recovered_section(ordinal: str | None, title: str, current: str) -> str:
    """The label of a heading whose start was lost to misdecoding: ``(二)…产业集群发展新高地``.

    A numeral the bytes no longer hold is the one after the current section's (headings are
    numbered in order); the ``…`` says the title's first characters are missing.
    """
    if ordinal is None:
        match = HEADING_RE.match(current)
        previous = match["paren"] if match else None
        if previous and len(previous) == 1 and previous in _CN_ORDINAL[:-1]:
            ordinal = _CN_ORDINAL[_CN_ORDINAL.index(previous) + 1]
    marker = f"({ordinal})" if ordinal else ""
    return f"{marker}…{title}"


def lead_in(paragraph: str) -> re.Match[str] | None:
    """The lead-in of a target list inside ``paragraph`` (its ``label`` group and ``end()``)."""
    if "目标" not in paragraph:
        return None
    match = LEAD_IN_RE.search(paragraph)
    # "目标:" alone is too weak a signal; insist on a qualifying word before it.
    if match is None or match["label"] == "目标":
        return None
    return match
