"""Pages of a generated site in one state, as the site would serve them (pure: data in, bytes out).

Per-request noise is left as ASCII placeholders the server fills on every answer:
``@@VIEWS@@`` (view counter), ``@@CLOCK@@`` (serving clock), ``@@TOK@@`` (per-visit token in
links), ``@@PORT@@`` (the site's port in absolute links). Everything else is fixed by the
portal, the site, the document and the state.
"""

# Markup templates: HTML lines are kept whole, as the sites write them.
# ruff: noqa: E501

from __future__ import annotations

import hashlib
import html
import random
from dataclasses import dataclass
from functools import cache, lru_cache

import opencc

from portal.generator import dialects
from portal.generator.model import Block, Column, Content, Doc, DocNoise, Portal, Site

esc = html.escape


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    status: int = 200


@cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _texts(content: Content) -> list[str]:
    out = [content.title, *(v for _, v in content.metadata)]
    for b in content.blocks:
        out.append(b.text + b.tail)
        out.extend(t.text(v) for t in b.targets for v in range(5))
    return out


@lru_cache(maxsize=4096)
def roundtrips(content: Content) -> bool:
    """Whether the 繁體 rendering of the content converts back to exactly the same text."""
    texts = _texts(content)
    joined = "\n".join(texts)
    return _t2s().convert(_s2t().convert(joined)) == joined


# -- site chrome -------------------------------------------------------------------------------------------


def _header(site: Site, chrome: int, entry: str) -> str:
    home = dialects.link(site, dialects.home(site))
    info = dialects.link(site, entry)
    if chrome == 0:
        return f"""<div class="top"><div class="w1200"><span class="date" id="clock">@@CLOCK@@</span>
<a href="javascript:void(0)" onclick="SetHome(this)">设为首页</a> | <a href="javascript:void(0)">加入收藏</a> |
<a href="javascript:void(0)" id="jt">简体</a> <a href="javascript:void(0)" id="ft">繁體</a> | <a href="/wza/index.html">无障碍</a></div></div>
<div class="header"><div class="logo"><a href="{home}"><img src="/images/logo.png" alt="{esc(site.name)}">
</a></div>
<form class="search" action="/search/index.html"><input type="text" name="q" placeholder="请输入关键字">
<button>搜索</button></form></div>
<div class="nav"><ul><li><a href="{home}">首页</a></li><li><a href="javascript:;">政务动态</a></li>
<li class="on"><a href="{info}">信息公开</a></li><li><a href="javascript:;">政务服务</a></li>
<li><a href="javascript:;">互动交流</a></li><li><a href="http://www.gov.cn/">中国政府网</a></li></ul></div>"""
    return f"""<header class="g-header" data-v-5f3c2a1b>
<div class="g-toolbar"><time class="g-clock">@@CLOCK@@</time><a class="g-login" href="javascript:;">登录</a>
<a class="g-reg" href="javascript:;">注册</a>
<a href="javascript:;" class="g-old">长者模式</a></div>
<div class="g-brand"><a href="{home}" title="{esc(site.name)}"><span class="g-name">{esc(site.name)}</span>
</a></div>
<nav class="g-menu"><a href="{home}">网站首页</a><a href="{info}" class="active">政府信息公开</a>
<a href="javascript:;">新闻中心</a>
<a href="javascript:;">办事服务</a><a href="javascript:;">政民互动</a><a href="javascript:;">走进{esc(site.place)}</a>
</nav>
<div class="g-search"><input id="searchWord" value=""><a href="javascript:doSearch()">站内搜索</a></div>
</header>"""


def _footer(site: Site, chrome: int) -> str:
    if chrome == 0:
        return f"""<div class="footer"><p><a href="javascript:;">网站地图</a> | <a href="javascript:;">联系我们</a> | <a href="javascript:;">网站声明</a></p>
<p>主办单位：{esc(site.name)}办公室　承办单位：{esc(site.place)}大数据管理中心</p>
<p>苏ICP备05006{site.index:03d}号-1　苏公网安备 3202000200{site.index:04d}号　网站标识码：3202000{site.index:03d}</p>
<p>您是本站第<span class="visits">@@VIEWS@@</span>位访客</p>
<div class="yqlj">友情链接：<a href="http://www.gov.cn/" target="_blank">中国政府网</a> <a href="http://www.jiangsu.gov.cn/" target="_blank">江苏省人民政府</a>
<select onchange="window.open(this.value)"><option>市级部门</option><option value="http://fgw.wuxi.gov.cn/">市发展改革委</option><option value="http://czj.wuxi.gov.cn/">市财政局</option></select></div></div>"""
    return f"""<footer class="g-footer" data-v-5f3c2a1b><div class="g-links"><span>网站导航</span>
<a href="javascript:;">省政府</a><a href="javascript:;">市政府</a><a href="javascript:;">各区县</a></div>
<div class="g-copy">版权所有：{esc(site.name)}　技术支持：{esc(site.place)}政务服务管理办公室<br>
苏ICP备05006{site.index:03d}号　网站标识码3202000{site.index:03d}　<img src="/images/jiucuo.png" alt="政府网站找错"></div>
</footer>"""


def _frame(site: Site, chrome: int, title: str, position: str, main: str) -> str:
    css = "/css/style.css" if chrome == 0 else "/static/v2/css/main.min.css"
    return f"""<!DOCTYPE html>
<html>
<head>
@@CHARSET@@<title>{esc(title)}</title>
<meta name="SiteName" content="{esc(site.name)}">
<link rel="stylesheet" type="text/css" href="{css}">
<script type="text/javascript" src="/js/jquery.min.js"></script>
</head>
<body>
{_header(site, chrome, dialects.entry(site))}
<div class="{"position" if chrome == 0 else "g-crumb"}">当前位置：{position}</div>
{main}
{_footer(site, chrome)}
</body>
</html>
"""


def _crumb(site: Site, col: Column | None) -> str:
    parts = [
        f'<a href="{dialects.link(site, dialects.home(site))}">首页</a>',
        f'<a href="{dialects.link(site, dialects.entry(site))}">信息公开</a>',
    ]
    if col is not None:
        parts.append(
            f'<a href="{dialects.link(site, dialects.column_page(site, col, 0))}">{esc(col.name)}</a>'
        )
    return " &gt; ".join(parts)


def _charset(site: Site, state: int) -> tuple[str, str, str]:
    """(meta tag, Content-Type, codec) for the site's charset presentation in ``state``."""
    enc = site.states[state].encoding
    if enc == "gbk-labelled-utf8":
        return (
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n',
            "text/html; charset=utf-8",
            "gb18030",
        )
    if enc == "gbk-unlabelled":
        return "", "text/html", "gb18030"
    if enc == "gbk":
        return (
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n',
            "text/html; charset=gb2312",
            "gb18030",
        )
    return '<meta charset="utf-8">\n', "text/html; charset=utf-8", "utf-8"


def _encode(site: Site, state: int, text: str, traditional: bool = False) -> Page:
    meta, ctype, codec = _charset(site, state)
    text = text.replace("@@CHARSET@@", meta)
    if traditional:
        text = _s2t().convert(text)
    return Page(text.encode(codec, "xmlcharrefreplace"), ctype)


# -- lists -------------------------------------------------------------------------------------------------


def column_docs(site: Site, col: Column, state: int) -> list[Doc]:
    """Documents a column lists in ``state``, newest first."""
    docs = [d for d in site.docs if d.column == col.ident and d.live(state)]
    return sorted(docs, key=lambda d: (d.date, d.ident), reverse=True)


def _href(site: Site, doc: Doc) -> str:
    if site.dialect == "trs":
        # TRS writes detail links relative to the column directory.
        prefix = f"/zfxxgk/{next(c for c in site.columns if c.ident == doc.column).code}/"
        if doc.path.startswith(prefix):
            return dialects.link(site, "./" + doc.path[len(prefix) :])
    return dialects.link(site, doc.path, absolute=site.dialect in ("news", "wuxi") and doc.ident % 3 == 0)


def list_items(site: Site, col: Column, state: int) -> list[dialects.Item]:
    return [
        dialects.Item(_href(site, d), _content(d, state).title, d.date) for d in column_docs(site, col, state)
    ]


def _content(doc: Doc, state: int) -> Content:
    c = doc.contents[state]
    assert c is not None
    return c


def _sidebar(portal: Portal, site: Site, state: int, salt: int, n: int = 6) -> list[Doc]:
    live = [d for d in site.docs if d.live(state)]
    rng = random.Random(f"{portal.seed}/{site.index}/{state}/{salt}")
    return rng.sample(live, min(n, len(live)))


def list_page(portal: Portal, site: Site, col: Column, n: int, state: int) -> Page | None:
    items = list_items(site, col, state)
    total = dialects.pages(site, len(items))
    chrome = site.states[state].chrome
    hot = "".join(
        f'<li><a href="{_href(site, d)}">{esc(_content(d, state).title)}</a></li>'
        for d in _sidebar(portal, site, state, col.ident, 5)
    )
    side = f'<div class="side"><h3>热点推荐</h3><ul>{hot}</ul></div>'
    menu = "".join(
        f'<li><a href="{dialects.link(site, dialects.column_page(site, c, 0))}">{esc(c.name)}</a></li>'
        for c in site.columns
    )
    if site.dialect == "hanweb":
        if n != 0:
            return None
        block = dialects.hanweb_list(site, col, items)
    else:
        if n >= total:
            if site.dialect == "trs" and n < total + 20:
                # deep TRS pages: near-empty stubs that still answer 200
                stub = f'<html><head>@@CHARSET@@<title>{esc(col.name)}</title></head><body><div class="list"></div></body></html>'
                return _encode(site, state, stub)
            return None
        chunk = items[n * site.per_page : (n + 1) * site.per_page]
        block = dialects.items_html(site, chunk) + "\n" + dialects.pager(site, col, n, total)
    main = f"""<div class="main"><div class="left"><h2>信息公开目录</h2><ul class="menu">{menu}</ul></div>
<div class="right"><h2 class="col-title">{esc(col.name)}</h2>
{block}
</div>{side}</div>"""
    text = _frame(site, chrome, f"{col.name}_{site.name}", _crumb(site, col), main)
    return _encode(site, state, text)


def hanweb_proxy(site: Site, columnid: int, start: int, end: int, state: int) -> Page | None:
    col = next((c for c in site.columns if c.ident == columnid), None)
    if col is None:
        return None
    return Page(
        dialects.hanweb_proxy(site, list_items(site, col, state), start, end),
        "text/xml; charset=utf-8",
    )


def home_page(portal: Portal, site: Site, state: int) -> Page:
    chrome = site.states[state].chrome
    news = "".join(
        f'<li><a href="{_href(site, d)}" title="{esc(_content(d, state).title)}">{esc(_content(d, state).title)}</a><span>{d.date[5:]}</span></li>'
        for d in _sidebar(portal, site, state, 0, 6)
    )
    main = f"""<div class="banner"><img src="/images/banner.jpg" alt=""></div>
<div class="home"><div class="news"><h3>政务要闻</h3><ul>{news}</ul></div>
<div class="entry"><a href="{dialects.link(site, dialects.entry(site))}" class="xxgk-entry">
<img src="/images/xxgk.png" alt="政府信息公开"><span>政府信息公开</span></a>
<a href="javascript:;">政府信息公开指南</a> <a href="javascript:;">依申请公开</a></div>
<div class="service"><a href="http://www.jszwfw.gov.cn/">江苏政务服务网</a></div></div>"""
    return _encode(site, state, _frame(site, chrome, site.name, "首页", main))


def entry_page(site: Site, state: int, catalogue: bool = False) -> Page:
    """The 信息公开 entry page; on sites with a catalogue it links the catalogue page (``catalogue``
    renders that one), which links the columns."""
    chrome = site.states[state].chrome
    cols = "\n".join(
        f'<li><a href="{dialects.link(site, dialects.column_page(site, c, 0))}" title="{esc(c.name)}">{esc(c.name)}</a></li>'
        for c in site.columns
    )
    if site.catalogue and not catalogue:
        tree = f'<li><a href="{dialects.link(site, dialects.catalogue(site))}">法定主动公开内容</a></li>'
        title = "信息公开"
    else:
        tree = cols
        title = "法定主动公开内容" if catalogue else "信息公开"
    main = f"""<div class="xxgk"><div class="xxgk-left"><h2>政府信息公开</h2>
<ul class="xxgk-nav"><li><a href="javascript:;">政府信息公开指南</a></li><li><a href="javascript:;">政府信息公开制度</a></li>
<li><a href="javascript:;">机构职能</a></li></ul>
<h3>{title}</h3><ul class="xxgk-tree">
{tree}
</ul><h3>政府信息公开年报</h3></div>
<div class="xxgk-right"><p>本栏目发布{esc(site.name)}依法主动公开的政府信息。</p></div></div>"""
    return _encode(site, state, _frame(site, chrome, f"{title}_{site.name}", _crumb(site, None), main))


# -- detail pages ------------------------------------------------------------------------------------------


FIELD_ORDER = ("index_no", "category", "publisher", "issued_date", "doc_number", "published_date", "validity")
WUXI_TAGS = {
    "index_no": "SYH",
    "category": "ZTFL",
    "publisher": "FBJG",
    "issued_date": "FWRQ",
    "doc_number": "WJBH",
    "published_date": "GKRQ",
    "validity": "YXX",
}


def _meta_html(site: Site, content: Content) -> str:
    meta = content.meta()
    layout = site.meta_layout
    fields = [(site.labels[k], meta[k], k) for k in FIELD_ORDER]
    empty = "—&nbsp;&nbsp;—"

    def val(v: str) -> str:
        return esc(v) if v else (empty if layout in ("td_alt", "wuxi_comment", "pipe") else "")

    if layout in ("td_alt", "wuxi_comment"):
        cells = []
        for label, v, key in fields:
            value = val(v)
            if layout == "wuxi_comment":
                tag = WUXI_TAGS[key]
                value = f"<!--<$[{tag}]>-->{value}<!--<$[{tag}]>-->"
            cells.append(f'<td class="t">{esc(label)}</td><td class="c">{value}</td>')
        if layout == "wuxi_comment":
            cells.append(
                '<!--<td class="t">附件下载</td><td class="c"><a href="/old/attach.doc">附件</a></td>-->'
            )
            cells.append('<!--<td class="t">有效性</td><td class="c">失效</td>-->')
        rows = "".join(f"<tr>{''.join(cells[i : i + 2])}</tr>\n" for i in range(0, len(cells), 2))
        return f'<table class="xxgk_table" cellspacing="0" cellpadding="0">\n{rows}</table>'
    if layout == "th_td":
        rows = "".join(f"<tr><th>{esc(label)}：</th><td>{val(v)}</td></tr>\n" for label, v, _ in fields)
        return f'<table class="xxgk-info">\n{rows}</table>'
    if layout == "td_b":
        spaced = [(label if len(label) > 3 else "　".join(label), v) for label, v, _ in fields]
        cells = [f'<td width="100"><b>{esc(label)}：</b></td><td>{val(v)}</td>' for label, v in spaced]
        rows = "".join(f"<tr>{''.join(cells[i : i + 2])}</tr>\n" for i in range(0, len(cells), 2))
        return f'<table class="bd1" width="100%" border="0" cellpadding="0" cellspacing="1">\n{rows}</table>'
    if layout == "dl":
        items = "".join(f"<dl><dt>{esc(label)}</dt><dd>{val(v)}</dd></dl>\n" for label, v, _ in fields)
        return f'<div class="xxgk-dl">\n{items}</div>'
    if layout == "li_span":
        items = "".join(f"<li><span>{esc(label)}</span>：{val(v)}</li>\n" for label, v, _ in fields)
        return f'<ul class="info-list">\n{items}</ul>'
    if layout == "pipe":
        pairs = [f"{esc(label)} | {val(v)} |" for label, v, _ in fields]
        rows = "".join(f"<p>{' '.join(pairs[i : i + 2])}</p>\n" for i in range(0, len(pairs), 2))
        return f'<div class="xxgk-text">\n{rows}</div>'
    # lines: alternating label and value lines
    items = "".join(f"<p>{esc(label)}</p>\n<p>{val(v)}</p>\n" for label, v, _ in fields)
    return f'<div class="xxgk-lines">\n{items}</div>'


_WS = (
    '<p style="text-indent:2em;">{t}</p>\n',
    "<p>　　{t}</p>\n",
    "<p>&nbsp;&nbsp;&nbsp;&nbsp;{t} </p>\n\n",
    "<p>\n    {t}\n</p>\n",
)
_ATTRS = (
    "",
    ' class="MsoNormal" align="justify"',
    ' style="line-height:2;font-family:仿宋_GB2312;font-size:16pt"',
    ' data-v-1a2b3c=""',
)


def _para(text: str, ws: int, attrs: int) -> str:
    tpl = _WS[ws % len(_WS)]
    return tpl.replace("<p", "<p" + _ATTRS[attrs % len(_ATTRS)], 1).replace("{t}", esc(text))


def block_text(block: Block, variant: int) -> str:
    if block.kind == "targets":
        return block.text + "，".join(t.text(variant) for t in block.targets) + block.tail
    return block.text


def _container(site: Site) -> tuple[str, str]:
    c = site.body_container
    if c == "markers":
        return (
            '<div class="art_con_box">\n<!--ZJEG_RSS.content.begin--><meta name="ContentStart">',
            '<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->\n</div>',
        )
    if c.startswith("#"):
        return f'<div id="{c[1:]}">', "</div>"
    classes = " ".join(c.strip(".").split("."))
    return f'<div class="{classes}">', "</div>"


def detail_page(portal: Portal, site: Site, doc: Doc, state: int, quiet: bool = False) -> Page:
    """The detail page; ``quiet`` renders it without any noise (canonical spellings, no 繁體,
    no churn, first chrome, UTF-8, no related list): two states' quiet pages are equal exactly
    when the document did not change."""
    content = _content(doc, state)
    noise = DocNoise() if quiet else doc.noise[state]
    chrome = 0 if quiet else site.states[state].chrome
    col = next(c for c in site.columns if c.ident == doc.column)
    paras = []
    for b in content.blocks:
        text = block_text(b, noise.spelling)
        if b.kind == "heading":
            paras.append(f'<p style="text-indent:2em;"><strong>{esc(text)}</strong></p>\n')
        elif b.kind == "sign":
            paras.append(f'<p style="text-align:right;">{esc(text)}</p>\n')
        else:
            paras.append(_para(text, noise.whitespace, noise.attrs))
    style = '<style type="text/css">.TRS_Editor P{margin-top:0;margin-bottom:12px;line-height:2;font-family:宋体;font-size:12pt;}</style>\n'
    share = (
        '<div class="bdsharebuttonbox"><a href="#" class="bds_more" data-cmd="more"></a>'
        '<a href="#" class="bds_weixin" data-cmd="weixin" title="分享到微信"></a>'
        '<a href="#" class="bds_tsina" data-cmd="tsina" title="分享到新浪微博"></a></div>\n'
        f'<script>window._bd_share_config={{"common":{{"bdSnsKey":{{}},"bdText":"{esc(content.title)}","bdMini":"2"}},"share":{{}}}};</script>\n'
    )
    attach = ""
    if doc.attachments:
        links = "".join(
            f'<p><a href="{dialects.link(site, a.path)}" target="_blank">{esc(a.name)}</a></p>'
            for a in doc.attachments
        )
        writer = f'<script type="text/javascript">var fjs = "{len(doc.attachments)}"; if (fjs == "0") {{ document.getElementById("fj").style.display = "none"; }}</script>'
        attach = f'<div id="fj" class="attachment"><p>附件：</p>{links}{writer}</div>\n'
    opening, closing = _container(site)
    if site.index % 2:
        # attachment writer inside the body container, as many CMSs render it
        body = opening + "\n" + style + "".join(paras) + attach + share + closing + "\n"
    else:
        body = opening + "\n" + style + "".join(paras) + share + closing + "\n" + attach
    related = "".join(
        f'<li><a href="{_href(site, d)}">{esc(_content(d, state).title)}</a></li>'
        for d in ([] if quiet else _sidebar(portal, site, state, doc.ident, 5))
        if d is not doc
    )
    tail = f"""<div class="art-tools"><span>扫一扫在手机打开当前页</span><img src="/images/qrcode.png" alt="">
<div class="share">分享到：<a href="javascript:;">微信</a> <a href="javascript:;">微博</a></div>
<a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="related"><h3>{("相关链接", "相关解读", "相关信息")[site.index % 3]}</h3><ul>{related}</ul></div>"""
    info = (
        f'<div class="info"><span>发布时间：{doc.date}</span> <span>来源：{esc(content.meta()["publisher"])}</span> '
        f'<span>浏览次数：<em id="views">@@VIEWS@@</em></span> <span>【字号：<a href="javascript:doZoom(16)">大</a> '
        '<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</span></div>'
    )
    decoy = ""
    if site.body_container == ".txt_txt":
        # court.gov.cn style: the element with id article_content is the search button, not the body
        decoy = '<div class="sou"><input type="text" name="kw"><input type="button" id="article_content" value="搜索"></div>\n'
    main = f"""{decoy}<div class="article">
{_meta_html(site, content)}
<h1 class="title">{esc(content.title)}</h1>
{info}
{body}{tail}
</div>"""
    text = _frame(site, chrome, f"{content.title}_{site.name}", _crumb(site, col), main)
    if quiet:
        return Page(
            text.replace("@@CHARSET@@", '<meta charset="utf-8">\n').encode(), "text/html; charset=utf-8"
        )
    return _encode(site, state, text, traditional=noise.traditional)


ATTACHMENT_TYPES = {"pdf": "application/pdf", "doc": "application/msword", "xls": "application/vnd.ms-excel"}


def attachment_bytes(site: Site, doc: Doc, path: str, ext: str, state: int) -> Page:
    rev = doc.attachment_rev[state]
    digest = hashlib.sha256(f"{site.index}{path}{rev}".encode()).hexdigest()
    payload = (digest * 40).encode()
    if ext == "pdf":
        body = (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + payload + b"\n%%EOF\n"
        )
    else:
        body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + payload
    return Page(body, ATTACHMENT_TYPES[ext])


def stripped(page: bytes) -> bytes:
    """A page with the per-request placeholders filled with fixed values (files for the normaliser, tests)."""
    return (
        page.replace(b"@@VIEWS@@", b"1")
        .replace(b"@@CLOCK@@", b"2024-01-01 00:00:00")
        .replace(b"@@TOK@@", b"x")
        .replace(b"@@PORT@@", b"80")
    )
