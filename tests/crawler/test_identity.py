"""The canonical URL: one identity per document, whatever its links carry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.identity import DOCUMENT_PARAMETERS, SESSION_PARAMETERS, canonical_url, changed_parameters

HOSTS = st.sampled_from(["www.wuxi.gov.cn", "XXGK.Example.GOV.cn", "127.0.0.1:8080", "dfgw.wuxi.gov.cn:80"])
SEGMENT = st.text(alphabet="abcXYZ019_-.~政府信息公开%", min_size=1, max_size=8)
NAMES = st.text(alphabet="abcdefghkqvwxyz", min_size=2, max_size=6).filter(
    lambda n: n not in SESSION_PARAMETERS and not n.endswith("id") and n not in DOCUMENT_PARAMETERS
)
VALUES = st.text(alphabet="abcXYZ0129 政%&=+", max_size=8)
QUERY = st.lists(st.tuples(NAMES, VALUES), max_size=4)


@st.composite
def urls(draw: st.DrawFn) -> str:
    from urllib.parse import urlencode

    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    path = "/".join(draw(st.lists(SEGMENT, min_size=0, max_size=4)))
    query = urlencode(draw(QUERY))
    fragment = draw(st.sampled_from(["", "#top", "#p2"]))
    return f"{scheme}://{draw(HOSTS)}/{path}{'?' + query if query else ''}{fragment}"


@given(urls(), st.sets(NAMES, max_size=2))
def test_canonical_url_is_idempotent(url: str, volatile: set[str]) -> None:
    once = canonical_url(url, volatile)
    assert canonical_url(once, volatile) == once


@given(
    urls(),
    st.sampled_from([*sorted(SESSION_PARAMETERS), "utm_source", "utm_campaign", "learned"]),
    VALUES,
    VALUES,
)
def test_any_value_of_a_volatile_parameter_gives_the_same_identity(
    url: str, name: str, first: str, second: str
) -> None:
    from w3lib.url import add_or_replace_parameter

    one = add_or_replace_parameter(url, name, first)
    two = add_or_replace_parameter(url, name, second)
    assert (
        canonical_url(one, {"learned"}) == canonical_url(two, {"learned"}) == canonical_url(url, {"learned"})
    )


@given(
    urls(), st.sampled_from(sorted(DOCUMENT_PARAMETERS | {"articleId", "contentId", "docId"})), VALUES, VALUES
)
def test_changing_a_document_selecting_parameter_always_gives_another_identity(
    url: str, name: str, first: str, second: str
) -> None:
    from w3lib.url import add_or_replace_parameter

    if first == second:
        return
    one = add_or_replace_parameter(url, name, first)
    two = add_or_replace_parameter(url, name, second)
    # Even when a careless source learned it as volatile, a document parameter stays.
    assert canonical_url(one, {name}) != canonical_url(two, {name})


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTP://WWW.Wuxi.GOV.cn:80/art/2024/3/1/art_123_4100050.html?uid=93a5ff9a#top",
            "http://www.wuxi.gov.cn/art/2024/3/1/art_123_4100050.html",
        ),
        ("https://x.gov.cn:443/a/b.jsp;jsessionid=0A1B2C?id=7", "https://x.gov.cn/a/b.jsp?id=7"),
        (
            "https://x.gov.cn/show.aspx?id=5&_t=1700000000&utm_source=wx&spm=a.b",
            "https://x.gov.cn/show.aspx?id=5",
        ),
        (
            "http://x.gov.cn/index.php?m=content&c=index&a=show&catid=1&id=2&r=0.123",
            "http://x.gov.cn/index.php?a=show&c=index&catid=1&id=2&m=content",
        ),
        ("http://x.gov.cn/detail.jsp?infoid=9&token=abc&timestamp=1", "http://x.gov.cn/detail.jsp?infoid=9"),
        (
            "http://x.gov.cn/%e6%94%bf%e7%ad%96/a.html?b=2&a=1",
            "http://x.gov.cn/%E6%94%BF%E7%AD%96/a.html?a=1&b=2",
        ),
        ("http://x.gov.cn:8080/a.html", "http://x.gov.cn:8080/a.html"),
    ],
)
def test_canonical_forms(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_changed_parameters_need_the_same_skeleton() -> None:
    assert changed_parameters("http://x/a.html?k=1&v=2", "http://x/a.html?v=2&k=9") == {"k"}
    assert changed_parameters("http://x/a.html?k=1", "http://x/b.html?k=2") == set()
    assert changed_parameters("http://x/a.html?k=1", "http://x/a.html?k=1&z=2") == set()


def test_a_parameter_that_changed_between_two_fetches_is_learned_volatile() -> None:
    from crawler.volatile import VolatileParameters

    params = VolatileParameters()
    first = [
        ("http://x/a/1.html?vc=aa11&lang=zh", "一号文件"),
        ("http://x/a/2.html?vc=aa11&lang=zh", "二号文件"),
    ]
    again = [
        ("http://x/a/1.html?vc=bb22&lang=zh", "一号文件"),
        ("http://x/a/2.html?vc=bb22&lang=zh", "二号文件"),
    ]
    names = params.undecided(url for url, _ in first)
    assert names == {"vc", "lang"}
    assert params.compare(first, again, names, "http://x/a/") == {"vc"}
    assert params.new == {"vc": "http://x/a/"}
    assert params.stable == {"lang"}
    assert params.canonical(first[0][0]) == params.canonical(again[0][0]) == "http://x/a/1.html?lang=zh"
    assert params.undecided(url for url, _ in first) == set()  # decided for the rest of the crawl


def test_a_document_parameter_is_never_learned_even_when_it_changes() -> None:
    from crawler.volatile import VolatileParameters

    params = VolatileParameters(["id"])  # a bad memory cannot strip it either
    first = [("http://x/show.aspx?id=1&k=1", "第一篇")]
    again = [("http://x/show.aspx?id=2&k=2", "第一篇")]
    assert params.compare(first, again, {"k"}, "http://x/list.aspx") == {"k"}
    assert params.canonical("http://x/show.aspx?id=1&k=1") != params.canonical("http://x/show.aspx?id=2&k=1")


def test_list_pages_are_keyed_without_token_looking_values_but_keep_their_page() -> None:
    from crawler.volatile import VolatileParameters

    params = VolatileParameters()
    assert params.list_key("http://x/list.html?vc=0a1b2c3d4e5f6789&page=2") == "http://x/list.html?page=2"
    assert params.list_key("http://x/List.aspx?ClassID=5&type=3") == "http://x/List.aspx?ClassID=5&type=3"
    assert params.list_key("http://x/l.jsp?ts2=1700000000123") == "http://x/l.jsp"


@pytest.mark.parametrize(
    "final",
    [
        "https://www.example.gov.cn/art/2024/3/1/art_1_2.html",  # http -> https
        "http://www.example.gov.cn/art/2024/3/1/art_1_2.html/",  # a trailing slash
        "http://www.example.gov.cn/art/2024/3/1/art_1_2/index.html",  # index.html
    ],
)
def test_a_redirect_keeps_the_identity_of_the_url_asked_for(final: str) -> None:
    import scrapy

    from crawler.spiders import GenericSpider
    from tracker.config import parse_config

    source = parse_config('[[source]]\nname = "s"\nstart_urls = ["http://www.example.gov.cn/"]\n').sources[0]
    spider = GenericSpider(source)
    asked = "http://www.example.gov.cn/art/2024/3/1/art_1_2.html?uid=93a5ff9a"
    request = spider.page_request(asked, "detail", 1)
    assert request is not None
    redirected = request.replace(url=final, meta={**request.meta, "redirect_urls": [asked]})
    assert spider.identity_of(redirected) == "http://www.example.gov.cn/art/2024/3/1/art_1_2.html"
    assert spider.identity_of(scrapy.Request(final, meta={"redirect_urls": [asked]})) == spider.identity_of(
        redirected
    )
