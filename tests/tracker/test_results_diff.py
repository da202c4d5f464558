"""A revised statistic of last year is a body edit, never a target event; a rewritten number is nothing."""

from __future__ import annotations

from tracker.diff import diff_snapshots
from tracker.normalize import normalize


def plan(review: str, target: str = "新增就业1.3万人") -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>2024年政府工作报告</title></head><body><div id='zoom'>"
        f"<p>过去一年，全区地区生产总值增长{review}，一般公共预算收入完成45.6亿元。</p>"
        f"<p>新的一年，主要预期目标是：地区生产总值增长6%左右，{target}。</p>"
        "</div></body></html>"
    ).encode()


def test_a_revised_result_is_a_content_edit() -> None:
    before, after = normalize(plan("8.5%")), normalize(plan("8.6%"))
    assert [r["value"] for r in before.snapshot["results"].values()] == [8.5, 45.6]
    events = diff_snapshots(before.snapshot, after.snapshot)
    assert [e.kind for e in events] == ["content_changed"]
    assert events[0].details["edited"] == 1
    assert "8.6%" in events[0].details["excerpts"][0]["new"]


def test_a_changed_target_next_to_results_is_one_target_event() -> None:
    before, after = normalize(plan("8.5%")), normalize(plan("8.5%", "新增就业1.5万人"))
    events = diff_snapshots(before.snapshot, after.snapshot)
    assert [(e.kind, e.details["key"]) for e in events] == [("target_changed", "主要预期目标/新增就业[人]")]


def test_a_result_rewritten_in_an_equal_form_is_nothing() -> None:
    before = normalize(plan("8.5%"))
    after = normalize(plan("8.5%").decode().replace("45.6亿元", "456000万元").encode())
    assert before.fingerprint == after.fingerprint
    assert diff_snapshots(before.snapshot, after.snapshot) == []
