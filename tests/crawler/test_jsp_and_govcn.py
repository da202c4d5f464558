"""JSP sites (``;jsessionid=`` in every link, ``detail.jsp?id=``, attachments behind download
scripts and script links) and gov.cn-style sites (a column whose name and URL say nothing):
golden tests on their pages, then real crawls from their home pages."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import lxml.html
import pytest
from parsel import Selector

from crawler import anchors, discovery
from crawler.anchors import Link
from crawler.discovery import PageKind
from tests.crawler.dialect_sites import (
    Crawled,
    DialectSite,
    crawl_twice,
    documents_added,
    expected_documents,
    page,
    source_block,
    stored_documents,
    write_config,
)

HOST = "www.example.gov.cn"
BASE = f"http://{HOST}"
TOKEN = "0a1b2c3d4e5f6789"  # what ``page`` puts in place of a visit's token
JSP_ATTACHMENTS = {
    "/uploads/2024/0207/1101-1.pdf",
    "/xxgk/download.jsp?id=9001",
    "/uploadfile/2024/0207/1101-3.doc",
    "/uploadfile/2024/0207/1101-4.xlsx",
    "/xxgk/file.jsp?fid=77",
}


def analyse(site: str, name: str, path: str) -> discovery.Analysis:
    text, _ = page(site, name)
    return discovery.analyze(lxml.html.fromstring(text), BASE + path, [HOST])


def bare(url: str) -> str:
    """Path and query as the server routes them: path parameters and the visit's token left out."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(("jsessionid=", "_t=")))
    return anchors.bare_path(url) + (f"?{query}" if query else "")


# -- golden: JSP ------------------------------------------------------------------------------------


def test_jsp_list_rows_with_path_session_ids_and_the_pager() -> None:
    a = analyse("jsp", "list11.html", f"/xxgk/list.jsp;jsessionid={TOKEN}?columnId=11")
    assert a.kind is PageKind.LIST
    assert [bare(i.link.url) for i in a.items] == [
        "/xxgk/detail.jsp?id=1101",
        "/xxgk/detail.jsp?id=1102",
        "/xxgk/detail.jsp?id=1103",
    ]
    assert all(i.dated for i in a.items)
    assert [bare(u) for u in a.pages] == ["/xxgk/list.jsp?columnId=11&pageNo=2"]


def test_jsp_last_page_with_a_single_row_still_gives_its_document() -> None:
    a = analyse("jsp", "list11_2.html", f"/xxgk/list.jsp;jsessionid={TOKEN}?columnId=11&pageNo=2")
    assert [bare(i.link.url) for i in a.items] == ["/xxgk/detail.jsp?id=1104"]


def test_jsp_detail_page_attachments_behind_session_ids_scripts_and_download_pages() -> None:
    text, _ = page("jsp", "detail.html")
    url = f"{BASE}/xxgk/detail.jsp;jsessionid={TOKEN}?id=1101"
    found = anchors.attachment_links(Selector(text=text), url, [HOST])
    assert {bare(u) for u in found} == JSP_ATTACHMENTS
    assert len(found) == len(JSP_ATTACHMENTS)


def test_jsp_entry_page_leads_to_both_columns() -> None:
    a = analyse("jsp", "entry.html", f"/xxgk/index.jsp;jsessionid={TOKEN}")
    assert sorted(bare(c.link.url) for c in a.columns) == [
        "/xxgk/list.jsp?columnId=11",
        "/xxgk/list.jsp?columnId=12",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://x/uploads/2024/0301/1-1.pdf;jsessionid=ab12cd34",
        "http://x/UploadFiles/202403/1_2.XLSX;JSESSIONID=AB12",
        "http://x/xxgk/download.jsp?id=12",
        "http://x/module/download/downfile.jsp?classid=0&filename=2403011234.pdf",
        "http://x/DownLoad.aspx?fileid=7",
        "http://x/common/getFile.do?path=/uploadfile/2024/a.doc",
    ],
)
def test_file_urls_are_attachments(url: str) -> None:
    assert anchors.is_attachment_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://x/xxgk/detail.jsp;jsessionid=ab12?id=12",
        "http://x/xxgk/list.jsp;jsessionid=ab12?columnId=3",
        "http://x/xxgk/download.jsp",  # no file chosen: a page about downloads
        "http://x/art/2024/3/1/art_1_2.html",
        "http://x/attachments/index.html?page=2",
    ],
)
def test_pages_are_not_attachments(url: str) -> None:
    assert not anchors.is_attachment_url(url)


def test_path_session_ids_do_not_hide_a_detail_shape() -> None:
    assert anchors.is_detail_url("http://x/xxgk/detail.jsp;jsessionid=ab12?id=12")
    assert anchors.is_detail_url("http://x/news/2024/03/21/content_182078.html;jsessionid=1")
    assert not anchors.is_detail_url("http://x/xxgk/list.jsp;jsessionid=ab12?columnId=3")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("""<a href="javascript:downFile('/uploadfile/2024/a.pdf')">附件</a>""", "/uploadfile/2024/a.pdf"),
        ("""<a href="#" onclick="window.open('/files/b.docx');return false;">附件</a>""", "/files/b.docx"),
        ("""<a href="javascript:void(0)" onclick="download(12345)">附件</a>""", None),
        ("""<a href="javascript:showDetail('/xxgk/detail.jsp?id=3')">标题</a>""", None),
        ("""<a href="/real.html" onclick="track('/x.pdf')">标题</a>""", None),
    ],
)
def test_script_links_give_the_file_they_download(html: str, expected: str | None) -> None:
    a = lxml.html.fragment_fromstring(html)
    assert anchors.script_target(a) == expected


@pytest.mark.parametrize(
    ("text", "is_file"),
    [
        ("附件1：实施方案.pdf", True),
        ("统计表.xlsx（35KB）", True),
        ("说明.DOC [下载]", True),
        ("关于印发《2024年工作要点》的通知", False),
        ("PDF下载", False),
    ],
)
def test_anchor_text_naming_a_file(text: str, is_file: bool) -> None:
    assert anchors.names_file(text) is is_file
    assert anchors.is_attachment(Link("http://x/xxgk/file.jsp?fid=1", text)) is is_file


def test_items_of_an_unknown_shape_on_a_later_page_are_found_by_the_first_pages_shape() -> None:
    first = """<ul class="list">
      <li><a href="/zwgk/wj/20240301/a1201.htm">关于做好2024年价格监测工作的通知</a>
        <span>2024-03-01</span></li>
      <li><a href="/zwgk/wj/20240211/a1188.htm">关于印发2024年政府工作要点的通知</a>
        <span>2024-02-11</span></li>
    </ul>"""
    last = """<div class="crumb"><a href="/index.htm">首页</a> &gt; <a href="/zwgk/wj/">文件</a></div>
      <div class="list"><p><a href="/zwgk/wj/20231107/a1002.htm">关于加强数据资源管理的实施意见</a></p></div>
      <div class="pages"><a href="/zwgk/wj/index.htm">首页</a></div>"""
    a1 = discovery.analyze(lxml.html.fromstring(first), BASE + "/zwgk/wj/index.htm", [HOST])
    shapes = {discovery.item_shape(i.link.url) for i in a1.items if i.dated}
    a2 = discovery.analyze(lxml.html.fromstring(last), BASE + "/zwgk/wj/index_2.htm", [HOST])
    assert a2.items == []  # no repeated block, no known URL shape
    found = discovery.items_of_shape(a2, shapes, [HOST])
    assert [urlsplit(i.link.url).path for i in found] == ["/zwgk/wj/20231107/a1002.htm"]


def test_item_shape_ignores_session_ids_and_numbers() -> None:
    shape = discovery.item_shape
    assert shape("http://h/xxgk/detail.jsp;jsessionid=ab?id=1&jsessionid=cd") == shape(
        "http://h/xxgk/detail.jsp?id=99"
    )
    assert shape("http://h/xxgk/detail.jsp?id=1") != shape("http://h/xxgk/list.jsp?columnId=1")


# -- golden: gov.cn-style column menus --------------------------------------------------------------


def test_a_column_menu_lifts_an_entry_whose_name_and_url_say_nothing() -> None:
    a = analyse("govcn", "entry.html", f"/zhengce/index.htm?_t={TOKEN}")
    assert sorted(bare(c.link.url) for c in a.columns) == [
        "/zhengce/rsxx/index.htm",
        "/zhengce/tzgg/index.htm",
        "/zhengce/zcwj/index.htm",
    ]


def test_the_site_bar_lifts_nothing() -> None:
    a = analyse("govcn", "home.html", f"/index.htm?_t={TOKEN}")
    assert [bare(c.link.url) for c in a.columns] == ["/zhengce/index.htm"]


# -- real crawls from the home pages -----------------------------------------------------------------

STARTS = {"jsp": "/index.jsp", "govcn": "/index.htm"}


@pytest.fixture(scope="module")
def crawled(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    sites = {name: DialectSite(name) for name in STARTS}
    try:
        blocks = [source_block(name, f"{site.url}{STARTS[name]}") for name, site in sites.items()]
        config = write_config(tmp_path_factory.mktemp("jsp-govcn") / "govwatch.toml", blocks)
        yield crawl_twice(sites, list(sites), config, module_db_url)
    finally:
        for site in sites.values():
            site.stop()


def _documents(crawled: Crawled, source: str) -> list[tuple[str, str]]:
    return [(bare(url), kind) for url, kind in stored_documents(crawled.db_url, source)]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["jsp", "govcn"])
def test_every_document_of_every_column_is_found_from_the_home_page_once(
    crawled: Crawled, source: str
) -> None:
    documents = _documents(crawled, source)
    pages = sorted(url for url, kind in documents if kind == "page")
    assert pages == sorted(expected_documents(source))
    assert len(documents) == len({url for url, _ in documents})
    assert crawled.exit_codes[source] == [0, 0]


@pytest.mark.slow
def test_jsp_attachments_are_recorded_as_attachments(crawled: Crawled) -> None:
    attachments = {url for url, kind in _documents(crawled, "jsp") if kind != "page"}
    assert attachments == JSP_ATTACHMENTS


@pytest.mark.slow
def test_second_crawl_announces_nothing(crawled: Crawled) -> None:
    added = documents_added(crawled.db_url)
    for source in STARTS:
        assert crawled.summaries[source][1]["counts"]["changes"] == 0, source
        assert added[source] == len(_documents(crawled, source))
