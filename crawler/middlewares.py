"""Downloader middlewares: the safety guard (hosts and ports, schemes, addresses, redirects) and anti-bot
challenges."""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.links import strip_fragment
from tracker.config import SourceConfig, origin

log = logging.getLogger(__name__)

CHALLENGE_STATUSES = frozenset({412, 521})
HINT = "govwatch_hint"
ORIGINS_SETTING = "GOVWATCH_ALLOWED_ORIGINS"  # [[host, port], ...] the crawl may connect to
ALLOW_PRIVATE_SETTING = "GOVWATCH_ALLOW_PRIVATE_ADDRESSES"


class Refused(IgnoreRequest):
    """A request the guard will not send; ``hint`` says why (the tracker records it as rejected)."""

    def __init__(self, message: str, hint: str = "rejected") -> None:
        super().__init__(message)
        self.hint = hint


@cache
def _resolve(host: str) -> tuple[str, ...]:
    try:
        return tuple({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})
    except OSError:
        return ()  # unresolvable: let the download fail with a DNS error


def non_public_address(host: str) -> str | None:
    """The first private, loopback, link-local or otherwise non-public address ``host`` stands for."""
    try:
        candidates: tuple[str, ...] = (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        candidates = _resolve(host)
    for candidate in candidates:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(candidate.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return str(ip)
    return None


@dataclass(frozen=True)
class SitePolicy:
    """Where one source's crawl may go: (host, port) pairs, and whether private addresses are allowed."""

    origins: frozenset[tuple[str, int]]
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SitePolicy:
        pairs = settings.getlist(ORIGINS_SETTING)
        return cls(
            origins=frozenset((str(host), int(port)) for host, port in pairs),
            allow_private=settings.getbool(ALLOW_PRIVATE_SETTING),
        )

    def refusal(self, url: str) -> str | None:
        """The hint for a URL the crawl must not fetch (``bad_scheme``, ``offsite``), None when it may."""
        if urlsplit(url).scheme not in ("http", "https"):
            return "bad_scheme"
        return None if origin(url) in self.origins else "offsite"


def policy_settings(source: SourceConfig) -> dict[str, Any]:
    """The settings ``SitePolicy.from_settings`` reads back: how a source's policy reaches the crawl."""
    return {
        ORIGINS_SETTING: sorted([host, port] for host, port in source.origins),
        ALLOW_PRIVATE_SETTING: source.allow_private_addresses,
    }


class GuardMiddleware:
    """Only http(s), only the source's hosts and ports, no private addresses unless allowed, redirects
    kept on-site.

    Runs after robots.txt and before cookies (process_request), and sees 3xx responses before
    Scrapy's RedirectMiddleware so that an off-site or looping redirect is stopped, not followed.
    The policy comes from the crawl's settings, read once when the crawl is set up.
    """

    def __init__(self, policy: SitePolicy, max_url_length: int) -> None:
        self.policy = policy
        self.max_url_length = max_url_length

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GuardMiddleware:
        settings = crawler.settings
        return cls(SitePolicy.from_settings(settings), settings.getint("URLLENGTH_LIMIT", 2083))

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower().rstrip(".")
        hint = self.policy.refusal(request.url)
        if hint == "bad_scheme":
            raise Refused(f"scheme {parts.scheme!r} is not http(s): {request.url}", hint)
        if hint == "offsite":
            raise Refused(f"host and port of {request.url} are not in allowed_hosts", hint)
        if len(request.url) > self.max_url_length:
            raise Refused(f"URL longer than {self.max_url_length} characters", "rejected")
        if not self.policy.allow_private:
            address = non_public_address(host)
            if address is not None:
                raise Refused(
                    f"{host} resolves to non-public address {address} (set allow_private_addresses = true "
                    "for a source on a private network)",
                    "rejected",
                )
        # One cookie jar per host: a cookie set by one host is never sent to another.
        request.meta["cookiejar"] = host

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (301, 302, 303, 307, 308) or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = strip_fragment(urljoin(request.url, location.decode("latin-1")))
        seen = {strip_fragment(u) for u in request.meta.get("redirect_urls", [])} | {
            strip_fragment(request.url)
        }
        hint = self.policy.refusal(target)
        if hint is None and target in seen:
            hint = "redirect_loop"
        if hint:
            log.info("not following redirect of %s to %s (%s)", request.url, target, hint)
            request.meta["dont_redirect"] = True
            request.meta[HINT] = hint
            request.meta["govwatch_redirect_target"] = target
        return response


class ChallengeMiddleware:
    """Anti-bot interstitials (412/521 + JS + Set-Cookie): one retry carrying the cookie, then blocked.

    Sits between RedirectMiddleware and CookiesMiddleware, so the challenge's Set-Cookie is already
    in the host's jar when the retry is scheduled and CookiesMiddleware adds it to the retry.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in CHALLENGE_STATUSES or not looks_like_challenge(response):
            return response
        if request.meta.get("govwatch_challenge_retry"):
            request.meta[HINT] = "blocked"
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("govwatch/challenge_blocked")
            return response
        log.info("anti-bot challenge (%s) at %s: retrying once with its cookie", response.status, request.url)
        retry = request.replace(dont_filter=True)
        retry.meta["govwatch_challenge_retry"] = True
        return retry


def looks_like_challenge(response: Response) -> bool:
    """A JS cookie challenge: sets a cookie and answers with a small script page."""
    if not response.headers.getlist(b"Set-Cookie"):
        return False
    return b"<script" in response.body[:65536].lower()
