"""Golden tests per platform dialect: a list page -> documents found, pages followed, page kind."""

from __future__ import annotations

from urllib.parse import urlsplit

import lxml.html
import pytest

from crawler import discovery, paging
from crawler.discovery import PageKind
from crawler.spiders.hanweb import HanwebDialect
from crawler.spiders.trs import TrsDialect, trs_next_page
from tests.crawler.dialect_sites import page

HOST = "www.example.gov.cn"
BASE = f"http://{HOST}"


def analyse(site: str, name: str, path: str, *, hanweb: bool = False) -> discovery.Analysis:
    text, _ = page(site, name)
    extra = HanwebDialect().items(text) if hanweb else []
    return discovery.analyze(lxml.html.fromstring(text), BASE + path, [HOST], extra_items=extra)


def paths(urls: list[str]) -> list[str]:
    return [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]


def item_paths(analysis: discovery.Analysis) -> list[str]:
    return [urlsplit(item.link.url).path for item in analysis.items]


def test_hanweb_home_is_navigation_with_its_news_and_the_disclosure_entry() -> None:
    a = analyse("hanweb", "home.html", "/index.html")
    assert a.kind is PageKind.NAVIGATION
    assert item_paths(a) == ["/art/2024/3/1/art_101_1.html", "/art/2024/3/5/art_102_5.html"]
    assert [urlsplit(c.link.url).path for c in a.columns] == ["/col/col100/index.html"]


def test_hanweb_entry_page_lists_its_columns_not_its_chrome() -> None:
    a = analyse("hanweb", "entry.html", "/col/col100/index.html")
    assert a.kind is PageKind.NAVIGATION
    assert a.items == []
    assert sorted(urlsplit(c.link.url).path for c in a.columns) == [
        "/col/col101/index.html",
        "/col/col102/index.html",
    ]


def test_hanweb_datastore_column_is_a_list_paged_by_dataproxy_posts() -> None:
    text, _ = page("hanweb", "col101.html")
    a = analyse("hanweb", "col101.html", "/col/col101/index.html", hanweb=True)
    assert item_paths(a) == ["/art/2024/3/1/art_101_1.html", "/art/2024/3/2/art_101_2.html"]
    assert HanwebDialect().is_list(text)
    (call,) = HanwebDialect().pages(text, BASE + "/col/col101/index.html")
    assert call.method == "POST"
    assert call.url == BASE + "/module/web/jpage/dataproxy.jsp?startrecord=3&endrecord=4&perpage=2"
    assert "columnid=101" in (call.body or "") and "unitid=4460061" in (call.body or "")
    # The proxy's answer is a record set: records, and no paging of its own.
    answer, _ = page("hanweb", "dataproxy.xml")
    assert len(HanwebDialect().items(answer)) == 2
    assert list(HanwebDialect().pages(answer, BASE + "/module/web/jpage/dataproxy.jsp")) == []


def test_plain_list_with_next_link() -> None:
    a = analyse("hanweb", "col102.html", "/col/col102/index.html")
    assert a.kind is PageKind.LIST
    assert item_paths(a) == ["/art/2024/3/5/art_102_5.html", "/art/2024/2/8/art_102_6.html"]
    assert paths(a.pages) == ["/col/col102/index_2.html?uid=0a1b2c3d4e5f6789"]


def test_news_list_with_unfamiliar_detail_urls_numbered_pager_and_last_page() -> None:
    a = analyse("news", "tzgg.html", "/news/tzgg/list.html")
    assert a.kind is PageKind.LIST
    assert item_paths(a) == ["/news/2024/03/21/content_182078.html", "/news/2024/03/18/content_182011.html"]
    assert paths(a.pages) == ["/news/tzgg/list.html?page=2", "/news/tzgg/list.html?page=3"]
    # The last page says how far the list goes: every page in between is known at once.
    assert paths(a.guessed_pages) == []  # page 2 is linked already
    # The menu of the list page is no list of documents.
    assert all("list.html" not in p for p in item_paths(a))


def test_details_of_no_known_shape_are_found_by_the_list_structure() -> None:
    a = analyse("news", "zcjd.html", "/news/zcjd/list.html")
    assert item_paths(a) == ["/p/zcjd-2024-gongzuo-yaodian", "/p/zcjd-shisiwu-jiaotong"]
    assert all(item.dated for item in a.items)


def test_news_home_menu_columns_by_anchor_text() -> None:
    a = analyse("news", "home.html", "/index.html")
    assert a.kind is PageKind.NAVIGATION
    assert sorted(urlsplit(c.link.url).path for c in a.columns) == [
        "/news/tzgg/list.html",
        "/news/zcjd/list.html",
    ]


def test_wuxi_undated_rows_and_js_pager_from_a_page_count() -> None:
    text, _ = page("wuxi", "ghjh.html")
    a = analyse("wuxi", "ghjh.html", "/zfxxgk/xxgkml/ghjh/index.shtml")
    assert item_paths(a) == ["/doc/2024/03/01/4212345.shtml", "/doc/2024/02/10/4211001.shtml"]
    # index_1.shtml may be page 2 (TRS numbering) or a 404 (Wuxi's): both are guessed from page 1.
    assert paths(paging.script_pages(text, BASE + "/zfxxgk/xxgkml/ghjh/index.shtml")) == [
        "/zfxxgk/xxgkml/ghjh/index_1.shtml",
        "/zfxxgk/xxgkml/ghjh/index_2.shtml",
    ]
    last, _ = page("wuxi", "ghjh_2.html")
    assert paging.script_pages(last, BASE + "/zfxxgk/xxgkml/ghjh/index_2.shtml") == []


def test_trs_create_page_html_walks_one_page_at_a_time() -> None:
    text, _ = page("trs", "index.html")
    a = analyse("trs", "index.html", "/zfxxgk/ghjh/index.html")
    assert item_paths(a) == [
        "/zfxxgk/ghjh/202403/t20240301_5001.html",
        "/zfxxgk/ghjh/202402/t20240220_5002.html",
    ]
    assert TrsDialect().is_list(text)
    assert [p.url for p in TrsDialect().pages(text, BASE + "/zfxxgk/ghjh/index.html")] == [
        BASE + "/zfxxgk/ghjh/index_1.html"
    ]
    assert trs_next_page(page("trs", "index_2.html")[0], BASE + "/zfxxgk/ghjh/index_2.html") == (
        BASE + "/zfxxgk/ghjh/index_3.html"
    )
    assert trs_next_page('createPageHTML(2, 1, "index", "html")', BASE + "/x/index_1.html") is None


def test_a_detail_page_is_a_detail_whatever_links_it_carries() -> None:
    text, _ = page("hanweb", "detail.html")
    a = discovery.analyze(lxml.html.fromstring(text.replace("@@TITLE@@", "示范文件")), BASE + "/p/x", [HOST])
    assert a.kind is PageKind.DETAIL
    assert discovery.looks_like_detail(a)
    assert paths(a.attachments) == ["/attach/0/plan.pdf"]


@pytest.mark.parametrize(
    ("url", "series"),
    [
        ("http://x/col/index_3.html", ("http://x/col/index_{n}.html", 3)),
        ("http://x/a/xxgk/zcwj/list_12_3.html", ("http://x/a/xxgk/zcwj/list_12_{n}.html", 3)),
        ("http://x/list.jsp?columnId=7&pageNo=4", ("http://x/list.jsp?columnId=7&pageNo={n}", 4)),
        ("http://x/List.aspx?ClassID=2&page=2", ("http://x/List.aspx?ClassID=2&page={n}", 2)),
        ("http://x/index.php?m=content&c=index&a=lists&catid=5&pageIndex=9", None),
        ("http://x/doc/2024/03/01/4212345.shtml", None),
    ],
)
def test_page_numbers_in_urls(url: str, series: tuple[str, int] | None) -> None:
    found = paging.page_number(url)
    if url.endswith("pageIndex=9"):
        assert found is not None and found.number == 9 and "pageIndex={n}" in found.template
        return
    assert (None if found is None else (found.template, found.number)) == series


def test_last_page_link_gives_every_page_between() -> None:
    html = (
        '<div class="pages"><a href="list_12_1.html">首页</a> <span>1</span>'
        ' <a href="list_12_2.html">下一页</a> <a href="list_12_6.html">尾页</a></div>'
    )
    links = [discovery.Link(u, t) for u, t in _anchors(html, "http://x/a/xxgk/zcwj/")]
    follow, guessed = paging.pager_links(links, "http://x/a/xxgk/zcwj/")
    assert paths(follow) == ["/a/xxgk/zcwj/list_12_2.html", "/a/xxgk/zcwj/list_12_6.html"]
    assert paths(guessed) == [
        "/a/xxgk/zcwj/list_12_1.html",
        *(f"/a/xxgk/zcwj/list_12_{n}.html" for n in (3, 4, 5)),
    ]


def _anchors(html: str, base: str) -> list[tuple[str, str]]:
    from urllib.parse import urljoin

    root = lxml.html.fromstring(html)
    return [(urljoin(base, a.get("href")), a.text_content().strip()) for a in root.iter("a")]


def test_undated_rows_of_unknown_shape_are_documents_when_they_read_like_titles() -> None:
    html = """<html><body><div class="nav"><a href="/">首页</a> <a href="/gk/">信息公开</a></div>
    <ul class="rows"><li><a href="/w/a81f">关于印发示范市2024年数字政府建设工作要点的通知</a></li>
    <li><a href="/w/a820">示范市人民政府关于公布第二批历史文化街区名单的通知</a></li></ul></body></html>"""
    a = discovery.analyze(lxml.html.fromstring(html), BASE + "/gk/tzgg/", [HOST])
    assert item_paths(a) == ["/w/a81f", "/w/a820"]
    assert not any(item.dated for item in a.items)  # weak: checked again when the page arrives
