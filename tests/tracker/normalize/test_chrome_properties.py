"""Properties of chrome removal: sentences stay whatever words they hold; trailing navigation goes.

Bodies are generated from valid parts: sentences that mix words of page furniture (分享到,
版权所有, 打印本页, 相关链接 …) into ordinary policy prose and end like sentences, followed by
a tail the way portals append one (a related-reading list with its heading, a site menu,
login links, print and share buttons), in a known container or between content markers.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.normalize import normalize
from tracker.normalize.text import clean

CHROME_WORDS = [
    "分享到",
    "版权所有",
    "打印本页",
    "关闭窗口",
    "相关链接",
    "网站地图",
    "扫一扫",
    "浏览次数",
    "登录",
]
PROSE = [
    "推动发展成果",
    "每一户家庭",
    "加快建设",
    "公共服务平台",
    "全面落实",
    "惠企政策",
    "持续改善",
    "人居环境",
]
TAILS = [
    "<p>相关阅读</p><ul><li><a href='/art/2024/3/1/art_1_{n}.html'>关于印发某某工作方案的通知</a></li>"
    "<li><a href='/art/2024/2/9/art_1_{n}1.html'>2023年某某工作总结</a></li></ul>",
    "<p><a href='/'>网站首页</a> | <a href='/zwgk/'>政务公开</a> | <a href='/hdjl/'>互动交流</a></p>",
    "<p><a href='/login.html'>登录</a> | <a href='/reg.html'>注册</a></p>",
    "<p><a href='javascript:window.print()'>【打印本页】</a> "
    "<a href='javascript:window.close()'>【关闭窗口】</a></p>",
    "<div>分享到:<a href='javascript:void(0)'>微信</a> <a href='javascript:void(0)'>微博</a></div>",
    "<p><a href='/sitemap.html'>网站地图</a></p>",
]


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(PROSE), min_size=1, max_size=4))
    chrome = draw(st.sampled_from(CHROME_WORDS))
    at = draw(st.integers(0, len(words)))
    parts = [*words[:at], chrome, *words[at:]]
    joiner = draw(st.sampled_from(["", ","]))
    return joiner.join(parts) + draw(st.sampled_from(["。", "；", "!"]))


@st.composite
def pages(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    body = draw(st.lists(sentences(), min_size=1, max_size=5, unique=True))
    tail = "".join(
        t.format(n=n) for n, t in enumerate(draw(st.lists(st.sampled_from(TAILS), min_size=1, max_size=4)))
    )
    inner = "".join(f"<p>{s}</p>" for s in body)
    frame = draw(st.sampled_from(["container", "markers"]))
    if frame == "container":
        content = f"<div class='TRS_Editor'>{inner}{tail}</div>"
    else:
        content = f"<div class='con'><meta name='ContentStart'>{inner}<meta name='ContentEnd'>{tail}</div>"
    html = (
        "<html><head><meta charset='utf-8'><title>关于做好某某工作的通知</title></head><body>"
        f"<div class='nav'><a href='/'>首页</a></div>{content}</body></html>"
    )
    return html.encode(), body


@settings(max_examples=150, deadline=None)
@given(case=pages())
def test_sentences_with_chrome_words_stay_and_the_navigation_tail_goes(case: tuple[bytes, list[str]]) -> None:
    body, expected = case
    paragraphs = normalize(body).snapshot["paragraphs"]
    assert paragraphs == [clean(s) for s in expected]  # in the text normal form (；→;)
