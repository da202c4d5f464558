"""Metadata layouts and chrome removal, on small pages shaped like the portals' markup."""

from __future__ import annotations

import pytest

from tests.tracker.normalize.pages import page as page_file
from tracker.normalize import normalize
from tracker.normalize.chrome import drop_repeats

BODY = "<div id='zoom'><p>今年全市地区生产总值增长5.5%左右。</p><p>(一)聚力稳定经济运行。</p></div>"


def page(block: str, body: str = BODY, title: str = "2024年政府工作重点_无锡市") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='location'>当前位置:首页 / 信息公开</div>{block}{body}"
        "<div class='footer'>苏ICP备09024546号 公安备案号:32021102000707</div></body></html>"
    ).encode()


def fields(block: str) -> dict[str, str]:
    return normalize(page(block)).snapshot["metadata"]


def test_label_value_table_cells() -> None:
    block = (
        "<table><tr><td>信息索引号</td><td>014006446/2024-00026</td><td>发文日期</td><td>2024年3月1日</td></tr>"
        "<tr><td>文件编号</td><td></td><td>发布机构</td><td>无锡市发展和改革委员会</td></tr>"
        "<tr><td>公开程序</td><td>部门编制</td><td>文件下载</td><td><a href='/a.pdf'>a.pdf</a></td></tr>"
        "</table>"
    )
    assert fields(block) == {
        "index_no": "014006446/2024-00026",
        "issued_date": "2024-03-01",
        "doc_number": "",
        "publisher": "无锡市发展和改革委员会",
        "公开程序": "部门编制",
    }


def test_pipe_rows_with_placeholders_and_traditional_labels() -> None:
    block = (
        "<div class='xxgk'><p>信息索引號 | 014006438/2021-00796 | 生成日期 | 2021-02-18 |</p>"
        "<p>文件編號 | — — | 發布機構 | 無錫市發展和改革委員會 | ||</p><p>效力狀況 | 有效 |</p></div>"
    )
    assert fields(block) == {
        "index_no": "014006438/2021-00796",
        "issued_date": "2021-02-18",
        "doc_number": "",
        "publisher": "无锡市发展和改革委员会",
        "validity": "有效",
    }


def test_label_colon_value_rows_with_spaced_labels() -> None:
    block = (
        "<ul><li>索 引 號:014109429/2021-00086 |</li><li>|</li><li>文件編號: |</li>"
        "<li>發布機構:常州市人民政府 |</li><li>公开日期:2021/1/25 |</li><li>廢止日期:有效 |</li>"
        "<li>备注:无 |</li></ul>"
    )
    assert fields(block) == {
        "index_no": "014109429/2021-00086",
        "doc_number": "",
        "publisher": "常州市人民政府",
        "published_date": "2021-01-25",
        "validity": "有效",
        "备注": "",
    }


def test_repeal_date_that_is_a_date() -> None:
    block = "<ul><li>索引号:1/2020-1</li><li>发布机构:某市人民政府</li><li>废止日期:2023年12月31日</li></ul>"
    assert fields(block)["repeal_date"] == "2023-12-31"


def test_every_date_field_reads_iso_and_other_validity_labels() -> None:
    block = (
        "<ul><li>索引号:1/2020-1</li><li>发布机构:某市人民政府</li><li>生效日期:2024年3月1日</li>"
        "<li>施行时间:2024/3/15</li><li>时效性:有效</li></ul>"
    )
    assert fields(block) == {
        "index_no": "1/2020-1",
        "publisher": "某市人民政府",
        "生效日期": "2024-03-01",
        "施行时间": "2024-03-15",
        "validity": "有效",
    }


def test_alternating_label_and_value_lines() -> None:
    block = (
        "<div class='info'>信息索引号<br>014006446/2024-00026<br>发文日期<br>2024-03-01<br>文件编号<br>"
        "公开时限<br>长期公开<br>发布机构<br>无锡市发展和改革委员会<br>关键词<br>规划,经济</div>"
    )
    assert fields(block) == {
        "index_no": "014006446/2024-00026",
        "issued_date": "2024-03-01",
        "doc_number": "",
        "disclosure_term": "长期公开",
        "publisher": "无锡市发展和改革委员会",
        "keywords": "规划,经济",
    }


def test_no_block_no_metadata() -> None:
    assert fields("<div class='info'>发布时间:2024-03-01 浏览次数:<span id='views'>12</span></div>") == {}


@pytest.mark.parametrize(
    "container",
    [
        "<div id='Zoom'>{}</div>",
        "<div id='UCAP-CONTENT'>{}</div>",
        "<div class='TRS_Editor'>{}</div>",
        "<div class='view TRS_UEDITOR trs_paper_default'>{}</div>",
        "<div class='trs_editor_view'>{}</div>",
        "<div class='article-con'>{}</div>",
        "<div class='wrap'><div class='content-box'>{}</div></div>",  # text density
    ],
)
def test_body_container_of_each_platform(container: str) -> None:
    inner = "<p>今年全市地区生产总值增长5.5%左右。</p><p>城镇新增就业13万人。</p>"
    chrome = (
        "<div class='nav'><a href='/?token=ab12'>首页</a><a href='/x'>政务公开</a></div>"
        "<div class='sidebar'><ul class='related'><li><a href='/y'>2023年政府工作重点</a></li></ul></div>"
    )
    result = normalize(page("", body=chrome + container.format(inner)))
    assert result.snapshot["paragraphs"] == ["今年全市地区生产总值增长5.5%左右。", "城镇新增就业13万人。"]


def test_chrome_inside_the_body_container_is_dropped() -> None:
    body = (
        "<div id='zoom'><p>发布时间:2024-03-01 15:55 浏览次数:<span>381</span> 【字号:大 中 小】</p>"
        "<p>  今年全市地区生产总值增长5.5%左右,城镇新增就业13万人。&nbsp;</p><p>2026-11-21 09:30:00</p>"
        "<div class='share'>分享到:微信 微博</div><p>【打印本页】 【关闭窗口】</p>"
        "<p>扫一扫在手机打开当前页</p><script>var hits=381;</script>"
        "<p>今年全市地区生产总值增长5.5%左右,城镇新增就业13万人。</p></div>"
    )
    assert normalize(page("", body=body)).snapshot["paragraphs"] == [
        "今年全市地区生产总值增长5.5%左右,城镇新增就业13万人。"
    ]


@pytest.mark.parametrize(
    "chrome",
    [
        "<p>当前时间:2026年11月21日 星期六 10:11:12</p>",
        "<div>2026-11-21 10:11:12 星期六</div>",
        "<p>访问量:4321</p>",
        "<p>点击率:4321</p>",
        "<p>阅读:4321</p>",
        "<p>来源:本站 作者:管理员 发布时间:2024-03-01 09:00 浏览量:<span>4321</span></p>",
        "<div>【字体:<a>大</a> <a>中</a> <a>小</a>】</div>",
        "<div>[ 大 中 小 ]</div>",
        "<div class='dy'><a href='javascript:window.print()'>[打印]</a> <a>[关闭]</a></div>",
        "<p>【纠错】</p>",
        "<p>手机扫码阅读</p>",
        "<div>分享:<a>微信</a><a>微博</a></div>",
        "<p>上一篇:关于印发某某的通知</p><p>下一篇:2024年某某工作要点</p>",
        "<div class='xgwz'><h4>相关文章</h4><ul><li><a href='/a'>2023年工作报告</a></li></ul></div>",
        "<div class='xglj'>相关链接:<a href='/b'>市政府办公室关于印发2024年工作要点的通知</a></div>",
        "<div class='bdsharebuttonbox'><a class='bds_weixin'>微信</a><a class='bds_tsina'>新浪微博</a></div>",
        "<div><a>打印</a> | <a>关闭</a></div>",
    ],
)
def test_volatile_lines_inside_the_body_container_are_dropped(chrome: str) -> None:
    body = f"<div id='zoom'>{chrome}<p>今年全市地区生产总值增长5.5%左右。</p><p>2024年3月1日</p></div>"
    # The signing date alone on its line is content; a clock or counter next to the text is not.
    assert normalize(page("", body=body)).snapshot["paragraphs"] == [
        "今年全市地区生产总值增长5.5%左右。",
        "2024年3月1日",
    ]


def test_short_content_lines_that_mention_visits_printing_or_scanning_are_kept() -> None:
    lines = [
        "开展企业访问1000家次。",
        "推进扫码乘车全覆盖。",
        "打印机产业规模增长10%。",
        "关闭落后产能企业50家。",
    ]
    body = "<div id='zoom'>" + "".join(f"<p>{line}</p>" for line in lines) + "</div>"
    assert normalize(page("", body=body)).snapshot["paragraphs"] == lines


def test_title_is_the_article_heading_not_the_site_name() -> None:
    body = "<h2>无锡市发展和改革委员会</h2><h1>2024年政府工作重点</h1>" + BODY
    assert normalize(page("", body=body)).snapshot["title"] == "2024年政府工作重点"


def test_title_from_the_heading_when_the_page_has_no_title_element() -> None:
    html = "<html><body><h1>2024年政府工作重点</h1><div id='zoom'><p>地区生产总值增长5.5%</p></div></body>"
    assert normalize(html.encode()).snapshot["title"] == "2024年政府工作重点"


def test_a_looping_capture_that_echoes_an_earlier_paragraph_is_dropped() -> None:
    heading = (
        "(二)聚力强化创新驱动,加快形成新质生产力。发挥企业主体地位和政府推动服务“两个作用”,"
        "以科技创新推动产业创新,以创新驱动的内涵式增长推动无锡高质量发展。"
    )
    echo = "坚持创新驱动。坚持创新驱动," + heading.split(",", 1)[1]
    own = "坚持创新驱动。新增企业5家," + heading.split(",", 1)[1]  # a quantity in the lead: kept
    assert drop_repeats([heading, "育强创新主体。", echo, echo, own]) == [heading, "育强创新主体。", own]


def test_seed_004_print_capture_keeps_one_copy_of_each_paragraph() -> None:
    paragraphs = normalize(page_file("wuxi-2024-report-print.html")).snapshot["paragraphs"]
    assert not any(p.startswith("坚持创新驱动。坚持创新驱动") for p in paragraphs)
    assert len(paragraphs) == len(set(paragraphs))
