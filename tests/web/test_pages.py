"""The HTML pages over a store filled by real crawls of the demo portal: the demo's story."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from portal import site
from tests.web.store import DemoStore

pytestmark = pytest.mark.slow


def _text(html: str) -> str:
    """The page's visible text, roughly: tags out, entities for < > & back."""
    text = re.sub(r"<[^>]+>", "", html)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_timeline_shows_typed_events_grouped_by_document(client: TestClient, demo_store: DemoStore) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = _text(page.text)
    assert "地区生产总值：5.5%左右 → 6%左右" in text
    assert "社会消费品零售总额：6.5%左右 → 6.5%以上" in text
    assert "有效性：有效 → 废止" in text
    for label in ("目标调整", "信息变更", "文件撤下", "新增文件", "正文修改"):
        assert label in text
    # Both revised targets sit in one group (one crawl run, one document), with its diff link.
    priorities = demo_store.documents[site.ART_PRIORITIES]
    groups = page.text.split('<li class="group">')
    group = next(g for g in groups if f'href="/documents/{priorities}"' in g)
    assert group.count("目标调整") == 2
    assert f"/documents/{priorities}/diff?from=1&amp;to=2" in group
    # Newest first: the hostile page's edit (recorded last) comes before the portal's events.
    assert text.index("第2稿") < text.index("地区生产总值：5.5%左右")


def _events(client: TestClient, **params: object) -> str:
    """The text of the timeline's events only (the filter form names every kind too)."""
    html = client.get("/", params=params).text  # type: ignore[arg-type]
    return _text(html.split('<ol class="timeline">')[1].split("</ol>")[0])


def test_timeline_filters_by_group_kind_source_and_text(client: TestClient) -> None:
    targets = _events(client, kind="targets")
    assert "地区生产总值：5.5%左右 → 6%左右" in targets
    assert "有效性：有效 → 废止" not in targets and "文件撤下" not in targets and "新增文件" not in targets
    metadata = _events(client, kind="metadata_changed")
    assert "有效性：有效 → 废止" in metadata and "5.5%左右 → 6%左右" not in metadata
    both = _events(client, kind=["metadata", "document_removed"])
    assert "有效性：有效 → 废止" in both and "文件撤下" in both and "目标调整" not in both
    trs = _events(client, source="demo-trs")
    assert "（HTTP 404）" in trs and "5.5%左右 → 6%左右" not in trs
    by_indicator = _events(client, q="社会消费品")
    assert "社会消费品零售总额：6.5%左右 → 6.5%以上" in by_indicator
    assert "有效性：有效 → 废止" not in by_indicator
    assert _events(client, until="2000-01-01").strip() == ""
    assert "没有符合条件的变化" in client.get("/", params={"until": "2000-01-01"}).text
    assert "地区生产总值" in _events(client, since="30d", until="2999-12-31")
    assert client.get("/", params={"kind": "nonsense"}).status_code == 400
    assert client.get("/", params={"since": "yesterday-ish"}).status_code == 400


def test_changes_page_with_a_cursor_without_repeats(client: TestClient) -> None:
    page = client.get("/api/changes", params={"limit": 3}).json()
    cursor = page["next_cursor"]
    ids = [c["id"] for c in page["changes"]]
    while cursor:
        page = client.get("/api/changes", params={"limit": 3, "cursor": cursor}).json()
        ids += [c["id"] for c in page["changes"]]
        cursor = page["next_cursor"]
    everything = client.get("/api/changes", params={"limit": 500}).json()["changes"]
    assert ids == [c["id"] for c in everything] and len(ids) == len(set(ids)) > 6
    assert 'rel="next"' not in client.get("/").text  # fewer events than one page


def test_document_page(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents[site.ART_PRIORITIES]
    html = client.get(f"/documents/{doc}").text
    text = _text(html)
    assert "2024年政府工作重点" in text
    assert f'href="{demo_store.portal_url}{site.ART_PRIORITIES}"' in html  # the live page
    assert 'rel="noopener noreferrer nofollow external"' in html
    assert "发布机构" in text and "无锡市发展和改革委员会" in text  # metadata table
    assert "地区生产总值" in text and "6%左右" in text  # targets table (latest)
    assert "v2" in text and "v1" in text and "地区生产总值：5.5%左右 → 6%左右" in text  # versions
    removed = _text(client.get(f"/documents/{demo_store.documents[site.TRS_DELETED]}").text)
    assert "已撤下" in removed and "（HTTP 404）" in removed
    assert client.get("/documents/999999").status_code == 404


def test_diff_page_shows_target_table_and_character_highlights(
    client: TestClient, demo_store: DemoStore
) -> None:
    doc = demo_store.documents[site.ART_PRIORITIES]
    html = client.get(f"/documents/{doc}/diff").text  # default: the last two versions
    table = html.split('class="data targets-diff"')[1].split("</table>")[0]
    assert "地区生产总值" in table and ">5.5%左右<" in table and ">6%左右<" in table
    # Character-level: only the digits changed inside the paragraph are marked.
    assert "<del>5.5</del><ins>6</ins>" in html
    assert "<del>左右</del><ins>以上</ins>" in html
    assert 'id="c1"' in html
    side = client.get(f"/documents/{doc}/diff", params={"from": 1, "to": 2, "view": "side", "only": 1}).text
    assert 'class="side only-changes"' in side and "<del>5.5</del>" in side and "<ins>6</ins>" in side
    same = client.get(f"/documents/{doc}/diff", params={"from": 2, "to": 2}).text
    assert "目标没有变化" in same and "正文（0 处修改）" in _text(same)
    assert client.get(f"/documents/{doc}/diff", params={"from": 9}).status_code == 404


def test_version_page_sandboxes_the_raw_capture(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents[site.ART_PRIORITIES]
    page = client.get(f"/documents/{doc}/versions/1")
    assert page.status_code == 200
    assert '<iframe class="capture" sandbox=""' in page.text and "srcdoc=" in page.text
    assert "地区生产总值增长5.5%左右" in page.text  # the normalised text of version 1
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert client.get(f"/documents/{doc}/versions/7").status_code == 404


def test_targets_page_draws_the_step_and_offers_csv(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents[site.ART_PRIORITIES]
    html = client.get(f"/documents/{doc}/targets").text
    block = next(
        b for b in html.split('<section class="chart-block"') if "地区生产总值" in b.split("</h3>")[0]
    )
    path = re.search(r'<path class="line" d="([^"]+)"', block)
    assert path is not None
    # A step: move, hold to the next version (H), go up (V) to the new value, hold (H).
    commands = re.findall(r"[MHVL]", path.group(1))
    assert commands == ["M", "H", "V", "H"]
    ys = [float(y) for y in re.findall(r'<circle class="dot" cx="[^"]+" cy="([^"]+)"', block)]
    assert len(ys) == 2 and ys[1] < ys[0]  # 6 is drawn above 5.5
    assert "5.5%左右" in block and "6%左右" in block
    csv = client.get(f"/api/documents/{doc}/targets.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("document_id,key,indicator")
    gdp = [line for line in lines if ",地区生产总值," in line and "主要预期目标" in line]
    assert [line.split(",")[4] for line in gdp] == ["1", "2"] and "5.5%左右" in gdp[0] and "6%左右" in gdp[1]


def test_search_finds_documents_with_highlighted_snippets(client: TestClient, demo_store: DemoStore) -> None:
    html = client.get("/search", params={"q": "地区生产总值"}).text
    assert f'href="/documents/{demo_store.documents[site.ART_PRIORITIES]}"' in html
    assert "<mark>地区生产总值</mark>" in html
    short = client.get("/search", params={"q": "废止"}).text  # two characters: below a trigram
    assert f'href="/documents/{demo_store.documents[site.ART_PLAN]}"' in short
    both = client.get("/api/search", params={"q": "地区生产总值 6%左右"}).json()["results"]
    assert demo_store.documents[site.ART_PRIORITIES] in [r["document_id"] for r in both]
    assert all("6%左右" in r["snippet"] or "6%左右" in r["title"] or r["snippet"] for r in both)
    none = client.get("/search", params={"q": "这个词不会出现在任何文件里"}).text
    assert "没有找到" in none


def test_compare_report_and_newspaper_print(client: TestClient, demo_store: DemoStore) -> None:
    a, b = demo_store.documents[site.ART_PRIORITIES], demo_store.documents[site.ART_PRINT]
    html = client.get("/compare", params={"a": a, "b": b}).text
    # Last year's results (16.4万人 new jobs) are no targets: the two differ in wording only.
    assert 'class="data compare-differing"' not in html and "取值不同 0 项" in html
    table = html.split('class="data compare-reworded"')[1].split("</table>")[0]
    assert "科技型企业贷款余额" in table and "科技型中小企业贷款余额" in table and ">12%<" in table
    assert "市重大产业项目完成投资" in table and "市重大项目项目完成投资" in table and ">1450亿元<" in table
    assert "仅 A 有的目标" in html and "仅 B 有的目标" in html and "措辞差异" in html
    assert client.get("/compare", params={"a": a, "b": 999999}).status_code == 404
    assert "对比两个文件" in client.get("/compare").text


def test_indicators_page_follows_an_indicator_across_documents(
    client: TestClient, demo_store: DemoStore
) -> None:
    html = client.get("/indicators", params={"source": "demo-hanweb", "indicator": "地区生产总值"}).text
    block = html.split('data-indicator="地区生产总值"')[1].split("</section>")[0]
    plan, priorities = demo_store.documents[site.ART_PLAN], demo_store.documents[site.ART_PRIORITIES]
    rows = re.findall(
        r"<tr><td>(\d{4}|—)</td><td class=\"value\">([^<]+)</td><td><a href=\"/documents/(\d+)\"", block
    )
    assert ("2021", "7%", str(plan)) in rows
    assert ("2024", "6%左右", str(priorities)) in rows
    assert '<path class="line"' in block


def test_sources_pages(client: TestClient) -> None:
    text = _text(client.get("/sources").text)
    assert "demo-hanweb" in text and "demo-trs" in text and "hostile" in text
    page = _text(client.get("/sources/demo-trs").text)
    assert "最近的抓取" in page and "gone" in page and "HTTP 404" in page  # what failed and why
    assert client.get("/sources/no-such-source").status_code == 404


def test_feeds_carry_the_actual_change(client: TestClient, demo_store: DemoStore) -> None:
    everything = client.get("/feed.xml")
    assert everything.headers["content-type"].startswith("application/atom+xml")
    assert "目标调整 地区生产总值：5.5%左右 → 6%左右" in everything.text
    doc = demo_store.documents[site.ART_PRIORITIES]
    one = client.get(f"/documents/{doc}/feed.xml").text
    assert one.count("<entry>") == 3  # added, and two targets revised
    assert f"/documents/{doc}/diff?from=1&amp;to=2" in one
    trs = client.get("/sources/demo-trs/feed.xml").text
    assert "文件撤下" in trs and "地区生产总值：5.5%" not in trs
    assert client.get("/sources/none/feed.xml").status_code == 404
    assert client.get("/documents/999999/feed.xml").status_code == 404


def test_security_headers_on_every_response(client: TestClient, demo_store: DemoStore) -> None:
    for path in ("/", "/api/changes", "/feed.xml", "/static/style.css", "/documents/999999"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"


def test_every_asset_is_served_here(client: TestClient) -> None:
    for path in ("/", "/api/docs", "/search?q=地区"):
        html = client.get(path).text
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not ref.startswith(("http:", "https:", "//")) or ref.startswith("http://127.0.0.1"), ref
    assert client.get("/static/app.js").status_code == 200
