"""Quantitative and qualitative targets of a policy text, keyed so a target is recognised across versions.

``extract_targets(paragraphs)`` reads body paragraphs (simplified Chinese, in document order)
and returns ``{key: {"indicator", "value", "value_max", "unit", "qualifier", "comparator",
"text", "section"}}`` in document order.

Key scheme: ``"{section}/{indicator}"``, plus ``"[{unit}]"`` for quantitative targets, plus
``"#n"`` for the n-th (n >= 2) target with that same base key in the page. ``section`` is the
short label of the nearest heading (``(一)聚力稳定经济运行``, ``一、聚焦产业强区不动摇``) or
the lead-in of a target list (``主要预期目标``), ``""`` before any; a heading kept as captured
because misdecoding garbled its start is labelled with what its bytes still tell
(``(二)…产业集群发展新高地``). The key holds neither the
value nor the qualifier nor the comparator, and the unit is the unit as written
(``4,550亿元``, ``4550亿元`` and ``四千五百五十亿元`` are all value 4550, unit ``亿元``), so a
new value, a new qualifier (左右 → 以上) or a rewritten number keeps the key. Repeated
indicators are told apart by document order, never by value.

What counts as a target:
- inside a target list (the sentence after ``主要预期目标:`` and the like) every item, with
  ``value: None`` and its predicate as ``comparator`` when it carries no quantity;
- elsewhere only a quantity with a unit that ends a sentence part (``新增规上工业企业500家以上``)
  or follows an action verb directly (``实施20个年度重点场景``). Quantities inside quotes, after
  第/每/届, or naming a document (``12条措施``) or a plan (``九个方面``) are not targets, and a
  number without a unit (``2024年``, ``十四五``, ``三年行动``) never is.
- a quantity followed by more words (``超10亿元项目80个``) is part of the indicator.

Lists: ``A、B分别达X、Y`` and ``A、B各N`` give one target per item; ``超30亿元或3亿美元`` at the
end of a part gives two targets (same indicator, two units); a ``其中`` part or a bare verb
(``竣工100个``) borrows what it counts from the part before. Values are ``int`` when integral,
else ``float``; 万/亿 written before the unit stay in the unit (``13万人`` → 13, ``万人``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracker.normalize.clauses import Target, scan_clause, scan_list_item
from tracker.normalize.numbers import find_quantities
from tracker.normalize.periods import Segments, is_past, past_segments
from tracker.normalize.sections import heading_section, lead_in, recovered_section
from tracker.normalize.units import canonical

_SENTENCE_END_RE = re.compile(r"[。!！?？]")
# A comma between a digit and exactly three digits is a thousands separator (4,550), not a clause break.
_CLAUSE_SEP_RE = re.compile(r"[，;；:：]|,(?!(?<=\d,)\d{3}(?!\d))")
_BOUNDARY_RE = re.compile(r"[，;；:：。!！?？]|,(?!(?<=\d,)\d{3}(?!\d))")
# The same boundaries read in reversed text: a comma is a thousands separator when three digits,
# and no fourth, stand before it in the mirror image and a digit after it.
_MIRROR_SEP_RE = re.compile(r"[，;；:：。!！?？]|(?<!(?<!\d)\d{3}),|,(?!\d)")
_LIST_SEP_RE = re.compile(r"[;；]")


@dataclass(slots=True)
class _Page:
    """Accumulates targets of one page and hands out unique keys."""

    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, target: Target, section: str) -> None:
        quantity = canonical(target.value, target.value_max, target.unit)
        base = f"{section}/{target.indicator}"
        if quantity is not None:
            base += f"[{quantity.unit}]"
        count = self.seen.get(base, 0) + 1
        self.seen[base] = count
        key = base if count == 1 else f"{base}#{count}"
        while key in self.targets:  # a literal indicator ending in "#2" must not collide
            count += 1
            self.seen[base] = count
            key = f"{base}#{count}"
        self.targets[key] = {
            "indicator": target.indicator,
            "value": target.value,
            "value_max": target.value_max,
            "unit": target.unit,
            "qualifier": target.qualifier,
            "comparator": target.comparator,
            "text": target.text,
            "section": section,
            "quantity": quantity.as_json() if quantity is not None else None,
        }


@dataclass(slots=True)
class _Sink:
    """Routes each target to the plan's targets or, when its sentence is about the past, to results."""

    targets: _Page = field(default_factory=_Page)
    results: _Page = field(default_factory=_Page)
    segments: Segments = field(default_factory=list)

    def add(self, target: Target, section: str, offset: int) -> None:
        page = self.results if self.segments and is_past(self.segments, offset) else self.targets
        page.add(target, section)


def _split(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` between separators matched by ``pattern``."""
    spans, start = [], 0
    for match in pattern.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _scan_body(text: str, section: str, page: _Sink, offset: int = 0) -> None:
    quantities = find_quantities(text)
    if not quantities:
        return
    # Clause bounds are looked up around each quantity only: forwards in the text, backwards in
    # its mirror image, so no Python work is spent on the many clauses without a number.
    mirror = text[::-1]
    size = len(text)
    previous: Target | None = None
    previous_hi = 0
    n = 0
    while n < len(quantities):
        back = _MIRROR_SEP_RE.search(mirror, size - quantities[n].start)
        lo = size - back.start() if back else 0
        ahead = _BOUNDARY_RE.search(text, quantities[n].end)
        hi = ahead.start() if ahead else size
        inside = []
        while n < len(quantities) and quantities[n].start < hi:
            if quantities[n].end <= hi:
                inside.append(quantities[n])
            n += 1
        if previous is not None and _SENTENCE_END_RE.search(text, previous_hi, lo):
            previous = None
        for target in scan_clause(text, lo, hi, inside, previous):
            page.add(target, section, offset + lo)
            previous = target
        previous_hi = hi


def _scan_list(text: str, section: str, page: _Sink, offset: int) -> None:
    separator = _LIST_SEP_RE if _LIST_SEP_RE.search(text) else _CLAUSE_SEP_RE
    previous: Target | None = None
    for start, end in _split(text, separator):
        item = text[start:end]
        if not item.strip():
            continue
        quantities = find_quantities(item)
        for target in scan_list_item(item, quantities, previous):
            page.add(target, section, offset + start)
            previous = target


def extract(
    paragraphs: list[str],
    damaged_headings: Mapping[str, tuple[str | None, str]] | None = None,
    title: str = "",
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(targets, results) of a page in document order, keyed as the module docstring describes.

    ``results`` are figures the text states about the past (a review of last year); they have
    the shape of targets but are not commitments. ``damaged_headings`` maps a heading paragraph
    kept as captured (misdecoded) to what its bytes still tell (numeral or None, title tail), so
    the targets after it are filed under it. The ``title`` may name the year the plan is for.
    """
    sink = _Sink()
    section = ""
    for paragraph, segments in zip(paragraphs, past_segments(paragraphs, title), strict=True):
        sink.segments = segments
        heading = heading_section(paragraph)
        if heading is None and damaged_headings and paragraph in damaged_headings:
            heading = recovered_section(*damaged_headings[paragraph], section)
        if heading is not None:
            section = heading
        lead = lead_in(paragraph)
        if lead is None:
            _scan_body(paragraph, section, sink)
            continue
        list_end = _SENTENCE_END_RE.search(paragraph, lead.end())
        stop = list_end.start() if list_end else len(paragraph)
        _scan_body(paragraph[: lead.start()], section, sink)
        _scan_list(paragraph[lead.end() : stop], lead["label"], sink, lead.end())
        _scan_body(paragraph[stop:], section, sink, stop)
    return sink.targets.targets, sink.results.targets


# What a target states; a rewrite of its number in an equal form (1147亿元 → 0.1147万亿元) or of
# its wording around the number changes none of it.
COMPARED = ("indicator", "quantity", "qualifier", "comparator", "section")


def comparable(target: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that make two targets the same target with the same value.

    The quantity is derived from the value and unit as written (a stored snapshot of any
    normaliser version has those); a qualitative target is also its wording.
    """
    quantity = canonical(target.get("value"), target.get("value_max"), target.get("unit"))
    view = {name: target.get(name) for name in COMPARED}
    view["quantity"] = quantity.as_json() if quantity is not None else None
    if quantity is None:
        view["text"] = target.get("text")
    return view


def extract_targets(
    paragraphs: list[str], damaged_headings: Mapping[str, tuple[str | None, str]] | None = None
) -> dict[str, dict[str, Any]]:
    """The plan's targets alone (see ``extract``)."""
    return extract(paragraphs, damaged_headings)[0]
