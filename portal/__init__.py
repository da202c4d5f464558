"""The built-in demo portal: a local disclosure site in two states, for the demo, the tests and benchmarks.

Serve it with ``python -m portal [--port N] [--state a|b]`` or, in code::

    with PortalServer(state="a") as portal:
        config_text = demo_config(portal.url)
        ...                       # crawl
        portal.set_state("b")
        ...                       # crawl again

Sources (see ``demo_config``): ``demo-hanweb`` (Hanweb column with an embedded ``<datastore>``
and ``dataproxy.jsp`` paging), ``demo-trs`` (TRS ``createPageHTML`` paging), ``demo-generic``
(plain 下一页 links, the attachment and every fault case).

Which URL shows which case (paths are constants in ``portal.site``):

=====================================================  ==============================================
``/col/col1234/index.html`` + ``dataproxy.jsp``         Hanweb list: 2 records embedded, the rest paged
``/art/2024/3/1/art_1234_1001.html``                    seed 000 (UTF-8). b: 地区生产总值增长5.5%左右 →
                                                        6%左右; 社会消费品零售总额增长6.5%左右 → 以上
``/art/2021/3/10/art_1234_1002.html``                   seed 001 simplified. b: 效力状况 有效 → 废止
``/art/2024/1/15/art_1234_1003.html``                   seed 004 newspaper print. b: noise only (token,
                                                        view-counter base; new ETag, same content)
``/art/2024/3/14/art_1234_1004.html``                   b only: a new notice (listed first in b)
``/zfxxgk/index.html``, ``index_1.html``                TRS list pages (``createPageHTML(2, n, ...)``)
``/zfxxgk/202402/t20240220_5001.html``                  seed 003 TRS page, Last-Modified only
``/zfxxgk/202103/t20210310_5002.html``                  seed 001 繁體 in a, simplified in b: no change
``/zfxxgk/202401/t20240105_5003.html``                  a notice; b: unlisted and 404 (deleted)
``/xxgk/list.html`` → ``/xxgk/list_2.html``             generic list with 下一页
``/doc/2021/02/26/2001.shtml``                          seed 002: GB18030 bytes, ``text/html`` without
                                                        charset, no validators (always 200)
``/html/czzl/2024/KQJHGFDS_0301/2011.html``             links ``/uploads/2024/03/plan-2024.pdf`` (PDF,
                                                        ETag), an off-site PDF and an ftp:// link
``/doc/2024/01/05/2003.shtml``                          404 in both states
``/doc/2024/01/06/2004.shtml``                          503 every time
``/doc/2024/01/07/2005.shtml``                          412 JS challenge + Set-Cookie; 200 once the
                                                        cookie comes back
``/doc/2024/01/08/2006.shtml``                          521 JS challenge that never passes (blocked)
``/doc/2024/01/09/2007.shtml``                          302 to ``http://localhost:PORT/foreign/...``
``/doc/2024/01/10/2008.shtml``                          redirect loop (↔ ``?from=loop``)
``/doc/2024/01/11/2009.shtml``                          gzip body of 33 MiB once decompressed
``/doc/2024/01/12/2010.shtml``                          truncated body on every other request
``/private/doc/2024/01/13/2012.shtml``                  disallowed by ``/robots.txt``
=====================================================  ==============================================

Every HTML page varies per request: ``<span id="views">``, ``<span id="clock">`` and
``token=...`` in links. Pages with validators answer conditional requests with a real 304.

Expected change events of a crawl of a followed by a crawl of b (nothing else):

- ``art_1234_1001``: two ``target_changed`` (地区生产总值 5.5 → 6 %, 社会消费品零售总额 左右 → 以上);
- ``art_1234_1002``: one ``metadata_changed`` (validity 有效 → 废止);
- ``art_1234_1004``: ``document_added``;
- ``t20240105_5003``: ``document_removed`` (404 on the revisit of a known URL);
- ``art_1234_1003`` (noise) and ``t20210310_5002`` (繁體 → simplified): no event.

The fault pages end as fetch outcomes (gone, transient_error, blocked, rejected), never versions,
so ``demo-generic`` runs end ``partial`` by design; ``demo-hanweb`` and ``demo-trs`` end ``ok``.
"""

from portal.server import PortalServer

DEMO_SOURCES = ("demo-hanweb", "demo-trs", "demo-generic")


def demo_config(base_url: str, schedule: str = "every 1h") -> str:
    """TOML text of the demo sources (one per pagination dialect) against a portal at ``base_url``."""
    from urllib.parse import urlsplit

    base = base_url.rstrip("/")
    host = urlsplit(base).hostname
    common = f"""allowed_hosts = ["{host}"]
schedule = "{schedule}"
allow_private_addresses = true
download_delay = 0
concurrency = 4
"""
    return f"""# Sources of the built-in demo portal at {base} (see the portal package docstring).
[settings]
contact = "mailto:demo@govwatch.invalid"

[[source]]
name = "demo-hanweb"
platform = "hanweb"
start_urls = ["{base}/col/col1234/index.html"]
{common}
[[source]]
name = "demo-trs"
platform = "trs"
start_urls = ["{base}/zfxxgk/index.html"]
{common}
[[source]]
name = "demo-generic"
platform = "generic"
start_urls = ["{base}/xxgk/list.html"]
{common}"""


__all__ = ["DEMO_SOURCES", "PortalServer", "demo_config"]
