"""Link discovery on list pages: detail shapes, attachments, off-site links and the pagination dialects."""

from __future__ import annotations

import re

import pytest
from parsel import Selector

from crawler import anchors as links
from crawler import paging
from crawler.spiders import hanweb, trs

BASE = "https://www.example.gov.cn/col/col1/index.html"


@pytest.mark.parametrize(
    "url",
    [
        "https://dfgw.wuxi.gov.cn/art/2024/3/1/art_1234_5678.html",
        "https://dfgw.wuxi.gov.cn/doc/2024/03/01/4206343.shtml",
        "https://www.example.gov.cn/zfxxgk/202402/t20240220_5001.html",
        "http://www.zhonglou.gov.cn/html/czzl/2021/FPJBLMLO_0414/15821.html",
    ],
)
def test_detail_shapes_are_recognised(url: str) -> None:
    assert links.is_detail_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.gov.cn/col/col1/index.html",
        "https://www.example.gov.cn/zfxxgk/index_1.html",
        "https://www.example.gov.cn/art/2024/1/2/art_4000.html",
        "https://www.example.gov.cn/login.jsp?token=1",
    ],
)
def test_list_and_chrome_links_are_not_details(url: str) -> None:
    assert not links.is_detail_url(url)


def test_details_and_attachments_stay_on_allowed_hosts() -> None:
    html = """<ul class="list">
      <li><a href="/art/2024/3/1/art_1_2.html#top">a</a></li>
      <li><a href="./202402/t20240220_1.html">b</a></li>
      <li><a href="https://other.gov.cn/art/2024/3/1/art_1_3.html">off-site</a></li>
      <li><a href="/uploads/plan.PDF">pdf</a> <a href="ftp://www.example.gov.cn/x.doc">ftp</a></li>
      <li><a href="javascript:void(0)">js</a> <a href="/col/col2/index.html">column</a></li>
    </ul>"""
    found = links.anchors(Selector(text=html), BASE)
    details, attachments = links.detail_and_attachment_links(found, ["www.example.gov.cn"])
    assert details == [
        "https://www.example.gov.cn/art/2024/3/1/art_1_2.html",
        "https://www.example.gov.cn/col/col1/202402/t20240220_1.html",
    ]
    assert attachments == ["https://www.example.gov.cn/uploads/plan.PDF"]


def test_pattern_and_selector_replace_the_shapes() -> None:
    html = (
        '<div class="news"><a href="/ns_news/123">x</a></div>'
        '<div class="side"><a href="/ns_news/9">y</a></div>'
    )
    found = links.anchors(Selector(text=html), BASE, "div.news")
    details, _ = links.detail_and_attachment_links(
        found, ["www.example.gov.cn"], re.compile(r"/ns_news/\d+"), scoped=True
    )
    assert details == ["https://www.example.gov.cn/ns_news/123"]
    xpath_found = links.anchors(Selector(text=html), BASE, "//div[@class='side']")
    assert [link.url for link in xpath_found] == ["https://www.example.gov.cn/ns_news/9"]


def test_next_page_links() -> None:
    html = '<a href="list_2.html">下一页</a> <a href="list_9.html">尾页</a> <a href="list_0.html">上一页</a>'
    found = links.anchors(Selector(text=html), "https://x.gov.cn/xxgk/list.html")
    assert (
        paging.pager_links(found, "https://x.gov.cn/xxgk/list.html")[0][0]
        == "https://x.gov.cn/xxgk/list_2.html"
    )


def test_trs_create_page_html() -> None:
    text = '<script>createPageHTML(4, 0, "index", "html");</script>'
    assert trs.trs_pages(text, "https://x.gov.cn/zfxxgk/index.html") == [
        "https://x.gov.cn/zfxxgk/index_1.html",
        "https://x.gov.cn/zfxxgk/index_2.html",
        "https://x.gov.cn/zfxxgk/index_3.html",
    ]
    assert trs.trs_pages("no script", "https://x.gov.cn/zfxxgk/index.html") == []


def test_hanweb_datastore_and_dataproxy_paging() -> None:
    proxy = "/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=2&columnid=1574&unitid=7042"
    text = f"""<div id="4460061"><script type="text/xml"><datastore>
      <nextgroup><![CDATA[<a href="{proxy}"></a>]]></nextgroup>
      <recordset><record><![CDATA[<li><a href="/art/2024/3/1/art_1574_1.html">一</a></li>]]></record>
      <record><![CDATA[<li><a href="/art/2024/3/2/art_1574_2.html">二</a></li>]]></record></recordset>
      </datastore></script></div><script>$('#4460061').jpage({{ totalRecord: 7, perPage: 3 }});</script>"""
    fragments = hanweb.hanweb_records(text)
    assert len(fragments) == 2 and "art_1574_1" in fragments[0]
    paging = hanweb.hanweb_paging(text, "https://www.wuxi.gov.cn/col/col1574/index.html")
    assert paging is not None
    assert paging.proxy_url == "https://www.wuxi.gov.cn/module/web/jpage/dataproxy.jsp"
    assert paging.form == {"appid": "1", "webid": "2", "columnid": "1574", "unitid": "7042"}
    assert hanweb.hanweb_page_requests(paging) == [
        (
            f"{paging.proxy_url}?startrecord=3&endrecord=5&perpage=3",
            "appid=1&webid=2&columnid=1574&unitid=7042",
        ),
        (
            f"{paging.proxy_url}?startrecord=6&endrecord=7&perpage=3",
            "appid=1&webid=2&columnid=1574&unitid=7042",
        ),
    ]
    # A dataproxy answer carries records but no nextgroup: it never pages again.
    answer = "<datastore><totalrecord>7</totalrecord><recordset></recordset></datastore>"
    assert hanweb.hanweb_paging(answer, paging.proxy_url) is None
