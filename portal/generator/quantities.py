"""Quantities of Chinese plans: base units, and the many equal ways a page may write one.

Pure functions. ``base`` turns a value in a written unit (``1147``, ``亿元``) into the value in
its base unit (``1.147e11``, ``元``); ``spellings`` lists the equal renderings a portal uses
(``1147亿元``, ``1,147亿元``, ``0.1147万亿元``, full-width digits, Chinese numerals), which the
generator swaps between states as noise that must never be reported.
"""

from __future__ import annotations

from decimal import Decimal

import cn2an

# Units with no scale prefix: the base a quantity is compared in.
BASE_UNITS = (
    "%",
    "个百分点",
    "元",
    "美元",
    "家",
    "个",
    "项",
    "所",
    "座",
    "套",
    "间",
    "户",
    "处",
    "张",
    "场",
    "名",
    "人",
    "人次",
    "吨标准煤",
    "吨",
    "米",
    "平方米",
    "平方公里",
    "公顷",
    "亩",
    "微克/立方米",
    "千瓦",
    "天",
    "小时",
)

# Units whose name is not a scale prefix + a base unit.
_SPECIAL = {
    "公里": ("米", Decimal(1000)),
    "千米": ("米", Decimal(1000)),
    "兆瓦": ("千瓦", Decimal(1000)),
    "千瓦": ("千瓦", Decimal(1)),
    "平方公里": ("平方公里", Decimal(1)),
    "万千瓦": ("千瓦", Decimal(10000)),
}

_PREFIXES = (
    ("万亿", Decimal(10) ** 12),
    ("百万", Decimal(10) ** 6),
    ("亿", Decimal(10) ** 8),
    ("万", Decimal(10) ** 4),
    ("千", Decimal(1000)),
)

_FULLWIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")


def split_unit(unit: str) -> tuple[str, Decimal] | None:
    """``亿元`` → (``元``, 1e8); None for a unit outside the table."""
    unit = unit.strip()
    if unit in _SPECIAL:
        return _SPECIAL[unit]
    if unit in BASE_UNITS:
        return unit, Decimal(1)
    for prefix, scale in _PREFIXES:
        if unit.startswith(prefix):
            rest = unit[len(prefix) :]
            inner = split_unit(rest)
            if inner is not None:
                return inner[0], inner[1] * scale
    return None


def base(value: Decimal | float | int | str, unit: str) -> tuple[float, str] | None:
    """The value in the unit's base: ``base(1147, "亿元") == (1.147e11, "元")``."""
    found = split_unit(unit)
    if found is None:
        return None
    base_unit, scale = found
    return float(Decimal(str(value)) * scale), base_unit


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``Decimal("0.11470")`` → ``0.1147``."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _grouped(value: Decimal) -> str:
    whole, _, frac = plain(value).partition(".")
    grouped = f"{int(whole):,}"
    return grouped + ("." + frac if frac else "")


def spellings(value: Decimal, unit: str) -> list[str]:
    """Equal renderings of one quantity; the first is the canonical one the gold quotes."""
    canonical = plain(value) + unit
    out = [canonical]
    integral = value == value.to_integral_value()
    if integral and value >= 1000:
        out.append(_grouped(value) + unit)
    found = split_unit(unit)
    if found is not None:
        base_unit, scale = found
        # Move the scale to another prefix: 1147亿元 = 0.1147万亿元; 214万平方米 = 2140000平方米.
        if unit.startswith("亿") and unit[1:] in ("元", "美元"):
            out.append(plain(value / 10000) + "万" + unit)
        if unit.startswith("万") and unit[1:] in BASE_UNITS and unit[1:] not in ("元", "美元"):
            out.append(plain(value * 10000) + unit[1:])
        whole_thousands = integral and value >= 10000 and value % 1000 == 0
        if scale == 1 and base_unit not in ("%", "个百分点") and whole_thousands:
            out.append(plain(value / 10000) + "万" + unit)
    out.append(canonical.translate(_FULLWIDTH) if unit != "%" else plain(value).translate(_FULLWIDTH) + "%")
    if integral and 10 <= value < 100000 and unit not in ("%", "个百分点") and value % 10 == 0:
        out.append(cn2an.an2cn(str(int(value))) + unit)
    seen: list[str] = []
    for s in out:
        if s not in seen:
            seen.append(s)
    return seen


def spelling(value: Decimal, unit: str, variant: int) -> str:
    """The ``variant``-th equal rendering (cycling): variant 0 is the canonical one."""
    options = spellings(value, unit)
    return options[variant % len(options)]
