"""The demo portal's content in each state: which path serves what (pure; HTTP lives in server.py)."""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

STATES = ("a", "b")

# Fixed HTTP dates so Last-Modified is deterministic.
DATE_A = "Fri, 01 Mar 2024 07:55:00 GMT"
DATE_B = "Fri, 15 Mar 2024 02:10:00 GMT"
PDF_DATE = "Tue, 05 Mar 2024 01:00:00 GMT"

HANWEB_COLUMN = "/col/col1234/index.html"
DATAPROXY = "/module/web/jpage/dataproxy.jsp"
HANWEB_PER_PAGE = 2
TRS_COLUMN = "/zfxxgk/index.html"
GENERIC_COLUMN = "/xxgk/list.html"

# Hanweb detail pages (demo-hanweb).
ART_PRIORITIES = "/art/2024/3/1/art_1234_1001.html"  # seed 000; b: two targets revised
ART_PLAN = "/art/2021/3/10/art_1234_1002.html"  # seed 001 simplified; b: 有效 -> 废止
ART_PRINT = "/art/2024/1/15/art_1234_1003.html"  # seed 004; b: noise only
ART_NEW = "/art/2024/3/14/art_1234_1004.html"  # exists only in b
# TRS detail pages (demo-trs).
TRS_REPORT = "/zfxxgk/202402/t20240220_5001.html"  # seed 003
TRS_PLAN_TC = "/zfxxgk/202103/t20210310_5002.html"  # seed 001: 繁體 in a, simplified in b
TRS_DELETED = "/zfxxgk/202401/t20240105_5003.html"  # gone (404) in b
# Generic detail pages and fault cases (demo-generic).
DOC_CHANGZHOU = "/doc/2021/02/26/2001.shtml"  # seed 002, GB18030 bytes behind a utf-8 label
DOC_MISSING = "/doc/2024/01/05/2003.shtml"  # 404
DOC_UNAVAILABLE = "/doc/2024/01/06/2004.shtml"  # 503 every time
DOC_CHALLENGE = "/doc/2024/01/07/2005.shtml"  # 412 JS challenge, passes once the cookie comes back
DOC_BLOCKED = "/doc/2024/01/08/2006.shtml"  # 521 JS challenge that never passes
DOC_FOREIGN = "/doc/2024/01/09/2007.shtml"  # 302 to another host
DOC_LOOP = "/doc/2024/01/10/2008.shtml"  # redirect loop
DOC_HUGE = "/doc/2024/01/11/2009.shtml"  # gzip body over 32 MiB once decompressed
DOC_FLAKY = "/doc/2024/01/12/2010.shtml"  # truncated on every other request
DOC_ATTACHING = "/html/czzl/2024/KQJHGFDS_0301/2011.html"  # links the PDF (and an off-site PDF)
DOC_ROBOTS = "/private/doc/2024/01/13/2012.shtml"  # disallowed by robots.txt
ATTACHMENT = "/uploads/2024/03/plan-2024.pdf"
FOREIGN_LANDING = "/foreign/landing.html"  # served under the other host name; must never be hit
OFFSITE_ATTACHMENT = "/uploads/offsite.pdf"  # linked with the other host name; must never be hit

CHALLENGE_COOKIE = "__jsl_clearance"
CHALLENGE_VALUE = "1700000000.123|0|demo"
HUGE_BYTES = 33 * 1024 * 1024


@dataclass(frozen=True)
class Resource:
    """What one path answers in one state."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: bool = True  # send an ETag derived from the stable body
    last_modified: str | None = DATE_A
    volatile: bool = True  # vary view counter, clock and tokens per request
    fault: str | None = None  # handled by the server: challenge, blocked, foreign, loop, huge, flaky

    @property
    def etag_value(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


@cache
def seed_page(name: str) -> bytes:
    return (files("portal.pages") / name).read_bytes()


def _edit(body: bytes, *pairs: tuple[str, str], encoding: str = "utf-8") -> bytes:
    text = body.decode(encoding)
    for old, new in pairs:
        if old not in text:
            raise ValueError(f"portal edit: {old!r} not found")
        text = text.replace(old, new)
    return text.encode(encoding)


def small_page(title: str, date: str, paragraphs: list[str], extra: str = "") -> bytes:
    """A short disclosure notice with the same chrome hooks (views, clock, token) as the seed pages."""
    body = "\n".join(f'<p style="text-indent:2em;">{html.escape(p)}</p>' for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}_示范门户</title></head>
<body>
<div class="header">示范门户 <span id="clock">2026-11-21 09:30:00</span>
 <a href="/login.jsp?token=3f9a1c2e7b5d4a60">登录</a></div>
<div class="position">当前位置:<a href="/">首页</a> &gt; 政府信息公开 &gt; 通知公告</div>
<div class="article">
<h1 class="title">{html.escape(title)}</h1>
<div class="info">发布时间:{date} 浏览次数:<span id="views">1287</span>
 字号:<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a></div>
<div id="zoom">
{body}
{extra}
</div></div>
<div class="footer">主办单位:示范门户 ICP备00000000号 公安备案32020000000000号</div>
</body></html>
""".encode()


def list_page(title: str, links: list[tuple[str, str, str]], tail: str = "") -> bytes:
    items = "\n".join(
        f'<li><a href="{href}" title="{html.escape(t)}">{html.escape(t)}</a><span>{d}</span></li>'
        for href, t, d in links
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body><div class="header">示范门户 <span id="clock">2026-11-21 09:30:00</span></div>
<div class="position">当前位置:<a href="/">首页</a> &gt; 政府信息公开 &gt; {html.escape(title)}</div>
<ul class="list">
{items}
</ul>
{tail}
<div class="footer">主办单位:示范门户</div></body></html>
""".encode()


# -- Hanweb column ------------------------------------------------------------------------------------


def hanweb_records(state: str) -> list[tuple[str, str, str]]:
    records = [
        (ART_PRIORITIES, "2024年政府工作重点", "2024-03-01"),
        (ART_PLAN, "无锡市2021年国民经济和社会发展计划", "2021-03-10"),
        (ART_PRINT, "政府工作报告(无锡日报)", "2024-01-15"),
    ]
    if state == "b":
        records.insert(0, (ART_NEW, "关于2024年一季度重大项目开工情况的通报", "2024-03-14"))
    return records


def _record_xml(href: str, title: str, date: str) -> str:
    return (
        f'<record><![CDATA[<li><a href="{href}" title="{html.escape(title)}" target="_blank">'
        f"{html.escape(title)}</a><span>{date}</span></li>]]></record>"
    )


def hanweb_column(state: str) -> bytes:
    records = hanweb_records(state)
    first = "".join(_record_xml(*r) for r in records[:HANWEB_PER_PAGE])
    nextgroup = (
        f'<a href="{DATAPROXY}?page=1&amp;appid=1&amp;webid=1&amp;path=/&amp;columnid=1234'
        '&amp;unitid=4460061&amp;webname=demo&amp;permissiontype=0"></a>'
    )
    tail = f"""<div id="4460061"><script type="text/xml"><datastore>
<nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>{first}</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>$(function(){{ $('#4460061').jpage({{ totalRecord: {len(records)}, perPage: {HANWEB_PER_PAGE},
 dataStore: 'xml', proxyUrl: '{DATAPROXY}' }}); }});</script>"""
    return list_page("规划计划", [], tail)


def dataproxy(state: str, start: int, end: int) -> bytes:
    """Hanweb's paging endpoint: records ``start..end`` (1-based, inclusive) as an XML record set."""
    records = hanweb_records(state)
    chosen = records[max(start, 1) - 1 : max(end, 0)]
    pages = -(-len(records) // HANWEB_PER_PAGE)
    body = "".join(_record_xml(*r) for r in chosen)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><datastore>'
        f"<totalrecord>{len(records)}</totalrecord><totalpage>{pages}</totalpage>"
        f"<recordset>{body}</recordset></datastore>"
    ).encode()


# -- TRS column ---------------------------------------------------------------------------------------


def trs_pages(state: str) -> dict[str, bytes]:
    entries = [
        ("./202402/t20240220_5001.html", "2024年钟楼区政府工作报告(节选)", "2024-02-20"),
        ("./202103/t20210310_5002.html", "无锡市2021年国民经济和社会发展计划(繁体)", "2021-03-10"),
    ]
    if state == "a":
        entries.append(("./202401/t20240105_5003.html", "钟楼区2024年为民办实事项目", "2024-01-05"))
    per_page = 2
    chunks = [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]
    out: dict[str, bytes] = {}
    for n, chunk in enumerate(chunks):
        script = (
            f'<script type="text/javascript">createPageHTML({len(chunks)}, {n}, "index", "html");</script>'
        )
        links = [(href if n == 0 else href.replace("./", "../zfxxgk/", 1), t, d) for href, t, d in chunk]
        path = "/zfxxgk/index.html" if n == 0 else f"/zfxxgk/index_{n}.html"
        out[path] = list_page("政府信息公开目录", links, f'<div class="page">{script}</div>')
    return out


# -- generic column -----------------------------------------------------------------------------------


def generic_pages(state: str) -> dict[str, bytes]:
    first = [
        (DOC_CHANGZHOU, "2021年市政府重点工作", "2021-02-26"),
        (DOC_ATTACHING, "2024年重大项目计划(附件下载)", "2024-03-01"),
        (DOC_MISSING, "已撤下的通知", "2024-01-05"),
        (DOC_UNAVAILABLE, "系统维护中的页面", "2024-01-06"),
        (DOC_CHALLENGE, "受防护的页面", "2024-01-07"),
    ]
    second = [
        (DOC_BLOCKED, "始终拦截的页面", "2024-01-08"),
        (DOC_FOREIGN, "跳转到外站的页面", "2024-01-09"),
        (DOC_LOOP, "循环跳转的页面", "2024-01-10"),
        (DOC_HUGE, "超大页面", "2024-01-11"),
        (DOC_FLAKY, "传输中断的页面", "2024-01-12"),
        (DOC_ROBOTS, "robots.txt 禁止的页面", "2024-01-13"),
    ]
    return {
        GENERIC_COLUMN: list_page(
            "通知公告",
            first,
            '<div class="pager"><span>1/2</span> <a href="/xxgk/list_2.html">下一页</a></div>',
        ),
        "/xxgk/list_2.html": list_page(
            "通知公告",
            second,
            '<div class="pager"><a href="/xxgk/list.html">上一页</a> <span>2/2</span>'
            " <span>下一页</span></div>",
        ),
    }


NEW_NOTICE = [
    "一季度全市新开工重大项目42个,完成投资318亿元。",
    "二季度计划新开工重大项目40个以上,年度重大项目完成投资1200亿元以上。",
]
DELETED_NOTICE = [
    "2024年区政府将集中力量办好为民办实事项目12项。",
    "新增城镇就业1.2万人,新改建口袋公园5个。",
]
FLAKY_NOTICE = ["本页面在传输中偶尔中断,重新请求即可完整获取。", "全年完成老旧小区改造15个。"]
CHALLENGE_NOTICE = ["本页面受防护系统保护,携带有效Cookie即可访问。", "全年新增绿地面积30万平方米。"]


def attachment_pdf() -> bytes:
    """A small, valid one-page PDF (the attachment's bytes are tracked by hash only)."""
    content = b"BT /F1 12 Tf 72 720 Td (govwatch demo attachment 2024) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@cache
def huge_gzip() -> bytes:
    return gzip.compress(b" " * HUGE_BYTES, compresslevel=9)


def challenge_page() -> bytes:
    return (
        "<html><head><meta charset='utf-8'></head><body><script>"
        f"document.cookie='{CHALLENGE_COOKIE}={CHALLENGE_VALUE};max-age=3600;path=/';"
        "location.href=location.pathname+location.search</script></body></html>"
    ).encode()


def resources(state: str) -> dict[str, Resource]:
    """Every static path of the portal in ``state``; dynamic paths are answered by the server."""
    if state not in STATES:
        raise ValueError(f"unknown portal state {state!r} (known: {', '.join(STATES)})")
    b = state == "b"
    priorities = seed_page("wuxi-2024-priorities.html")
    plan = seed_page("wuxi-2021-plan.html")
    plan_tc = seed_page("wuxi-2021-plan.tc.html")
    printed = seed_page("wuxi-2024-report-print.html")
    if b:
        priorities = _edit(
            priorities,
            ("地区生产总值增长5.5%左右", "地区生产总值增长6%左右"),
            ("社会消费品零售总额增长6.5%左右", "社会消费品零售总额增长6.5%以上"),
        )
        plan = _edit(plan, ("效力状况 | 有效 |", "效力状况 | 废止 |"))
        # Noise only: the session token baked into the page and the view-counter base change.
        printed = printed.replace(b"3f9a1c2e7b5d4a60", b"0b7e4d2c9a1f3e58").replace(
            b'<span id="views">1287</span>', b'<span id="views">2045</span>'
        )
    site: dict[str, Resource] = {
        "/robots.txt": Resource(
            b"User-agent: *\nDisallow: /private/\n",
            "text/plain",
            etag=False,
            last_modified=None,
            volatile=False,
        ),
        HANWEB_COLUMN: Resource(hanweb_column(state), etag=False, last_modified=None),
        ART_PRIORITIES: Resource(priorities, last_modified=DATE_B if b else DATE_A),
        ART_PLAN: Resource(plan, last_modified=DATE_B if b else DATE_A),
        ART_PRINT: Resource(printed, last_modified=DATE_A),
        TRS_REPORT: Resource(seed_page("zhonglou-2024-report.html"), etag=False),
        TRS_PLAN_TC: Resource(seed_page("wuxi-2021-plan.html") if b else plan_tc),
        DOC_CHANGZHOU: Resource(
            seed_page("changzhou-2021-key-work.html"), "text/html", etag=False, last_modified=None
        ),
        DOC_ATTACHING: Resource(
            small_page(
                "2024年重大项目计划",
                "2024-03-01",
                ["现将2024年重大项目计划予以公布,详见附件。", "全年安排重大项目240个,年度计划投资1100亿元。"],
                f'<p>附件:<a href="{ATTACHMENT}">2024年重大项目计划.pdf</a></p>'
                f'<p>外站附件:<a href="http://localhost:{{port}}{OFFSITE_ATTACHMENT}">外站文件.pdf</a></p>'
                '<p>不支持的协议:<a href="ftp://127.0.0.1/uploads/plan.doc">plan.doc</a></p>',
            ),
            etag=False,
        ),
        ATTACHMENT: Resource(attachment_pdf(), "application/pdf", last_modified=PDF_DATE, volatile=False),
        DOC_MISSING: Resource(small_page("页面不存在", "", ["您访问的页面不存在或已被删除。"]), status=404),
        DOC_UNAVAILABLE: Resource(b"<html><body>Service Unavailable</body></html>", status=503, etag=False),
        DOC_CHALLENGE: Resource(
            small_page("受防护的页面", "2024-01-07", CHALLENGE_NOTICE), fault="challenge"
        ),
        DOC_BLOCKED: Resource(b"", fault="blocked"),
        DOC_FOREIGN: Resource(b"", fault="foreign"),
        DOC_LOOP: Resource(b"", fault="loop"),
        DOC_HUGE: Resource(b"", fault="huge"),
        DOC_FLAKY: Resource(small_page("传输中断的页面", "2024-01-12", FLAKY_NOTICE), fault="flaky"),
        DOC_ROBOTS: Resource(small_page("禁止抓取", "2024-01-13", ["robots.txt 禁止抓取本页。"])),
        FOREIGN_LANDING: Resource(small_page("外站页面", "", ["这是另一个主机上的页面。"])),
        OFFSITE_ATTACHMENT: Resource(attachment_pdf(), "application/pdf", volatile=False),
    }
    if b:
        site[ART_NEW] = Resource(
            small_page(hanweb_records("b")[0][1], "2024-03-14", NEW_NOTICE), last_modified=DATE_B
        )
        site[TRS_DELETED] = Resource(
            small_page("页面不存在", "", ["您访问的页面不存在或已被删除。"]), status=404
        )
    else:
        site[TRS_DELETED] = Resource(small_page("钟楼区2024年为民办实事项目", "2024-01-05", DELETED_NOTICE))
    for path, body in {**trs_pages(state), **generic_pages(state)}.items():
        site[path] = Resource(body, etag=False, last_modified=None)
    return site
