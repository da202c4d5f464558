"""allowed_hosts are hosts and ports: what a source may reach, as the config and the crawl's guard see it."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.middlewares import SitePolicy, policy_settings
from tracker.config import ConfigError, parse_config


def source(hosts: str, start: str = "http://127.0.0.1:8080/list.html", extra: str = ""):
    text = f'[[source]]\nname = "s"\nstart_urls = ["{start}"]\n{hosts}\n{extra}'
    return parse_config(text).sources[0]


def test_a_bare_host_allows_the_default_ports_and_the_start_urls_port() -> None:
    src = source('allowed_hosts = ["127.0.0.1", "localhost"]')
    assert src.allowed_hosts == ("127.0.0.1", "localhost")
    assert src.allows("http://127.0.0.1:8080/a") and src.allows("http://localhost:8080/a")
    assert src.allows("http://127.0.0.1/a") and src.allows("https://127.0.0.1/a")
    assert not src.allows("http://127.0.0.1:8081/a")
    assert not src.allows("http://127.0.0.1:22/")
    assert not src.allows("ftp://127.0.0.1/a")


def test_an_entry_with_a_port_allows_only_that_port() -> None:
    src = source('allowed_hosts = ["127.0.0.1:8080", "[::1]:9000", "www.example.gov.cn"]')
    assert src.allowed_hosts == ("127.0.0.1", "::1", "www.example.gov.cn")
    assert src.allows("http://127.0.0.1:8080/") and not src.allows("http://127.0.0.1/")
    assert src.allows("http://[::1]:9000/x") and not src.allows("http://[::1]:9001/x")
    assert src.allows("https://www.example.gov.cn/") and not src.allows("http://www.example.gov.cn:8443/")


def test_derived_hosts_allow_the_start_urls_ports() -> None:
    src = source("", start="http://10.0.0.5:8000/list.html", extra="allow_private_addresses = true")
    assert src.allows("http://10.0.0.5:8000/doc") and not src.allows("http://10.0.0.5:6379/")


@pytest.mark.parametrize(
    ("hosts", "start", "message"),
    [
        ('allowed_hosts = ["127.0.0.1:0"]', "http://127.0.0.1:8080/", "port '0' is not a number from 1"),
        ('allowed_hosts = ["127.0.0.1:http"]', "http://127.0.0.1:8080/", "is not a number"),
        ('allowed_hosts = ["http://x.gov.cn"]', "http://x.gov.cn/", "not a host name"),
        ('allowed_hosts = ["x.gov.cn:8080"]', "http://x.gov.cn:9090/", "whose port is not in allowed_hosts"),
        ('allowed_hosts = ["x.gov.cn:8080"]', "http://x.gov.cn/", "whose port is not in allowed_hosts"),
    ],
)
def test_bad_entries_and_unreachable_start_urls_are_config_errors(
    hosts: str, start: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=r"allowed_hosts|start_urls") as error:
        source(hosts, start=start)
    assert message in str(error.value)


def test_the_guard_reads_the_same_policy_from_the_crawl_settings() -> None:
    src = source('allowed_hosts = ["127.0.0.1"]', extra="allow_private_addresses = true")
    policy = SitePolicy.from_settings(Settings(policy_settings(src)))
    assert policy.allow_private and policy.origins == src.origins
    assert policy.refusal("http://127.0.0.1:8080/doc") is None
    assert policy.refusal("http://127.0.0.1:8081/doc") == "offsite"  # another port: like another host
    assert policy.refusal("http://127.0.0.2:8080/doc") == "offsite"
    assert policy.refusal("file:///etc/passwd") == "bad_scheme"
