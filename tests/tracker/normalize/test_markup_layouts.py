"""Pages shaped like live portals' markup (gov.cn, provincial, municipal, district sites):
every metadata layout and every body/tail case, against reviewed golden expectations.

The fixtures are in tests/fixtures/markup/; expected.json holds title, metadata and paragraphs
of each, checked by eye. Regenerate after a deliberate change with
``GOVWATCH_UPDATE_GOLDEN=1 pytest tests/tracker/normalize/test_markup_layouts.py`` and review
every changed line before keeping it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tracker.normalize import normalize

MARKUP = Path(__file__).resolve().parents[2] / "fixtures" / "markup"
EXPECTED_PATH = MARKUP / "expected.json"
EXPECTED: dict[str, dict[str, object]] = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
UPDATE = os.environ.get("GOVWATCH_UPDATE_GOLDEN") == "1"


def snapshot(name: str) -> dict[str, object]:
    return normalize((MARKUP / name).read_bytes(), url=f"https://www.example.gov.cn/{name}").snapshot


def test_every_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in MARKUP.glob("*.html"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_matches_expectations(name: str) -> None:
    got = snapshot(name)
    view = {"title": got["title"], "metadata": got["metadata"], "paragraphs": got["paragraphs"]}
    if UPDATE:
        EXPECTED[name] = view
        EXPECTED_PATH.write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert view == EXPECTED[name]


def test_govcn_bold_label_cells_with_full_width_colon_and_spaces() -> None:
    meta = snapshot("govcn-b-cells.html")["metadata"]
    assert meta["index_no"] == "000014349/2024-00019"  # 索&nbsp;&nbsp;引&nbsp;&nbsp;号：
    assert meta["doc_number"] == "国办发〔2024〕10号"
    assert meta["publisher"] == "国务院办公厅"
    assert meta["issued_date"] == "2024-03-01"
    assert meta["published_date"] == "2024-03-07"


def test_th_td_labels_and_a_commented_out_row_is_not_data() -> None:
    meta = snapshot("provincial-th-td.html")["metadata"]
    assert meta["doc_number"] == "苏政办发〔2024〕9号"
    assert meta["validity"] == "有效"
    assert "repeal_date" not in meta and "废止日期" not in meta


def test_dl_layout_with_label_synonyms() -> None:
    meta = snapshot("municipal-dl.html")["metadata"]
    # 文号 / 制发机关 / 成文日期 / 公开日期 / 效力状况 map to the canonical fields
    assert meta == {
        "index_no": "01234567-8/2024-00031",
        "doc_number": "某政发〔2024〕15号",
        "publisher": "某某市人民政府",
        "issued_date": "2024-04-02",
        "published_date": "2024-04-08",
        "validity": "有效",
    }


def test_template_comments_wrap_values_and_commented_cells_are_never_read() -> None:
    meta = snapshot("wuxi-template-comments.html")["metadata"]
    assert meta["doc_number"] == "政府令187号"
    assert meta["validity"] == ""  # —&nbsp;&nbsp;— means empty
    assert "附件下载" not in meta and "repeal_date" not in meta


def test_li_span_labels_and_an_empty_value_in_comments() -> None:
    meta = snapshot("district-li-span.html")["metadata"]
    assert meta["index_no"] == "11321102MB1234567X/2024-00012"  # 索　引　号
    assert meta["publisher"] == "某某区人民政府办公室"  # 发布单位
    assert meta["doc_number"] == ""


def test_a_sentence_with_a_chrome_word_is_kept() -> None:
    paragraphs = snapshot("district-li-span.html")["paragraphs"]
    assert "二、推动发展成果分享到每一户家庭,新增养老床位300张。" in paragraphs
    assert "三、建成口袋公园10个,版权所有人可申请公共空间艺术作品展示。" in paragraphs
    assert "扫一扫在手机打开当前页" not in paragraphs
    govcn = snapshot("govcn-b-cells.html")["paragraphs"]
    assert any("分享到每一位老年人" in p for p in govcn)


def test_stylesheet_rules_and_share_widgets_never_reach_the_body() -> None:
    for name in ("provincial-th-td.html", "govcn-b-cells.html"):
        text = "".join(snapshot(name)["paragraphs"])  # type: ignore[arg-type]
        for chrome in ("{", "TRS_Editor", "分享到:", "微信", "打印本页", "关闭窗口", "相关稿件"):
            assert chrome not in text, (name, chrome)


def test_related_reading_navigation_and_login_tail_is_cut() -> None:
    paragraphs = snapshot("municipal-dl.html")["paragraphs"]
    assert paragraphs[-1] == "2024年4月2日"
    assert not any("政策解读" in p or "网站导航" in p or "登录" in p for p in paragraphs)


def test_content_markers_bracket_the_body() -> None:
    assert snapshot("hanweb-markers.html")["paragraphs"] == [
        "各镇(街道)、区各部门:",
        "经区政府研究,2024年度区级重点项目共安排120个,年度计划投资350亿元。",
        "特此通知。",
    ]


@pytest.mark.parametrize("name", ["attachment-only.html", "video-only.html"])
def test_a_page_of_attachments_alone_is_a_page_not_a_failure(name: str) -> None:
    result = normalize((MARKUP / name).read_bytes())
    assert result.snapshot["paragraphs"] == []
    assert "no body text: attachments only" in result.warnings
    assert result.snapshot["title"]
