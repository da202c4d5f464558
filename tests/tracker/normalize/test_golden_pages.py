"""Golden snapshots of the seed pages: title, metadata, paragraphs and damage marks, exactly.

Targets have their own golden tests (test_targets.py); here they only have to be present.
Regenerate after a deliberate change with ``GOVWATCH_UPDATE_GOLDEN=1 pytest tests/tracker/normalize``
and review every changed file by eye before keeping it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.tracker.normalize.pages import PAGE_NAMES, page
from tracker.normalize import NORMALIZER_VERSION, normalize

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
UPDATE = os.environ.get("GOVWATCH_UPDATE_GOLDEN") == "1"


def golden_view(name: str) -> dict[str, object]:
    result = normalize(page(name), url=f"http://127.0.0.1/{name}")
    snapshot = result.snapshot
    return {
        "charset": result.charset,
        "title": snapshot["title"],
        "metadata": snapshot["metadata"],
        "damaged": snapshot["damaged"],
        "paragraphs": snapshot["paragraphs"],
    }


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_matches_golden(name: str) -> None:
    path = GOLDEN_DIR / name.replace(".html", ".json")
    view = golden_view(name)
    if UPDATE:
        path.write_text(json.dumps(view, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert view == json.loads(path.read_text(encoding="utf-8"))


def test_traditional_rendering_is_the_same_document() -> None:
    simplified = normalize(page("wuxi-2021-plan.html"))
    traditional = normalize(page("wuxi-2021-plan.tc.html"))
    assert traditional.snapshot == simplified.snapshot
    assert traditional.fingerprint == simplified.fingerprint


def test_gbk_page_labelled_utf8_decodes_as_gb18030() -> None:
    result = normalize(page("changzhou-2021-key-work.html"))
    assert result.charset == "gb18030"
    assert result.snapshot["metadata"]["publisher"] == "常州市人民政府"
    assert any("bytes disagree" in w for w in result.warnings)


def test_seed_002_headings_realigned_where_the_bytes_allow() -> None:
    paragraphs = normalize(page("changzhou-2021-key-work.html")).snapshot["paragraphs"]
    for heading in ("(四)推动城乡融合发展新提升", "(七)开创市域安全发展新局面", "(八)展现为民务实清廉新形象"):
        assert heading in paragraphs


def test_seed_002_unrecoverable_headings_are_marked_not_invented() -> None:
    snapshot = normalize(page("changzhou-2021-key-work.html")).snapshot
    damaged = [snapshot["paragraphs"][i] for i in snapshot["damaged"]]
    # (二), (五), (六): the first decoder dropped byte pairs, so they stay as captured, marked
    assert any(p.startswith("?。ǘ┐蛟飚a") for p in damaged)
    assert any(p.startswith("?。ㄎ澹?gòu)") for p in damaged)
    assert any(p.startswith("?。┨嵘窆蚕戆l") for p in damaged)
    undamaged = [p for i, p in enumerate(snapshot["paragraphs"]) if i not in snapshot["damaged"]]
    assert not any(p.startswith("?") for p in undamaged)
    assert not any("(fā)" in p or "(gòu)" in p for p in undamaged)


def test_seed_002_targets_after_a_damaged_heading_are_filed_under_it() -> None:
    targets = normalize(page("changzhou-2021-key-work.html")).snapshot["targets"]
    sections = list(dict.fromkeys(t["section"] for t in targets.values()))
    assert sections == [
        "主要预期目标",
        "(一)厚植区域创新发展新动能",
        "(二)…产业集群发展新高地",  # numeral from its lead byte; 打造 lost with a dropped pair
        "(三)主动服务融入新发展格局",
        "(四)推动城乡融合发展新提升",
        "(五)…筑生态绿色发展新优势",
        "(六)…发展新成效",  # numeral dropped with the bracket: the one after (五)
        "(七)开创市域安全发展新局面",
        "(八)展现为民务实清廉新形象",
    ]
    assert targets["(二)…产业集群发展新高地/新增上市公司[家]"]["value"] == 15
    assert targets["(六)…发展新成效/新增城镇就业[人]"]["value"] == 9


def test_metadata_of_each_layout() -> None:
    table = normalize(page("wuxi-2024-priorities.html")).snapshot["metadata"]
    assert table["index_no"] == "014006446/2024-00026"
    assert table["doc_number"] == ""
    assert table["disclosure_term"] == "长期公开"
    assert table["keywords"] == "规划,经济,管理,控制"
    assert "文件下载" not in table
    pipes = normalize(page("wuxi-2021-plan.tc.html")).snapshot["metadata"]
    assert pipes["issued_date"] == "2021-02-18"
    assert pipes["doc_number"] == ""  # `— —`
    assert pipes["validity"] == "有效"
    rows = normalize(page("changzhou-2021-key-work.html")).snapshot["metadata"]
    assert rows["index_no"] == "014109429/2021-00086"  # spaced, traditional label 索 引 號
    assert rows["validity"] == "有效"  # 廢止日期:有效
    assert "repeal_date" not in rows
    assert normalize(page("zhonglou-2024-report.html")).snapshot["metadata"] == {}


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_snapshot_shape(name: str) -> None:
    result = normalize(page(name))
    snapshot = result.snapshot
    assert set(snapshot) == {"title", "metadata", "targets", "results", "paragraphs", "damaged", "normalizer"}
    assert snapshot["normalizer"] == NORMALIZER_VERSION
    assert snapshot["targets"], "every seed page states targets"
    assert json.loads(json.dumps(snapshot, ensure_ascii=False)) == snapshot
    assert len(result.fingerprint) == 64
    text = "".join(snapshot["paragraphs"])
    for chrome in ("浏览次数", "字号:", "扫一扫", "ICP备", "相关链接", "当前位置", "今天是", "打印本页"):
        assert chrome not in text
