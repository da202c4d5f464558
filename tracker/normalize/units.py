"""Units of Chinese policy text: each written unit's canonical base unit and exact scale.

``1147亿元``, ``0.1147万亿元`` and ``114,700,000,000元`` are one quantity: 114700000000 of the
base unit 元. Magnitudes written before a unit (万, 亿, 万亿, 千, 百万 …) are multiplied out and
units of one dimension share a base (公里 = 千米 = 1000 米, 公顷 = 10000 平方米). Arithmetic is
exact (``fractions.Fraction``), so equal quantities give equal canonical forms, never nearly
equal floats.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

# written base unit -> (canonical base unit, how many base units one of it is)
_SCALED: dict[str, tuple[str, Fraction]] = {
    "‰": ("%", Fraction(1, 10)),
    "个工作日": ("工作日", Fraction(1)),
    "公里": ("米", Fraction(1000)),
    "千米": ("米", Fraction(1000)),
    "平方公里": ("平方米", Fraction(10**6)),
    "公顷": ("平方米", Fraction(10**4)),
    # 1 亩 = 10000/15 平方米 by definition (15 亩 = 1 公顷)
    "亩": ("平方米", Fraction(2000, 3)),
    "公斤": ("吨", Fraction(1, 1000)),
    "千克": ("吨", Fraction(1, 1000)),
    "兆瓦": ("千瓦", Fraction(1000)),
    "兆瓦时": ("千瓦时", Fraction(1000)),
}
# Units that are their own base.
_PLAIN = (
    "% 个百分点 元 美元 欧元 "
    "家 个 项 所 座 套 间 户 处 人 名 人次 场次 标箱 辆 台 条 部 件 场 块 张 次 株 艘 倍 "
    "吨 吨标准煤 米 平方米 立方米 微克/立方米 千瓦 千瓦时 天 小时 工作日"
)
UNIT_WORDS: tuple[str, ...] = tuple(
    sorted({*_PLAIN.split(), *_SCALED}, key=lambda word: (-len(word), word))  # longest first
)
_BASES: dict[str, tuple[str, Fraction]] = {
    **{word: (word, Fraction(1)) for word in _PLAIN.split()},
    **_SCALED,
}
# Magnitude characters written between a number and its unit: 万, 亿, 十亿, 千万, 万亿 …
MAGNITUDE_PATTERN = r"(?:[十百千]?万?亿|[十百千]?万|千)"
_MAGNITUDE_CHARS = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}


class Canonical(NamedTuple):
    """A quantity in its base unit: ``amount`` (and ``amount_max`` of a range) as exact decimal text."""

    amount: str
    amount_max: str | None
    unit: str

    def as_json(self) -> dict[str, str | None]:
        return {"amount": self.amount, "amount_max": self.amount_max, "unit": self.unit}


@lru_cache(maxsize=512)
def base_of(unit: str) -> tuple[str, Fraction]:
    """(base unit, scale) of a unit as written; an unknown unit is its own base."""
    word, paren = unit, ""
    if unit.endswith(")") and "(" in unit:  # 吨(标准煤), 个(家): the note stays with the base
        at = unit.index("(")
        word, paren = unit[:at], unit[at:]
    if word in _BASES:
        base, scale = _BASES[word]
        return base + paren, scale
    for width in (3, 2, 1):
        head, rest = word[:width], word[width:]
        if rest in _BASES and head and all(c in _MAGNITUDE_CHARS for c in head):
            scale = Fraction(1)
            for char in head:
                scale *= _MAGNITUDE_CHARS[char]
            base, unit_scale = _BASES[rest]
            return base + paren, scale * unit_scale
    return unit, Fraction(1)


def exact(value: int | float | str) -> Fraction:
    """A number as written, exactly: a float is read back from its shortest decimal form."""
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(Decimal(value if isinstance(value, str) else repr(value)))


def amount_text(amount: Fraction) -> str:
    """Exact text of an amount: an integer, a finite decimal, or ``p/q`` when neither."""
    if amount.denominator == 1:
        return str(amount.numerator)
    rest = amount.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return f"{amount.numerator}/{amount.denominator}"
    digits = 0
    while (amount * 10**digits).denominator != 1:
        digits += 1
    scaled = amount * 10**digits
    sign = "-" if scaled < 0 else ""
    text = str(abs(scaled.numerator)).rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


@lru_cache(maxsize=4096)
def canonical(value: int | float | None, value_max: int | float | None, unit: str | None) -> Canonical | None:
    """The canonical quantity of a value (range) in a written unit; None for a qualitative target."""
    if value is None:
        return None
    base, scale = base_of(unit) if unit else ("", Fraction(1))
    high = amount_text(exact(value_max) * scale) if value_max is not None else None
    return Canonical(amount_text(exact(value) * scale), high, base)
