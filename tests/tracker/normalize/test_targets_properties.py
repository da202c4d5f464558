"""Properties of target extraction: one changed value changes one target, keys are unique, nothing crashes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from tests.tracker.normalize.test_targets import seed_paragraphs
from tracker.normalize.numbers import QUANTITY_RE, find_quantities, quantity_from_match
from tracker.normalize.targets import extract_targets
from tracker.normalize.units import canonical

_PAGES = {seed: list(seed_paragraphs(seed)) for seed in ("000", "001", "003", "004")}
_BASELINES = {seed: extract_targets(page) for seed, page in _PAGES.items()}


def _number_pattern(value: int | float) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.,]){re.escape(str(value))}(?![\d.,])")


def _editable(seed: str) -> list[tuple[str, str, int, str]]:
    """Targets whose value appears exactly once, as written, in a text found once in the page."""
    page, found = _PAGES[seed], []
    texts = Counter(t["text"] for t in _BASELINES[seed].values())
    for key, target in _BASELINES[seed].items():
        # One number stating two targets (A、B各1家) changes both, by design.
        if (
            not isinstance(target["value"], int)
            or target["value_max"] is not None
            or texts[target["text"]] > 1
        ):
            continue
        holders = [n for n, p in enumerate(page) if target["text"] in p]
        if len(holders) != 1 or page[holders[0]].count(target["text"]) != 1:
            continue
        if len(_number_pattern(target["value"]).findall(target["text"])) == 1:
            found.append((seed, key, holders[0], target["text"]))
    return found


_EDITABLE = [choice for seed in _PAGES for choice in _editable(seed)]


def test_most_seed_targets_are_editable() -> None:
    quantitative = sum(1 for b in _BASELINES.values() for t in b.values() if t["value"] is not None)
    assert len(_EDITABLE) > 0.7 * quantitative


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choice=st.sampled_from(_EDITABLE), new_value=st.integers(min_value=1, max_value=99_999))
def test_changing_one_value_changes_exactly_that_target(
    choice: tuple[str, str, int, str], new_value: int
) -> None:
    seed, key, index, text = choice
    baseline = _BASELINES[seed]
    old = baseline[key]
    if new_value == old["value"]:
        new_value += 1
    page = list(_PAGES[seed])
    page[index] = page[index].replace(text, _number_pattern(old["value"]).sub(str(new_value), text))
    after = extract_targets(page)
    assert list(after) == list(baseline)
    assert after[key]["value"] == new_value
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in baseline.items() if k != key}
    assert {f: after[key][f] for f in after[key] if f not in ("value", "text", "quantity")} == {
        f: old[f] for f in old if f not in ("value", "text", "quantity")
    }
    expected = canonical(new_value, None, old["unit"])
    assert expected is not None
    assert after[key]["quantity"] == {**old["quantity"], "amount": expected.amount}


@settings(max_examples=examples(60), deadline=None)
@given(written=st.sampled_from(["{:,}", "{}"]), choice=st.sampled_from(_EDITABLE))
def test_rewriting_a_number_keeps_the_target(written: str, choice: tuple[str, str, int, str]) -> None:
    seed, key, index, text = choice
    value = _BASELINES[seed][key]["value"]
    page = list(_PAGES[seed])
    page[index] = page[index].replace(text, _number_pattern(value).sub(written.format(value), text))
    assert extract_targets(page)[key]["value"] == value


_INDICATORS = st.sampled_from(["新增企业", "地区生产总值增长", "实施项目", "引进人才", "完成投资"])
_UNITS = st.sampled_from(["家", "%", "个", "亿元", "万人"])


@settings(max_examples=examples(80), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "(一)项目", "(二)人才"]), _INDICATORS, st.integers(1, 9999), _UNITS),
        min_size=1,
        max_size=12,
    )
)
def test_every_target_sentence_gets_its_own_key(sentences: list[tuple[str, str, int, str]]) -> None:
    paragraphs = []
    for heading, indicator, value, unit in sentences:
        if heading:
            paragraphs.append(heading)
        paragraphs.append(f"{indicator}{value}{unit}。")
    targets = extract_targets(paragraphs)
    assert len(targets) == len(sentences)
    assert [t["value"] for t in targets.values()] == [s[2] for s in sentences]
    assert extract_targets(paragraphs) == targets


_ALPHABET = (
    "0123456789.,-~%一二三四五六七八九十百千万亿超达增长新增家个元人以上左右或和、,;:。()"
    '“”"第年主要预期目标(一)一、其中分别各 '
)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, max_size=80), max_size=6))
def test_arbitrary_policy_like_text_never_crashes(paragraphs: list[str]) -> None:
    first = extract_targets(paragraphs)
    assert first == extract_targets(paragraphs)
    _check_shape(first)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.text(max_size=200), max_size=5))
def test_arbitrary_text_never_crashes(paragraphs: list[str]) -> None:
    _check_shape(extract_targets(paragraphs))


def _check_shape(targets: dict[str, dict[str, Any]]) -> None:
    for key, target in targets.items():
        assert isinstance(key, str)
        assert target["value"] is None or isinstance(target["value"], int | float)
        assert target["value_max"] is None or target["value"] is not None
        assert target["indicator"]


_NUMERIC_ALPHABET = (
    "0123456789.,-~至到%一二三四五六七八九十百千万亿超不低于过逾约近余多家个元人平方米美以上左右、 "
)


@settings(max_examples=examples(400), deadline=None)
@given(st.text(alphabet=_NUMERIC_ALPHABET, max_size=30))
def test_fast_quantity_scan_equals_the_plain_pattern(text: str) -> None:
    plain = [quantity_from_match(m) for m in QUANTITY_RE.finditer(text)]
    assert find_quantities(text) == [q for q in plain if q is not None]


_SWAP = {"左右": "以上", "以上": "左右", "以内": "以下", "超": "不低于", "不少于": "超"}
# Only targets with a qualifier to swap, written once in their text: drawing from all targets and
# rejecting the rest fails Hypothesis' filter_too_much health check at random.
_SWAPPABLE = [
    choice
    for choice in _EDITABLE
    if (qualifier := _BASELINES[choice[0]][choice[1]]["qualifier"]) in _SWAP
    and choice[3].count(qualifier) == 1
]


def test_seed_targets_have_qualifiers_to_swap() -> None:
    assert len(_SWAPPABLE) >= 10
    assert len({_BASELINES[seed][key]["qualifier"] for seed, key, _, _ in _SWAPPABLE}) >= 3


@settings(max_examples=examples(60), deadline=None)
@given(choice=st.sampled_from(_SWAPPABLE))
def test_changing_a_qualifier_keeps_the_key(choice: tuple[str, str, int, str]) -> None:
    seed, key, index, text = choice
    old = _BASELINES[seed][key]
    qualifier = old["qualifier"]
    page = list(_PAGES[seed])
    page[index] = page[index].replace(text, text.replace(qualifier, _SWAP[qualifier]))
    after = extract_targets(page)
    assert list(after) == list(_BASELINES[seed])
    assert after[key]["qualifier"] == _SWAP[qualifier]
    assert after[key]["value"] == old["value"]
