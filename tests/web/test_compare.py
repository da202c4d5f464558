"""Comparing the report with its newspaper print: in the store, on the command line, and pure."""

from __future__ import annotations

import json

import pytest

from portal import site
from tests.web.store import DemoStore
from tests.web.test_api import _cli
from tracker.compare import compare_paragraphs, compare_targets


def _target(indicator: str, value: float, unit: str = "%", qualifier: str | None = None) -> dict[str, object]:
    return {"indicator": indicator, "value": value, "value_max": None, "unit": unit, "qualifier": qualifier}


def test_targets_are_matched_by_indicator_and_unit_not_by_section() -> None:
    a = {
        "主要预期目标/地区生产总值[%]": _target("地区生产总值", 5.5, qualifier="左右"),
        "主要预期目标/城镇新增就业[万人]": _target("城镇新增就业", 13, "万人"),
        "(一)/工业投资[亿元]": _target("工业投资", 1000, "亿元"),
    }
    b = {
        "/地区生产总值[%]": _target("地区生产总值", 5.5, qualifier="左右"),
        "(六)/城镇新增就业[万人]": _target("城镇新增就业", 16.4, "万人"),
        "/城镇新增就业[%]": _target("城镇新增就业", 2),
    }
    result = compare_targets(a, b)
    assert [(d["indicator"], d["a_value"], d["b_value"]) for d in result["differing"]] == [
        ("城镇新增就业", "13万人", "16.4万人")
    ]
    assert [d["indicator"] for d in result["same"]] == ["地区生产总值"]
    assert [d["a_value"] for d in result["only_a"]] == ["1000亿元"]
    assert [d["b_value"] for d in result["only_b"]] == ["2%"]


def test_targets_worded_differently_are_paired_not_reported_twice() -> None:
    a = {
        "x/市重大产业项目完成投资[亿元]": _target("市重大产业项目完成投资", 1450, "亿元"),
        "x/科技型企业贷款余额[%]": _target("科技型企业贷款余额", 12),
        "x/绿色建筑占比[%]": _target("绿色建筑占比", 90),
    }
    b = {
        "y/科技型中小企业贷款余额[%]": _target("科技型中小企业贷款余额", 15),
        "y/市重大项目项目完成投资[亿元]": _target("市重大项目项目完成投资", 1450, "亿元"),
        "y/市重大项目项目完成投资[个]": _target("市重大项目项目完成投资", 200, "个"),
    }
    result = compare_targets(a, b)
    # In B's order; a pair needs the same unit, so the count of projects stays B's own.
    assert [(r["indicator"], r["indicator_b"], r["a_value"], r["b_value"]) for r in result["reworded"]] == [
        ("科技型企业贷款余额", "科技型中小企业贷款余额", "12%", "15%"),
        ("市重大产业项目完成投资", "市重大项目项目完成投资", "1450亿元", "1450亿元"),
    ]
    assert [d["indicator"] for d in result["only_a"]] == ["绿色建筑占比"]
    assert [d["b_value"] for d in result["only_b"]] == ["200个"]


def test_paragraphs_are_paired_by_similarity_not_position() -> None:
    a = [
        "第一段完全相同的文字内容。",
        "今年地区生产总值增长5.5%左右，居民收入同步增长。",
        "只在甲文件中出现的一段。",
    ]
    b = [
        "今年地区生产总值增长6%左右，居民收入同步增长。",
        "第一段完全相同的文字内容。",
        "乙文件独有的另一段内容呢。",
    ]
    result = compare_paragraphs(a, b)
    assert result["same"] == 1
    assert [(r["a"], r["b"]) for r in result["reworded"]] == [(a[1], b[0])]
    assert result["only_a"] == [a[2]] and result["only_b"] == [b[2]]


@pytest.mark.slow
def test_compare_command_on_the_demo_store(demo_store: DemoStore) -> None:
    a, b = demo_store.documents[site.ART_PRIORITIES], demo_store.documents[site.ART_PRINT]
    out = _cli(demo_store.url, "compare", str(a), str(b), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["a"]["id"], result["b"]["id"]) == (a, b)
    # The print's 16.4万人 new jobs and 12万亩 of farmland are last year's results, not targets: the
    # two documents commit to the same values and differ in wording only.
    assert result["targets"]["differing"] == []
    reworded = {(r["indicator"], r["indicator_b"], r["b_value"]) for r in result["targets"]["reworded"]}
    assert ("市重大产业项目完成投资", "市重大项目项目完成投资", "1450亿元") in reworded
    assert ("科技型企业贷款余额", "科技型中小企业贷款余额", "12%") in reworded
    assert len(result["targets"]["only_a"]) > 10
    text = _cli(demo_store.url, "compare", str(a), demo_store.portal_url + site.ART_PRINT)
    assert text.returncode == 0 and "科技型中小企业贷款余额" in text.stdout and "措辞不同" in text.stdout
    missing = _cli(demo_store.url, "compare", str(a), "999999")
    assert missing.returncode == 3 and "999999" in missing.stderr and "Traceback" not in missing.stderr
