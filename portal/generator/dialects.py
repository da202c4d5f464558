"""Platform dialects: URL shapes, list markup and pagination of the CMSs real portals run on.

Each dialect answers: where the home, 信息公开 entry, column list pages, detail pages and
attachments live, and how a list page writes its items and its pager. Shapes follow
PORTALS.md (Hanweb, TRS WCM, gov.cn, a plain news CMS, 帝国/Dede, ASP.NET, JSP, PHPCMS, .jhtml,
the Wuxi municipal CMS).
"""

# Markup templates: HTML lines are kept whole, as the sites write them.
# ruff: noqa: E501

from __future__ import annotations

import html
from dataclasses import dataclass

from portal.generator.model import Column, Site

HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"

DIALECTS = (
    "hanweb",
    "trs",
    "govcn",
    "news",
    "cms-dede",
    "cms-aspx",
    "cms-jsp",
    "cms-php",
    "cms-jhtml",
    "wuxi",
)

# Volatile link parameter each dialect's sites tend to carry ("" = none); see ``link``.
TOKENS = {
    "hanweb": "uid",
    "trs": "",
    "govcn": "_t",
    "news": "sid",
    "cms-dede": "rand",
    "cms-aspx": "timestamp",
    "cms-jsp": "jsessionid",
    "cms-php": "utm_source",
    "cms-jhtml": "_t",
    "wuxi": "",
}

EXTENSIONS = {
    "hanweb": "html",
    "trs": "html",
    "govcn": "htm",
    "news": "html",
    "cms-dede": "html",
    "cms-aspx": "aspx",
    "cms-jsp": "jsp",
    "cms-php": "php",
    "cms-jhtml": "jhtml",
    "wuxi": "shtml",
}


@dataclass(frozen=True)
class Item:
    href: str
    title: str
    date: str


def _ymd(date: str) -> tuple[int, int, int]:
    y, m, d = date.split("-")
    return int(y), int(m), int(d)


def home(site: Site) -> str:
    return {
        "cms-aspx": "/Default.aspx",
        "cms-jsp": "/index.jsp",
        "cms-php": "/index.php",
        "cms-jhtml": "/index.jhtml",
        "govcn": "/index.htm",
        "wuxi": "/index.shtml",
        "trs": f"/index.{site.ext}",
    }.get(site.dialect, "/index.html")


def entry(site: Site) -> str:
    d = site.dialect
    if d == "hanweb":
        return f"/col/col{site.entry_code}/index.html"
    if d == "trs":
        return f"/zfxxgk/index.{site.ext}"
    if d == "govcn":
        return "/zhengce/index.htm"
    if d == "news":
        return "/xxgk/index.html"
    if d == "cms-dede":
        return "/a/xxgk/"
    if d == "cms-aspx":
        return "/xxgk/Index.aspx"
    if d == "cms-jsp":
        return "/xxgk/index.jsp"
    if d == "cms-php":
        return f"/index.php?m=content&c=index&a=lists&catid={site.entry_code}"
    if d == "cms-jhtml":
        return "/xxgk/index.jhtml"
    return "/zfxxgk/index.shtml"


def column_page(site: Site, col: Column, n: int) -> str:
    """Path of list page ``n`` (0 = first) of a column."""
    d, c = site.dialect, col.ident
    if d == "hanweb":
        return f"/col/col{c}/index.html"
    if d == "trs":
        return f"/zfxxgk/{col.code}/index{'' if n == 0 else f'_{n}'}.{site.ext}"
    if d == "govcn":
        return f"/zhengce/{col.code}/index{'' if n == 0 else f'_{n}'}.htm"
    if d == "news":
        return f"/news/{col.code}/list.html" + ("" if n == 0 else f"?page={n + 1}")
    if d == "cms-dede":
        return f"/a/xxgk/{col.code}/" + ("" if n == 0 else f"list_{c}_{n + 1}.html")
    if d == "cms-aspx":
        return f"/xxgk/List.aspx?ClassID={c}" + ("" if n == 0 else f"&page={n + 1}")
    if d == "cms-jsp":
        return f"/xxgk/list.jsp?columnId={c}" + ("" if n == 0 else f"&pageNo={n + 1}")
    if d == "cms-php":
        return f"/index.php?m=content&c=index&a=lists&catid={c}" + ("" if n == 0 else f"&page={n + 1}")
    if d == "cms-jhtml":
        return f"/xxgk/{col.code}/index{'' if n == 0 else f'_{n + 1}'}.jhtml"
    # Wuxi: index.shtml is page 1, index_1.shtml does not exist, page 2 is index_2.shtml.
    return f"/zfxxgk/xxgkml/{col.code}/index{'' if n == 0 else f'_{n + 1}'}.shtml"


def detail(site: Site, col: Column, ident: int, date: str) -> str:
    y, m, d = _ymd(date)
    di = site.dialect
    if di == "hanweb":
        return f"/art/{y}/{m}/{d}/art_{col.ident}_{ident}.html"
    if di == "trs":
        return f"/zfxxgk/{col.code}/{y}{m:02d}/t{y}{m:02d}{d:02d}_{ident}.{site.ext}"
    if di == "govcn":
        return f"/zhengce/content/{y}-{m:02d}/{d:02d}/content_{ident}.htm"
    if di == "news":
        return f"/news/{y}/{m:02d}/{d:02d}/content_{ident}.html"
    if di == "cms-dede":
        return f"/a/xxgk/{col.code}/{y}/{m:02d}{d:02d}/{ident}.html"
    if di == "cms-aspx":
        return f"/xxgk/Show.aspx?id={ident}"
    if di == "cms-jsp":
        return f"/xxgk/detail.jsp?id={ident}"
    if di == "cms-php":
        return f"/index.php?m=content&c=index&a=show&catid={col.ident}&id={ident}"
    if di == "cms-jhtml":
        return f"/xxgk/{col.code}/{ident}.jhtml"
    return f"/doc/{y}/{m:02d}/{d:02d}/{ident}.shtml"


def attachment(site: Site, ident: int, n: int, ext: str, date: str) -> str:
    y, m, d = _ymd(date)
    di = site.dialect
    if di == "hanweb":
        return f"/attach/0/{y}{m:02d}{d:02d}{ident}{n}.{ext}"
    if di == "trs":
        return f"/zfxxgk/{y}{m:02d}/P0{y}{m:02d}{d:02d}{ident}{n}.{ext}"
    if di == "govcn":
        return f"/zhengce/content/{y}-{m:02d}/{d:02d}/{ident}/files/{ident}{n:03d}.{ext}"
    if di == "wuxi":
        return f"/uploadfiles/{y}{m:02d}/{d:02d}/{ident}{n}.{ext}"
    if di == "cms-aspx":
        return f"/UploadFiles/{y}{m:02d}/{ident}_{n}.{ext}"
    return f"/uploads/{y}/{m:02d}{d:02d}/{ident}-{n}.{ext}"


def link(site: Site, href: str, absolute: bool = False) -> str:
    """``href`` as this site writes it in a link: with its per-visit token, maybe absolute."""
    token = site.token
    if token == "jsessionid":
        path, _, query = href.partition("?")
        href = f"{path};jsessionid=@@TOK@@" + (f"?{query}" if query else "")
    elif token == "utm_source":
        href += ("&" if "?" in href else "?") + "utm_source=@@TOK@@&utm_medium=web"
    elif token and (token == "uid" or not href.endswith("/")):
        href += ("&" if "?" in href else "?") + f"{token}=@@TOK@@"
    if absolute:
        href = "http://127.0.0.1:@@PORT@@" + href
    return html.escape(href)


def pages(site: Site, count: int) -> int:
    return max(1, -(-count // site.per_page))


def pager(site: Site, col: Column, n: int, total: int) -> str:
    """The pager markup of list page ``n`` of ``total`` pages, in the site's dialect."""
    d = site.dialect
    if d == "trs":
        ext = site.ext
        return (
            '<div class="page"><script type="text/javascript">'
            f'createPageHTML({total}, {n}, "index", "{ext}");</script></div>'
        )
    if d == "wuxi":
        return (
            '<div class="pagination" id="pageNav"></div>\n<script type="text/javascript">'
            f'var pageCount = {total}; var currentPage = {n + 1}; var prefix = "index"; var suffix = "shtml";\n'
            "function pageUrl(p){ return p == 1 ? prefix + '.' + suffix : prefix + '_' + p + '.' + suffix; }\n"
            "document.getElementById('pageNav').innerHTML = buildPager(currentPage, pageCount, pageUrl);"
            "</script>"
        )
    if d == "hanweb":
        return ""

    def href(p: int) -> str:
        return link(site, column_page(site, col, p))

    parts = []
    if d in ("govcn", "cms-dede", "cms-aspx", "cms-php"):
        parts.append(f'<a href="{href(0)}">首页</a>')
        if n > 0:
            parts.append(f'<a href="{href(n - 1)}">上一页</a>')
        if d == "cms-dede":
            parts.extend(
                f'<a href="{href(p)}">{p + 1}</a>' if p != n else f"<span>{p + 1}</span>"
                for p in range(total)
            )
        if n + 1 < total:
            parts.append(f'<a href="{href(n + 1)}">下一页</a>')
        parts.append(f'<a href="{href(total - 1)}">{"尾页" if d != "cms-dede" else "末页"}</a>')
        parts.append(f"<span>共{total}页</span>")
    elif d in ("news", "cms-jsp"):
        parts.append(f"<span>第{n + 1}/{total}页</span>")
        if n + 1 < total:
            parts.append(f'<a href="{href(n + 1)}" class="next">下一页</a>')
            parts.append(f'<a href="{href(total - 1)}">末页</a>')
    else:  # cms-jhtml
        parts.extend(f'<a href="{href(p)}">{p + 1}</a>' for p in range(total) if p != n)
        if n + 1 < total:
            parts.append(f'<a href="{href(n + 1)}">下一页</a>')
    return '<div class="pages">' + " ".join(parts) + "</div>"


def items_html(site: Site, items: list[Item]) -> str:
    """The repeated list block: title link + date, in the site's markup."""
    d = site.dialect
    esc = html.escape
    if d == "wuxi":
        rows = "\n".join(
            f'<li><a title="{esc(i.title)}" href="{i.href}" target="_blank">{esc(i.title)}</a></li>'
            for i in items
        )
        return f'<ul class="doc_list">\n{rows}\n</ul>'
    if d in ("cms-aspx", "cms-jsp", "govcn"):
        rows = "\n".join(
            f'<tr><td class="xh">{k + 1}</td><td class="bt"><a href="{i.href}" title="{esc(i.title)}">'
            f'{esc(i.title)}</a></td><td class="rq">{i.date}</td></tr>'
            for k, i in enumerate(items)
        )
        return f'<table class="list_table" width="100%">\n<tr><th>序号</th><th>标题</th><th>发布日期</th></tr>\n{rows}\n</table>'
    if d == "cms-dede":
        rows = "\n".join(
            f'<li><span class="date">[{i.date}]</span><a href="{i.href}">{esc(i.title)}</a></li>'
            for i in items
        )
        return f'<ul class="e2">\n{rows}\n</ul>'
    rows = "\n".join(
        f'<li><a href="{i.href}" target="_blank" title="{esc(i.title)}">{esc(i.title)}</a><span class="date">{i.date}</span></li>'
        for i in items
    )
    return f'<ul class="list">\n{rows}\n</ul>'


def hanweb_record(item: Item) -> str:
    return (
        f'<record><![CDATA[<li><a href="{item.href}" title="{html.escape(item.title)}" target="_blank">'
        f'{html.escape(item.title)}</a><span class="bt-data-time">{item.date}</span></li>]]></record>'
    )


def hanweb_list(site: Site, col: Column, items: list[Item]) -> str:
    """Hanweb column body: the first page of records embedded, the rest behind ``dataproxy.jsp``."""
    unit = 4000000 + col.ident
    first = "".join(hanweb_record(i) for i in items[: site.per_page])
    nextgroup = (
        f'<a href="{HANWEB_PROXY}?page=1&amp;appid=1&amp;webid={site.entry_code}&amp;path=/&amp;'
        f'columnid={col.ident}&amp;unitid={unit}&amp;webname={html.escape(site.name)}&amp;permissiontype=0"></a>'
    )
    return f"""<div id="{unit}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>{first}</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>$(function(){{ $('#{unit}').jpage({{ totalRecord: {len(items)}, perPage: {site.per_page}, dataStore: 'xml',
 proxyUrl: '{HANWEB_PROXY}?startrecord=1&endrecord={site.per_page * 3}&perpage={site.per_page}&columnid={col.ident}&unitid={unit}&webid={site.entry_code}' }}); }});</script>"""


def hanweb_proxy(items: list[Item], start: int, end: int, per_page: int) -> bytes:
    chosen = items[max(start, 1) - 1 : max(end, 0)]
    body = "".join(hanweb_record(i) for i in chosen)
    total_pages = max(1, -(-len(items) // per_page))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><datastore>'
        f"<totalrecord>{len(items)}</totalrecord><totalpage>{total_pages}</totalpage>"
        f"<recordset>{body}</recordset></datastore>"
    ).encode()
