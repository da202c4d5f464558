"""DNS resolution for crawls: a name resolving to a private, loopback or link-local address is refused.

``GuardMiddleware`` checks each request's host before it is sent; this resolver checks the
address the connection is actually made to, so a name that changes its answer in between
(DNS rebinding) cannot reach an internal address either. Sources with
``allow_private_addresses = true`` (the demo, the tests) skip both checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.middlewares import ALLOW_PRIVATE_SETTING, non_public_address


class PublicOnlyResolver(CachingThreadedResolver):
    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicOnlyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool(ALLOW_PRIVATE_SETTING)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 - Twisted API
        resolved = super().getHostByName(name, timeout)
        if not self.allow_private:
            resolved.addCallback(self._public_only, name)
        return resolved

    @staticmethod
    def _public_only(address: str, name: str) -> str:
        if non_public_address(address) is not None:
            raise DNSLookupError(f"{name} resolved to non-public address {address}; refused")
        return address
