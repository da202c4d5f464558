"""Properties of quantities: a number rewritten in an equal form is no change, a changed one is one change.

Pages are generated directly from valid parts: a list of distinct indicators, each with an exact
amount in a base unit, each amount written in a unit of its dimension (亿元 or 万亿元, 公里 or 米,
公顷 or 平方公里 …) and a spelling (plain, thousands separators, full-width digits, Chinese
numerals via cn2an). Every spelling drawn is one a portal really serves.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import cn2an
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.diff import diff_snapshots
from tracker.normalize import normalize
from tracker.normalize.targets import comparable

# dimension -> units as written, with how many base units one of each is
DIMENSIONS: dict[str, list[tuple[str, int]]] = {
    "money": [("元", 1), ("万元", 10**4), ("亿元", 10**8), ("万亿元", 10**12)],
    "dollars": [("美元", 1), ("万美元", 10**4), ("亿美元", 10**8)],
    "area": [("平方米", 1), ("万平方米", 10**4), ("公顷", 10**4), ("平方公里", 10**6)],
    "length": [("米", 1), ("公里", 1000), ("千米", 1000)],
    "people": [("人", 1), ("万人", 10**4)],
    "count": [("个", 1), ("万个", 10**4)],
    "power": [("千瓦", 1), ("万千瓦", 10**4), ("兆瓦", 1000)],
    "mass": [("吨", 1), ("万吨", 10**4)],
}
# indicator -> the dimension it is counted in and the verb that states it
INDICATORS: list[tuple[str, str, str]] = [
    ("固定资产投资", "money", "完成"),
    ("实际使用外资", "dollars", "达到"),
    ("改造老旧小区", "area", "实施"),
    ("新建城市道路", "length", "建成"),
    ("城镇新增就业", "people", "达到"),
    ("新增公共停车泊位", "count", "建成"),
    ("新增光伏装机", "power", "达到"),
    ("港口货物吞吐量", "mass", "达到"),
    ("社会消费品零售总额", "money", "突破"),
    ("新增造林绿化面积", "area", "完成"),
]
QUALIFIERS = ["", "以上", "左右", "以内"]
_FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _decimal(value: Fraction) -> str:
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def spell(amount: int, unit_scale: int, style: str) -> str | None:
    """``amount`` base units written in a unit of ``unit_scale``, in one spelling; None when
    that spelling cannot write it (a Chinese numeral for a fraction, say)."""
    value = Fraction(amount, unit_scale)
    if value < Fraction(1, 10**4) or (value * 10**4).denominator != 1:
        return None
    text = _decimal(value)
    if style == "grouped":
        whole, _, fraction = text.partition(".")
        if len(whole) < 4:
            return None
        text = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    elif style == "full-width":
        text = text.translate(_FULL_WIDTH)
    elif style == "chinese":
        if value.denominator != 1 or not 0 < value < 10**4:
            return None
        text = cn2an.an2cn(int(value), "low")
    return text


@st.composite
def plans(draw: st.DrawFn) -> list[tuple[str, str, str, str, int]]:
    """(indicator, dimension, verb, qualifier, amount in base units) for a few distinct indicators."""
    chosen = draw(st.lists(st.sampled_from(INDICATORS), min_size=1, max_size=5, unique=True))
    rows = []
    for indicator, dimension, verb in chosen:
        mantissa = draw(st.integers(1, 9999))
        exponent = draw(st.integers(0, 8))
        rows.append((indicator, dimension, verb, draw(st.sampled_from(QUALIFIERS)), mantissa * 10**exponent))
    return rows


@st.composite
def spellings(draw: st.DrawFn, dimension: str, amount: int) -> str:
    """One way the page may write ``amount`` of ``dimension``: a unit of it and a spelling."""
    options = [
        text + unit
        for unit, scale in DIMENSIONS[dimension]
        for style in ("plain", "grouped", "full-width", "chinese")
        if (text := spell(amount, scale, style)) is not None
    ]
    return draw(st.sampled_from(options))


def page(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """A work-plan page stating each (indicator, verb, written quantity, qualifier) as a sentence."""
    sentences = "".join(
        f"<p>{indicator}{verb}{quantity}{qualifier}，持续推进高质量发展。</p>"
        for indicator, verb, quantity, qualifier, _ in rows
    )
    return (
        "<html><head><meta charset='utf-8'><title>2024年重点工作安排</title></head><body>"
        "<div id='zoom'><p>新的一年，我们将重点做好以下工作。</p>"
        f"<p>一、扎实推进重点工作</p>{sentences}</div></body></html>"
    ).encode()


@st.composite
def two_spellings(draw: st.DrawFn) -> tuple[bytes, bytes]:
    plan = draw(plans())
    first, second = [], []
    for indicator, dimension, verb, qualifier, amount in plan:
        first.append((indicator, verb, draw(spellings(dimension, amount)), qualifier, ""))
        second.append((indicator, verb, draw(spellings(dimension, amount)), qualifier, ""))
    return page(first), page(second)


@settings(max_examples=120, deadline=None)
@given(pages=two_spellings())
def test_rewriting_quantities_in_equal_forms_changes_neither_fingerprint_nor_targets(
    pages: tuple[bytes, bytes],
) -> None:
    one, two = (normalize(body) for body in pages)
    assert one.fingerprint == two.fingerprint
    assert list(one.snapshot["targets"]) == list(two.snapshot["targets"])
    assert [comparable(t) for t in one.snapshot["targets"].values()] == [
        comparable(t) for t in two.snapshot["targets"].values()
    ]
    assert diff_snapshots(one.snapshot, two.snapshot) == []


@st.composite
def one_changed(draw: st.DrawFn) -> tuple[bytes, bytes, int]:
    plan = draw(plans())
    changed = draw(st.integers(0, len(plan) - 1))
    before, after = [], []
    for n, (indicator, dimension, verb, qualifier, amount) in enumerate(plan):
        before.append((indicator, verb, draw(spellings(dimension, amount)), qualifier, ""))
        new_amount = amount
        if n == changed:
            new_amount = amount + draw(st.integers(1, 99)) * 10 ** draw(st.integers(0, 6))
        after.append((indicator, verb, draw(spellings(dimension, new_amount)), qualifier, ""))
    return page(before), page(after), changed


@settings(max_examples=120, deadline=None)
@given(case=one_changed())
def test_changing_one_quantity_changes_exactly_that_target(case: tuple[bytes, bytes, int]) -> None:
    before_body, after_body, changed = case
    before, after = normalize(before_body), normalize(after_body)
    assert before.fingerprint != after.fingerprint
    keys = list(before.snapshot["targets"])
    assert list(after.snapshot["targets"]) == keys
    events = diff_snapshots(before.snapshot, after.snapshot)
    assert [(e.kind, e.details["key"]) for e in events] == [("target_changed", keys[changed])]
    for n, key in enumerate(keys):
        same = comparable(before.snapshot["targets"][key]) == comparable(after.snapshot["targets"][key])
        assert same is (n != changed)


def test_the_issue_examples_are_one_quantity_each() -> None:
    for first, second in (
        ("1147亿元", "0.1147万亿元"),
        ("214万平方米", "2140000平方米"),
        ("1万个", "10000个"),
    ):
        one = normalize(page([("固定资产投资", "完成", first, "", "")]))
        two = normalize(page([("固定资产投资", "完成", second, "", "")]))
        assert one.fingerprint == two.fingerprint
        assert diff_snapshots(one.snapshot, two.snapshot) == []
        # what a reader sees keeps the page's own wording
        assert first in one.snapshot["paragraphs"][2] and second in two.snapshot["paragraphs"][2]
