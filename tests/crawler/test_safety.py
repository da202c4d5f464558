"""Address policy: which addresses count as non-public, and the resolver that refuses them at connect time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler.middlewares import non_public_address
from tests.crawler.conftest import REPO

RESOLVE = """
import sys
from scrapy.settings import Settings
from twisted.internet import reactor
from crawler.resolver import PublicOnlyResolver

class Owner:
    settings = Settings({"GOVWATCH_ALLOW_PRIVATE_ADDRESSES": sys.argv[1] == "allow"})

resolver = PublicOnlyResolver.from_crawler(Owner(), reactor)
done = resolver.getHostByName("localhost")
done.addCallbacks(lambda a: print("resolved", a), lambda f: print("refused", f.getErrorMessage()))
done.addBoth(lambda _: reactor.stop())
reactor.run()
"""


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
        "[::1]",
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(host: str) -> None:
    assert non_public_address(host) is not None


@pytest.mark.parametrize("host", ["8.8.8.8", "2400:3200::1", "58.215.47.10"])
def test_public_addresses_pass(host: str) -> None:
    assert non_public_address(host) is None


def test_localhost_resolves_to_a_non_public_address() -> None:
    assert non_public_address("localhost") is not None


@pytest.mark.parametrize(("mode", "expected"), [("deny", "refused"), ("allow", "resolved 127.0.0.1")])
def test_the_crawl_resolver_refuses_private_answers_unless_allowed(mode: str, expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RESOLVE, mode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip().startswith(expected), result.stderr
