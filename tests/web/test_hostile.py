"""A captured page whose text is markup is shown everywhere as literal text, never as markup."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.web.store import HOSTILE_STRINGS, IMG, SCRIPT, TEXTAREA, DemoStore

pytestmark = pytest.mark.slow


def _assert_inert(html: str) -> None:
    """No hostile string survives as markup; our own script tag is the only one."""
    for hostile in HOSTILE_STRINGS:
        assert hostile not in html
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert "<img" not in html and "evil.invalid/pixel" not in html.replace("&#34;", '"').split("&lt;img")[0]
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert "</textarea></title>" not in html


def _shown(html: str, text: str) -> bool:
    """``text`` appears in the page as escaped text (what a browser shows as the characters)."""
    return str(escape(text)) in html.replace("<mark>", "").replace("</mark>", "")


def test_hostile_text_is_literal_on_every_page(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents["hostile"]
    pages = {
        "timeline": client.get("/").text,
        "filtered": client.get("/", params={"source": "hostile"}).text,
        "document": client.get(f"/documents/{doc}").text,
        "diff": client.get(f"/documents/{doc}/diff").text,
        "side": client.get(f"/documents/{doc}/diff", params={"view": "side"}).text,
        "version": client.get(f"/documents/{doc}/versions/2").text,
        "targets": client.get(f"/documents/{doc}/targets").text,
        "search": client.get("/search", params={"q": "xss-script"}).text,
        "compare": client.get("/compare", params={"a": doc, "b": min(demo_store.documents.values())}).text,
        "source": client.get("/sources/hostile").text,
    }
    for name, html in pages.items():
        _assert_inert(html)
        assert _shown(html, "<script>alert('xss-script')</script>"), name
    # The edit is drawn character by character, still as text.
    assert "第<del>1</del><ins>2</ins>稿" in pages["diff"]
    for name in ("diff", "side", "version"):
        assert _shown(pages[name], IMG) and _shown(pages[name], TEXTAREA), name
    # The search snippet highlights the match inside the escaped text.
    assert "<mark>xss-script</mark>" in pages["search"]
    # The raw capture is only ever the escaped srcdoc of a sandboxed frame, cleaned of anything
    # that could run or load: its text stays, its real tags go.
    found = re.search(r'<iframe class="capture" sandbox="" [^>]*srcdoc="([^"]*)"', pages["version"])
    assert found is not None
    srcdoc = (
        found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
    )
    srcdoc = srcdoc.replace("&amp;", "&")
    assert "点此查看" in srcdoc and "&lt;script&gt;alert('xss-script')" in srcdoc  # the page's own text
    for active in ("<script", "<img", "<link", "<meta", "javascript:alert('raw", "evil.invalid/raw"):
        assert active not in srcdoc, active


def test_hostile_text_in_feeds_and_api_is_data(client: TestClient, demo_store: DemoStore) -> None:
    doc = demo_store.documents["hostile"]
    for path in ("/feed.xml", f"/documents/{doc}/feed.xml", "/sources/hostile/feed.xml"):
        xml = client.get(path).text
        assert "<script>" not in xml and "&lt;script&gt;alert('xss-script')&lt;/script&gt;" in xml, path
    api = client.get(f"/api/documents/{doc}").json()
    assert SCRIPT in api["title"]  # JSON carries the text as it is; it is data, not a page
    assert client.get("/api/changes").headers["content-type"] == "application/json"


def test_csv_cells_never_start_a_formula(client: TestClient) -> None:
    body = client.get("/api/changes.csv").text
    for line in body.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell
