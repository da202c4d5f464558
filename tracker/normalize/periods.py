"""Which sentences of a plan speak of the past: figures there are results, not commitments.

Work plans and government work reports open with a review of the year before
(``过去一年，全区地区生产总值增长8.5%``) and only then state what they commit to
(``新的一年…主要预期目标``). ``past_segments(paragraphs)`` marks, per paragraph, where
sentences about the past start and stop. The rules read the plan's own structure:

- a *review opening*: when the text speaks of the past (过去一年, 一年来, 去年, 2023年全市 …,
  “十三五”期间, a 回顾 heading) before it first announces the plan (新的一年, 今年, 2024年是,
  a target list, a heading with 安排 / 目标 / 任务 …), everything before that announcement is
  review, the unmarked paragraphs too (a report's review runs over many sub-sections);
- a *review heading* (…工作回顾, …完成情况) makes the section under it review until the next
  heading of the same or a higher level, or one that announces the plan;
- after the plan is announced, a sentence that starts with a past marker is review up to the
  end of its paragraph, or to a sentence that turns to the plan again (今年, 力争 …).

A year counts as past when it is earlier than the plan's year (the latest year a sentence
starts with or a heading or the title names); before the plan is announced, a sentence
naming even the latest year is review when it states no plan (a plan announced as 今年
reviews the year it names).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.normalize.sections import HEADING_RE, lead_in

_SENTENCE_END = frozenset("。!！?？")
_YEAR = r"(?:19|20)\d{2}"
# Openings of a sentence part that look back.
_PAST = (
    r"(?:回望|回顾|过去的?|刚刚过去的)?(?:[一两三五]|\d)年(?:来|里|间)"
    r"|(?:回望|回顾)?过去的?(?:一|两|三|五|\d)?年"
    r"|(?:回望|回顾)"
    r"|去年|上年|上一年|前一年"
    r"|[“\"]?十[一二三四]五[”\"]?(?:期间|时期|以来)"
    rf"|(?P<past_year>{_YEAR})年(?:以来|[,，]?(?:全[市区县省镇]|我[市区县省镇]"
    r"|[^,，。]{0,12}?(?:完成|实现|累计|共|新增|达到|增长)))"
)
# Openings of a sentence part that turn to the plan.
_PLAN = (
    r"新的一年|今年|明年|下一步|展望|未来(?:一|五|三)年|[“\"]?十[四五六]五[”\"]?(?:期间|时期)"
    r"|力争|确保|计划|预计"
    rf"|(?P<plan_year>{_YEAR})年(?:是|[,，]|全[市区县省镇]|我[市区县省镇]|工作|政府|经济|主要|的|国民|重点|将)"
)
# Either, at the start of a sentence part (a turn happens at a comma or a sentence end), after
# an address such as 各位代表!.
_MARKER = re.compile(rf"(?:(?:各位代表|同志们)[!！,，:：]?)?(?:(?P<past>{_PAST})|(?P<plan>{_PLAN}))")
# What such an opening can start with: most sentence parts are ruled out by one set lookup.
_MARKER_FIRST = frozenset('各同回过刚去上前一两三五十“"新今明下展未力确计预0123456789')
_PART_END_RUN = re.compile(r"[。!！?？,，;；]+\s*")
_PLAN_START = re.compile(_PLAN)
_PART_END = re.compile(r"[。!！?？,，;；]")
_SENTENCE_STOP = re.compile(r"[。!！?？]")
# Words of a sentence that commits rather than reports.
_STATES_PLAN = re.compile(r"目标[是为:：]|预期目标|力争|计划|确保|我们将|将着力")
_REVIEW_HEADING = re.compile(
    r"回顾|成就|成效|执行情况|完成情况|工作总结|取得的?(?:成绩|进展)|过去一年|一年来|年来"
)
_PLAN_HEADING = re.compile(r"安排|目标|任务|思路|计划|打算|要求|展望|要点|举措|今年|新的一年")
_YEAR_AT = re.compile(rf"({_YEAR})年")
_HEADING_MAX = 40

Segments = list[tuple[int, bool]]  # (offset where a run starts, whether the run is about the past)


_ANY_YEAR = re.compile(rf"(?<![到至])({_YEAR})年(?![底末前]|远景)")


def _plan_year(
    paragraphs: Sequence[str], headings: Sequence[tuple[str, int] | None], title: str = ""
) -> int | None:
    """The year the plan is for: the latest year a sentence starts with or a heading names
    (reviews look back; 到2035年 and 2035年远景 look further than the plan)."""
    years = [
        int(m.group(1))
        for p in paragraphs
        for m in _YEAR_AT.finditer(p)
        if m.start() == 0 or p[m.start() - 1] in _SENTENCE_END
    ]
    named = [p for p, h in zip(paragraphs, headings, strict=True) if h] + ([title] if _heading(title) else [])
    years += [int(m.group(1)) for p in named for m in _ANY_YEAR.finditer(p)]
    return max(years) if years else None


def _year_ok(year: str | None, plan_year: int | None, past: bool) -> bool:
    if year is None or plan_year is None:
        return True
    return int(year) < plan_year if past else int(year) >= plan_year


def _sentence_end(paragraph: str, start: int) -> int:
    end = _SENTENCE_STOP.search(paragraph, start)
    return end.end() if end else len(paragraph)


def _events(paragraph: str, plan_year: int | None, opening: bool) -> list[tuple[int, str]]:
    """(offset, "past" | "plan" | "lead") of every sentence part that looks back or turns to the plan."""
    events: list[tuple[int, str]] = []
    starts = [0, *(m.end() for m in _PART_END_RUN.finditer(paragraph))]
    for start in starts:
        if start >= len(paragraph) or paragraph[start] not in _MARKER_FIRST:
            continue
        match = _MARKER.match(paragraph, start)
        if match is None:
            continue
        if match["past"] is not None:
            year = match["past_year"]
            if _year_ok(year, plan_year, past=True) or (
                # The latest year named, before the plan is announced, in a sentence that states
                # no plan: a plan announced as 今年 reviews the year it names.
                opening
                and year is not None
                and not _STATES_PLAN.search(paragraph, start, _sentence_end(paragraph, start))
            ):
                events.append((start, "past"))
                continue
            plan = _PLAN_START.match(paragraph, match.start("past"))  # 2024年，全市… in a 2024 plan
            if plan is not None and _year_ok(plan["plan_year"], plan_year, past=False):
                events.append((start, "plan"))
        elif _year_ok(match["plan_year"], plan_year, past=False):
            events.append((start, "plan"))
    lead = lead_in(paragraph)
    if lead is not None:
        cut = max((m.end() for m in _PART_END.finditer(paragraph, 0, lead.start())), default=0)
        events.append((cut, "lead"))
        events.sort()
    return events


def _heading(paragraph: str) -> tuple[str, int] | None:
    """(title, level) of a heading paragraph: 1 for 一、, 2 for (一), 0 for an unnumbered line."""
    match = HEADING_RE.match(paragraph)
    if match is not None:
        return match["title"], 1 if match["comma"] else 2
    if len(paragraph) <= _HEADING_MAX and not re.search(r"[。,，;；!！?？]", paragraph):
        return paragraph, 0
    return None


def past_segments(paragraphs: Sequence[str], title: str = "") -> list[Segments]:
    """Per paragraph, the runs of text about the past and about the plan, in order.

    An empty list means the whole paragraph is about the plan. The page's ``title`` may name
    the plan's year (2025年政府工作报告).
    """
    headings = [_heading(p) for p in paragraphs]
    plan_year = _plan_year(paragraphs, headings, title)
    out: list[Segments] = []
    announced = False  # has the plan been announced yet?
    opening_past = False
    review_level: int | None = None  # level of the review heading whose section we are in
    for paragraph, heading in zip(paragraphs, headings, strict=True):
        segments: Segments = []
        if heading is not None:
            title, level = heading
            if _REVIEW_HEADING.search(title) and not _PLAN_HEADING.search(title):
                review_level = level
                if not announced:
                    opening_past = True
            elif review_level is not None and (
                _PLAN_HEADING.search(title) or (level and (review_level == 0 or level <= review_level))
            ):
                review_level = None
                announced = announced or bool(_PLAN_HEADING.search(title))
        past = review_level is not None
        if past:
            segments.append((0, True))
        for start, kind in _events(paragraph, plan_year, not announced):
            if kind == "past":
                past = True
                if not announced:
                    opening_past = True
            elif kind == "lead" or past or start == 0 or paragraph[start - 1] in _SENTENCE_END:
                past = review_level is not None and kind != "lead"
                if not past and not announced:
                    announced = True
                    out, segments = _settle(out, segments, opening_past)
            if not segments or segments[-1][1] != past:
                if segments and segments[-1][0] == start:
                    segments[-1] = (start, past)
                else:
                    segments.append((start, past))
        out.append(segments if any(flag for _, flag in segments) else [])
    return out


def _settle(out: list[Segments], current: Segments, opening_past: bool) -> tuple[list[Segments], Segments]:
    """The plan is announced now: when the opening spoke of the past, all of it is review."""
    if not opening_past:
        return out, current
    return [[(0, True)] for _ in out], [(0, True)]


def is_past(segments: Segments, offset: int) -> bool:
    """Whether the text at ``offset`` of a paragraph with these segments is about the past."""
    past = False
    for start, flag in segments:
        if start > offset:
            break
        past = flag
    return past
