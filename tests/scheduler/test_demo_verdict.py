"""The demo's verdict: exit 0 only when exactly the expected change events were found."""

from __future__ import annotations

import io

from rich.console import Console

from scheduler.demo import Expected, _verdict
from scheduler.runner import CrawlResult

EXPECTED = Expected("/art/1.html", "target_changed", 2, "两项目标被修订")
NOISE = Expected("/art/3.html", "*", 0, "只有噪声")
OTHERS = Expected("其他页面", "*", 0, "没有其他变化")
CRAWLED = [CrawlResult("demo-hanweb", 1, "ok", trigger="demo", returncode=0, seconds=1.0)]


def _verdict_of(checks, results=CRAWLED) -> tuple[int, str]:
    out = io.StringIO()
    code = _verdict(Console(file=out, width=100), checks, results, 1.0, None)
    return code, out.getvalue()


def test_all_expected_and_nothing_else_is_a_success():
    code, text = _verdict_of([(EXPECTED, 2), (NOISE, 0), (OTHERS, 0)])
    assert code == 0 and "演示成功" in text


def test_a_missing_change_noise_or_an_unexpected_change_fails():
    for checks in (
        [(EXPECTED, 1), (NOISE, 0), (OTHERS, 0)],
        [(EXPECTED, 2), (NOISE, 1), (OTHERS, 0)],
        [(EXPECTED, 2), (NOISE, 0), (OTHERS, 3)],
    ):
        code, text = _verdict_of(checks)
        assert code == 1 and "演示失败" in text and "✗ 找到" in text


def test_a_failed_crawl_fails_even_when_the_changes_match():
    failed = [CrawlResult("demo-trs", 2, "failed", trigger="demo", returncode=1, seconds=1.0)]
    code, text = _verdict_of([(EXPECTED, 2), (NOISE, 0), (OTHERS, 0)], CRAWLED + failed)
    assert code == 1 and "抓取没有完成：demo-trs（失败）" in text


def test_a_failed_baseline_crawl_ends_the_demo_with_nothing_verified():
    failed = [CrawlResult("demo-trs", 2, "timeout", trigger="demo", returncode=-15, seconds=60.0)]
    code, text = _verdict_of([], failed)
    assert code == 1 and "抓取没有完成：demo-trs（超时）" in text and "核对预期" not in text
    assert _verdict_of([], CRAWLED)[0] == 1  # nothing checked is not a success
