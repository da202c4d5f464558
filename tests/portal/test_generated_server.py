"""The generated portal's servers: every dialect answers, with its noise, validators and faults."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from urllib.parse import urljoin, urlsplit

import pytest

from portal.generator import GeneratedPortal, dialects, route_key
from portal.generator.model import Doc, Site
from portal.generator.server import CHALLENGE_COOKIE


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, HTTPResponse | urllib.error.HTTPError]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), resp
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err


def links(base: str, page: bytes) -> set[str]:
    """Route keys (volatile parameters dropped) of every link on a page."""
    out = set()
    for href in re.findall(rb'href="([^"]+)"', page):
        url = urljoin(base, html.unescape(href.decode("utf-8", "replace")))
        parts = urlsplit(url)
        out.add(route_key(parts.path + ("?" + parts.query if parts.query else "")))
    return out


@pytest.fixture(scope="module")
def every_dialect() -> Iterator[GeneratedPortal]:
    with GeneratedPortal(seed=5, docs_per_site=30, states=3, dialects=dialects.DIALECTS) as gp:
        yield gp


def _plain_doc(site: Site, state: int) -> Doc:
    return next(d for d in site.docs if d.live(state) and not d.noise[state].faults and d.attachments)


def test_every_dialect_serves_home_entry_lists_details_attachments(every_dialect: GeneratedPortal) -> None:
    gp = every_dialect
    for server in gp.servers:
        site = server.site
        if site.states[0].challenge:
            continue
        status, home, _ = fetch(server.url + dialects.home(site))
        assert status == 200, site.dialect
        entry = dialects.entry(site)
        assert route_key(entry) in links(server.url + dialects.home(site), home), site.dialect
        status, entry_page, _ = fetch(server.url + entry)
        assert status == 200
        found = links(server.url + entry, entry_page)
        for col in site.columns:
            assert route_key(dialects.column_page(site, col, 0)) in found, site.dialect
        doc = _plain_doc(site, 0)
        status, _page, resp = fetch(server.url + doc.path)
        assert status == 200, (site.dialect, doc.path)
        assert resp.headers["Content-Type"].startswith("text/html")
        status, _blob, resp = fetch(server.url + doc.attachments[0].path)
        assert status == 200
        assert resp.headers["Content-Type"].startswith("application/")


def test_list_dialects(every_dialect: GeneratedPortal) -> None:
    gp = every_dialect
    by = {s.site.dialect: s for s in gp.servers}
    # Hanweb: records embedded in the column page, the rest by POST to dataproxy.jsp (XML)
    han = by["hanweb"]
    col = han.site.columns[0]
    status, page, _ = fetch(han.url + dialects.column_page(han.site, col, 0))
    assert b"<datastore>" in page and b"dataproxy.jsp" in page
    form = f"startrecord=1&endrecord=60&perpage=20&columnid={col.ident}".encode()
    status, xml, _resp = fetch(han.url + dialects.HANWEB_PROXY, data=form)
    assert status == 200 and b"<totalrecord>" in xml and b"<record><![CDATA[" in xml
    assert re.search(rb"art_\d+_\d+\.html\?uid=[0-9a-f]{32}", xml)
    # TRS: createPageHTML, relative links, deep near-empty stubs that answer 200
    trs = by["trs"]
    site = trs.site
    col = max(site.columns, key=lambda c: sum(d.column == c.ident for d in site.docs))
    status, page, _ = fetch(trs.url + dialects.column_page(site, col, 0))
    assert b"createPageHTML(" in page and b'href="./' in page
    listed = sum(1 for d in site.docs if d.column == col.ident and d.live(0))
    total = dialects.pages(site, listed)
    assert f"createPageHTML({total}, 0,".encode() in page
    status, stub, _ = fetch(trs.url + dialects.column_page(site, col, total))
    assert status == 200 and len(stub) < 600 and b"href" not in stub
    # Wuxi: index_1.shtml does not exist, the pager is a script
    wx = by["wuxi"]
    col = wx.site.columns[0]
    path = dialects.column_page(wx.site, col, 0)
    status, page, _ = fetch(wx.url + path)
    assert b"pageCount" in page
    assert fetch(wx.url + path.replace("index.shtml", "index_1.shtml"))[0] == 404
    # plain dialects: 下一页 links
    for name in ("govcn", "news", "cms-dede", "cms-aspx", "cms-jsp", "cms-php", "cms-jhtml"):
        server = by[name]
        col = max(server.site.columns, key=lambda c: sum(d.column == c.ident for d in server.site.docs))
        status, page, _ = fetch(server.url + dialects.column_page(server.site, col, 0))
        assert status == 200, name
        listed = sum(1 for d in server.site.docs if d.column == col.ident and d.live(0))
        if listed > server.site.per_page:
            assert "下一页".encode() in page, name


def test_tokens_vary_per_request_and_do_not_change_identity(every_dialect: GeneratedPortal) -> None:
    server = next(s for s in every_dialect.servers if s.site.dialect == "cms-jsp")
    url = server.url + dialects.column_page(server.site, server.site.columns[0], 0)
    a, b = fetch(url)[1], fetch(url)[1]
    tokens_a = set(re.findall(rb";jsessionid=([0-9a-f]+)", a))
    tokens_b = set(re.findall(rb";jsessionid=([0-9a-f]+)", b))
    assert tokens_a and tokens_b and tokens_a.isdisjoint(tokens_b)
    doc = _plain_doc(server.site, 0)
    path, _, query = doc.path.partition("?")
    assert route_key(f"{path};jsessionid=ABC?{query}&utm_source=x") == route_key(doc.path)
    assert fetch(f"{server.url}{path};jsessionid=ABC?{query}")[0] == 200


def test_validators_and_304(every_dialect: GeneratedPortal) -> None:
    with_validators = [
        s for s in every_dialect.servers if s.site.validators and not s.site.states[0].challenge
    ]
    without = [s for s in every_dialect.servers if not s.site.validators]
    assert with_validators and without
    server = with_validators[0]
    doc = _plain_doc(server.site, 0)
    status, _, resp = fetch(server.url + doc.path)
    assert status == 200
    etag = resp.headers["ETag"]
    assert etag and resp.headers["Last-Modified"]
    assert fetch(server.url + doc.path, headers={"If-None-Match": etag})[0] == 304
    _status, _, resp = fetch(without[0].url + _plain_doc(without[0].site, 0).path)
    assert resp.headers.get("ETag") is None


def test_faults_and_removals_by_state() -> None:
    with GeneratedPortal(seed=3, sites=4, docs_per_site=20, states=6) as gp:
        seen_500 = seen_gone = seen_challenge = False
        for k in range(1, gp.portal.states):
            gp.set_state(k)
            trans = gp.portal.transitions[k - 1]
            for site_index, path in sorted(trans.faulted)[:2]:
                site = gp.portal.sites[site_index]
                headers = {"Cookie": f"{CHALLENGE_COOKIE}=1"} if site.states[k].challenge else {}
                assert fetch(gp.url(site_index, path), headers=headers)[0] == 500
                seen_500 = True
            for e in trans.events:
                if e.kind == "document_removed":
                    status = fetch(gp.url(e.site, e.path))[0]
                    assert status in (404, 410)
                    seen_gone = True
            for server in gp.servers:
                if server.site.states[k].challenge:
                    doc = _plain_doc(server.site, k)
                    status, _, resp = fetch(server.url + doc.path)
                    assert status == 412
                    cookie = resp.headers["Set-Cookie"].split(";")[0]
                    assert fetch(server.url + doc.path, headers={"Cookie": cookie})[0] == 200
                    seen_challenge = True
        assert seen_500 and seen_gone and seen_challenge


def test_small_portal_serves_every_state() -> None:
    with GeneratedPortal(seed=2, sites=2, docs_per_site=8) as gp:
        for k in range(gp.portal.states):
            gp.set_state(k)
            for url in gp.home_urls():
                assert fetch(url)[0] in (200, 412)
            for site_index, path in gp.portal.documents(k):
                site = gp.portal.sites[site_index]
                found = gp.portal.find(site_index, path)
                assert found is not None
                if found[0].noise[k].faults or site.states[k].challenge:
                    continue
                assert fetch(gp.url(site_index, path))[0] == 200, (k, path)
