"""Builds the demo portal's seed pages (the committed *.html files here) from the five seed captures.

Run by hand when the page markup changes: ``python -m portal.pages.build [SEEDS_DIR]``.
The pages are committed, so neither the portal nor the tests need the seeds at run time.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from pathlib import Path

import opencc

HERE = Path(__file__).parent
# The seed captures, copied unchanged into the test fixtures.
DEFAULT_SEEDS = HERE.parents[1] / "tests" / "fixtures" / "seeds"
VIEWS = "1287"
CLOCK = "2026-11-21 09:30:00"
TOKEN = "3f9a1c2e7b5d4a60"

# The seed is the site's 繁體 rendering, which writes 着 as 著 (Taiwan standard); tw2s recovers
# the simplified original (着力, but 显著) where t2s would keep 著力.
_t2s = opencc.OpenCC("tw2s")
_s2t = opencc.OpenCC("s2t")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def seed_lines(seeds: Path, prefix: str) -> list[str]:
    (path,) = seeds.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8").split("\n")


def paragraphs_html(lines: list[str], indent: bool = True) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return "\n".join(f"<p{style}>{esc(line)}</p>" for line in lines if line.strip())


def tokened(path: str) -> str:
    return f"{path}?token={TOKEN}"


def chrome(
    *,
    charset_meta: str,
    page_title: str,
    site: str,
    nav: list[str],
    crumbs: list[str],
    heading: str,
    info_bar: str,
    metadata: str,
    body: str,
    sidebar_items: list[str],
    footer: str,
    body_class: str,
    after_body: str = "",
) -> str:
    nav_html = "".join(
        f'<li><a href="{tokened(f"/col/col{100 + i}/index.html")}">{esc(name)}</a></li>'
        for i, name in enumerate(nav)
    )
    crumb_html = " / ".join(
        f'<a href="/col/col{200 + i}/index.html">{esc(name)}</a>' for i, name in enumerate(crumbs)
    )
    side_html = "".join(
        f'<li><a href="{tokened(f"/art/2024/1/{i + 2}/art_{4000 + i}.html")}">{esc(item)}</a></li>'
        for i, item in enumerate(sidebar_items)
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{charset_meta}
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(page_title)}</title>
<link rel="stylesheet" href="/images/style.css">
<style>.hidden{{display:none}} .fontsize a{{margin:0 4px}}</style>
<script src="/script/jquery.min.js"></script>
</head>
<body class="{body_class}">
<div id="top" class="header">
  <div class="topbar">今天是 <span id="clock">{CLOCK}</span>
    <a href="javascript:void(0)" class="jft">繁體</a> | <a href="/wza/index.html">无障碍</a> |
    <a href="{tokened("/login.jsp")}">登录</a></div>
  <div class="logo"><a href="/"><img src="/images/logo.png" alt="{esc(site)}"></a><h2>{esc(site)}</h2></div>
  <form class="search" action="/jsearchfront/search.do" method="get">
    <input type="text" name="q" placeholder="请输入关键字"><input type="submit" value="搜索"></form>
  <ul class="nav">{nav_html}</ul>
</div>
<div class="main">
  <div class="location">当前位置:{crumb_html}</div>
  <div class="left">
    <h1 class="article-title">{esc(heading)}</h1>
    <div class="article-info">{info_bar}</div>
    {metadata}
    {body}
    {after_body}
    <div class="article-tools">
      <a href="javascript:window.print()">【打印本页】</a>
      <a href="javascript:window.close()">【关闭窗口】</a>
      <span class="share">分享到:<a href="#" class="wx">微信</a><a href="#" class="wb">微博</a>
        <a href="#" class="qz">QQ空间</a></span>
      <div class="qrcode"><img src="/images/qrcode.png" alt="二维码"><p>扫一扫在手机打开当前页</p></div>
    </div>
  </div>
  <div class="right sidebar">
    <h3>相关链接</h3>
    <ul class="related">{side_html}</ul>
  </div>
</div>
<div class="footer">{footer}</div>
<script>var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</body>
</html>
"""


FONT_CONTROLS = (
    '<span class="fontsize">【字号:<a href="javascript:doZoom(16)">大</a>'
    '<a href="javascript:doZoom(14)">中</a><a href="javascript:doZoom(12)">小</a>】</span>'
)


def wuxi_footer(org: str) -> str:
    return (
        '<p><a href="/sitemap.html">网站地图</a>|<a href="/lxwm.html">联系我们</a></p>'
        f"<p>{esc(org)}版权所有 {esc(org)}主办</p>"
        "<p>苏ICP备09024546号&nbsp;&nbsp;公安备案号:32021102000707&nbsp;&nbsp;网站标识码:3202000057</p>"
    )


def page_000(seeds: Path) -> bytes:
    """Hanweb-style: #zoom body, metadata as a table of label/value cells, true UTF-8."""
    lines = seed_lines(seeds, "000")
    labels = [
        "信息索引号", "发文日期", "公开日期", "文件编号", "公开时限", "发布机构", "公开形式", "公开方式",
        "公开范围", "有效期", "公开程序", "主题", "体裁", "关键词", "文件下载", "内容概述",
    ]  # fmt: skip
    block = [line for line in lines[6:36]]
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(block):
        label = block[i]
        value = ""
        if i + 1 < len(block) and block[i + 1] not in labels:
            value = block[i + 1]
            i += 1
        pairs.append((label, value))
        i += 1
    rows = []
    for k in range(0, len(pairs), 2):
        cells = "".join(
            f'<td class="td_lable">{esc(label)}</td><td class="td_content">{esc(value)}</td>'
            for label, value in pairs[k : k + 2]
        )
        rows.append(f"<tr>{cells}</tr>")
    metadata = (
        '<div class="xxgk_table"><table class="xxgk_table" cellspacing="0" cellpadding="0">'
        + "\n".join(rows)
        + '</table><div class="showall"><a href="javascript:void(0)">显示全部表格信息</a></div></div>'
    )
    body_lines = [line for line in lines[39:122] if line.strip()]
    body = f'<div id="zoom" class="bt-content">\n{paragraphs_html(body_lines, indent=False)}\n</div>'
    info = (
        "发布时间:2024-03-01 15:55&nbsp;&nbsp;&nbsp; 浏览次数:"
        f'<span id="views">{VIEWS}</span> {FONT_CONTROLS}'
    )
    page = chrome(
        charset_meta='<meta charset="utf-8">',
        page_title="2024年政府工作重点_无锡市发展和改革委员会",
        site="无锡市发展和改革委员会",
        nav=["首页", "机构概况", "政务公开", "发改动态", "政务服务", "互动交流"],
        crumbs=["首页", "政府信息公开", "信息公开目录", "规划计划"],
        heading=lines[2],
        info_bar=info,
        metadata=metadata,
        body=body,
        sidebar_items=["2023年政府工作重点", "2024年国民经济和社会发展计划", "无锡市“十四五”规划纲要"],
        footer=wuxi_footer("发展和改革委员会"),
        body_class="hanweb",
    )
    return page.encode("utf-8")


def page_001(seeds: Path, traditional: bool) -> bytes:
    """Hanweb-style with a pipe-row metadata block; simplified, or the site's 繁體 rendering."""
    lines = seed_lines(seeds, "001")

    def conv(text: str) -> str:  # seed text is traditional as captured
        return text if traditional else _t2s.convert(text)

    chrome_text: Callable[[str], str] = _s2t.convert if traditional else (lambda t: t)
    rows = "\n".join(f'<div class="xxgk-row">{esc(conv(line))}</div>' for line in lines[1:5])
    metadata = f'<div class="xxgk-info">\n{rows}\n</div>'
    body = f'<div id="zoom">\n{paragraphs_html([conv(x) for x in lines[5:15]])}\n</div>'
    after = f'<div class="article-source">{esc(conv(lines[15]))}</div>'
    title = conv("無錫市2021年國民經濟和社會發展計劃")
    info = (
        f'{esc(chrome_text("文字大小"))}: [ <a href="javascript:doZoom(16)">{chrome_text("大")}</a> '
        f'<a href="javascript:doZoom(14)">{chrome_text("中")}</a> '
        f'<a href="javascript:doZoom(12)">{chrome_text("小")}</a> ] '
        f'{esc(chrome_text("浏览次数"))}:<span id="views">{VIEWS}</span>'
    )
    page = chrome(
        charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        page_title=f"{title}_{chrome_text('无锡市发展和改革委员会')}",
        site=chrome_text("无锡市发展和改革委员会"),
        nav=[chrome_text(x) for x in ["首页", "机构概况", "政务公开", "发改动态", "政务服务", "互动交流"]],
        crumbs=[chrome_text(x) for x in ["首页", "政府信息公开", "信息公开目录", "规划计划"]],
        heading=title,
        info_bar=info,
        metadata=metadata,
        body=body,
        sidebar_items=[chrome_text(x) for x in ["无锡市2020年国民经济和社会发展计划", "2021年政府工作报告"]],
        footer=chrome_text(wuxi_footer("发展和改革委员会")),
        body_class="hanweb",
        after_body=after,
    )
    return page.encode("utf-8")


def page_002(seeds: Path) -> bytes:
    """Changzhou: `label:value |` rows, pinyin annotations and mojibake as captured, GB18030 bytes
    behind a <meta> that wrongly says UTF-8."""
    lines = seed_lines(seeds, "002")
    rows = "\n".join(f"<li>{esc(line)}</li>" for line in lines[0:12])
    metadata = f'<div class="xxgk_top"><ul class="xxgk_list">\n{rows}\n</ul></div>'
    body = f'<div class="article-con"><div class="TRS_Editor">\n{paragraphs_html(lines[12:57])}\n</div></div>'
    info = (
        f'發布時間:2021-01-25 09:12 來源:常州市人民政府辦公室 瀏覽次數:<span id="views">{VIEWS}</span> '
        f"{FONT_CONTROLS}"
    )
    footer = (
        '<p><a href="/site/sitemap.html">網站地圖</a> | <a href="/site/contact.html">聯繫我們</a></p>'
        "<p>主辦單位:常州市人民政府辦公室</p>"
        "<p>蘇ICP備05002950號-1 &nbsp; 蘇公網安備 32041102000413號 &nbsp; 網站標識碼:3204000044</p>"
    )
    page = chrome(
        charset_meta='<meta charset="utf-8">',
        page_title="2021年市政府重點工作-常州市人民政府",
        site="常州市人民政府",
        nav=["首頁", "要聞動態", "政務公開", "政務服務", "互動交流", "走進常州"],
        crumbs=["首頁", "政府信息公開", "法定主動公開內容", "權責清單"],
        heading="2021年市政府重點工作",
        info_bar=info,
        metadata=metadata,
        body=body,
        sidebar_items=["2020年市政府重點工作", "2021年常州市政府工作報告"],
        footer=footer,
        body_class="trs",
    )
    return page.encode("gb18030")


def page_003(seeds: Path) -> bytes:
    """TRS-style: .TRS_Editor / .trs_editor_view body, no metadata block."""
    lines = seed_lines(seeds, "003")
    body = (
        '<div class="TRS_Editor"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">\n'
        f"{paragraphs_html(lines)}\n</div></div>"
    )
    info = (
        "<span>发布日期:2024-01-23</span> <span>来源:钟楼区人民政府办公室</span> "
        f'<span>访问次数:<span id="views">{VIEWS}</span></span> {FONT_CONTROLS}'
    )
    footer = (
        "<p>主办:常州市钟楼区人民政府办公室 承办:钟楼区大数据管理中心</p>"
        "<p>苏ICP备12074624号 &nbsp; 苏公网安备32040402000123号 &nbsp; 网站标识码:3204040006</p>"
    )
    page = chrome(
        charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n'
        '<meta name="ArticleTitle" content="2024年钟楼区政府工作报告(节选)">\n'
        '<meta name="PubDate" content="2024-01-23 10:05">\n'
        '<meta name="ContentSource" content="钟楼区人民政府办公室">',
        page_title="2024年钟楼区政府工作报告(节选)_钟楼区人民政府",
        site="常州市钟楼区人民政府",
        nav=["首页", "走进钟楼", "政务动态", "信息公开", "政务服务", "政民互动"],
        crumbs=["首页", "政务动态", "政府工作报告"],
        heading="2024年钟楼区政府工作报告(节选)",
        info_bar=info,
        metadata="",
        body=body,
        sidebar_items=["2023年钟楼区政府工作报告", "钟楼区2023年国民经济和社会发展统计公报"],
        footer=footer,
        body_class="trs",
    )
    return page.encode("utf-8")


def page_004(seeds: Path) -> bytes:
    """Newspaper print (founder e-paper markup): no known body class, repeated and looping paragraphs."""
    lines = seed_lines(seeds, "004")
    body = (
        '<div id="ozoom" class="article-content"><founder-content>\n'
        f"{paragraphs_html(lines[4:], indent=False)}\n</founder-content></div>"
    )
    info = (
        "<span>无锡日报</span> <span>2024-01-25 第A02版</span> <span>要闻</span> "
        f'<span>阅读:<span id="views">{VIEWS}</span></span> {FONT_CONTROLS}'
    )
    footer = (
        "<p>无锡日报社版权所有 未经书面授权不得复制或建立镜像</p>"
        "<p>苏ICP备10213232号-1 &nbsp; 苏公网安备 32020202000205号</p>"
    )
    page = chrome(
        charset_meta='<meta charset="UTF-8">',
        page_title="政府工作报告--无锡日报",
        site="无锡日报数字报",
        nav=["A01版:头版", "A02版:要闻", "A03版:要闻", "A04版:综合"],
        crumbs=["无锡日报", "2024年01月25日", "A02版:要闻"],
        heading=lines[2],
        info_bar=info,
        metadata="",
        body=body,
        sidebar_items=["本版其他文章:无锡市2024年民生实事项目", "本版其他文章:代表委员热议政府工作报告"],
        footer=footer,
        body_class="epaper",
    )
    return page.encode("utf-8")


def build(seeds: Path, out: Path = HERE) -> dict[str, bytes]:
    pages = {
        "wuxi-2024-priorities.html": page_000(seeds),
        "wuxi-2021-plan.html": page_001(seeds, traditional=False),
        "wuxi-2021-plan.tc.html": page_001(seeds, traditional=True),
        "changzhou-2021-key-work.html": page_002(seeds),
        "zhonglou-2024-report.html": page_003(seeds),
        "wuxi-2024-report-print.html": page_004(seeds),
    }
    for name, data in pages.items():
        (out / name).write_bytes(data)
    return pages


if __name__ == "__main__":
    built = build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SEEDS)
    for name, data in built.items():
        print(f"{name}: {len(data)} bytes")
