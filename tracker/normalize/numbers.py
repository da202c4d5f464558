"""Quantities in Chinese policy text: number, range, unit and qualifier, in one canonical form."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from tracker.normalize.units import MAGNITUDE_PATTERN, UNIT_WORDS
from tracker.normalize.units import canonical as canonical_quantity

Number = int | float

# Longest first, so the alternation prefers 场次 over 场, 人次 over 人 and 千瓦 over a 千 magnitude.
_UNIT_WORDS = "|".join(re.escape(word) for word in UNIT_WORDS)
UNIT_SET = frozenset(UNIT_WORDS)
# 万/亿/千 … written between number and base unit stay part of the unit as written (13万人 → 13,
# 万人): what a reader sees. Their canonical form multiplies them out (tracker.normalize.units).
_MAGNITUDE = MAGNITUDE_PATTERN
_UNIT = rf"(?:%|‰|{_MAGNITUDE}?(?:{_UNIT_WORDS})(?:\([^()]{{1,3}}\))?)"
_ARABIC = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
# A Chinese numeral must carry a digit (四千五百五十, 两) or follow an "above" word (超千亿元);
# a bare 千/百/万 elsewhere is an idiom (千家万户, 每千人口), not a quantity.
_CN_DIGITS = "零〇一二两三四五六七八九"
# 万/亿 inside a numeral only with digits after them (一万七千): 三千万元 stays 三千 + 万元.
_CHINESE = rf"(?:[{_CN_DIGITS}十百千](?:[{_CN_DIGITS}十百千点]|[万亿](?=[{_CN_DIGITS}]))*)"
_PREFIX_QUALIFIERS = ("不低于", "不少于", "不超过", "不高于", "超过", "至少", "超", "逾", "约", "近")
_SUFFIX_QUALIFIERS = ("及以上", "以上", "以内", "以下", "左右", "上下", "之内")
_RANGE_SEP = r"(?:-|－|~|～|—|–|至|到)"

QUANTITY_RE = re.compile(
    rf"(?P<prefix>{'|'.join(_PREFIX_QUALIFIERS)})?"
    rf"(?P<num>{_ARABIC}|{_CHINESE})"
    rf"(?:(?P<unit1>{_UNIT})?{_RANGE_SEP}(?P<num2>{_ARABIC}|{_CHINESE}))?"
    r"(?P<approx>余|多)?"
    rf"(?P<unit>{_UNIT})"
    rf"(?P<suffix>{'|'.join(_SUFFIX_QUALIFIERS)})?"
)
# Cheap first pass: a run of numerals straight before the first character of a unit. Only around
# such a run is the full pattern tried, which keeps a 45 KB page well under a millisecond.
_UNIT_FIRST = "".join(sorted({u[0] for u in UNIT_WORDS}))
_CANDIDATE_RE = re.compile(
    rf"[0-9{_CN_DIGITS}十百千][0-9{_CN_DIGITS}十百千万亿点.,]*[余多]?(?:万?亿|万)?[{re.escape(_UNIT_FIRST)}]"
)
_NUMERAL_CHARS = frozenset("0123456789.,点" + _CN_DIGITS + "十百千")
# Numerals that are words before these units: 一次 (once: 最多跑一次, 登录一次), 零部(件).
_NOT_QUANTITIES = {"次": ("一",), "部": ("零", "〇")}
_RANGE_CHARS = frozenset("-－~～—–至到")
_PREFIX_SET = frozenset(_PREFIX_QUALIFIERS)
_PREFIX_LAST = frozenset(p[-1] for p in _PREFIX_QUALIFIERS)
_REACH = 16  # longest prefix, range head, unit tail and suffix around a run


class Quantity(NamedTuple):
    """One number-with-unit found in text; ``start``/``end`` cover qualifiers too."""

    start: int
    end: int
    value: Number
    value_max: Number | None
    unit: str
    qualifier: str | None


def canonical(value: float) -> Number:
    """Integral values as int, others as float, so 6, 6.0 and 六 are the same JSON number."""
    return int(value) if float(value).is_integer() else float(value)


def parse_arabic(text: str) -> Number:
    """Plain Arabic numbers without cn2an: strip thousands separators and parse."""
    cleaned = text.replace(",", "")
    return int(cleaned) if "." not in cleaned else canonical(float(cleaned))


@lru_cache(maxsize=1024)
def parse_chinese(text: str) -> Number | None:
    """Chinese numerals via cn2an; a bare magnitude (千, 百) means one of it."""
    if text in ("千", "百", "万", "十"):
        text = "一" + text
    import cn2an  # ~0.1 s to import: paid on the first Chinese numeral, not by every process

    try:
        return canonical(float(cn2an.cn2an(text, "normal")))
    except (ValueError, KeyError, TypeError):
        return None


def parse_number(text: str) -> Number | None:
    """Arabic or Chinese numeral text to a canonical number (None when it is not one)."""
    if text[0].isdigit():
        return parse_arabic(text)
    return parse_chinese(text)


def quantity_from_match(match: re.Match[str]) -> Quantity | None:
    """Build a Quantity from a ``QUANTITY_RE`` match, or None for numerals that are not numbers."""
    prefix, num, unit1, num2, approx, unit, suffix = match.groups()
    if (prefix is None and num in ("千", "百")) or num in _NOT_QUANTITIES.get(unit, ()):
        return None
    value = int(num) if num.isdigit() else parse_number(num)  # plain integers are the common case
    if value is None and len(num) > 1 and num.endswith("千") and not approx and f"千{unit}" in UNIT_SET:
        # 一千千米, 三千千瓦: the numeral run took the 千 of the unit
        value, unit = parse_number(num[:-1]), f"千{unit}"
    if value is None:
        return None
    value_max = None
    if num2:
        value_max = parse_number(num2)
        if value_max is None or (unit1 and unit1 != unit):
            return None
    qualifier = prefix or suffix or approx
    if prefix and suffix:
        qualifier = f"{prefix}…{suffix}"
    return Quantity(match.start(), match.end(), value, value_max, unit, qualifier)


def _match_start(text: str, run_start: int, floor: int) -> int:
    """Where a quantity whose numeral run starts at ``run_start`` can begin: its range or prefix."""
    start = run_start
    if start - 2 >= floor and text[start - 1] in _RANGE_CHARS and text[start - 2] in _NUMERAL_CHARS:
        start -= 2  # "4-5家": the first number has no unit of its own, so no candidate
        while start - 1 >= floor and text[start - 1] in _NUMERAL_CHARS:
            start -= 1
    if start - 1 < floor or text[start - 1] not in _PREFIX_LAST:
        return start
    for width in (3, 2, 1):
        if start - width >= floor and text[start - width : start] in _PREFIX_SET:
            return start - width
    return start


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, left to right, non-overlapping (as ``QUANTITY_RE.finditer``)."""
    return list(_find_quantities(text))


# Extraction and the fingerprint both read each paragraph's quantities: find them once per page
# (``forget`` starts a page afresh, so a page's cost never depends on the pages before it).
@lru_cache(maxsize=4096)
def _find_quantities(text: str) -> tuple[Quantity, ...]:
    found: list[Quantity] = []
    pos = 0
    for candidate in _CANDIDATE_RE.finditer(text):
        if candidate.start() < pos:
            continue
        match = QUANTITY_RE.match(text, _match_start(text, candidate.start(), pos))
        if match is None:
            # Rare: Arabic and Chinese numerals mixed in one run (二80家); scan the run itself.
            match = QUANTITY_RE.search(text, max(candidate.start() - _REACH, pos), candidate.end() + _REACH)
            if match is None or match.start() >= candidate.end():
                continue
        pos = match.end()
        quantity = quantity_from_match(match)
        if quantity is not None:
            found.append(quantity)
    return tuple(found)


def canonical_of(quantity: Quantity) -> str:
    """A quantity as one comparable token: qualifier, exact amount (range) and base unit."""
    form = canonical_quantity(quantity.value, quantity.value_max, quantity.unit)
    assert form is not None
    high = f"~{form.amount_max}" if form.amount_max is not None else ""
    return f"⟦{quantity.qualifier or ''}|{form.amount}{high}|{form.unit}⟧"


@lru_cache(maxsize=4096)
def canonical_text(text: str) -> str:
    """``text`` with every quantity replaced by its canonical token, so two spellings of one
    quantity (``1147亿元``, ``0.1147万亿元``) give one text; for comparing, never for showing."""
    quantities = _find_quantities(text)
    if not quantities:
        return text
    out, cursor = [], 0
    for quantity in quantities:
        out.append(text[cursor : quantity.start])
        out.append(canonical_of(quantity))
        cursor = quantity.end
    out.append(text[cursor:])
    return "".join(out)


def forget() -> None:
    """Drop the quantities remembered from earlier pages."""
    _find_quantities.cache_clear()
    canonical_text.cache_clear()
