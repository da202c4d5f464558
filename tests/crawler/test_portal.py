"""The demo portal: real HTTP on 127.0.0.1, conditional requests, noise per request, state switch."""

from __future__ import annotations

import gzip
import http.client
import urllib.error
import urllib.request

from portal import PortalServer, demo_config, site
from tracker.config import parse_config


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_conditional_requests_get_a_real_304(portal: PortalServer) -> None:
    status, headers, body = get(portal.url + site.ART_PRIORITIES)
    assert status == 200 and "地区生产总值增长5.5%左右".encode() in body
    assert get(portal.url + site.ART_PRIORITIES, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(portal.url + site.ART_PRIORITIES, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(portal.url + site.ART_PRIORITIES, {"If-None-Match": '"other"'})[0] == 200
    portal.set_state("b")
    status, headers_b, body_b = get(portal.url + site.ART_PRIORITIES, {"If-None-Match": headers["ETag"]})
    assert status == 200 and headers_b["ETag"] != headers["ETag"]
    assert "地区生产总值增长6%左右".encode() in body_b


def test_every_request_carries_fresh_noise(portal: PortalServer) -> None:
    first = get(portal.url + site.ART_PRINT)[2]
    second = get(portal.url + site.ART_PRINT)[2]
    assert first != second
    assert b'<span id="views">' in first and b"token=" in first


def test_state_b_removes_adds_and_repeals(portal: PortalServer) -> None:
    assert get(portal.url + site.TRS_DELETED)[0] == 200
    assert get(portal.url + site.ART_NEW)[0] == 404
    portal.set_state("b")
    assert get(portal.url + site.TRS_DELETED)[0] == 404
    assert get(portal.url + site.ART_NEW)[0] == 200
    assert "效力状况 | 废止 |".encode() in get(portal.url + site.ART_PLAN)[2]
    assert site.TRS_DELETED.rsplit("/", 1)[1].encode() not in get(portal.url + "/zfxxgk/index_1.html")[2]


def test_fault_cases(portal: PortalServer) -> None:
    status, headers, _ = get(portal.url + site.DOC_CHALLENGE)
    assert status == 412 and site.CHALLENGE_COOKIE in headers["Set-Cookie"]
    cookie = headers["Set-Cookie"].split(";")[0]
    assert get(portal.url + site.DOC_CHALLENGE, {"Cookie": cookie})[0] == 200
    assert get(portal.url + site.DOC_BLOCKED, {"Cookie": cookie})[0] == 521
    assert get(portal.url + site.DOC_UNAVAILABLE)[0] == 503
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(portal.url + site.DOC_FOREIGN)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302 and exc.headers["Location"].startswith(portal.foreign_url)
    connection = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    connection.request("GET", site.DOC_HUGE)
    response = connection.getresponse()
    assert response.getheader("Content-Encoding") == "gzip"
    assert len(gzip.decompress(response.read())) > 32 * 1024 * 1024
    connection.close()
    pdf = get(portal.url + site.ATTACHMENT)
    assert pdf[1]["Content-Type"] == "application/pdf" and pdf[2].startswith(b"%PDF-")


def test_hanweb_dataproxy_pages_by_record_range(portal: PortalServer) -> None:
    body = get(portal.url + site.DATAPROXY + "?startrecord=3&endrecord=4&perpage=2")[2].decode()
    assert "<totalrecord>3</totalrecord>" in body and site.ART_PRINT in body and site.ART_PLAN not in body


def test_demo_config_is_a_valid_sources_file(portal: PortalServer) -> None:
    config = parse_config(demo_config(portal.url))
    assert [s.platform for s in config.sources] == ["hanweb", "trs", "generic"]
    assert all(s.allow_private_addresses and s.allowed_hosts == ("127.0.0.1",) for s in config.sources)
